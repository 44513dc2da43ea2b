package lang

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// localCycles returns, for every pending local that is part of a reference
// cycle, the sorted names of the locals in its cycle (its strongly
// connected component). Locals that only depend on a cycle are not in the
// result.
func localCycles(pending map[string]*hcl.Attribute) map[string][]string {
	deps := map[string][]string{}
	for name, a := range pending {
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue
			}
			if ref, ok := traversalName(tr); ok {
				if _, isPending := pending[ref]; isPending {
					deps[name] = append(deps[name], ref)
				}
			}
		}
	}
	reach := func(from string) map[string]bool {
		seen := map[string]bool{}
		stack := append([]string(nil), deps[from]...)
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[n] {
				continue
			}
			seen[n] = true
			stack = append(stack, deps[n]...)
		}
		return seen
	}
	reaches := map[string]map[string]bool{}
	for name := range pending {
		reaches[name] = reach(name)
	}
	out := map[string][]string{}
	for name := range pending {
		if !reaches[name][name] {
			continue
		}
		var scc []string
		for other := range reaches[name] {
			if reaches[other][name] {
				scc = append(scc, other)
			}
		}
		sort.Strings(scc)
		out[name] = scc
	}
	return out
}

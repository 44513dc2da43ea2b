package lang

import (
	"fmt"
	"net/netip"
	"sort"
)

// checkCIDROverlap warns about entries of one src/not_src list that are
// equal to or contained in another entry of the same list. CIDRs either nest
// or are disjoint, so one sort and one sweep find every such entry.
func (c *checker) checkCIDROverlap(attr string, list []CIDR) {
	if len(list) < 2 {
		return
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := list[idx[i]].Prefix, list[idx[j]].Prefix
		if a.Addr().BitLen() != b.Addr().BitLen() {
			return a.Addr().BitLen() < b.Addr().BitLen()
		}
		if cmp := a.Addr().Compare(b.Addr()); cmp != 0 {
			return cmp < 0
		}
		return a.Bits() < b.Bits()
	})
	var open netip.Prefix
	openIdx := -1
	for _, i := range idx {
		p := list[i].Prefix
		if openIdx >= 0 && open.Addr().BitLen() == p.Addr().BitLen() && open.Contains(p.Addr()) && open.Bits() <= p.Bits() {
			other := list[openIdx]
			what := "is contained in"
			if open == p {
				what = "is the same as"
			}
			// Report on the later of the two in the source.
			at, ref := list[i], other
			if at.Range.Start.Byte < ref.Range.Start.Byte {
				at, ref = ref, at
			}
			c.add(warnAt(at.Range, "Redundant CIDR", fmt.Sprintf("In %s, %s %s %s (%s); one of them can go.", attr, p, what, open, shortPos(ref.Range))))
			continue
		}
		open, openIdx = p, i
	}
}

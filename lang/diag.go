package lang

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

func errAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r}
}

func warnAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: &r}
}

func dupDiag(kind, name string, rng, prev hcl.Range) *hcl.Diagnostic {
	return errAt(rng, fmt.Sprintf("Duplicate %s %q", kind, name),
		fmt.Sprintf("A %s named %q is already declared at %s.", kind, name, shortPos(prev)))
}

// shortPos renders "file.hcl:12" for messages and comments.
func shortPos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", filepath.Base(r.Filename), r.Start.Line)
}

// ShortPos renders a range as "file.hcl:LINE" (base name only).
func ShortPos(r hcl.Range) string { return shortPos(r) }

// suggest returns the candidate closest to name, or "". Case is ignored; a
// candidate qualifies when its edit distance is at most 2 (or a third of the
// name's length), or when one of the two is a prefix of the other ("maint"
// for "maintenance"), which ranks like the largest accepted distance.
func suggest(name string, candidates []string) string {
	best, bestD := "", -1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	lname := strings.ToLower(name)
	for _, c := range sorted {
		lc := strings.ToLower(c)
		d := editDistance(lname, lc)
		limit := 2
		if l := len(name) / 3; l > limit {
			limit = l
		}
		if d > limit && min(len(lname), len(lc)) >= 3 && (strings.HasPrefix(lname, lc) || strings.HasPrefix(lc, lname)) {
			d = limit
		}
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean formats a suggestion sentence, or "" when there is none.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

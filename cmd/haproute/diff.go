package main

import (
	"fmt"
	"strings"
)

// lineDiff renders a minimal unified-style diff of two texts (an LCS over
// lines; fine for configuration files).
func lineDiff(name, a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s (formatted)\n", name, name)
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&out, "@@ line %d @@\n+%s\n", j+1, y[j])
			j++
		default:
			fmt.Fprintf(&out, "@@ line %d @@\n-%s\n", i+1, x[i])
			i++
		}
	}
	return out.String()
}

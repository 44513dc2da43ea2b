package ir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
)

// longConfig has an ACL with 130 patterns, a route rule with 20
// alternatives and a deny with 30: each far beyond HAProxy's 63 words.
func longConfig() *ir.Config {
	notChosen := ir.Term{Not: true, Anon: "var(txn.hr_be) -m found"}
	fe := &ir.Frontend{Name: "fe", Mode: "http", Binds: []string{"127.0.0.1:8080"}}
	var pats []string
	for i := 0; i < 130; i++ {
		pats = append(pats, fmt.Sprintf("/p%d", i))
	}
	fe.ACLs = append(fe.ACLs,
		&ir.ACL{Name: "paths", Fetch: "path", Match: "str", Patterns: pats, Comment: "many patterns"},
		&ir.ACL{Name: "a", Fetch: "method", Match: "str", Patterns: []string{"GET"}},
		&ir.ACL{Name: "b", Fetch: "method", Match: "str", Patterns: []string{"POST"}},
	)
	var route, deny [][]ir.Term
	for i := 0; i < 20; i++ {
		route = append(route, []ir.Term{notChosen, {ACL: "paths"}, {ACL: "a", Not: i%2 == 0}})
	}
	for i := 0; i < 30; i++ {
		deny = append(deny, []ir.Term{{ACL: "b"}, {ACL: "paths", Not: i%3 == 0}})
	}
	fe.Rules = append(fe.Rules,
		&ir.Rule{Action: ir.ActionDeny, Status: 403, Cond: ir.Cond{Or: deny}, Comment: "deny"},
		&ir.Rule{Action: ir.ActionSetVar, Var: "txn.hr_be", Expr: "str(be)", Cond: ir.Cond{Or: route}, Comment: "route"},
	)
	fe.UseBackends = append(fe.UseBackends, &ir.UseBackend{Backend: "%[var(txn.hr_be)]", Cond: ir.Cond{Or: [][]ir.Term{{{Anon: "var(txn.hr_be) -m found"}}}}})
	return &ir.Config{
		Defaults:  ir.Defaults{Mode: "http", TimeoutConnect: "1s", TimeoutClient: "1s", TimeoutServer: "1s"},
		Frontends: []*ir.Frontend{fe},
		Backends:  []*ir.Backend{{Name: "be", Servers: []*ir.Server{{Name: "s", Address: "127.0.0.1", Port: 9001, Weight: 1}}}},
	}
}

// words counts the words on a line before any comment: a quoted string is
// one word, and a '#' outside quotes starts the comment.
func words(line string) int {
	n, in, quote := 0, false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
			if !in {
				in, n = true, n+1
			}
		case c == '#':
			return n
		case c == ' ' || c == '\t':
			in = false
		case !in:
			in, n = true, n+1
		}
	}
	return n
}

// TestSplitLongLines requires that after SplitLongLines every line fits
// HAProxy's word limit, that the split keeps every pattern and every
// alternative in order, that haproxy -c accepts the result, and that Read
// returns the same lines (so the applier sees no drift).
func TestSplitLongLines(t *testing.T) {
	cfg := longConfig()
	before := cfg.Frontends[0]
	var wantPats []string
	wantPats = append(wantPats, before.ACLs[0].Patterns...)
	wantRoute := slices.Clone(before.Rules[1].Cond.Or)
	wantDeny := slices.Clone(before.Rules[0].Cond.Or)

	ir.SplitLongLines(cfg)
	fe := cfg.Frontends[0]
	var gotPats []string
	var gotRoute, gotDeny [][]ir.Term
	for _, a := range fe.ACLs {
		if a.Name == "paths" {
			gotPats = append(gotPats, a.Patterns...)
		}
	}
	for _, r := range fe.Rules {
		switch r.Action {
		case ir.ActionSetVar:
			gotRoute = append(gotRoute, r.Cond.Or...)
		case ir.ActionDeny:
			gotDeny = append(gotDeny, r.Cond.Or...)
		}
	}
	if !slices.Equal(gotPats, wantPats) {
		t.Errorf("patterns changed: %q", gotPats)
	}
	if fmt.Sprint(gotRoute) != fmt.Sprint(wantRoute) || fmt.Sprint(gotDeny) != fmt.Sprint(wantDeny) {
		t.Errorf("alternatives changed")
	}
	if len(fe.ACLs) < 5 || len(fe.Rules) < 5 {
		t.Errorf("nothing was split: %d ACLs, %d rules", len(fe.ACLs), len(fe.Rules))
	}

	dir := t.TempDir()
	files, err := ir.Render(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range strings.Split(string(files[ir.ConfigFile]), "\n") {
		if n := words(l); n > ir.MaxLineWords {
			t.Errorf("line %d has %d words: %s", i+1, n, l)
		}
	}
	if err := hatest.Check(t, filepath.Join(dir, ir.ConfigFile)); err != nil {
		t.Fatal(err)
	}

	live, err := ir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := func(c *ir.Config) []string {
		var out []string
		f := c.Frontends[0]
		for _, a := range f.ACLs {
			out = append(out, ir.ACLLine(a))
		}
		for _, r := range f.Rules {
			out = append(out, ir.RuleLine(f.Mode, r))
		}
		for _, u := range f.UseBackends {
			out = append(out, ir.UseBackendLine(u))
		}
		return out
	}
	if w, g := lines(cfg), lines(live); !slices.Equal(w, g) {
		t.Errorf("Read returns other lines than were written:\nwant %q\ngot  %q", w, g)
	}
}

package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{
		"a",
		"a || b && !c",
		"!(a && b) || (c)",
		`host("example.com") && header('X-Foo', ` + "`bar`" + `)`,
		`path_regex('^/a\\.b$') || query("k", "v\"w")`,
		"hots('x')",
		"header('x')",
		"host('a',)",
		"(a",
		"'unterminated",
		`host('\q')`,
		"a | b",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		locate := func(start, end int) hcl.Range {
			if start < 0 || end < start || end > len(src) {
				t.Fatalf("locate(%d, %d) out of bounds for %d bytes", start, end, len(src))
			}
			return whenTestLocate(start, end)
		}
		e, diags := ParseWhen(src, locate)
		for _, d := range diags {
			if d.Severity != hcl.DiagError || d.Subject == nil || d.Summary == "" || d.Detail == "" {
				t.Fatalf("malformed diagnostic %#v", d)
			}
		}
		whenFuzzCrossCheck(t, src)
		if diags.HasErrors() && e == nil {
			return
		}
		if e == nil {
			t.Fatalf("no expression and no errors")
		}
		whenFuzzCheckTree(t, src, e)
		if diags.HasErrors() {
			return
		}

		// Round trip through the canonical form.
		f1 := FormatWhen(e)
		e2, diags2 := ParseWhen(f1, whenTestLocate)
		if diags2.HasErrors() {
			t.Fatalf("%q formatted as %q, which does not parse: %v", src, f1, diags2)
		}
		if f2 := FormatWhen(e2); f2 != f1 {
			t.Fatalf("%q formatted as %q, which re-formats as %q", src, f1, f2)
		}
	})
}

// whenFuzzCheckTree checks the structural invariants and that the ranges
// cover the right text.
func whenFuzzCheckTree(t *testing.T, src string, e WhenExpr) {
	text := func(r hcl.Range) string { return src[r.Start.Byte:r.End.Byte] }
	WalkWhen(e, func(n WhenExpr) {
		switch n := n.(type) {
		case *WhenOr:
			if len(n.Terms) < 2 {
				t.Fatalf("WhenOr with %d terms", len(n.Terms))
			}
		case *WhenAnd:
			if len(n.Terms) < 2 {
				t.Fatalf("WhenAnd with %d terms", len(n.Terms))
			}
		case *WhenNot:
			if !strings.HasPrefix(text(n.Range), "!") {
				t.Fatalf("WhenNot range %q", text(n.Range))
			}
		case *WhenRef:
			if text(n.Range) != n.Name {
				t.Fatalf("WhenRef %q has range text %q", n.Name, text(n.Range))
			}
		case *WhenCall:
			if text(n.NameRange) != n.Func {
				t.Fatalf("WhenCall %q has name range text %q", n.Func, text(n.NameRange))
			}
			if r := text(n.Range); !strings.HasPrefix(r, n.Func) || !strings.HasSuffix(r, ")") {
				t.Fatalf("WhenCall range text %q", r)
			}
			if len(n.Args) != len(n.ArgRanges) {
				t.Fatalf("%d args, %d arg ranges", len(n.Args), len(n.ArgRanges))
			}
			for _, r := range n.ArgRanges {
				lit := text(r)
				if len(lit) < 2 || !strings.ContainsRune(`'"`+"`", rune(lit[0])) || lit[len(lit)-1] != lit[0] {
					t.Fatalf("arg range text %q", lit)
				}
			}
		default:
			t.Fatalf("unexpected node %T", n)
		}
	})
}

// whenFuzzCrossCheck checks that the recogniser used for syntax error
// messages agrees with the participle grammar.
func whenFuzzCrossCheck(t *testing.T, src string) {
	all, toks, err := whenLex(src)
	if err != nil {
		t.Fatalf("lexer failed: %v", err)
	}
	p := &whenParse{src: src, locate: whenTestLocate}
	if len(toks) < 2 || !p.checkTokens(toks) {
		return
	}
	_, perr := whenParseTokens(all)
	idx, _, _, bad := whenSyntaxCheck(toks)
	if (perr != nil) != bad {
		t.Fatalf("participle error %v, recogniser bad=%v at token %d", perr, bad, idx)
	}
}

package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// whenTestLocate maps byte offsets to a single-line range in "t.hcl".
func whenTestLocate(start, end int) hcl.Range {
	return hcl.Range{
		Filename: "t.hcl",
		Start:    hcl.Pos{Line: 1, Column: start + 1, Byte: start},
		End:      hcl.Pos{Line: 1, Column: end + 1, Byte: end},
	}
}

// whenShape renders a node and its range as "kind start-end" (byte
// offsets); calls also show their name and argument ranges.
func whenShape(e WhenExpr) string {
	r := e.SrcRange()
	s := fmt.Sprintf("%d-%d", r.Start.Byte, r.End.Byte)
	switch e := e.(type) {
	case *WhenOr:
		return "or " + s
	case *WhenAnd:
		return "and " + s
	case *WhenNot:
		return "not " + s
	case *WhenRef:
		return "ref " + s
	case *WhenCall:
		var args []string
		for _, a := range e.ArgRanges {
			args = append(args, fmt.Sprintf("%d-%d", a.Start.Byte, a.End.Byte))
		}
		return fmt.Sprintf("call %s name %d-%d args %s", s, e.NameRange.Start.Byte, e.NameRange.End.Byte, strings.Join(args, ","))
	}
	return fmt.Sprintf("%T", e)
}

func whenShapes(e WhenExpr) []string {
	var out []string
	WalkWhen(e, func(n WhenExpr) { out = append(out, whenShape(n)) })
	return out
}

func mustParseWhen(t *testing.T, src string) WhenExpr {
	t.Helper()
	e, diags := ParseWhen(src, whenTestLocate)
	if diags.HasErrors() {
		t.Fatalf("ParseWhen(%q): unexpected diagnostics: %v", src, diags)
	}
	if e == nil {
		t.Fatalf("ParseWhen(%q): nil expression without diagnostics", src)
	}
	return e
}

func TestParseWhenValid(t *testing.T) {
	tests := []struct {
		src    string
		format string
		shapes []string // pre-order; nil means not checked
	}{
		{src: "a", format: "a", shapes: []string{"ref 0-1"}},
		{src: "  a  ", format: "a", shapes: []string{"ref 2-3"}},
		{src: "a.b-c && _x9", format: "a.b-c && _x9", shapes: []string{"and 0-12", "ref 0-5", "ref 9-12"}},
		{src: "a || b && !c", format: "a || b && !c", shapes: []string{
			"or 0-12", "ref 0-1", "and 5-12", "ref 5-6", "not 10-12", "ref 11-12",
		}},
		{src: "a||b&&c", format: "a || b && c"},
		{src: " \t\na\n||\tb ", format: "a || b", shapes: []string{"or 3-9", "ref 3-4", "ref 8-9"}},
		{src: "a || b || c", format: "a || b || c", shapes: []string{"or 0-11", "ref 0-1", "ref 5-6", "ref 10-11"}},
		{src: "a && b && c", format: "a && b && c"},
		{src: "(a || b) && c", format: "(a || b) && c", shapes: []string{
			"and 0-13", "or 1-7", "ref 1-2", "ref 6-7", "ref 12-13",
		}},
		{src: "a && (b && c)", format: "a && (b && c)"},
		{src: "(a && b) && c", format: "(a && b) && c"},
		{src: "a || (b || c)", format: "a || (b || c)"},
		{src: "(a && b) || c", format: "a && b || c"},
		{src: "((a))", format: "a", shapes: []string{"ref 2-3"}},
		{src: "!(a)", format: "!a", shapes: []string{"not 0-4", "ref 2-3"}},
		{src: "!!a", format: "!!a", shapes: []string{"not 0-3", "not 1-3", "ref 2-3"}},
		{src: "!(!a)", format: "!!a"},
		{src: "! ( a || b )", format: "!(a || b)", shapes: []string{"not 0-12", "or 4-10", "ref 4-5", "ref 9-10"}},
		{src: "!(a && b) || c", format: "!(a && b) || c"},
		{src: "(a) || (b)", format: "a || b", shapes: []string{"or 0-10", "ref 1-2", "ref 8-9"}},
		{src: `host("example.com")`, format: `host('example.com')`, shapes: []string{"call 0-19 name 0-4 args 5-18"}},
		{src: "  header( 'X' ,\"y\" )  ", format: `header('X', 'y')`, shapes: []string{"call 2-20 name 2-8 args 10-13,15-18"}},
		{src: "header_present(`X-Api`)", format: `header_present('X-Api')`},
		{src: "path_regex(`^/a\\.b$`)", format: `path_regex('^/a\\.b$')`},
		{src: `path_prefix('/api') && method('GET') || src('10.0.0.0/8')`, format: `path_prefix('/api') && method('GET') || src('10.0.0.0/8')`},
		{src: `query("a", '')`, format: `query('a', '')`},
		{src: `host('bücher.de')`, format: `host('bücher.de')`},
		{src: `path('/x') && !internal`, format: `path('/x') && !internal`},
		{src: "host", format: "host", shapes: []string{"ref 0-4"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			e := mustParseWhen(t, tt.src)
			if got := FormatWhen(e); got != tt.format {
				t.Errorf("FormatWhen = %q, want %q", got, tt.format)
			}
			if tt.shapes != nil {
				got := whenShapes(e)
				if strings.Join(got, "; ") != strings.Join(tt.shapes, "; ") {
					t.Errorf("shapes:\n got  %q\n want %q", got, tt.shapes)
				}
			}
			// Re-parsing the canonical form gives the same canonical form.
			if again := FormatWhen(mustParseWhen(t, tt.format)); again != tt.format {
				t.Errorf("re-format of %q = %q", tt.format, again)
			}
		})
	}
}

func TestParseWhenPrecedence(t *testing.T) {
	e := mustParseWhen(t, "a || b && !c")
	or, ok := e.(*WhenOr)
	if !ok || len(or.Terms) != 2 {
		t.Fatalf("top: got %#v, want WhenOr with 2 terms", e)
	}
	if r, ok := or.Terms[0].(*WhenRef); !ok || r.Name != "a" {
		t.Fatalf("or.Terms[0] = %#v, want ref a", or.Terms[0])
	}
	and, ok := or.Terms[1].(*WhenAnd)
	if !ok || len(and.Terms) != 2 {
		t.Fatalf("or.Terms[1] = %#v, want WhenAnd with 2 terms", or.Terms[1])
	}
	if r, ok := and.Terms[0].(*WhenRef); !ok || r.Name != "b" {
		t.Fatalf("and.Terms[0] = %#v, want ref b", and.Terms[0])
	}
	not, ok := and.Terms[1].(*WhenNot)
	if !ok {
		t.Fatalf("and.Terms[1] = %#v, want WhenNot", and.Terms[1])
	}
	if r, ok := not.X.(*WhenRef); !ok || r.Name != "c" {
		t.Fatalf("not.X = %#v, want ref c", not.X)
	}

	// "!" binds tighter than "&&", which binds tighter than "||".
	for src, want := range map[string]string{
		"!a && b":            "and(not(a), b)",
		"!a || b":            "or(not(a), b)",
		"a && b || c && d":   "or(and(a, b), and(c, d))",
		"a || b && c || d":   "or(a, and(b, c), d)",
		"!(a || b) && c":     "and(not(or(a, b)), c)",
		"a && (b || c) && d": "and(a, or(b, c), d)",
	} {
		if got := whenTree(mustParseWhen(t, src)); got != want {
			t.Errorf("%q parsed as %s, want %s", src, got, want)
		}
	}
}

// whenTree renders the tree structure with prefix operators.
func whenTree(e WhenExpr) string {
	join := func(op string, terms []WhenExpr) string {
		var parts []string
		for _, t := range terms {
			parts = append(parts, whenTree(t))
		}
		return op + "(" + strings.Join(parts, ", ") + ")"
	}
	switch e := e.(type) {
	case *WhenOr:
		return join("or", e.Terms)
	case *WhenAnd:
		return join("and", e.Terms)
	case *WhenNot:
		return "not(" + whenTree(e.X) + ")"
	case *WhenRef:
		return e.Name
	case *WhenCall:
		return e.Func + fmt.Sprintf("%q", e.Args)
	}
	return "?"
}

func TestParseWhenStrings(t *testing.T) {
	tests := []struct {
		lit  string
		want string
	}{
		{`'plain'`, "plain"},
		{`"plain"`, "plain"},
		{"`plain`", "plain"},
		{`''`, ""},
		{`""`, ""},
		{"``", ""},
		{`'it\'s'`, "it's"},
		{`'say "hi"'`, `say "hi"`},
		{`'a\"b'`, `a"b`},
		{`'back\\slash'`, `back\slash`},
		{`"it's"`, "it's"},
		{`"say \"hi\""`, `say "hi"`},
		{`"a\'b"`, "a'b"},
		{`"back\\slash"`, `back\slash`},
		{"`raw \\d+ 'x' \"y\"`", `raw \d+ 'x' "y"`},
		{"`\\`", `\`},
		{`'ünïcödé ✓'`, "ünïcödé ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.lit, func(t *testing.T) {
			src := "header('n', " + tt.lit + ")"
			e := mustParseWhen(t, src)
			c, ok := e.(*WhenCall)
			if !ok {
				t.Fatalf("got %T, want *WhenCall", e)
			}
			if len(c.Args) != 2 || c.Args[1] != tt.want {
				t.Fatalf("Args = %q, want [n %q]", c.Args, tt.want)
			}
			// The argument range covers the literal, quotes included.
			r := c.ArgRanges[1]
			if got := src[r.Start.Byte:r.End.Byte]; got != tt.lit {
				t.Errorf("ArgRanges[1] covers %q, want %q", got, tt.lit)
			}
			// The canonical form decodes to the same value.
			c2, ok := mustParseWhen(t, FormatWhen(e)).(*WhenCall)
			if !ok || c2.Args[1] != tt.want {
				t.Errorf("round trip of %q via %q lost the value", tt.lit, FormatWhen(e))
			}
		})
	}
}

func TestParseWhenRangesUseLocate(t *testing.T) {
	e := mustParseWhen(t, "x && host('h')")
	call := e.(*WhenAnd).Terms[1].(*WhenCall)
	want := hcl.Range{
		Filename: "t.hcl",
		Start:    hcl.Pos{Line: 1, Column: 6, Byte: 5},
		End:      hcl.Pos{Line: 1, Column: 10, Byte: 9},
	}
	if call.NameRange != want {
		t.Errorf("NameRange = %#v, want %#v", call.NameRange, want)
	}
	if got := call.ArgRanges[0]; got.Start.Column != 11 || got.End.Column != 14 {
		t.Errorf("ArgRanges[0] columns = %d-%d, want 11-14", got.Start.Column, got.End.Column)
	}
}

func TestParseWhenErrors(t *testing.T) {
	tests := []struct {
		src      string
		summary  string
		detail   string // substring of the detail
		startCol int
		endCol   int
		hasExpr  bool // whether an expression is still returned
	}{
		// Empty.
		{"", "Empty when expression", "must not be empty", 1, 1, false},
		{" \t\n ", "Empty when expression", "must not be empty", 1, 5, false},

		// Syntax errors, at the offending token.
		{"a b", "Invalid when expression", `Unexpected name "b"; expected "&&", "||" or end of expression.`, 3, 4, false},
		{"a && || b", "Invalid when expression", `Unexpected "||"; expected a condition name, a function call, "!" or "(".`, 6, 8, false},
		{"a &&", "Invalid when expression", `Unexpected end of expression; expected a condition name`, 5, 5, false},
		{"!", "Invalid when expression", `Unexpected end of expression; expected a condition name`, 2, 2, false},
		{"&& a", "Invalid when expression", `Unexpected "&&"; expected a condition name`, 1, 3, false},
		{"(a", "Invalid when expression", `Unexpected end of expression; expected "&&", "||" or ")".`, 3, 3, false},
		{"(a || b c)", "Invalid when expression", `Unexpected name "c"; expected "&&", "||" or ")".`, 9, 10, false},
		{"a)", "Invalid when expression", `There is no "(" to match this ")".`, 2, 3, false},
		{"()", "Invalid when expression", `Unexpected ")"; expected a condition name`, 2, 3, false},
		{"a, b", "Invalid when expression", `Unexpected ","`, 2, 3, false},
		{"'x'", "Invalid when expression", `A string can only be a function argument`, 1, 4, false},
		{"host('a' 'b')", "Invalid when expression", `Unexpected string 'b'; expected "," or ")".`, 10, 13, false},
		{"host('a',)", "Invalid when expression", `Unexpected ")"; expected a quoted string.`, 10, 11, false},
		{"host(", "Invalid when expression", `Unexpected end of expression; expected a quoted string or ")".`, 6, 6, false},
		{"host('a'", "Invalid when expression", `Unexpected end of expression; expected "," or ")".`, 9, 9, false},
		{"host(example.com)", "Invalid when expression", `Function arguments must be quoted strings, as in 'example.com'.`, 6, 17, false},
		{"a(b)", "Invalid when expression", `Unexpected name "b"`, 3, 4, false},

		// Characters that are not part of any token.
		{"a | b", "Invalid when expression", `Unexpected character "|"; did you mean "||"?`, 3, 4, false},
		{"a & b", "Invalid when expression", `Unexpected character "&"; did you mean "&&"?`, 3, 4, false},
		{"a $$ b", "Invalid when expression", `Unexpected characters "$$".`, 3, 5, false},
		{"a && 1b", "Invalid when expression", `Unexpected character "1".`, 6, 7, false},
		{"a \xff", "Invalid when expression", `Unexpected character "\xff".`, 3, 4, false},

		// Unterminated strings: from the opening quote to the end.
		{"host('abc", "Unterminated string", "no closing ' quote", 6, 10, false},
		{`host("abc`, "Unterminated string", `no closing " quote`, 6, 10, false},
		{"host(`abc", "Unterminated string", "no closing ` quote", 6, 10, false},
		{`host('abc\')`, "Unterminated string", "no closing ' quote", 6, 13, false},

		// Escapes and control characters, at the exact bytes.
		{`host('a\nb')`, "Invalid escape", `Invalid escape sequence "\\n"`, 8, 10, true},
		{`host("\x41")`, "Invalid escape", `Invalid escape sequence "\\x"`, 7, 9, true},
		{`host('\é')`, "Invalid escape", `Invalid escape sequence "\\é"`, 7, 10, true},
		{"host('a\tb')", "Invalid character in string", "control characters", 8, 9, true},
		{"host(`a\nb`)", "Invalid character in string", "control characters", 8, 9, true},
		{"host('a\x7f')", "Invalid character in string", "control characters", 8, 9, true},

		// Unknown functions are parsed as calls.
		{"hots('x')", "Unknown when function", `There is no when function named "hots". Did you mean "host"?`, 1, 5, true},
		{"a && Host('x')", "Unknown when function", `Did you mean "host"?`, 6, 10, true},
		{"path-prefix('/x')", "Unknown when function", `Did you mean "path_prefix"?`, 1, 12, true},
		{"header_presnt('x')", "Unknown when function", `Did you mean "header_present"?`, 1, 14, true},
		{"cookie('x')", "Unknown when function", "Valid functions are header, header_present, host, method, path, path_prefix, path_regex, query, src.", 1, 7, true},

		// Wrong number of arguments: the whole call.
		{"header('X-Foo')", "Wrong number of arguments", "header takes 2 arguments, got 1.", 1, 16, true},
		{"a || query('a', 'b', 'c')", "Wrong number of arguments", "query takes 2 arguments, got 3.", 6, 26, true},
		{"host('a', 'b')", "Wrong number of arguments", "host takes 1 argument, got 2.", 1, 15, true},
		{"method()", "Wrong number of arguments", "method takes 1 argument, got 0.", 1, 9, true},

		// Nesting limits.
		{strings.Repeat("(", whenMaxDepth+1) + "a" + strings.Repeat(")", whenMaxDepth+1), "Invalid when expression", "nested too deeply", whenMaxDepth + 1, whenMaxDepth + 2, false},
		{strings.Repeat("!", 100000) + "a", "Invalid when expression", "nested too deeply", whenMaxDepth + 1, whenMaxDepth + 2, false},
		{strings.Repeat("!(", 60) + "a" + strings.Repeat(")", 60), "Invalid when expression", "nested too deeply", 101, 102, false},
	}
	for _, tt := range tests {
		name := tt.src
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, diags := ParseWhen(tt.src, whenTestLocate)
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError {
				t.Errorf("severity = %v, want error", d.Severity)
			}
			if d.Summary != tt.summary {
				t.Errorf("summary = %q, want %q", d.Summary, tt.summary)
			}
			if !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", d.Detail, tt.detail)
			}
			if d.Subject == nil {
				t.Fatalf("no subject")
			}
			if d.Subject.Filename != "t.hcl" || d.Subject.Start.Column != tt.startCol || d.Subject.End.Column != tt.endCol {
				t.Errorf("subject = %s:%d-%d, want t.hcl:%d-%d", d.Subject.Filename, d.Subject.Start.Column, d.Subject.End.Column, tt.startCol, tt.endCol)
			}
			if (e != nil) != tt.hasExpr {
				t.Errorf("expression returned = %v, want %v", e != nil, tt.hasExpr)
			}
		})
	}
}

func TestParseWhenDepthLimitAllowsMax(t *testing.T) {
	src := strings.Repeat("(", whenMaxDepth) + "a" + strings.Repeat(")", whenMaxDepth)
	if got := FormatWhen(mustParseWhen(t, src)); got != "a" {
		t.Errorf("got %q", got)
	}
	src = strings.Repeat("!", whenMaxDepth) + "a"
	if got := FormatWhen(mustParseWhen(t, src)); got != src {
		t.Errorf("got %q", got)
	}
	// Long flat expressions are not nesting.
	src = strings.Repeat("host('x') || ", 2000) + "a"
	if _, ok := mustParseWhen(t, src).(*WhenOr); !ok {
		t.Errorf("want WhenOr")
	}
}

func TestParseWhenMultipleErrors(t *testing.T) {
	e, diags := ParseWhen(`hots('a') && header('x') && path('\d')`, whenTestLocate)
	if e == nil {
		t.Fatalf("want an expression alongside semantic errors")
	}
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s@%d", d.Summary, d.Subject.Start.Column))
	}
	want := []string{"Unknown when function@1", "Wrong number of arguments@14", "Invalid escape@35"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWhenSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"hots":        "host",
		"HOST":        "host",
		"pth":         "path",
		"metod":       "method",
		"querry":      "query",
		"headers":     "header",
		"srcs":        "src",
		"path_prefx":  "path_prefix",
		"path_regexp": "path_regex",
		"cookie":      "",
		"xyz":         "",
	} {
		if got := whenSuggest(in); got != want {
			t.Errorf("whenSuggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWalkWhen(t *testing.T) {
	e := mustParseWhen(t, "a && !(b || host('x'))")
	var got []string
	WalkWhen(e, func(n WhenExpr) { got = append(got, fmt.Sprintf("%T", n)) })
	want := []string{"*lang.WhenAnd", "*lang.WhenRef", "*lang.WhenNot", "*lang.WhenOr", "*lang.WhenRef", "*lang.WhenCall"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
	WalkWhen(nil, func(WhenExpr) { t.Errorf("called for nil") })
	if FormatWhen(nil) != "" {
		t.Errorf("FormatWhen(nil) not empty")
	}
}

func TestFormatWhenConstructed(t *testing.T) {
	// Trees built by hand (not by the parser) format with the
	// parentheses their structure needs.
	ref := func(n string) WhenExpr { return &WhenRef{Name: n} }
	e := &WhenAnd{Terms: []WhenExpr{
		&WhenOr{Terms: []WhenExpr{ref("a"), ref("b")}},
		&WhenNot{X: &WhenAnd{Terms: []WhenExpr{ref("c"), &WhenCall{Func: "host", Args: []string{`it's \ here`}}}}},
	}}
	want := `(a || b) && !(c && host('it\'s \\ here'))`
	if got := FormatWhen(e); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := whenTree(mustParseWhen(t, want)); got != whenTree(e) {
		t.Errorf("re-parsed as %s, want %s", got, whenTree(e))
	}
}

func TestParseWhenNilLocate(t *testing.T) {
	_, diags := ParseWhen("a b", nil)
	if len(diags) != 1 || diags[0].Subject.Start.Byte != 2 || diags[0].Subject.End.Byte != 3 {
		t.Fatalf("diags = %v", diags)
	}
}

func TestParseWhenUnexpectedStringDescription(t *testing.T) {
	for src, want := range map[string]string{
		"a 'x'":                               "Unexpected string 'x';",
		"a 'x\ny'":                            "Unexpected string literal;",
		"a '" + strings.Repeat("x", 50) + "'": "Unexpected string literal;",
		"a `" + strings.Repeat("é", 30) + "`": "Unexpected string literal;",
	} {
		_, diags := ParseWhen(src, whenTestLocate)
		if len(diags) != 1 || !strings.HasPrefix(diags[0].Detail, want) {
			t.Errorf("%q: diags = %v, want detail starting with %q", src, diags, want)
		}
	}
}

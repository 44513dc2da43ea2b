package lang

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/hashicorp/hcl/v2"
)

// This file implements the parser for `when` condition expressions:
//
//	expr    := or
//	or      := and ("||" and)*
//	and     := unary ("&&" unary)*
//	unary   := "!" unary | primary
//	primary := "(" expr ")" | call | NAME
//	call    := FUNC "(" STRING ("," STRING)* ")"
//
// The grammar proper is a participle grammar over a participle lexer. Before
// the token stream is handed to participle it is checked here, so that string
// literal problems (unterminated, invalid escapes, control characters) and
// stray characters get precise, readable diagnostics instead of participle's
// generic lexer errors. Participle's syntax errors are likewise rewritten into
// "unexpected X; expected Y" messages.

// WhenExpr is a node of a parsed when-expression.
type WhenExpr interface {
	// SrcRange returns the source range of the node, as mapped by the locate
	// function given to ParseWhen.
	SrcRange() hcl.Range
	whenNode()
}

// WhenOr is a disjunction `a || b || ...`; it always has at least two terms.
type WhenOr struct {
	// Terms are the operands, in source order (len(Terms) >= 2).
	Terms []WhenExpr
	// Range covers the whole disjunction, including any parentheses around
	// its first and last operands.
	Range hcl.Range
}

// WhenAnd is a conjunction `a && b && ...`; it always has at least two terms.
type WhenAnd struct {
	// Terms are the operands, in source order (len(Terms) >= 2).
	Terms []WhenExpr
	// Range covers the whole conjunction, including any parentheses around
	// its first and last operands.
	Range hcl.Range
}

// WhenNot is a negation `!x`.
type WhenNot struct {
	// X is the negated expression.
	X WhenExpr
	// Range covers the "!" and the operand (including its parentheses).
	Range hcl.Range
}

// WhenCall is a call of a matcher function, such as `host('example.com')`.
type WhenCall struct {
	// Func is the function name as written (it may be unknown if the
	// expression was returned together with error diagnostics).
	Func string
	// Args are the decoded string values of the arguments.
	Args []string
	// ArgRanges are the ranges of the argument literals, quotes included.
	ArgRanges []hcl.Range
	// Range covers the whole call, from the function name to ")".
	Range hcl.Range
	// NameRange covers exactly the function name.
	NameRange hcl.Range
}

// WhenRef is a reference to a named condition block.
type WhenRef struct {
	// Name is the referenced condition name.
	Name string
	// Range covers exactly the name.
	Range hcl.Range
}

// SrcRange implements WhenExpr.
func (e *WhenOr) SrcRange() hcl.Range { return e.Range }

// SrcRange implements WhenExpr.
func (e *WhenAnd) SrcRange() hcl.Range { return e.Range }

// SrcRange implements WhenExpr.
func (e *WhenNot) SrcRange() hcl.Range { return e.Range }

// SrcRange implements WhenExpr.
func (e *WhenCall) SrcRange() hcl.Range { return e.Range }

// SrcRange implements WhenExpr.
func (e *WhenRef) SrcRange() hcl.Range { return e.Range }

func (*WhenOr) whenNode()   {}
func (*WhenAnd) whenNode()  {}
func (*WhenNot) whenNode()  {}
func (*WhenCall) whenNode() {}
func (*WhenRef) whenNode()  {}

// WhenFuncs lists the valid function names with their arity.
var WhenFuncs = map[string]int{
	"host":           1,
	"path":           1,
	"path_prefix":    1,
	"path_regex":     1,
	"method":         1,
	"src":            1,
	"header":         2,
	"header_present": 1,
	"query":          2,
}

// whenMaxDepth bounds the nesting of "(" and "!" so that the recursive
// descent (participle's and ours) can never exhaust the stack.
const whenMaxDepth = 100

const whenSummary = "Invalid when expression"

// ---- lexer and grammar ----

var whenLexer = lexer.MustSimple([]lexer.SimpleRule{
	// Whitespace must be a real (capitalised) token that the parser elides:
	// rules with lower-case names are dropped by the lexer itself, and then
	// participle's EndPos would point at the next token instead of the end
	// of the node.
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
	// Strings are lexed permissively (any escape, any character) and checked
	// and decoded afterwards, so that problems get precise diagnostics.
	{Name: "String", Pattern: `'(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*"|` + "`[^`]*`"},
	// A quote that starts a string which never ends: the rest of the input.
	{Name: "Unterminated", Pattern: `['"` + "`" + `][\s\S]*`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_.\-]*`},
	{Name: "Op", Pattern: `\|\||&&|[!(),]`},
	// Anything else is a single invalid character; it is reported before
	// parsing. With this rule the lexer itself can never fail.
	{Name: "Invalid", Pattern: `[\s\S]`},
})

var (
	whenSymbols    = whenLexer.Symbols()
	whenTokString  = whenSymbols["String"]
	whenTokIdent   = whenSymbols["Ident"]
	whenTokWS      = whenSymbols["Whitespace"]
	whenTokUnterm  = whenSymbols["Unterminated"]
	whenTokInvalid = whenSymbols["Invalid"]
)

type whenGOr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Terms  []*whenGAnd `parser:"@@ ( \"||\" @@ )*"`
}

type whenGAnd struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Terms  []*whenGUnary `parser:"@@ ( \"&&\" @@ )*"`
}

type whenGUnary struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Not     *whenGUnary   `parser:"\"!\" @@"`
	Primary *whenGPrimary `parser:"| @@"`
}

type whenGPrimary struct {
	Group *whenGOr   `parser:"\"(\" @@ \")\""`
	Call  *whenGCall `parser:"| @@"`
	Ref   *whenGTok  `parser:"| @@"`
}

type whenGCall struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *whenGTok   `parser:"@@ \"(\""`
	Args   []*whenGStr `parser:"( @@ ( \",\" @@ )* )? \")\""`
}

type whenGTok struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Value  string `parser:"@Ident"`
}

type whenGStr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Value  string `parser:"@String"`
}

// Calls with zero arguments are accepted by the grammar so that `host()`
// is reported as a wrong number of arguments rather than a syntax error.
var whenParser = participle.MustBuild[whenGOr](
	participle.Lexer(whenLexer),
	participle.Elide("Whitespace"),
)

// whenSliceLexer replays already lexed tokens to participle.
type whenSliceLexer struct {
	toks []lexer.Token
	i    int
}

func (l *whenSliceLexer) Next() (lexer.Token, error) {
	if l.i >= len(l.toks) {
		return l.toks[len(l.toks)-1], nil // EOF
	}
	t := l.toks[l.i]
	l.i++
	return t, nil
}

// ---- parsing ----

type whenParse struct {
	src    string
	locate func(start, end int) hcl.Range
	diags  hcl.Diagnostics
}

func (p *whenParse) rng(start, end int) hcl.Range {
	if start < 0 {
		start = 0
	}
	if end > len(p.src) {
		end = len(p.src)
	}
	if start > end {
		start = end
	}
	return p.locate(start, end)
}

func (p *whenParse) errorf(start, end int, summary, format string, args ...any) {
	r := p.rng(start, end)
	p.diags = append(p.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

// ParseWhen parses src. locate maps a byte range [start,end) of src to a source range in the HCL file
// (the caller maps offsets inside the HCL string literal to file positions).
//
// All diagnostics are errors whose Subject is the exact offending byte range.
// When src is syntactically valid but has other problems (unknown function,
// wrong number of arguments, bad string contents) the expression is returned
// together with the diagnostics; otherwise, if there are errors, the
// returned expression is nil. A nil locate yields ranges that hold only the
// byte offsets.
func ParseWhen(src string, locate func(start, end int) hcl.Range) (WhenExpr, hcl.Diagnostics) {
	if locate == nil {
		locate = func(start, end int) hcl.Range {
			return hcl.Range{Start: hcl.Pos{Byte: start}, End: hcl.Pos{Byte: end}}
		}
	}
	p := &whenParse{src: src, locate: locate}

	all, toks, err := whenLex(src)
	if err != nil {
		// Cannot happen: the Invalid rule matches any character.
		pos := 0
		var lerr *lexer.Error
		if errors.As(err, &lerr) {
			pos = lerr.Pos.Offset
		}
		p.errorf(pos, len(src), whenSummary, "%s", err)
		return nil, p.diags
	}
	if len(toks) == 1 {
		p.errorf(0, len(src), "Empty when expression",
			"A when expression must not be empty; write a condition name or a function call such as host('example.com').")
		return nil, p.diags
	}
	if !p.checkTokens(toks) {
		return nil, p.diags
	}

	g, err := whenParseTokens(all)
	if err != nil {
		p.syntaxError(toks, err)
		return nil, p.diags
	}
	return p.convOr(g), p.diags
}

// whenLex splits src into tokens: all of them, and those that are not
// whitespace. Both end with an EOF token.
func whenLex(src string) (all, toks []lexer.Token, err error) {
	lx, err := whenLexer.LexString("", src)
	if err != nil {
		return nil, nil, err
	}
	all, err = lexer.ConsumeAll(lx)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range all {
		if t.Type != whenTokWS {
			toks = append(toks, t)
		}
	}
	return all, toks, nil
}

// whenParseTokens runs the participle parser over tokens from whenLex.
func whenParseTokens(all []lexer.Token) (*whenGOr, error) {
	pl, err := lexer.Upgrade(&whenSliceLexer{toks: all}, whenTokWS)
	if err != nil {
		return nil, err
	}
	return whenParser.ParseFromLexer(pl)
}

// checkTokens reports stray characters, unterminated strings and nesting
// that is too deep. It reports whether parsing should go on.
func (p *whenParse) checkTokens(toks []lexer.Token) bool {
	ok := true
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.Type {
		case whenTokUnterm:
			p.errorf(t.Pos.Offset, len(p.src), "Unterminated string",
				"This string literal has no closing %s quote.", t.Value[:1])
			ok = false
		case whenTokInvalid:
			start := t.Pos.Offset
			end := start + len(t.Value)
			for i+1 < len(toks) && toks[i+1].Type == whenTokInvalid && toks[i+1].Pos.Offset == end {
				i++
				end += len(toks[i].Value)
			}
			text := p.src[start:end]
			switch {
			case text == "|":
				p.errorf(start, end, whenSummary, `Unexpected character "|"; did you mean "||"?`)
			case text == "&":
				p.errorf(start, end, whenSummary, `Unexpected character "&"; did you mean "&&"?`)
			case utf8.RuneCountInString(text) == 1:
				p.errorf(start, end, whenSummary, "Unexpected character %q.", text)
			default:
				p.errorf(start, end, whenSummary, "Unexpected characters %q.", text)
			}
			ok = false
		}
	}
	if !ok {
		return false
	}

	// Nesting depth: base is the depth of the operand being parsed, bangs
	// the number of "!" in front of it; groups saves base across "(".
	var groups []int // saved base, or -1 for a call's "("
	base, bangs := 0, 0
	for i, t := range toks {
		switch t.Value {
		case "!":
			bangs++
		case "(":
			if i > 0 && toks[i-1].Type == whenTokIdent {
				groups = append(groups, -1)
				continue
			}
			groups = append(groups, base)
			base += bangs + 1
			bangs = 0
		case ")":
			if n := len(groups); n > 0 {
				if groups[n-1] >= 0 {
					base = groups[n-1]
				}
				groups = groups[:n-1]
			}
			bangs = 0
		default:
			bangs = 0
		}
		if base+bangs > whenMaxDepth {
			p.errorf(t.Pos.Offset, t.Pos.Offset+len(t.Value), whenSummary,
				"The expression is nested too deeply (more than %d levels of parentheses and \"!\").", whenMaxDepth)
			return false
		}
	}
	return true
}

// syntaxError turns a participle error into a readable diagnostic at the
// offending token.
//
// Participle's error position is only approximate: after backtracking out of
// an optional group it reports where the group started (for `host('a',)` it
// blames the ",", not the ")"). So the offending token and the expected
// alternatives are found by whenSyntaxCheck, a small LL(1) recogniser of the
// same grammar; participle's own message is the fallback.
func (p *whenParse) syntaxError(toks []lexer.Token, err error) {
	if idx, expected, hint, bad := whenSyntaxCheck(toks); bad {
		t := toks[idx]
		off := t.Pos.Offset
		end := off + len(t.Value)
		if t.EOF() {
			end = off
		}
		p.errorf(off, end, whenSummary, "Unexpected %s; expected %s.%s", whenDescribe(t), expected, hint)
		return
	}
	var perr participle.Error
	if errors.As(err, &perr) {
		off := perr.Position().Offset
		p.errorf(off, off, whenSummary, "%s", perr.Message())
		return
	}
	p.errorf(0, len(p.src), whenSummary, "%s", err)
}

func whenDescribe(t lexer.Token) string {
	switch {
	case t.EOF():
		return "end of expression"
	case t.Type == whenTokString:
		if len(t.Value) > 40 || !utf8.ValidString(t.Value) || strings.ContainsFunc(t.Value, whenIsControl) {
			return "string literal"
		}
		return "string " + t.Value
	case t.Type == whenTokIdent:
		return fmt.Sprintf("name %q", t.Value)
	default:
		return fmt.Sprintf("%q", t.Value)
	}
}

const whenOperand = `a condition name, a function call, "!" or "("`

// whenSyntaxCheck recognises the when grammar over toks (which holds no
// whitespace and ends with EOF). If toks is not a sentence of the grammar it
// returns the index of the first token that cannot continue a valid
// expression, a description of what was expected there and an optional hint
// (starting with a space).
func whenSyntaxCheck(toks []lexer.Token) (idx int, expected, hint string, bad bool) {
	const (
		operand  = iota // before an operand
		after           // after an operand
		argFirst        // after "fn("
		argAfter        // after an argument
		argNext         // after ","
	)
	is := func(t lexer.Token, op string) bool {
		return t.Type != whenTokString && t.Type != whenTokIdent && t.Value == op
	}
	state, depth := operand, 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch state {
		case operand:
			switch {
			case t.Type == whenTokIdent:
				if i+1 < len(toks) && is(toks[i+1], "(") {
					i++
					state = argFirst
				} else {
					state = after
				}
			case is(t, "!"):
			case is(t, "("):
				depth++
			default:
				h := ""
				if t.Type == whenTokString {
					h = " A string can only be a function argument, as in host('example.com')."
				}
				return i, whenOperand, h, true
			}
		case after:
			switch {
			case is(t, "&&"), is(t, "||"):
				state = operand
			case is(t, ")") && depth > 0:
				depth--
			case t.EOF() && depth == 0:
				return 0, "", "", false
			case depth > 0:
				return i, `"&&", "||" or ")"`, "", true
			case is(t, ")"):
				return i, `"&&", "||" or end of expression`, ` There is no "(" to match this ")".`, true
			default:
				return i, `"&&", "||" or end of expression`, "", true
			}
		case argFirst, argNext:
			switch {
			case t.Type == whenTokString:
				state = argAfter
			case state == argFirst && is(t, ")"):
				state = after
			default:
				exp := "a quoted string"
				if state == argFirst {
					exp = `a quoted string or ")"`
				}
				h := ""
				if t.Type == whenTokIdent {
					h = fmt.Sprintf(" Function arguments must be quoted strings, as in '%s'.", t.Value)
				}
				return i, exp, h, true
			}
		case argAfter:
			switch {
			case is(t, ","):
				state = argNext
			case is(t, ")"):
				state = after
			default:
				return i, `"," or ")"`, "", true
			}
		}
		if t.EOF() {
			break
		}
	}
	// Only reached if toks does not end with EOF.
	return len(toks) - 1, "end of expression", "", true
}

// ---- conversion to the AST ----

func (p *whenParse) posRange(start, end lexer.Position) hcl.Range {
	return p.rng(start.Offset, end.Offset)
}

func (p *whenParse) convOr(g *whenGOr) WhenExpr {
	if len(g.Terms) == 1 {
		return p.convAnd(g.Terms[0])
	}
	e := &WhenOr{Range: p.posRange(g.Pos, g.EndPos)}
	for _, t := range g.Terms {
		e.Terms = append(e.Terms, p.convAnd(t))
	}
	return e
}

func (p *whenParse) convAnd(g *whenGAnd) WhenExpr {
	if len(g.Terms) == 1 {
		return p.convUnary(g.Terms[0])
	}
	e := &WhenAnd{Range: p.posRange(g.Pos, g.EndPos)}
	for _, t := range g.Terms {
		e.Terms = append(e.Terms, p.convUnary(t))
	}
	return e
}

func (p *whenParse) convUnary(g *whenGUnary) WhenExpr {
	if g.Not != nil {
		return &WhenNot{X: p.convUnary(g.Not), Range: p.posRange(g.Pos, g.EndPos)}
	}
	switch pr := g.Primary; {
	case pr.Group != nil:
		return p.convOr(pr.Group)
	case pr.Call != nil:
		return p.convCall(pr.Call)
	default:
		return &WhenRef{Name: pr.Ref.Value, Range: p.posRange(pr.Ref.Pos, pr.Ref.EndPos)}
	}
}

func (p *whenParse) convCall(g *whenGCall) WhenExpr {
	e := &WhenCall{
		Func:      g.Name.Value,
		Range:     p.posRange(g.Pos, g.EndPos),
		NameRange: p.posRange(g.Name.Pos, g.Name.EndPos),
	}
	for _, a := range g.Args {
		e.Args = append(e.Args, p.decodeString(a.Value, a.Pos.Offset))
		e.ArgRanges = append(e.ArgRanges, p.posRange(a.Pos, a.EndPos))
	}
	arity, known := WhenFuncs[e.Func]
	switch {
	case !known:
		detail := fmt.Sprintf("There is no when function named %q.", e.Func)
		if s := whenSuggest(e.Func); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			detail += " Valid functions are " + whenFuncList() + "."
		}
		p.errorf(g.Name.Pos.Offset, g.Name.EndPos.Offset, "Unknown when function", "%s", detail)
	case arity != len(e.Args):
		noun := "arguments"
		if arity == 1 {
			noun = "argument"
		}
		p.errorf(g.Pos.Offset, g.EndPos.Offset, "Wrong number of arguments",
			"%s takes %d %s, got %d.", e.Func, arity, noun, len(e.Args))
	}
	return e
}

// decodeString decodes a string literal token (quotes included) found at
// byte offset off, reporting invalid escapes and control characters.
func (p *whenParse) decodeString(lit string, off int) string {
	quote := lit[0]
	body := lit[1 : len(lit)-1]
	off++ // offset of body
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if whenIsControl(rune(c)) {
			p.errorf(off+i, off+i+1, "Invalid character in string",
				"Strings in when expressions must not contain control characters (found %q).", string(rune(c)))
			continue
		}
		if c != '\\' || quote == '`' {
			b.WriteByte(c)
			continue
		}
		// Backslash escape in a quoted string; the lexer guarantees a
		// following character.
		n := body[i+1]
		switch n {
		case '\\', '\'', '"':
			b.WriteByte(n)
			i++
		default:
			_, size := utf8.DecodeRuneInString(body[i+1:])
			p.errorf(off+i, off+i+1+size, "Invalid escape",
				`Invalid escape sequence %q: only \\, \' and \" are allowed (use a `+"`raw`"+` string for regular expressions).`,
				body[i:i+1+size])
			i += size
		}
	}
	return b.String()
}

func whenIsControl(r rune) bool { return r < 0x20 || r == 0x7f }

func whenFuncList() string {
	names := make([]string, 0, len(WhenFuncs))
	for n := range WhenFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// whenSuggest returns the known function closest to name, if its
// Levenshtein distance is at most 2 (ties broken alphabetically).
func whenSuggest(name string) string {
	best, bestD := "", 3
	for n := range WhenFuncs {
		d := editDistance(strings.ToLower(name), n)
		if d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	return best
}

// ---- walking and formatting ----

// WalkWhen calls fn for every node in pre-order.
func WalkWhen(e WhenExpr, fn func(WhenExpr)) {
	if e == nil {
		return
	}
	fn(e)
	switch e := e.(type) {
	case *WhenOr:
		for _, t := range e.Terms {
			WalkWhen(t, fn)
		}
	case *WhenAnd:
		for _, t := range e.Terms {
			WalkWhen(t, fn)
		}
	case *WhenNot:
		WalkWhen(e.X, fn)
	}
}

// FormatWhen renders an expression canonically (fully parenthesised where needed, strings in single quotes with escapes) — used for comparing two when strings for equality.
//
// The rendering mirrors the tree exactly: operators are separated by single
// spaces, call arguments by ", ", and parentheses appear only where the tree
// requires them (an || or && group inside another operator or under "!").
// Re-parsing the output yields a tree with the same rendering. A nil
// expression renders as "".
func FormatWhen(e WhenExpr) string {
	var b strings.Builder
	whenFormat(&b, e)
	return b.String()
}

func whenFormat(b *strings.Builder, e WhenExpr) {
	switch e := e.(type) {
	case *WhenOr:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(" || ")
			}
			_, nested := t.(*WhenOr)
			whenFormatTerm(b, t, nested)
		}
	case *WhenAnd:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(" && ")
			}
			switch t.(type) {
			case *WhenOr, *WhenAnd:
				whenFormatTerm(b, t, true)
			default:
				whenFormatTerm(b, t, false)
			}
		}
	case *WhenNot:
		b.WriteByte('!')
		switch e.X.(type) {
		case *WhenOr, *WhenAnd:
			whenFormatTerm(b, e.X, true)
		default:
			whenFormatTerm(b, e.X, false)
		}
	case *WhenCall:
		b.WriteString(e.Func)
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			whenQuote(b, a)
		}
		b.WriteByte(')')
	case *WhenRef:
		b.WriteString(e.Name)
	}
}

func whenFormatTerm(b *strings.Builder, e WhenExpr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	whenFormat(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func whenQuote(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

package gen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// hclQuote renders s as an HCL quoted template that evaluates to exactly s.
// Beyond the required escapes it picks, at random, between equivalent
// spellings of non-ASCII characters (literal or \u escape), so the HCL
// scanner's escape handling is exercised too.
func (g *generator) hclQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			// "${" and "%{" start template sequences; doubling the
			// introducer makes them literal.
			b.WriteRune(r)
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x80 && r <= 0xffff && g.chance(0.3):
			fmt.Fprintf(&b, `\u%04X`, r)
		case r > 0xffff && g.chance(0.3):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// hclHeredoc renders s (which must end with "\n" and hold no line equal to
// the marker) as an indented heredoc. Heredocs interpret no backslash
// escapes, only template sequences.
func hclHeredoc(s, indent string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	s = strings.ReplaceAll(s, "%{", "%%{")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	var b strings.Builder
	b.WriteString("<<-EOT\n")
	for _, l := range lines {
		b.WriteString(indent + "  " + l + "\n")
	}
	b.WriteString(indent + "EOT")
	return b.String()
}

// isIdent reports whether s can be written as a bare HCL identifier (an
// attribute name in a traversal or an object key).
func isIdent(s string) bool {
	if s == "" || s == "null" || s == "true" || s == "false" || s == "for" || s == "in" || s == "if" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ref renders a reference to backend, var or local NAME.
func (g *generator) ref(root, name string) string {
	if isIdent(name) && !g.chance(0.1) {
		return root + "." + name
	}
	return root + "[" + g.hclQuote(name) + "]"
}

// strExpr renders an expression that evaluates to the string s. fold says
// that the consumer ignores ASCII case (hosts), and up says it wants upper
// case (methods), so lower() and upper() may appear.
func (g *generator) strExpr(s string, fold, up bool) string {
	switch n := g.rng.IntN(12); {
	case n == 0 && len(s) >= 2:
		// A template with an interpolated literal.
		k := g.splitPoint(s)
		if k < 0 {
			break
		}
		inner := g.hclQuote(s[k:])
		q := g.hclQuote(s[:k])
		return q[:len(q)-1] + "${" + inner + "}\""
	case n == 1 && len(s) >= 2:
		k := g.splitPoint(s)
		if k < 0 {
			break
		}
		return "format(\"%s%s\", " + g.hclQuote(s[:k]) + ", " + g.hclQuote(s[k:]) + ")"
	case n == 2 && fold && s == strings.ToLower(s):
		return "lower(" + g.hclQuote(upperASCII(s)) + ")"
	case n == 3 && up && s == upperASCII(s) && s == strings.ToUpper(s):
		return "upper(" + g.hclQuote(strings.ToLower(s)) + ")"
	case n == 4 && len(s) >= 2:
		k := g.splitPoint(s)
		if k < 0 {
			break
		}
		return "join(\"\", [" + g.hclQuote(s[:k]) + ", " + g.hclQuote(s[k:]) + "])"
	}
	return g.hclQuote(s)
}

// splitPoint returns a random byte offset that splits s into two
// non-empty parts at a rune boundary, where the left part does not end
// with '$' or '%' (which would turn a following "${" into an escape), or
// -1.
func (g *generator) splitPoint(s string) int {
	if len(s) < 2 {
		return -1
	}
	k := 1 + g.rng.IntN(len(s)-1)
	for k < len(s) && !utf8.RuneStart(s[k]) {
		k++
	}
	if k == len(s) || s[k-1] == '$' || s[k-1] == '%' {
		return -1
	}
	return k
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// listLit renders a literal list of string expressions.
func (g *generator) listLit(vals []string, fold, up bool) string {
	var parts []string
	for _, v := range vals {
		parts = append(parts, g.strExpr(v, fold, up))
	}
	if len(parts) > 3 && g.chance(0.5) {
		return "[\n" + "      " + strings.Join(parts, ",\n      ") + ",\n    ]"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// plainList renders a list of plain string literals: variable defaults
// are evaluated without functions.
func (g *generator) plainList(vals []string) string {
	var parts []string
	for _, v := range vals {
		parts = append(parts, g.hclQuote(v))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// plainMap renders an object of plain string literals.
func (g *generator) plainMap(kv [][2]string) string {
	var parts []string
	for _, e := range kv {
		parts = append(parts, g.hclQuote(e[0])+" = "+g.hclQuote(e[1]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// listExpr renders an expression that evaluates to the list vals (order
// kept): a literal, a variable, a local, or a function call.
func (g *generator) listExpr(vals []string, fold, up bool) string {
	switch n := g.rng.IntN(14); {
	case n == 0:
		return g.ref("var", g.variable("list(string)", g.plainList(vals)))
	case n == 1:
		return g.ref("local", g.local(g.listExpr(vals, fold, up)))
	case n == 2 && len(vals) >= 2:
		k := 1 + g.rng.IntN(len(vals)-1)
		return "concat(" + g.listLit(vals[:k], fold, up) + ", " + g.listLit(vals[k:], fold, up) + ")"
	case n == 3 && splittable(vals):
		return "split(\",\", " + g.hclQuote(strings.Join(vals, ",")) + ")"
	case n == 4:
		return "[for s in " + g.listLit(vals, fold, up) + " : s]"
	case n == 5 && distinct(vals):
		return "distinct(concat(" + g.listLit(vals, fold, up) + ", " + g.listLit(vals, fold, up) + "))"
	case n == 6:
		return "flatten([" + g.listLit(vals, fold, up) + ", []])"
	case n == 7 && fold && allLower(vals):
		var upper []string
		for _, v := range vals {
			upper = append(upper, upperASCII(v))
		}
		return "[for h in " + g.listLit(upper, false, false) + " : lower(h)]"
	}
	return g.listLit(vals, fold, up)
}

func splittable(vals []string) bool {
	for _, v := range vals {
		if v == "" || strings.Contains(v, ",") {
			return false
		}
	}
	return len(vals) > 0
}

func distinct(vals []string) bool {
	seen := map[string]bool{}
	for _, v := range vals {
		if seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

func allLower(vals []string) bool {
	for _, v := range vals {
		if v != strings.ToLower(v) || v != strings.ToLower(upperASCII(v)) {
			return false
		}
	}
	return true
}

// mapExpr renders an expression that evaluates to the map of strings kv
// (keys distinct).
func (g *generator) mapExpr(kv [][2]string) string {
	lit := func(kv [][2]string) string {
		var parts []string
		for _, e := range kv {
			k := g.hclQuote(e[0])
			if isIdent(e[0]) && g.chance(0.5) {
				k = e[0]
			}
			sep := " = "
			if g.chance(0.2) {
				sep = ": "
			}
			parts = append(parts, k+sep+g.strExpr(e[1], false, false))
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	switch n := g.rng.IntN(8); {
	case n == 0:
		return g.ref("var", g.variable("map(string)", g.plainMap(kv)))
	case n == 1:
		return g.ref("local", g.local(lit(kv)))
	case n == 2 && len(kv) >= 2:
		k := 1 + g.rng.IntN(len(kv)-1)
		return "merge(" + lit(kv[:k]) + ", " + lit(kv[k:]) + ")"
	case n == 3:
		return "{ for k, v in " + lit(kv) + " : k => v }"
	}
	return lit(kv)
}

// numExpr renders an expression that evaluates to the integer n.
func (g *generator) numExpr(n int) string {
	switch g.rng.IntN(8) {
	case 0:
		return g.ref("var", g.variable("number", strconv.Itoa(n)))
	case 1:
		return g.ref("local", g.local(strconv.Itoa(n)))
	case 2:
		d := g.rng.IntN(7)
		return strconv.Itoa(n-d) + " + " + strconv.Itoa(d)
	case 3:
		if n >= 0 && n <= 6 {
			return "length(range(" + strconv.Itoa(n) + "))"
		}
	}
	return strconv.Itoa(n)
}

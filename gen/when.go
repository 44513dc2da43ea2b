package gen

import (
	"strings"
)

// wnode is a when-expression tree as the generator builds it. Its
// canonical rendering (canon) mirrors lang.FormatWhen, so two routes whose
// expressions have the same canon are identical to the checker.
type wnode struct {
	op   string // "or", "and", "not", "call", "ref"
	kids []*wnode
	fn   string
	args []string
	name string // ref
}

// canon renders the tree like lang.FormatWhen.
func (w *wnode) canon() string {
	var b strings.Builder
	w.format(&b, false)
	return b.String()
}

func (w *wnode) format(b *strings.Builder, paren bool) {
	if paren {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch w.op {
	case "or", "and":
		sep := " || "
		if w.op == "and" {
			sep = " && "
		}
		for i, k := range w.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.format(b, k.op == "or" || (w.op == "and" && k.op == "and"))
		}
	case "not":
		b.WriteByte('!')
		w.kids[0].format(b, w.kids[0].op == "or" || w.kids[0].op == "and")
	case "call":
		b.WriteString(w.fn)
		b.WriteByte('(')
		for i, a := range w.args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('\'')
			for j := 0; j < len(a); j++ {
				if a[j] == '\\' || a[j] == '\'' {
					b.WriteByte('\\')
				}
				b.WriteByte(a[j])
			}
			b.WriteByte('\'')
		}
		b.WriteByte(')')
	case "ref":
		b.WriteString(w.name)
	}
}

// render writes the expression as when-source text with random quoting,
// spacing and redundant parentheses. The result parses to a tree with the
// same canon: a child with the same operator as its parent is always
// parenthesised (otherwise the parser would flatten it).
func (g *generator) renderWhen(w *wnode) string {
	var b strings.Builder
	g.whenTo(&b, w, false)
	return b.String()
}

func (g *generator) ws() string {
	switch g.rng.IntN(12) {
	case 0:
		return ""
	case 1:
		return "  "
	case 2:
		return "\t"
	case 3:
		return "\n "
	}
	return " "
}

func (g *generator) whenTo(b *strings.Builder, w *wnode, paren bool) {
	paren = paren || (w.op != "or" && w.op != "and" && g.chance(0.05))
	if paren {
		b.WriteByte('(')
		if g.chance(0.2) {
			b.WriteString(g.ws())
		}
		defer b.WriteByte(')')
	}
	switch w.op {
	case "or", "and":
		sep := "||"
		if w.op == "and" {
			sep = "&&"
		}
		for i, k := range w.kids {
			if i > 0 {
				ws := g.ws()
				if ws == "" && g.chance(0.5) {
					ws = " "
				}
				b.WriteString(ws + sep + g.ws())
			}
			need := k.op == "or" || (w.op == "and" && k.op == "and") || (w.op == "or" && k.op == "or")
			g.whenTo(b, k, need || (k.op == "and" && g.chance(0.3)))
		}
	case "not":
		b.WriteByte('!')
		if g.chance(0.1) {
			b.WriteString(" ")
		}
		k := w.kids[0]
		g.whenTo(b, k, k.op == "or" || k.op == "and")
	case "call":
		b.WriteString(w.fn)
		b.WriteByte('(')
		for i, a := range w.args {
			if i > 0 {
				b.WriteString("," + g.ws())
			}
			b.WriteString(g.whenString(a))
		}
		b.WriteByte(')')
	case "ref":
		b.WriteString(w.name)
	}
}

// whenString quotes a when-expression string argument in one of the three
// styles: '...' and "..." with \\, \' and \" escapes, or `...` raw.
func (g *generator) whenString(s string) string {
	style := g.rng.IntN(3)
	if style == 2 && strings.Contains(s, "`") {
		style = g.rng.IntN(2)
	}
	switch style {
	case 2:
		return "`" + s + "`"
	case 1:
		var b strings.Builder
		b.WriteByte('"')
		for _, c := range s {
			switch {
			case c == '\\' || c == '"':
				b.WriteByte('\\')
			case c == '\'' && g.chance(0.5):
				b.WriteByte('\\')
			}
			b.WriteRune(c)
		}
		b.WriteByte('"')
		return b.String()
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range s {
		switch {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
		case c == '"' && g.chance(0.5):
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('\'')
	return b.String()
}

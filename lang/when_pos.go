package lang

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// whenLocator maps byte offsets in the evaluated when string to positions
// in the HCL file. It is exact for a plain quoted string literal (escapes
// included) and falls back to the whole expression otherwise (templates,
// heredocs, values computed from variables).
func (c *checker) whenLocator(expr hcl.Expression, value string) func(start, end int) hcl.Range {
	whole := expr.Range()
	fallback := func(int, int) hcl.Range { return whole }
	t, ok := unwrap(expr).(*hclsyntax.TemplateExpr)
	if !ok || len(t.Parts) != 1 {
		return fallback
	}
	if _, ok := t.Parts[0].(*hclsyntax.LiteralValueExpr); !ok {
		return fallback
	}
	src := c.files[whole.Filename]
	if whole.End.Byte > len(src) || whole.Start.Byte >= whole.End.Byte || whole.Start.Line != whole.End.Line {
		return fallback
	}
	raw := src[whole.Start.Byte:whole.End.Byte]
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return fallback
	}
	// offs[i] is the source byte offset (from whole.Start.Byte) of value
	// byte i; offs[len(value)] is the closing quote.
	offs, ok := literalOffsets(string(raw[1:len(raw)-1]), value)
	if !ok {
		return fallback
	}
	pos := func(i int) hcl.Pos {
		if i < 0 {
			i = 0
		}
		if i > len(value) {
			i = len(value)
		}
		b := 1 + offs[i]
		return hcl.Pos{
			Line:   whole.Start.Line,
			Column: whole.Start.Column + utf8.RuneCount(raw[:b]),
			Byte:   whole.Start.Byte + b,
		}
	}
	return func(start, end int) hcl.Range {
		if end < start {
			end = start
		}
		return hcl.Range{Filename: whole.Filename, Start: pos(start), End: pos(end)}
	}
}

// literalOffsets decodes the body of an HCL quoted string and returns, for
// each byte of the decoded value, its offset in body. ok is false when the
// decoding does not reproduce value.
func literalOffsets(body, value string) ([]int, bool) {
	offs := make([]int, 0, len(value)+1)
	var out strings.Builder
	for i := 0; i < len(body); {
		start := i
		var piece string
		switch {
		case body[i] == '\\' && i+1 < len(body):
			switch body[i+1] {
			case 'n':
				piece, i = "\n", i+2
			case 'r':
				piece, i = "\r", i+2
			case 't':
				piece, i = "\t", i+2
			case '"':
				piece, i = "\"", i+2
			case '\\':
				piece, i = "\\", i+2
			case 'u', 'U':
				n := 4
				if body[i+1] == 'U' {
					n = 8
				}
				if i+2+n > len(body) {
					return nil, false
				}
				cp, err := strconv.ParseUint(body[i+2:i+2+n], 16, 32)
				if err != nil {
					return nil, false
				}
				piece, i = string(rune(cp)), i+2+n
			default:
				return nil, false
			}
		case strings.HasPrefix(body[i:], "$${"), strings.HasPrefix(body[i:], "%%{"):
			piece, i = body[i+1:i+3], i+3
		default:
			piece, i = body[i:i+1], i+1
		}
		for range len(piece) {
			offs = append(offs, start)
		}
		out.WriteString(piece)
	}
	offs = append(offs, len(body))
	if out.String() != value {
		return nil, false
	}
	return offs, true
}

// checkQueryParam validates the arguments of query(name, value).
func checkQueryParam(name, value string) error {
	if name == "" {
		return fmt.Errorf("empty query parameter name")
	}
	for _, s := range []string{name, value} {
		for _, c := range s {
			if c <= ' ' || c == 0x7f || c == '&' || c == '#' {
				return fmt.Errorf("query parameter %q contains whitespace, a control character, '&' or '#'", s)
			}
		}
	}
	// The name becomes the argument of HAProxy's urlp() fetch, where ',' and
	// ')' would end it: keep names to characters that are safe there.
	if strings.ContainsFunc(name, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '~')
	}) {
		return fmt.Errorf("query parameter name %q: use letters, digits, '.', '_', '-' and '~'", name)
	}
	// HAProxy refuses non-ASCII bytes in a request line, urlp ends a value
	// at ';' or '?', and an empty pattern is dropped: such a value could
	// never match.
	if value == "" {
		return fmt.Errorf("empty query parameter value")
	}
	for _, c := range value {
		if c > 0x7e || c == ';' || c == '?' {
			return fmt.Errorf("query parameter value %q contains %q: write it percent-encoded, as clients send it", value, c)
		}
	}
	return nil
}

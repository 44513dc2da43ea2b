package gen

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// This file generates random values that lang/validate.go accepts, up to
// the edges it allows: label and name lengths, path and header value
// characters, regex constructs, CIDR forms.

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
)

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) pick(s string) byte { return s[g.rng.IntN(len(s))] }

func pickOne[T any](g *generator, l []T) T { return l[g.rng.IntN(len(l))] }

// label returns a random LDH label (lower case).
func (g *generator) label() string {
	n := 1 + g.rng.IntN(10)
	switch {
	case g.chance(0.02):
		n = 63
	case g.chance(0.05):
		return "xn--" + g.word(lower+digits, 2+g.rng.IntN(6))
	}
	b := make([]byte, n)
	for i := range b {
		switch {
		case i == 0 || i == n-1:
			b[i] = g.pick(lower + digits)
		default:
			b[i] = g.pick(lower + digits + "-")
		}
	}
	return string(b)
}

func (g *generator) word(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = g.pick(alphabet)
	}
	return string(b)
}

// domain returns a random lower-case domain of 1 to 4 labels.
func (g *generator) domain() string {
	n := 1 + g.rng.IntN(3)
	if g.chance(0.1) {
		n = 1
	}
	var l []string
	for i := 0; i < n; i++ {
		l = append(l, g.label())
	}
	return strings.Join(l, ".")
}

// mixCase upper-cases a random subset of the ASCII letters of s.
func (g *generator) mixCase(s string) string {
	if !g.chance(0.3) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' && g.chance(0.5) {
			b[i] = c - 32
		}
	}
	return string(b)
}

// pathChars are the characters a path may hold besides letters and
// digits: every printable ASCII character except '?' and '#' (whitespace,
// control and non-ASCII characters are invalid: HAProxy answers 400 to a
// request line holding them).
var pathChars = []string{
	"-", ".", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@",
	"%", "%20", "%2F", "%C3%A9", "{", "}", "\\", "\"", "[", "]", "^", "`", "|", "<", ">",
	"${", "%{", "//",
}

// path returns a random valid path.
func (g *generator) path() string {
	var b strings.Builder
	segs := g.rng.IntN(4)
	for i := 0; i < segs || b.Len() == 0; i++ {
		b.WriteByte('/')
		n := g.rng.IntN(8)
		for j := 0; j < n; j++ {
			if g.chance(0.15) {
				b.WriteString(pickOne(g, pathChars))
			} else {
				b.WriteByte(g.pick(lower + digits + "ABCXYZ"))
			}
		}
	}
	if g.chance(0.2) {
		b.WriteByte('/')
	}
	s := b.String()
	if g.chance(0.01) {
		// The longest path checkPath accepts: 1024 bytes.
		s = s + strings.Repeat("x", 1024)
		s = s[:1024]
	}
	return s
}

// regex returns a random RE2 regex from constructs PCRE reads the same
// way.
func (g *generator) regex() string {
	var b strings.Builder
	if g.chance(0.1) {
		b.WriteString("(?i)")
	}
	if g.chance(0.5) {
		b.WriteString("^")
	}
	b.WriteString(g.regexSeq(2))
	if g.chance(0.4) {
		b.WriteString("$")
	}
	s := b.String()
	if s == "" || s == "^" {
		s += "/"
	}
	return s
}

var regexAtoms = []string{
	`/`, `/api`, `\.`, `\d`, `\w`, `\s`, `\D`, `\W`, `[a-z]`, `[^/]`, `[0-9a-f]`, `.`, `\/`,
	`[[:alpha:]]`, `[[:digit:]]`, `\.(js|css)`, `v[0-9]+`, `%20`, `\$`, `\{`, `\}`, `\\`,
	`'`, `"`, `#`, `\x41`, `\x{7e}`, `\-`, `[\-_]`, `\Qa.b\E`, `é`, `[é]`, `\pL`, `\p{Greek}`,
	`(?:a|b)`, `(?s:.)`, `(?U)a+`, `(?:^|/)`, `(\b)`, `(?:$)`,
}

// regexAssertions are atoms PCRE cannot repeat: they are never followed
// by a quantifier.
var regexAssertions = []string{`\b`, `\B`, `\A`, `\z`}

func (g *generator) regexSeq(depth int) string {
	var b strings.Builder
	n := 1 + g.rng.IntN(4)
	for i := 0; i < n; i++ {
		switch {
		case depth > 0 && g.chance(0.15):
			alts := 1 + g.rng.IntN(3)
			b.WriteString("(")
			for j := 0; j < alts; j++ {
				if j > 0 {
					b.WriteString("|")
				}
				b.WriteString(g.regexSeq(depth - 1))
			}
			b.WriteString(")")
		case g.chance(0.3):
			b.WriteString(g.word(lower+digits, 1+g.rng.IntN(4)))
		case g.chance(0.1):
			b.WriteString(pickOne(g, regexAssertions))
			continue
		case g.chance(0.05):
			// Group names must be unique in PCRE.
			g.groups++
			b.WriteString("(?P<g" + strconv.Itoa(g.groups) + ">x)")
		default:
			b.WriteString(pickOne(g, regexAtoms))
		}
		if g.chance(0.2) {
			b.WriteString(pickOne(g, []string{"*", "+", "?", "{2}", "{1,3}", "*?", "+?", "{0,}"}))
		}
	}
	return b.String()
}

var methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PURGE", "M-SEARCH", "PROPFIND"}

func (g *generator) method() string {
	if g.chance(0.05) {
		// The longest method checkMethod accepts: 32 characters.
		return "X" + g.word("ABCDEFGHIJKLMNOPQRSTUVWXYZ-", 31)
	}
	if g.chance(0.1) {
		return string(g.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + g.word("ABCDEFGHIJKLMNOPQRSTUVWXYZ-", g.rng.IntN(6))
	}
	return pickOne(g, methods)
}

// headerName returns a random valid header name (any case).
func (g *generator) headerName() string {
	switch {
	case g.chance(0.02):
		return g.word("abcXYZ019._-", 128)
	case g.chance(0.3):
		return pickOne(g, []string{"X-Tenant", "X-Debug", "x-mode", "X.Dotted", "X_Under", "Accept", "User-Agent", "Content-Type", "X-Forwarded-For"})
	}
	return "X-" + g.word(lower+digits+"-_.ABC", 1+g.rng.IntN(10))
}

// valueChars are the characters of header values: anything but control
// characters (tab is allowed).
var valueChars = []string{
	" ", "  ", "\t", "'", "\"", "#", "%", "%%", "%[src]", "%{+Q}o", "{", "}", "\\", "\\\\", "é", "日本", "😀",
	"${HOME}", "$", ",", ";", "=", "(", ")", "<", ">", "`", "!", "&", "|", "~", "^",
}

// headerValue returns a random valid header value: not empty, no leading
// or trailing blank.
func (g *generator) headerValue() string {
	if g.chance(0.01) {
		return strings.Repeat("v", 4096)
	}
	var b strings.Builder
	b.WriteString(g.word(lower+digits+"ABC-", 1+g.rng.IntN(3)))
	n := g.rng.IntN(6)
	for i := 0; i < n; i++ {
		if g.chance(0.3) {
			b.WriteString(pickOne(g, valueChars))
		} else {
			b.WriteString(g.word(lower+digits+"ABC-", 1+g.rng.IntN(4)))
		}
	}
	return strings.TrimRight(b.String(), " \t")
}

// cidr returns a random valid IP or CIDR (v4 or v6, canonical or with host
// bits set, IPv4-mapped IPv6).
func (g *generator) cidr() string {
	switch g.rng.IntN(6) {
	case 0:
		a := netip.AddrFrom4([4]byte{byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256))})
		return a.String()
	case 1, 2:
		a := netip.AddrFrom4([4]byte{byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256))})
		bits := g.rng.IntN(33)
		p := netip.PrefixFrom(a, bits)
		if g.chance(0.8) {
			p = p.Masked()
		}
		return p.String()
	case 3:
		var b [16]byte
		for i := range b {
			b[i] = byte(g.rng.IntN(256))
		}
		bits := g.rng.IntN(129)
		return netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked().String()
	case 4:
		return pickOne(g, []string{"::1", "2001:db8::/32", "fe80::/10", "::ffff:10.0.0.0/104", "::ffff:192.0.2.1", "0.0.0.0/0", "::/0", "2001:db8::1/128"})
	}
	return fmt.Sprintf("10.%d.0.0/16", g.rng.IntN(256))
}

// queryParam returns a random query parameter name and value that
// checkQueryParam accepts.
func (g *generator) queryParam() (string, string) {
	// Values: printable ASCII without whitespace, '&', '#', ';' or '?'.
	odd := []string{"%20", "%", "+", ",", ":", "@", "/", "'", "\"", "\\", "(", ")", "$", "{", "}", "[", "]", "*", "`", "!"}
	// Names are written unquoted in urlp(NAME): letters, digits, '.', '_',
	// '-' and '~' only.
	name := g.word(lower+"ABC", 1+g.rng.IntN(5))
	if g.chance(0.2) {
		name += pickOne(g, []string{".", "_", "-", "~", "9"})
	}
	value := g.word(lower+digits, 1+g.rng.IntN(4))
	if g.chance(0.3) {
		value += pickOne(g, append(odd, "="))
	}
	return name, value
}

// name returns a random block label matching [A-Za-z_][A-Za-z0-9_.-]{0,63}
// that is unique in used.
func (g *generator) name(prefix string, used map[string]bool) string {
	for {
		var s string
		switch {
		case g.chance(0.03):
			s = prefix + g.word(lower+digits+"_.-ABC", 64-len(prefix))
		case g.chance(0.1):
			s = prefix + g.word(lower+digits+"_.-", 1+g.rng.IntN(6))
		default:
			s = prefix + strconv.Itoa(len(used))
		}
		if !used[s] {
			used[s] = true
			return s
		}
	}
}

// duration returns a random valid duration.
func (g *generator) duration() string {
	switch g.rng.IntN(6) {
	case 0:
		return strconv.Itoa(1+g.rng.IntN(1000)) + "ms"
	case 1:
		return strconv.Itoa(1+g.rng.IntN(60)) + "s"
	case 2:
		return strconv.Itoa(1+g.rng.IntN(60)) + "m"
	case 3:
		// Up to the edge of what the checker accepts.
		// (24d, 596h, 35791m and 2147483s are the last that fit HAProxy's
		// 2147483647ms timers; a number has at most 9 digits.)
		return pickOne(g, []string{"0", "0ms", "999999999", "999999999us", "999999999ms", "2147483s", "24d", "596h", "35791m", "1us", "100"})
	case 4:
		return strconv.Itoa(1+g.rng.IntN(24)) + "h"
	}
	return "5s"
}

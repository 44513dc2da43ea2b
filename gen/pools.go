package gen

import (
	"regexp/syntax"
	"slices"
	"strings"
)

// ---- pools ----

func (g *generator) randomPools() {
	p := &g.p
	for i := 0; i < 3+g.rng.IntN(6); i++ {
		p.hosts = append(p.hosts, g.domain())
	}
	if g.chance(0.05) {
		// A host right at the 253-character limit.
		h := strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("b", 61)
		p.hosts = append(p.hosts, h)
	}
	for i := 0; i < 1+g.rng.IntN(4); i++ {
		p.wilds = append(p.wilds, g.domain())
	}
	for i := 0; i < 3+g.rng.IntN(8); i++ {
		p.paths = append(p.paths, g.path())
		p.prefixes = append(p.prefixes, g.path())
	}
	for i := 0; i < 2+g.rng.IntN(4); i++ {
		p.regexes = append(p.regexes, g.validRegex())
	}
	for i := 0; i < 2+g.rng.IntN(4); i++ {
		p.methods = append(p.methods, g.method())
	}
	p.methods = uniq(p.methods)
	seen := map[string]bool{}
	for i := 0; i < 1+g.rng.IntN(4); i++ {
		name := g.headerName()
		if seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		h := HeaderVocab{Name: name}
		for j := 0; j < 1+g.rng.IntN(3); j++ {
			h.Values = append(h.Values, g.headerValue())
		}
		p.headers = append(p.headers, h)
	}
	for i := 0; i < 1+g.rng.IntN(3); i++ {
		k, v := g.queryParam()
		p.queries = append(p.queries, [2]string{k, v})
	}
	for i := 0; i < 2+g.rng.IntN(5); i++ {
		p.cidrs = append(p.cidrs, g.cidr())
	}
}

// validRegex returns a random regex that Go's regexp/syntax accepts (the
// generator's own check: lang must accept what it gets).
func (g *generator) validRegex() string {
	for {
		s := g.regex()
		if _, err := syntax.Parse(s, syntax.Perl); err == nil && len(s) <= 1024 {
			return s
		}
	}
}

// validEscapes reports whether every '%' in s starts a %XX escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i+1])) || !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i+2])) {
			return false
		}
	}
	return true
}

func uniq(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// overlapPools is the small shared vocabulary of Options.Overlap.
//
// One routing header value holds a comma ("a, b"): HAProxy's req.hdr
// would split it, but the compiler matches headers with req.fhdr, which
// does not, and the differential test checks that Explain agrees (as it
// does for values with double spaces, quotes, '#', '%', '{', '}',
// backslashes and non-ASCII characters, and for requests that send a
// header twice or empty).
func (g *generator) overlapPools() {
	g.p = pools{
		hosts:    []string{"a.test", "www.a.test", "api.a.test", "x.api.a.test", "b.test", "shop.b.test"},
		wilds:    []string{"a.test", "api.a.test", "b.test", "x.api.a.test", "test"},
		paths:    []string{"/", "/api", "/api/", "/api/v1", "/api/v1/users", "/static/app.js", "/admin", "/login", "/x%20y", "/caf%C3%A9", "/a{b}", "/q'x"},
		prefixes: []string{"/api", "/api/", "/api/v1", "/static", "/static/", "/admin", "/a", "/x%", "/l"},
		regexes:  []string{`^/api/v[0-9]+`, `\.js$`, `^/admin(/|$)`, `^/(login|logout)$`, `(?i)^/API`, `^/static/.*\.(js|css)$`, `users`, `%20`, `^/a\{`},
		methods:  []string{"GET", "POST", "PUT", "DELETE"},
		headers: []HeaderVocab{
			{Name: "X-Tenant", Values: []string{"acme", "globex", "a b"}},
			{Name: "X-Debug", Values: []string{"1", "0"}},
			{Name: "X-Mode", Values: []string{"fast  lane", `q"uote's`, `back\slash`, "50% {x} #y", "caf\u00e9", "a, b"}},
		},
		queries: [][2]string{{"debug", "1"}, {"v", "2"}, {"q", "a%20b"}},
		cidrs:   []string{"127.0.0.1", "127.0.0.2/31", "127.0.0.4/30", "127.0.0.0/29", "127.0.0.8/29", "10.0.0.0/8", "::1", "2001:db8::/32", "::ffff:127.0.0.0/104", "::/0"},
	}
}

// vocab is the request vocabulary of the program's pools.
func (g *generator) vocab() Vocab {
	v := Vocab{Srcs: []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9"}}
	for _, h := range g.p.hosts {
		v.Hosts = append(v.Hosts, h, upperASCII(h), h+":8080")
	}
	for _, w := range g.p.wilds {
		v.Hosts = append(v.Hosts, "x."+w, "deep.y."+w, "Z."+upperASCII(w)+":443")
	}
	v.Hosts = append(v.Hosts, "unknown.example", "test", "a.test.", "other.test")
	v.Hosts = uniq(v.Hosts)
	v.Paths = append(v.Paths, g.p.paths...)
	for _, p := range g.p.prefixes {
		v.Paths = append(v.Paths, p, p+"x", p+"/deeper/path.js")
	}
	// Paths HAProxy does not normalise: "//", "/./", "/../".
	v.Paths = append(v.Paths, "/api/v22/users", "/API/v1", "/static/x.css", "/admin/", "/logout", "/nothing", "/x%20yz", "/x%41", "//api", "/api/../admin", "/./login")
	// Clients send valid percent-encoding only (HAProxy answers 400
	// otherwise): drop the paths where a prefix such as "/x%" was extended
	// into an invalid escape.
	var paths []string
	for _, p := range uniq(v.Paths) {
		if validEscapes(p) {
			paths = append(paths, p)
		}
	}
	v.Paths = paths
	v.Queries = []string{""}
	for _, q := range g.p.queries {
		v.Queries = append(v.Queries, q[0]+"="+q[1], "a=b&"+q[0]+"="+q[1], q[0]+"="+q[1]+"x", "a=b;"+q[0]+"="+q[1], q[0]+"="+q[1]+"&"+q[0]+"=z")
	}
	v.Methods = append(slices.Clone(g.p.methods), "PATCH", "HEAD")
	v.Headers = g.p.headers
	return v
}

package gen

import (
	"slices"
	"sort"
	"strings"
)

// ---- match sets ----

// match is the model of a block's match attributes, with values as
// written (host case included).
type match struct {
	hosts    []string
	pathAttr string // "path", "path_prefix", "path_regex" or ""
	paths    []string
	methods  []string
	headers  [][2]string
	src      []string
	notSrc   []string
	when     *wnode
}

func (m *match) empty() bool {
	return len(m.hosts) == 0 && m.pathAttr == "" && len(m.methods) == 0 && len(m.headers) == 0 &&
		len(m.src) == 0 && len(m.notSrc) == 0 && m.when == nil
}

// key mirrors lang's matchKey: equal keys mean identical match sets.
func (m *match) key() string {
	var b strings.Builder
	list := func(tag string, vals []string) {
		vals = slices.Clone(vals)
		sort.Strings(vals)
		b.WriteString(tag + strings.Join(vals, "\x00") + "\x01")
	}
	var hosts []string
	for _, h := range m.hosts {
		hosts = append(hosts, strings.ToLower(h))
	}
	list("h", hosts)
	list("p"+m.pathAttr, m.paths)
	list("m", m.methods)
	var hs []string
	for _, h := range m.headers {
		hs = append(hs, strings.ToLower(h[0])+"\x02"+h[1])
	}
	list("H", hs)
	list("s", canonCIDRs(m.src))
	list("n", canonCIDRs(m.notSrc))
	if m.when != nil {
		b.WriteString("w" + m.when.canon())
	}
	return b.String()
}

// randomMatch returns a random match set. withHeader is false for
// set_header blocks; rule asks for a selective match set in overlap mode,
// where a deny or redirect matching too much would hide the routes.
func (g *generator) randomMatch(fe *feState, withHeader, rule bool) *match {
	m := &match{}
	pHost, pPath, pOther := 0.6, 0.6, 0.25
	switch {
	case g.opts.Overlap && rule:
		pHost, pPath, pOther = 0.5, 0.8, 0.12
	case g.opts.Overlap:
		// Mostly host routes, so that requests for other hosts reach the
		// default backend or the 404.
		pHost = 0.85
	}
	if g.chance(pHost) {
		m.hosts = g.hostList()
	}
	if g.chance(pPath) {
		m.pathAttr = pickOne(g, []string{"path", "path_prefix", "path_prefix", "path_regex"})
		if g.opts.Overlap && rule && m.pathAttr == "path_prefix" {
			m.pathAttr = "path"
		}
		m.paths = g.pathList(m.pathAttr)
	}
	if g.chance(pOther) {
		m.methods = g.methodList()
	}
	if withHeader && g.chance(pOther) {
		m.headers = g.headerMap()
	}
	if g.chance(pOther * 0.8) {
		m.src = g.cidrList()
	}
	if g.chance(pOther * 0.6) {
		m.notSrc = g.cidrList()
	}
	if g.chance(pOther) {
		m.when = g.genWhen(fe, 1+g.rng.IntN(3))
	}
	if g.opts.Overlap && rule && m.pathAttr == "" {
		// A deny or redirect for a whole host would hide every route of
		// that host.
		m.pathAttr = "path"
		m.paths = g.pathList("path")
	}
	return m
}

func (g *generator) listLen(max int) int {
	n := 1
	for n < max && g.chance(0.35) {
		n++
	}
	return n
}

// hostList returns distinct host patterns (distinct after lower-casing).
func (g *generator) hostList() []string {
	n := g.listLen(4)
	if !g.opts.Overlap && g.chance(0.01) {
		n = 60 + g.rng.IntN(20)
	}
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n && tries < 4*n; tries++ {
		h := g.hostPattern()
		if seen[strings.ToLower(h)] {
			continue
		}
		seen[strings.ToLower(h)] = true
		out = append(out, h)
	}
	return out
}

func (g *generator) hostPattern() string {
	if g.chance(0.35) {
		return g.mixCase("*." + pickOne(g, g.p.wilds))
	}
	return g.mixCase(pickOne(g, g.p.hosts))
}

func (g *generator) pathList(attr string) []string {
	pool := g.p.paths
	switch attr {
	case "path_prefix":
		pool = g.p.prefixes
	case "path_regex":
		pool = g.p.regexes
	}
	n := g.listLen(3)
	if !g.opts.Overlap && attr != "path_regex" && g.chance(0.01) {
		n = 60 + g.rng.IntN(20)
	}
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n && tries < 4*n; tries++ {
		p := pickOne(g, pool)
		if n > len(pool) && attr != "path_regex" {
			p = g.path()
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

func (g *generator) methodList() []string {
	n := g.listLen(3)
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n && tries < 10; tries++ {
		m := pickOne(g, g.p.methods)
		if seen[m] {
			continue
		}
		seen[m] = true
		out = append(out, m)
	}
	return out
}

func (g *generator) headerMap() [][2]string {
	n := g.listLen(2)
	seen := map[string]bool{}
	var out [][2]string
	for tries := 0; len(out) < n && tries < 10; tries++ {
		h := pickOne(g, g.p.headers)
		if seen[strings.ToLower(h.Name)] {
			continue
		}
		seen[strings.ToLower(h.Name)] = true
		out = append(out, [2]string{g.mixCase(h.Name), pickOne(g, h.Values)})
	}
	return out
}

func (g *generator) cidrList() []string {
	n := g.listLen(3)
	var out []string
	for len(out) < n {
		c := pickOne(g, g.p.cidrs)
		if slices.Contains(out, c) && g.chance(0.9) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// renderMatch writes the match attributes of m, in random order and
// through random expression forms.
func (g *generator) renderMatch(b *strings.Builder, m *match, withHeader bool) {
	var lines []string
	if len(m.hosts) > 0 {
		lines = append(lines, "host = "+g.listExpr(m.hosts, true, false))
	}
	if m.pathAttr != "" {
		lines = append(lines, m.pathAttr+" = "+g.listExpr(m.paths, false, false))
	}
	if len(m.methods) > 0 {
		lines = append(lines, "method = "+g.listExpr(m.methods, false, true))
	}
	if len(m.headers) > 0 && withHeader {
		lines = append(lines, "header = "+g.mapExpr(m.headers))
	}
	if len(m.src) > 0 {
		lines = append(lines, "src = "+g.listExpr(m.src, false, false))
	}
	if len(m.notSrc) > 0 {
		lines = append(lines, "not_src = "+g.listExpr(m.notSrc, false, false))
	}
	if m.when != nil {
		text := g.renderWhen(m.when)
		switch {
		case g.chance(0.1):
			lines = append(lines, "when = "+hclHeredoc(strings.ReplaceAll(text, "\n", " ")+"\n", "    "))
		case g.chance(0.1):
			lines = append(lines, "when = "+g.ref("local", g.local(g.hclQuote(text))))
		default:
			lines = append(lines, "when = "+g.hclQuote(text))
		}
	}
	g.rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	for _, l := range lines {
		b.WriteString("    " + l + "\n")
	}
}

// ---- when-expressions ----

func (g *generator) genWhen(fe *feState, depth int) *wnode {
	if depth <= 1 || g.chance(0.3) {
		return g.whenLeaf(fe)
	}
	switch g.rng.IntN(5) {
	case 0:
		return &wnode{op: "not", kids: []*wnode{g.genWhen(fe, depth-1)}}
	case 1, 2:
		w := &wnode{op: "or"}
		for i := 0; i < 2+g.rng.IntN(2); i++ {
			w.kids = append(w.kids, g.genWhen(fe, depth-1))
		}
		return w
	}
	w := &wnode{op: "and"}
	for i := 0; i < 2+g.rng.IntN(2); i++ {
		w.kids = append(w.kids, g.genWhen(fe, depth-1))
	}
	return w
}

func (g *generator) whenLeaf(fe *feState) *wnode {
	if len(fe.conds) > 0 && g.chance(0.25) {
		return &wnode{op: "ref", name: pickOne(g, fe.conds).name}
	}
	fn := pickOne(g, []string{"host", "path", "path_prefix", "path_regex", "method", "src", "header", "header_present", "query"})
	w := &wnode{op: "call", fn: fn}
	switch fn {
	case "host":
		w.args = []string{g.hostPattern()}
	case "path", "path_prefix", "path_regex":
		w.args = []string{pickOne(g, g.pathList(fn))}
	case "method":
		w.args = []string{pickOne(g, g.p.methods)}
	case "src":
		w.args = []string{pickOne(g, g.p.cidrs)}
	case "header":
		// Strings in when-expressions hold no control characters, so no
		// tab either (a header attribute's value may hold one).
		h := pickOne(g, g.p.headers)
		w.args = []string{g.mixCase(h.Name), strings.ReplaceAll(pickOne(g, h.Values), "\t", " ")}
	case "header_present":
		w.args = []string{g.mixCase(pickOne(g, g.p.headers).Name)}
	case "query":
		q := pickOne(g, g.p.queries)
		w.args = []string{q[0], q[1]}
	}
	return w
}

// ---- DNF shapes (mirror of compiler/when.go) ----

// shape is the DNF the compiler builds for a match: the number of terms
// of each alternative.
type shape []int

const maxAlternatives = 256

func andShape(a, b shape) (shape, bool) {
	var out shape
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
			if len(out) > maxAlternatives {
				return nil, false
			}
		}
	}
	return out, true
}

func negateShape(d shape) (shape, bool) {
	out := shape{0}
	for _, n := range d {
		if n == 0 {
			return shape{}, true
		}
		alt := make(shape, n)
		for i := range alt {
			alt[i] = 1
		}
		var ok bool
		if out, ok = andShape(out, alt); !ok {
			return nil, false
		}
	}
	return out, true
}

// matchShape computes the DNF shape of m as compiler.match builds it and
// reports whether it stays within the compiler's limit.
func (g *generator) matchShape(fe *feState, m *match) (shape, bool) {
	terms := 0
	if len(m.hosts) > 0 {
		terms++
	}
	if m.pathAttr != "" {
		terms++
	}
	if len(m.methods) > 0 {
		terms++
	}
	terms += len(m.headers)
	if len(m.src) > 0 {
		terms++
	}
	if len(m.notSrc) > 0 {
		terms++
	}
	out := shape{terms}
	if m.when == nil {
		return out, true
	}
	w, ok := g.whenShape(fe, m.when, false)
	if !ok {
		return nil, false
	}
	return andShape(out, w)
}

func (g *generator) whenShape(fe *feState, w *wnode, neg bool) (shape, bool) {
	switch w.op {
	case "not":
		return g.whenShape(fe, w.kids[0], !neg)
	case "or", "and":
		union := (w.op == "or") != neg
		var out shape
		for i, k := range w.kids {
			d, ok := g.whenShape(fe, k, neg)
			if !ok {
				return nil, false
			}
			if union {
				out = append(out, d...)
				if len(out) > maxAlternatives {
					return nil, false
				}
				continue
			}
			if i == 0 {
				out = d
				continue
			}
			if out, ok = andShape(out, d); !ok {
				return nil, false
			}
		}
		return out, true
	case "ref":
		for _, c := range fe.conds {
			if c.name == w.name {
				if !neg {
					return c.dnf, true
				}
				return negateShape(c.dnf)
			}
		}
		return nil, false
	}
	return shape{1}, true
}

package gen

import (
	"slices"
	"strconv"
	"strings"
)

// ---- frontends ----

// feState is the state of one frontend being generated.
type feState struct {
	name      string
	conds     []condInfo
	routeKeys map[string]bool // priority and match key of every route
	labels    map[string]bool // "kind\x00name"
	blocks    []string
}

type condInfo struct {
	name string
	dnf  shape
}

func (g *generator) tcpFrontendBlock(name string, binds []string) string {
	fe := &feState{name: name, routeKeys: map[string]bool{}, labels: map[string]bool{}}
	var b strings.Builder
	b.WriteString("frontend " + strconv.Quote(name) + " {\n")
	b.WriteString("  mode = \"tcp\"\n")
	b.WriteString("  bind = " + g.listExpr(binds, false, false) + "\n")
	if g.chance(0.7) {
		b.WriteString("  default_backend = " + g.ref("backend", pickOne(g, g.tcpBackends)) + "\n")
	}
	for i := 0; i < g.rng.IntN(5); i++ {
		m := &match{}
		for m.empty() {
			if g.chance(0.6) {
				m.src = g.cidrList()
			}
			if g.chance(0.4) {
				m.notSrc = g.cidrList()
			}
		}
		prio := 0
		if g.chance(0.3) {
			prio = g.rng.IntN(5)
		}
		key := strconv.Itoa(prio) + "\x03" + m.key()
		if fe.routeKeys[key] {
			continue
		}
		fe.routeKeys[key] = true
		var r strings.Builder
		r.WriteString("  route" + g.blockLabel(fe, "route") + " {\n")
		g.renderMatch(&r, m, true)
		if prio != 0 {
			r.WriteString("    priority = " + g.numExpr(prio) + "\n")
		}
		r.WriteString("    backend = " + g.ref("backend", pickOne(g, g.tcpBackends)) + "\n  }\n")
		b.WriteString(r.String())
	}
	b.WriteString("}\n")
	return b.String()
}

func (g *generator) httpFrontend(name string, binds []string) string {
	fe := &feState{name: name, routeKeys: map[string]bool{}, labels: map[string]bool{}}
	var head strings.Builder
	head.WriteString("frontend " + strconv.Quote(name) + " {\n")
	head.WriteString("  bind = " + g.listExpr(binds, false, false) + "\n")
	if g.chance(0.1) {
		head.WriteString("  mode = \"http\"\n")
	}
	if g.chance(0.6) {
		head.WriteString("  default_backend = " + g.ref("backend", pickOne(g, g.httpBackends)) + "\n")
	}
	if !g.opts.Overlap && g.chance(0.2) {
		head.WriteString("  timeout_client = " + strconv.Quote(g.duration()) + "\n")
	}
	if g.chance(0.2) {
		head.WriteString("  maxconn = " + strconv.Itoa(1+g.rng.IntN(100000)) + "\n")
	}

	// Conditions first in the model (a when may refer to any earlier one;
	// the blocks themselves land anywhere in the frontend).
	ncond := g.rng.IntN(4)
	if g.opts.Overlap {
		ncond = 2 + g.rng.IntN(3)
	}
	for i := 0; i < ncond; i++ {
		g.condition(fe)
	}
	nroutes := g.opts.Routes
	if nroutes == 0 {
		nroutes = g.rng.IntN(26)
	}
	nrules := g.rng.IntN(5)
	if g.opts.Overlap {
		nrules = 4 + g.rng.IntN(4)
	}
	// Interleave rules and routes.
	kinds := make([]string, 0, nroutes+nrules)
	for i := 0; i < nroutes; i++ {
		kinds = append(kinds, "route")
	}
	for i := 0; i < nrules; i++ {
		kinds = append(kinds, pickOne(g, []string{"deny", "redirect", "set_header", "set_header"}))
	}
	g.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	for i := 0; i < len(kinds); i++ {
		switch kinds[i] {
		case "route":
			if g.chance(0.1) && i+1 < len(kinds) {
				// A dynamic block generating a few routes.
				n := 0
				for n < 3 && i+n < len(kinds) && kinds[i+n] == "route" {
					n++
				}
				g.dynamicRoutes(fe, 1+g.rng.IntN(max(n, 1)))
				i += n - 1
				continue
			}
			g.route(fe)
		default:
			if g.chance(0.05) && kinds[i] == "deny" && !g.opts.Overlap {
				g.dynamicDeny(fe)
				continue
			}
			g.rule(fe, kinds[i])
		}
	}
	var b strings.Builder
	b.WriteString(head.String())
	for _, blk := range fe.blocks {
		b.WriteString(blk)
	}
	b.WriteString("}\n")
	return b.String()
}

// blockLabel returns ` "NAME"` or, sometimes, "" (an unnamed block).
func (g *generator) blockLabel(fe *feState, kind string) string {
	if g.chance(0.2) {
		return ""
	}
	used := map[string]bool{}
	for k := range fe.labels {
		if n, ok := strings.CutPrefix(k, kind+"\x00"); ok {
			used[n] = true
		}
	}
	n := g.name(kind[:1]+"_", used)
	fe.labels[kind+"\x00"+n] = true
	return " " + strconv.Quote(n)
}

// add appends a block: the order of routes and rules is their declaration
// order.
func (fe *feState) add(blk string) { fe.blocks = append(fe.blocks, blk) }

func (g *generator) condition(fe *feState) {
	used := map[string]bool{}
	for _, c := range fe.conds {
		used[c.name] = true
	}
	var name string
	if g.chance(0.1) {
		// A condition may be named like a when function; it is referred
		// to without parentheses.
		name = pickOne(g, []string{"host", "path", "method", "src", "query", "header"})
		if used[name] {
			name = g.name("c_", used)
		}
	} else {
		name = g.name("c_", used)
	}
	for try := 0; try < 20; try++ {
		m := g.randomMatch(fe, true, false)
		d, ok := g.matchShape(fe, m)
		if !ok {
			continue
		}
		var b strings.Builder
		b.WriteString("  condition " + strconv.Quote(name) + " {\n")
		g.renderMatch(&b, m, true)
		b.WriteString("  }\n")
		fe.conds = append(fe.conds, condInfo{name: name, dnf: d})
		// Conditions may appear anywhere in the frontend.
		pos := g.rng.IntN(len(fe.blocks) + 1)
		fe.blocks = slices.Insert(fe.blocks, pos, b.String())
		return
	}
}

func (g *generator) route(fe *feState) {
	for try := 0; try < 30; try++ {
		m := g.randomMatch(fe, true, false)
		prio := g.priority()
		if g.opts.Overlap && (len(m.hosts) == 0 || m.pathAttr == "") && prio > 0 {
			// A broad route (any host, or any path) that outranks the
			// others would win nearly every request and leave them
			// untested.
			prio = -prio
		}
		key := strconv.Itoa(prio) + "\x03" + m.key()
		if fe.routeKeys[key] {
			continue
		}
		if _, ok := g.matchShape(fe, m); !ok {
			continue
		}
		fe.routeKeys[key] = true
		be := pickOne(g, g.httpBackends)
		var b strings.Builder
		b.WriteString("  route" + g.blockLabel(fe, "route") + " {\n")
		g.renderMatch(&b, m, true)
		if prio != 0 || g.chance(0.05) {
			b.WriteString("    priority = " + g.numExpr(prio) + "\n")
		}
		b.WriteString("    backend = " + g.ref("backend", be) + "\n")
		b.WriteString("  }\n")
		fe.add(b.String())
		return
	}
}

func (g *generator) priority() int {
	if g.chance(0.6) {
		return 0
	}
	if !g.opts.Overlap && g.chance(0.05) {
		return pickOne(g, []int{-1000000, 1000000})
	}
	return pickOne(g, []int{-5, -1, 1, 2, 10})
}

func (g *generator) rule(fe *feState, kind string) {
	for try := 0; try < 20; try++ {
		m := g.randomMatch(fe, kind != "set_header", true)
		if _, ok := g.matchShape(fe, m); !ok {
			continue
		}
		var b strings.Builder
		b.WriteString("  " + kind + g.blockLabel(fe, kind) + " {\n")
		g.renderMatch(&b, m, kind != "set_header")
		switch kind {
		case "deny":
			if g.chance(0.6) {
				b.WriteString("    status = " + strconv.Itoa(g.denyStatus()) + "\n")
			}
		case "redirect":
			b.WriteString("    to = " + g.strExpr(g.redirectTarget(), false, false) + "\n")
			if g.chance(0.7) {
				b.WriteString("    code = " + strconv.Itoa(pickOne(g, []int{301, 302, 303, 307, 308})) + "\n")
			}
		case "set_header":
			name, value := g.setHeader()
			b.WriteString("    header = " + g.strExpr(name, false, false) + "\n")
			b.WriteString("    value = " + g.strExpr(value, false, false) + "\n")
		}
		b.WriteString("  }\n")
		fe.add(b.String())
		return
	}
}

// denyStatus returns a deny status the checker accepts.
func (g *generator) denyStatus() int {
	if g.opts.Overlap || g.chance(0.7) {
		return pickOne(g, []int{400, 401, 403, 404, 405, 429, 503})
	}
	// Every status HAProxy 2.6 has a default error page for.
	return pickOne(g, []int{200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504})
}

func (g *generator) redirectTarget() string {
	if g.opts.Overlap {
		return pickOne(g, []string{"/login", "https://www.a.test/", "http://b.test/moved?x=1", "/new%20place", "/caf\u00e9", "https://a.test/%{x}"})
	}
	switch g.rng.IntN(3) {
	case 0:
		return "https://" + g.domain() + g.path()
	case 1:
		return "http://" + g.domain() + ":" + strconv.Itoa(1+g.rng.IntN(65535)) + g.path()
	}
	p := g.path()
	for strings.HasPrefix(p, "//") {
		p = p[1:]
	}
	return p
}

func (g *generator) setHeader() (string, string) {
	if g.opts.Overlap {
		switch g.rng.IntN(6) {
		case 0:
			return "Host", pickOne(g, g.p.hosts)
		case 1, 2:
			h := pickOne(g, g.p.headers)
			return g.mixCase(h.Name), pickOne(g, h.Values)
		}
		return pickOne(g, []string{"X-Set", "x-set-2"}), pickOne(g, []string{"plain", "a  b", "q'uo\"te", "back\\slash", "50% {x}", "%[src]", "hash # sign", "caf\u00e9 \u65e5\u672c", "tab\there"})
	}
	name := g.headerName()
	if g.chance(0.05) {
		name = "Host"
	}
	return name, g.headerValue()
}

// dynamicRoutes writes a dynamic "route" block generating n routes.
func (g *generator) dynamicRoutes(fe *feState, n int) {
	it := "route"
	if g.chance(0.3) {
		it = "r"
	}
	withPath := g.chance(0.6)
	pathAttr := pickOne(g, []string{"path", "path_prefix", "path_regex"})
	withMethod := g.chance(0.3)
	withPrio := g.chance(0.3)
	type item struct {
		m    *match
		prio int
	}
	var items []item
	for len(items) < n {
		ok := false
		for try := 0; try < 20; try++ {
			m := &match{hosts: g.hostList()}
			if withPath {
				m.pathAttr = pathAttr
				m.paths = g.pathList(pathAttr)
			}
			if withMethod {
				m.methods = g.methodList()
			}
			prio := 0
			if withPrio {
				prio = g.priority()
			}
			if g.opts.Overlap && !withPath && prio > 0 {
				prio = -prio // see route
			}
			key := strconv.Itoa(prio) + "\x03" + m.key()
			if fe.routeKeys[key] {
				continue
			}
			fe.routeKeys[key] = true
			items = append(items, item{m, prio})
			ok = true
			break
		}
		if !ok {
			break
		}
	}
	if len(items) == 0 {
		return
	}
	var objs []string
	for _, x := range items {
		fields := []string{"h = " + g.listLit(x.m.hosts, true, false)}
		if withPath {
			fields = append(fields, "p = "+g.listLit(x.m.paths, false, false))
		}
		if withMethod {
			fields = append(fields, "m = "+g.listLit(x.m.methods, false, true))
		}
		if withPrio {
			fields = append(fields, "prio = "+strconv.Itoa(x.prio))
		}
		objs = append(objs, "{ "+strings.Join(fields, ", ")+" }")
	}
	var b strings.Builder
	b.WriteString("  dynamic \"route\" {\n")
	forEach := "[\n      " + strings.Join(objs, ",\n      ") + ",\n    ]"
	if g.chance(0.3) {
		forEach = g.ref("local", g.local(forEach))
	}
	b.WriteString("    for_each = " + forEach + "\n")
	if it != "route" {
		b.WriteString("    iterator = " + it + "\n")
	}
	if g.chance(0.7) {
		used := map[string]bool{}
		for k := range fe.labels {
			if n, ok := strings.CutPrefix(k, "route\x00"); ok {
				used[n] = true
			}
		}
		prefix := "dyn" + strconv.Itoa(len(used)) + "_"
		for used[prefix+"0"] {
			prefix = "d" + prefix
		}
		for i := range items {
			fe.labels["route\x00"+prefix+strconv.Itoa(i)] = true
		}
		b.WriteString("    labels = [\"" + prefix + "${" + it + ".key}\"]\n")
	}
	b.WriteString("    content {\n")
	b.WriteString("      host = " + it + ".value.h\n")
	if withPath {
		b.WriteString("      " + pathAttr + " = " + it + ".value.p\n")
	}
	if withMethod {
		b.WriteString("      method = " + it + ".value.m\n")
	}
	if withPrio {
		b.WriteString("      priority = " + it + ".value.prio\n")
	}
	b.WriteString("      backend = " + g.ref("backend", pickOne(g, g.httpBackends)) + "\n")
	b.WriteString("    }\n  }\n")
	fe.add(b.String())
}

// dynamicDeny writes a dynamic "deny" block over a list of path prefixes.
func (g *generator) dynamicDeny(fe *feState) {
	paths := g.pathList("path_prefix")
	var b strings.Builder
	b.WriteString("  dynamic \"deny\" {\n")
	b.WriteString("    for_each = " + g.listExpr(paths, false, false) + "\n")
	b.WriteString("    content {\n      path_prefix = [deny.value]\n")
	if g.chance(0.5) {
		b.WriteString("      status = " + strconv.Itoa(g.denyStatus()) + "\n")
	}
	b.WriteString("    }\n  }\n")
	fe.add(b.String())
}

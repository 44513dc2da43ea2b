package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var frontendAttrs = []string{"bind", "mode", "default_backend", "timeout_client", "maxconn", "idle_close_on_response"}
var frontendBlocks = []string{"condition", "route", "deny", "redirect", "set_header", "dynamic"}

var matchAttrs = []string{"host", "path", "path_prefix", "path_regex", "method", "header", "src", "not_src", "when"}

// blockAttrs lists the attributes each frontend block type accepts.
var blockAttrs = map[string][]string{
	"condition":  matchAttrs,
	"route":      append([]string{"backend", "priority"}, matchAttrs...),
	"deny":       append([]string{"status"}, matchAttrs...),
	"redirect":   append([]string{"to", "code"}, matchAttrs...),
	"set_header": append([]string{"value"}, matchAttrs...), // "header" is the header to set
}

// feBlock is one block of a frontend body after dynamic expansion.
type feBlock struct {
	typ        string
	name       string
	nameRange  hcl.Range
	body       hcl.Body
	defRange   hcl.Range
	fromDynGen bool
}

func (c *checker) frontend(b *hcl.Block) *Frontend {
	fe := &Frontend{Name: b.Labels[0], Range: b.DefRange, Mode: "http"}
	body, ok := b.Body.(*hclsyntax.Body)
	if !ok {
		c.add(errAt(b.DefRange, "Unsupported frontend body", "The frontend must be written in native HCL syntax."))
		return fe
	}
	m := hcl.Attributes{}
	for name, at := range body.Attributes {
		if !contains(frontendAttrs, name) {
			c.add(errAt(at.NameRange, "Unsupported argument", fmt.Sprintf("An argument named %q is not expected in a frontend.%s", name, didYouMean(name, frontendAttrs))))
			continue
		}
		m[name] = at.AsHCLAttribute()
	}
	a := &attrs{m: m, ctx: c.ev.ctx, diags: &c.diags, blockRange: b.DefRange, sawUnknown: &c.sawUnknown}
	fe.Mode = c.enum(a, "mode", []string{"http", "tcp"}, "http")
	if !a.has("bind") {
		c.add(errAt(b.DefRange, "Missing required argument", "The argument \"bind\" is required in a frontend."))
	} else if l, ok := a.strList("bind"); ok {
		if len(l) == 0 {
			c.add(errAt(a.rng("bind"), "Invalid bind", "bind must list at least one address."))
		}
		for _, s := range l {
			addr, err := parseBind(s.Value)
			if err != nil {
				c.add(errAt(s.Range, "Invalid bind address", err.Error()))
				continue
			}
			fe.Binds = append(fe.Binds, Bind{Addr: addr, Range: s.Range})
		}
	}
	if a.has("default_backend") {
		fe.DefaultBackend = c.backendRef(a, "default_backend")
		c.checkBackendMode(fe, fe.DefaultBackend, a.rng("default_backend"))
	}
	fe.TimeoutClient = c.duration(a, "timeout_client")
	fe.Maxconn, _ = a.integer("maxconn", 1, 10000000)
	if v, ok := a.boolean("idle_close_on_response"); ok {
		if fe.Mode == "tcp" && v {
			c.add(errAt(a.rng("idle_close_on_response"), "Not allowed in a tcp frontend", "idle_close_on_response is about HTTP keep-alive connections; HAProxy ignores it in a mode tcp frontend."))
		} else {
			fe.IdleCloseOnResponse = &v
		}
	}

	blocks := c.frontendBlocks(body)
	// Conditions first: when-expressions anywhere in the frontend refer to
	// them.
	seen := map[string]hcl.Range{}
	for _, blk := range blocks {
		if blk.typ != "condition" {
			continue
		}
		if blk.name == "" {
			c.add(errAt(blk.defRange, "Missing condition name", "A condition block needs a name: condition \"NAME\" { ... }."))
			continue
		}
		c.checkName("condition", blk.name, blk.nameRange)
		if prev, dup := seen[blk.name]; dup {
			c.add(dupDiag("condition", blk.name, blk.nameRange, prev))
			continue
		}
		seen[blk.name] = blk.nameRange
		cond := &Condition{Name: blk.name, Range: blk.defRange}
		a, _ := c.attrs(blk.body, &hcl.BodySchema{Attributes: attrSchema(blockAttrs["condition"]...)}, blk.defRange)
		cond.Match = c.match(a, fe, true)
		fe.Conditions = append(fe.Conditions, cond)
	}
	named := map[string]hcl.Range{}
	for _, blk := range blocks {
		if blk.typ == "condition" {
			continue
		}
		if blk.name != "" {
			c.checkName(blk.typ, blk.name, blk.nameRange)
			key := blk.typ + "\x00" + blk.name
			if prev, dup := named[key]; dup {
				c.add(dupDiag(blk.typ, blk.name, blk.nameRange, prev))
			}
			named[key] = blk.nameRange
		}
		ndiags := len(c.diags)
		a, _ := c.attrs(blk.body, &hcl.BodySchema{Attributes: attrSchema(blockAttrs[blk.typ]...)}, blk.defRange)
		switch blk.typ {
		case "route":
			r := &Route{Name: blk.name, Range: blk.defRange, Index: len(fe.Routes)}
			r.Match = c.match(a, fe, true)
			if !a.has("backend") {
				c.add(errAt(blk.defRange, "Missing required argument", "The argument \"backend\" is required in a route."))
			} else {
				r.Backend = c.backendRef(a, "backend")
				c.checkBackendMode(fe, r.Backend, a.rng("backend"))
			}
			r.Priority, _ = a.integer("priority", -1000000, 1000000)
			if fe.Mode == "tcp" {
				c.checkTCPMatch(&r.Match, blk.defRange)
			}
			if c.diags[ndiags:].HasErrors() {
				c.broken[r] = true
			}
			fe.Routes = append(fe.Routes, r)
		case "deny", "redirect", "set_header":
			if fe.Mode == "tcp" {
				c.add(errAt(blk.defRange, "Not allowed in a tcp frontend", fmt.Sprintf("%s blocks work on HTTP requests; a mode tcp frontend accepts route blocks with src/not_src only.", blk.typ)))
				continue
			}
			fe.Rules = append(fe.Rules, c.rule(blk, a, fe))
		}
	}
	c.resolveWhen(fe)
	return fe
}

func (c *checker) checkTCPMatch(m *Match, rng hcl.Range) {
	if len(m.Hosts) > 0 || m.PathKind() != PathNone || len(m.Methods) > 0 || len(m.Headers) > 0 || m.When != nil {
		c.add(errAt(rng, "Not allowed in a tcp frontend", "Routes of a mode tcp frontend may only match src and not_src."))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// frontendBlocks lists the frontend's blocks in declaration order, with
// dynamic blocks expanded in place.
func (c *checker) frontendBlocks(body *hclsyntax.Body) []feBlock {
	var out []feBlock
	for _, blk := range body.Blocks {
		switch blk.Type {
		case "condition", "route", "deny", "redirect", "set_header":
			if len(blk.Labels) > 1 {
				c.add(errAt(blk.LabelRanges[1], "Extra label", fmt.Sprintf("A %s block takes at most one label.", blk.Type)))
			}
			fb := feBlock{typ: blk.Type, body: blk.Body, defRange: blk.DefRange()}
			if len(blk.Labels) > 0 {
				fb.name, fb.nameRange = blk.Labels[0], blk.LabelRanges[0]
			}
			out = append(out, fb)
		case "dynamic":
			out = append(out, c.expandDynamic(blk)...)
		default:
			c.add(errAt(blk.TypeRange, "Unsupported block type", fmt.Sprintf("Blocks of type %q are not expected in a frontend.%s", blk.Type, didYouMean(blk.Type, frontendBlocks))))
		}
	}
	return out
}

func (c *checker) expandDynamic(blk *hclsyntax.Block) []feBlock {
	if len(blk.Labels) != 1 {
		c.add(errAt(blk.DefRange(), "Invalid dynamic block", "A dynamic block takes one label: the type of block to generate."))
		return nil
	}
	target := blk.Labels[0]
	if _, ok := blockAttrs[target]; !ok {
		c.add(errAt(blk.LabelRanges[0], "Unsupported dynamic block type", fmt.Sprintf("dynamic %q cannot generate blocks of that type.%s", target, didYouMean(target, frontendBlocks[:5]))))
		return nil
	}
	nlabels := 0
	if _, ok := blk.Body.Attributes["labels"]; ok {
		nlabels = 1
	}
	synth := &hclsyntax.Body{Blocks: hclsyntax.Blocks{blk}, SrcRange: blk.Range(), EndRange: blk.CloseBraceRange}
	expanded := dynblock.Expand(synth, c.ev.ctx)
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: target, LabelNames: []string{"name"}[:nlabels]}}}
	content, d := expanded.Content(schema)
	c.add(d...)
	var out []feBlock
	for _, b := range content.Blocks {
		fb := feBlock{typ: target, body: b.Body, defRange: b.DefRange, fromDynGen: true}
		if nlabels == 1 {
			fb.name, fb.nameRange = b.Labels[0], b.LabelRanges[0]
		}
		out = append(out, fb)
	}
	return out
}

// checkBackendMode reports a mode tcp backend used by a mode http
// frontend: haproxy -c refuses it as a default backend ("http frontend
// ... tries to use incompatible tcp backend"), and a request routed to it
// fails.
func (c *checker) checkBackendMode(fe *Frontend, name string, rng hcl.Range) {
	if be := c.lookupBackend(name); be != nil && fe.Mode == "http" && be.Mode == "tcp" {
		c.add(errAt(rng, "Incompatible backend", fmt.Sprintf("Frontend %q is mode http but backend %q is mode tcp; HAProxy cannot pass HTTP requests to a tcp backend.", fe.Name, name)))
	}
}

// backendRef resolves an attribute that must be a backend.NAME reference.
func (c *checker) backendRef(a *attrs, name string) string {
	at := a.m[name]
	// A static reference to an unknown backend gets a suggestion.
	if st, ok := unwrap(at.Expr).(*hclsyntax.ScopeTraversalExpr); ok && st.Traversal.RootName() == "backend" && len(st.Traversal) == 2 {
		if ta, ok := st.Traversal[1].(hcl.TraverseAttr); ok && c.lookupBackend(ta.Name) == nil && !c.backendDeclared(ta.Name) {
			c.add(errAt(st.Range(), "Reference to undeclared backend", fmt.Sprintf("There is no backend named %q.%s", ta.Name, didYouMean(ta.Name, c.backendNames()))))
			return ""
		}
	}
	v, d := at.Expr.Value(c.ev.ctx)
	c.add(d...)
	if d.HasErrors() {
		return ""
	}
	if !v.IsKnown() {
		// As in attrs.value: an unknown value comes from a variable or
		// local whose error was already reported.
		c.sawUnknown = true
		if c.diags.HasErrors() {
			return ""
		}
	}
	if !v.IsKnown() || v.IsNull() || !v.HasMark(backendMark{}) {
		c.add(errAt(at.Expr.Range(), "Invalid backend reference", fmt.Sprintf("%s must be a reference to a backend block, such as backend.api.", name)))
		return ""
	}
	v, _ = v.Unmark()
	s := v.AsString()
	if be := c.lookupBackend(s); be != nil {
		be.Used = true
		c.noteUsed(s)
	}
	return s
}

func (c *checker) backendNames() []string {
	c.noteBackendNames()
	var names []string
	for _, b := range c.prog.Backends {
		names = append(names, b.Name)
	}
	return names
}

func (c *checker) backendDeclared(name string) bool {
	_, ok := c.ev.ctx.Variables["backend"].Type().AttributeTypes()[name]
	return ok
}

// denyStatuses are the statuses HAProxy 2.6 can deny with using its
// default error pages.
var denyStatuses = map[int]bool{
	200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 407: true, 408: true, 410: true, 413: true,
	421: true, 422: true, 425: true, 429: true, 500: true, 501: true, 502: true, 503: true, 504: true,
}

func (c *checker) rule(blk feBlock, a *attrs, fe *Frontend) *Rule {
	r := &Rule{Name: blk.name, Range: blk.defRange}
	switch blk.typ {
	case "deny":
		r.Kind = RuleDeny
		r.Status = 403
		if s, ok := a.integer("status", 200, 599); ok {
			if !denyStatuses[s] {
				// haproxy -c rejects other codes: "status code 'N' not
				// handled by default with 'default-errorfiles' argument".
				c.add(errAt(a.rng("status"), "Invalid status", fmt.Sprintf("HAProxy 2.6 cannot deny with status %d; use one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504.", s)))
			} else {
				r.Status = s
			}
		}
		r.Match = c.match(a, fe, true)
	case "redirect":
		r.Kind = RuleRedirect
		r.Code = 302
		if code, ok := a.integer("code", 300, 308); ok {
			if !contains([]string{"301", "302", "303", "307", "308"}, fmt.Sprint(code)) {
				c.add(errAt(a.rng("code"), "Invalid code", "code must be 301, 302, 303, 307 or 308."))
			} else {
				r.Code = code
			}
		}
		if !a.has("to") {
			c.add(errAt(blk.defRange, "Missing required argument", "The argument \"to\" is required in a redirect."))
		} else if s, ok := a.str("to"); ok {
			if err := checkRedirect(s); err != nil {
				c.add(errAt(a.rng("to"), "Invalid redirect target", err.Error()))
			}
			r.To = s
		}
		r.Match = c.match(a, fe, true)
	case "set_header":
		r.Kind = RuleSetHeader
		if !a.has("header") {
			c.add(errAt(blk.defRange, "Missing required argument", "The argument \"header\" (the header to set) is required in a set_header block."))
		} else if s, ok := a.str("header"); ok {
			if err := checkHeaderName(s); err != nil {
				c.add(errAt(a.rng("header"), "Invalid header name", err.Error()))
			}
			r.Header = s
		}
		if !a.has("value") {
			c.add(errAt(blk.defRange, "Missing required argument", "The argument \"value\" is required in a set_header block."))
		} else if s, ok := a.str("value"); ok {
			if err := checkHeaderValue(s); err != nil {
				c.add(errAt(a.rng("value"), "Invalid header value", err.Error()))
			}
			r.Value = s
		}
		r.Match = c.match(a, fe, false)
	}
	return r
}

// match decodes the match attributes. withHeader is false for set_header,
// whose "header" attribute names the header to set.
func (c *checker) match(a *attrs, fe *Frontend, withHeader bool) Match {
	m := Match{Range: a.blockRange}
	if l, ok := a.strList("host"); ok {
		seen := map[string]bool{}
		for _, s := range l {
			h, err := parseHost(s.Value)
			if err != nil {
				c.add(errAt(s.Range, "Invalid host", err.Error()))
				continue
			}
			h.Range = s.Range
			if seen[h.Pattern()] {
				c.add(warnAt(s.Range, "Duplicate host", fmt.Sprintf("%q is listed twice.", h.Pattern())))
				continue
			}
			seen[h.Pattern()] = true
			m.Hosts = append(m.Hosts, h)
		}
	}
	npath := 0
	// In source order, so the conflict is reported on the later attribute.
	pathAttrs := []string{"path", "path_prefix", "path_regex"}
	sort.SliceStable(pathAttrs, func(i, j int) bool { return a.rng(pathAttrs[i]).Start.Byte < a.rng(pathAttrs[j]).Start.Byte })
	for _, name := range pathAttrs {
		if !a.has(name) {
			continue
		}
		npath++
		if npath > 1 {
			c.add(errAt(a.rng(name), "Conflicting path attributes", "At most one of path, path_prefix and path_regex is allowed in a block."))
			continue
		}
		l, ok := a.strList(name)
		if !ok {
			continue
		}
		var out []Str
		for _, s := range l {
			var err error
			if name == "path_regex" {
				err = checkRegex(s.Value)
			} else {
				err = checkPath(s.Value)
			}
			if err != nil {
				c.add(errAt(s.Range, "Invalid "+strings.ReplaceAll(name, "_", " "), err.Error()))
				continue
			}
			out = append(out, s)
		}
		switch name {
		case "path":
			m.Paths = out
		case "path_prefix":
			m.PathPrefixes = out
		default:
			m.PathRegexes = out
		}
	}
	if l, ok := a.strList("method"); ok {
		for _, s := range l {
			if err := checkMethod(s.Value); err != nil {
				c.add(errAt(s.Range, "Invalid method", err.Error()))
				continue
			}
			m.Methods = append(m.Methods, s)
		}
	}
	if withHeader {
		if hs, ok := a.strMap("header"); ok {
			seen := map[string]bool{}
			for _, h := range hs {
				if err := checkHeaderName(h.Name); err != nil {
					c.add(errAt(h.Range, "Invalid header name", err.Error()))
					continue
				}
				if err := checkHeaderValue(h.Value); err != nil {
					c.add(errAt(valueRange(a.m["header"].Expr, h.Name), "Invalid header value", err.Error()))
					continue
				}
				h.Name = strings.ToLower(h.Name)
				if seen[h.Name] {
					c.add(errAt(h.Range, "Duplicate header", fmt.Sprintf("Header %q is listed twice (names are case-insensitive).", h.Name)))
					continue
				}
				seen[h.Name] = true
				m.Headers = append(m.Headers, h)
			}
			sort.Slice(m.Headers, func(i, j int) bool { return m.Headers[i].Name < m.Headers[j].Name })
		}
	}
	m.Src = c.cidrs(a, "src")
	m.NotSrc = c.cidrs(a, "not_src")
	if s, ok := a.str("when"); ok {
		at := a.m["when"]
		expr, d := ParseWhen(s, c.whenLocator(at.Expr, s))
		c.add(d...)
		if !d.HasErrors() && expr != nil {
			c.checkWhenArgs(expr)
			m.When = expr
			m.WhenText = FormatWhen(expr)
		}
	}
	return m
}

func (c *checker) cidrs(a *attrs, name string) []CIDR {
	l, ok := a.strList(name)
	if !ok {
		return nil
	}
	var out []CIDR
	for _, s := range l {
		p, canon, err := parseCIDR(s.Value)
		if err != nil {
			c.add(errAt(s.Range, "Invalid CIDR", err.Error()))
			continue
		}
		if canon != "" {
			c.add(warnAt(s.Range, "CIDR has host bits set", fmt.Sprintf("%q has host bits set; it means %q. Write %q.", s.Value, canon, canon)))
		}
		out = append(out, CIDR{Prefix: p, Range: s.Range})
	}
	c.checkCIDROverlap(name, out)
	return out
}

// checkWhenArgs validates the arguments of when-expression calls with the
// same rules as the match attributes.
func (c *checker) checkWhenArgs(e WhenExpr) {
	WalkWhen(e, func(n WhenExpr) {
		call, ok := n.(*WhenCall)
		if !ok || len(call.Args) != WhenFuncs[call.Func] {
			return
		}
		arg, rng := call.Args[0], call.ArgRanges[0]
		var err error
		switch call.Func {
		case "host":
			_, err = parseHost(arg)
		case "path", "path_prefix":
			err = checkPath(arg)
		case "path_regex":
			err = checkRegex(arg)
		case "method":
			err = checkMethod(arg)
		case "src":
			var canon string
			_, canon, err = parseCIDR(arg)
			if err == nil && canon != "" {
				c.add(warnAt(rng, "CIDR has host bits set", fmt.Sprintf("%q has host bits set; write %q.", arg, canon)))
			}
		case "header", "header_present":
			err = checkHeaderName(arg)
			if err == nil && call.Func == "header" {
				if err = checkHeaderValue(call.Args[1]); err != nil {
					rng = call.ArgRanges[1]
				}
			}
		case "query":
			err = checkQueryParam(arg, call.Args[1])
		}
		if err != nil {
			c.add(errAt(rng, "Invalid argument to "+call.Func, err.Error()))
		}
	})
}

// resolveWhen resolves condition names in when-expressions, marks
// conditions used, and reports unknown names and cycles.
func (c *checker) resolveWhen(fe *Frontend) {
	var names []string
	for _, cd := range fe.Conditions {
		names = append(names, cd.Name)
	}
	check := func(m *Match) (resolved bool) {
		resolved = true
		if m.When == nil {
			return resolved
		}
		WalkWhen(m.When, func(n WhenExpr) {
			ref, ok := n.(*WhenRef)
			if !ok {
				return
			}
			cd := fe.Condition(ref.Name)
			if cd == nil {
				c.add(errAt(ref.Range, "Unknown condition", fmt.Sprintf("Frontend %q has no condition named %q.%s", fe.Name, ref.Name, didYouMean(ref.Name, names))))
				m.When = nil
				m.WhenText = ""
				resolved = false
				return
			}
			cd.Used = true
		})
		return resolved
	}
	for _, cd := range fe.Conditions {
		check(&cd.Match)
	}
	for _, r := range fe.Rules {
		check(&r.Match)
	}
	for _, r := range fe.Routes {
		if !check(&r.Match) {
			c.broken[r] = true
		}
	}
	// Cycles among conditions.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(cd *Condition) bool
	visit = func(cd *Condition) bool {
		switch state[cd.Name] {
		case 1:
			return false
		case 2:
			return true
		}
		state[cd.Name] = 1
		ok := true
		if cd.Match.When != nil {
			WalkWhen(cd.Match.When, func(n WhenExpr) {
				if ref, isRef := n.(*WhenRef); isRef && ok {
					if dep := fe.Condition(ref.Name); dep != nil && !visit(dep) {
						if ok {
							c.add(errAt(ref.Range, "Condition cycle", fmt.Sprintf("Condition %q refers to itself through %q.", cd.Name, ref.Name)))
						}
						ok = false
					}
				}
			})
		}
		state[cd.Name] = 2
		if !ok {
			cd.Match.When = nil
			cd.Match.WhenText = ""
		}
		return ok
	}
	for _, cd := range fe.Conditions {
		visit(cd)
	}
}

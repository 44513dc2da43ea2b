package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
)

var topSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "global"},
	{Type: "defaults"},
	{Type: "backend", LabelNames: []string{"name"}},
	{Type: "frontend", LabelNames: []string{"name"}},
}}

// checker holds the state of one Check run.
type checker struct {
	files map[string][]byte
	ev    *evaluator
	diags hcl.Diagnostics
	prog  *Program
	// broken holds routes whose decoding reported errors; their match sets
	// are incomplete, so the ambiguity and shadow checks leave them out.
	broken map[*Route]bool
	// backends indexes prog.Backends by name (the first of duplicates).
	backends map[string]*Backend

	// CheckCache state (check_cache.go); cache is nil without one.
	cache *CheckCache
	// deps collects what the block being recorded reads.
	deps *blockDeps
	// sawUnknown is set when an attribute evaluates to an unknown value.
	sawUnknown bool
	// feEntries maps this Check's frontends to their cache entries.
	feEntries map[*Frontend]*blockEntry
	// namesKey is the sorted set of backend names, once computed.
	namesKey *string
}

func (c *checker) add(d ...*hcl.Diagnostic) { c.diags = append(c.diags, d...) }

// Check evaluates and type-checks files into a Program. The Program is
// returned even when there are errors (as complete as possible).
func Check(files []*File, opts Options) (*Program, hcl.Diagnostics) {
	c := &checker{files: map[string][]byte{}, prog: &Program{}, broken: map[*Route]bool{}, backends: map[string]*Backend{}}
	if opts.Cache != nil {
		opts.Cache.mu.Lock()
		defer opts.Cache.mu.Unlock()
		opts.Cache.begin()
		defer func() { opts.Cache.end(c.ev) }()
		c.cache, c.feEntries = opts.Cache, map[*Frontend]*blockEntry{}
	}
	var vars []*hcl.Block
	var locals []*hcl.Attribute
	var globals, defaults, backends, frontends []*hcl.Block
	for _, f := range files {
		c.files[f.Name] = f.Src
		c.prog.Files = append(c.prog.Files, f.Name)
		content, d := c.content(f)
		c.add(d...)
		for _, b := range content.Blocks {
			switch b.Type {
			case "variable":
				vars = append(vars, b)
			case "locals":
				as, d := b.Body.JustAttributes()
				c.add(d...)
				sorted := make([]*hcl.Attribute, 0, len(as))
				for _, a := range as {
					sorted = append(sorted, a)
				}
				sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
				locals = append(locals, sorted...)
			case "global":
				globals = append(globals, b)
			case "defaults":
				defaults = append(defaults, b)
			case "backend":
				backends = append(backends, b)
			case "frontend":
				frontends = append(frontends, b)
			}
		}
	}
	var backendNames []string
	for _, b := range backends {
		backendNames = append(backendNames, b.Labels[0])
	}
	ev, d := evalVariables(files, vars, locals, backendNames, opts)
	c.ev = ev
	c.add(d...)

	for _, v := range vars {
		if ev.refs["var."+v.Labels[0]] == 0 {
			c.add(warnAt(v.LabelRanges[0], fmt.Sprintf("Unused variable %q", v.Labels[0]), "No expression refers to var."+v.Labels[0]+"."))
		}
	}
	for i, g := range globals {
		if i > 0 {
			c.add(errAt(g.DefRange, "Duplicate global block", "Only one global block is allowed; the first is at "+shortPos(globals[0].DefRange)+"."))
			continue
		}
		c.prog.Global = c.global(g)
	}
	for i, g := range defaults {
		if i > 0 {
			c.add(errAt(g.DefRange, "Duplicate defaults block", "Only one defaults block is allowed; the first is at "+shortPos(defaults[0].DefRange)+"."))
			continue
		}
		c.prog.Defaults = c.defaults(g)
	}
	if c.prog.Global == nil {
		c.prog.Global = &Global{}
	}
	if c.prog.Defaults == nil {
		c.prog.Defaults = &Defaults{}
	}
	seen := map[string]hcl.Range{}
	for _, b := range backends {
		name := b.Labels[0]
		c.checkName("backend", name, b.LabelRanges[0])
		if prev, dup := seen[name]; dup {
			c.add(dupDiag("backend", name, b.LabelRanges[0], prev))
			continue
		}
		seen[name] = b.LabelRanges[0]
		be := c.lowerBackend(b)
		c.prog.Backends = append(c.prog.Backends, be)
		c.backends[name] = be
	}
	seen = map[string]hcl.Range{}
	for _, f := range frontends {
		name := f.Labels[0]
		c.checkName("frontend", name, f.LabelRanges[0])
		if prev, dup := seen[name]; dup {
			c.add(dupDiag("frontend", name, f.LabelRanges[0], prev))
			continue
		}
		seen[name] = f.LabelRanges[0]
		c.prog.Frontends = append(c.prog.Frontends, c.lowerFrontend(f))
	}
	c.checkBinds()
	c.checkLogFormatModes()
	for _, fe := range c.prog.Frontends {
		c.checkRoutesCached(fe)
		for _, cond := range fe.Conditions {
			if !cond.Used {
				c.add(warnAt(cond.Range, fmt.Sprintf("Unused condition %q", cond.Name), "No when-expression of frontend "+fe.Name+" refers to it."))
			}
		}
	}
	for _, b := range c.prog.Backends {
		if !b.Used {
			c.add(warnAt(b.Range, fmt.Sprintf("Unused backend %q", b.Name), "No route or default_backend refers to backend."+b.Name+"."))
		}
		if len(b.Servers) == 0 {
			c.add(warnAt(b.Range, fmt.Sprintf("Backend %q has no servers", b.Name), "HAProxy answers 503 to every request routed to it."))
		}
	}
	suggestRefs(c.diags, c.ev.ctx)
	sortDiags(c.diags)
	return c.prog, c.diags
}

// checkLogFormatModes reports a defaults log_format that uses what
// HAProxy only has in HTTP mode while a tcp frontend inherits it: haproxy
// -c refuses the whole configuration ("format variable 'r' is reserved for
// HTTP mode", "sample fetch <req.hdr> may not be reliably used here").
func (c *checker) checkLogFormatModes() {
	d := c.prog.Defaults
	if d == nil || d.LogFormat == "" {
		return
	}
	items := httpOnlyLogItems(d.LogFormat)
	if len(items) == 0 {
		return
	}
	for _, fe := range c.prog.Frontends {
		if fe.Mode != "tcp" {
			continue
		}
		c.add(errAt(d.LogFormatRange, "log_format needs HTTP mode",
			fmt.Sprintf("log_format uses %s, which HAProxy has in HTTP mode only, and frontend %q (%s) is mode tcp and inherits it: HAProxy would refuse the configuration.",
				strings.Join(items, ", "), fe.Name, shortPos(fe.Range))))
		return
	}
}

// sortDiags orders diagnostics by file and position, keeping the original
// order for equal positions.
func sortDiags(d hcl.Diagnostics) {
	sort.SliceStable(d, func(i, j int) bool {
		a, b := d[i].Subject, d[j].Subject
		if a == nil || b == nil {
			return a == nil && b != nil
		}
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

func (c *checker) checkName(kind, name string, rng hcl.Range) {
	if !validName(name) {
		c.add(errAt(rng, fmt.Sprintf("Invalid %s name %q", kind, name), "Names match [A-Za-z_][A-Za-z0-9_.-]{0,63}."))
	}
}

func (c *checker) attrs(body hcl.Body, schema *hcl.BodySchema, blockRange hcl.Range) (*attrs, []*hcl.Block) {
	content, d := body.Content(schema)
	c.add(d...)
	return &attrs{m: content.Attributes, ctx: c.ev.ctx, diags: &c.diags, blockRange: blockRange, sawUnknown: &c.sawUnknown}, content.Blocks
}

func attrSchema(names ...string) []hcl.AttributeSchema {
	out := make([]hcl.AttributeSchema, len(names))
	for i, n := range names {
		out[i] = hcl.AttributeSchema{Name: n}
	}
	return out
}

func (c *checker) global(b *hcl.Block) *Global {
	g := &Global{Range: b.DefRange}
	a, _ := c.attrs(b.Body, &hcl.BodySchema{Attributes: attrSchema("maxconn", "log", "nbthread", "raw")}, b.DefRange)
	g.Maxconn, _ = a.integer("maxconn", 1, 10000000)
	// HAProxy 2.6 is built with MAX_THREADS=64 on 64-bit platforms:
	// "'nbthread' value must be between 1 and 64".
	g.Nbthread, _ = a.integer("nbthread", 1, 64)
	if l, ok := a.strList("log"); ok {
		for _, s := range l {
			if err := checkLogTarget(s.Value); err != nil {
				c.add(errAt(s.Range, "Invalid log target", err.Error()))
				continue
			}
			g.Log = append(g.Log, s.Value)
		}
	}
	g.Raw = c.raw(a, rawGlobalKeywords)
	return g
}

func (c *checker) raw(a *attrs, allowed map[string]bool) []Raw {
	l, ok := a.strList("raw")
	if !ok {
		return nil
	}
	var out []Raw
	for _, s := range l {
		if err := checkRaw(s.Value, allowed); err != nil {
			c.add(errAt(s.Range, "Invalid raw line", err.Error()))
			continue
		}
		out = append(out, Raw{Text: strings.Join(strings.Fields(s.Value), " "), Range: s.Range})
	}
	return out
}

func (c *checker) duration(a *attrs, name string) string {
	s, ok := a.str(name)
	if !ok {
		return ""
	}
	if err := checkDuration(s); err != nil {
		c.add(errAt(a.rng(name), "Invalid duration", err.Error()))
		return ""
	}
	return s
}

func (c *checker) defaults(b *hcl.Block) *Defaults {
	d := &Defaults{Range: b.DefRange}
	a, _ := c.attrs(b.Body, &hcl.BodySchema{Attributes: attrSchema("timeout_connect", "timeout_client", "timeout_server", "log_format", "idle_close_on_response", "raw")}, b.DefRange)
	d.TimeoutConnect = c.duration(a, "timeout_connect")
	d.TimeoutClient = c.duration(a, "timeout_client")
	d.TimeoutServer = c.duration(a, "timeout_server")
	if s, ok := a.str("log_format"); ok {
		if err := checkLogFormat(s); err != nil {
			c.add(errAt(a.rng("log_format"), "Invalid log_format", err.Error()))
		} else {
			d.LogFormat, d.LogFormatRange = s, a.rng("log_format")
		}
	}
	if v, ok := a.boolean("idle_close_on_response"); ok {
		d.IdleCloseOnResponse = v
	}
	d.Raw = c.raw(a, rawDefaultsKeywords)
	return d
}

var balances = []string{"roundrobin", "leastconn", "source", "first", "uri", "random"}

func (c *checker) enum(a *attrs, name string, values []string, def string) string {
	s, ok := a.str(name)
	if !ok {
		return def
	}
	for _, v := range values {
		if s == v {
			return s
		}
	}
	c.add(errAt(a.rng(name), "Invalid "+name, fmt.Sprintf("%s must be one of %s, got %q.%s", name, strings.Join(quoteAll(values), ", "), s, didYouMean(s, values))))
	return def
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func (c *checker) backend(b *hcl.Block) *Backend {
	be := &Backend{Name: b.Labels[0], Range: b.DefRange}
	body := dynblock.Expand(b.Body, c.ev.ctx)
	a, blocks := c.attrs(body, &hcl.BodySchema{
		Attributes: attrSchema("mode", "balance", "timeout_connect", "timeout_server", "timeout_queue"),
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "health_check"},
			{Type: "server", LabelNames: []string{"name"}},
		},
	}, b.DefRange)
	be.Mode = c.enum(a, "mode", []string{"http", "tcp"}, "http")
	be.Balance = c.enum(a, "balance", balances, "roundrobin")
	be.TimeoutConnect = c.duration(a, "timeout_connect")
	be.TimeoutServer = c.duration(a, "timeout_server")
	be.TimeoutQueue = c.duration(a, "timeout_queue")
	seen := map[string]hcl.Range{}
	var servers []*hcl.Block
	for _, blk := range blocks {
		switch blk.Type {
		case "health_check":
			if be.HealthCheck != nil {
				c.add(errAt(blk.DefRange, "Duplicate health_check block", "A backend has at most one health_check."))
				continue
			}
			be.HealthCheck = c.healthCheck(blk)
		case "server":
			servers = append(servers, blk)
		}
	}
	for _, blk := range servers {
		name := blk.Labels[0]
		c.checkName("server", name, blk.LabelRanges[0])
		if prev, dup := seen[name]; dup {
			c.add(dupDiag("server", name, blk.LabelRanges[0], prev))
			continue
		}
		seen[name] = blk.LabelRanges[0]
		be.Servers = append(be.Servers, c.server(blk, be))
	}
	return be
}

func (c *checker) healthCheck(b *hcl.Block) *HealthCheck {
	hc := &HealthCheck{Method: "GET", Path: "/", Range: b.DefRange}
	a, _ := c.attrs(b.Body, &hcl.BodySchema{Attributes: attrSchema("method", "path", "interval", "expect_status")}, b.DefRange)
	if s, ok := a.str("method"); ok {
		if err := checkMethod(s); err != nil {
			c.add(errAt(a.rng("method"), "Invalid method", err.Error()))
		} else {
			hc.Method = s
		}
	}
	if s, ok := a.str("path"); ok {
		if err := checkPath(s); err != nil {
			c.add(errAt(a.rng("path"), "Invalid path", err.Error()))
		} else {
			hc.Path = s
		}
	}
	hc.Interval = c.duration(a, "interval")
	if hc.Interval != "" && strings.Trim(hc.Interval, "0usmhd") == "" {
		// haproxy -c: "invalid value 0 for argument 'inter'".
		c.add(errAt(a.rng("interval"), "Invalid duration", "The health check interval must be longer than 0."))
		hc.Interval = ""
	}
	hc.ExpectStatus, _ = a.integer("expect_status", 100, 599)
	return hc
}

func (c *checker) server(b *hcl.Block, be *Backend) *Server {
	s := &Server{Name: b.Labels[0], Weight: 100, State: "ready", Range: b.DefRange, Check: be.HealthCheck != nil}
	a, _ := c.attrs(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "address", Required: true}, {Name: "weight"}, {Name: "maxconn"}, {Name: "check"}, {Name: "backup"}, {Name: "state"},
	}}, b.DefRange)
	if addr, ok := a.str("address"); ok {
		h, p, err := parseAddress(addr)
		if err != nil {
			c.add(errAt(a.rng("address"), "Invalid address", err.Error()))
		}
		s.Host, s.Port = h, p
	}
	if w, ok := a.integer("weight", 0, 256); ok {
		s.Weight = w
	}
	s.Maxconn, _ = a.integer("maxconn", 0, 10000000)
	if v, ok := a.boolean("check"); ok {
		s.Check = v
	}
	if v, ok := a.boolean("backup"); ok {
		s.Backup = v
	}
	s.State = c.enum(a, "state", []string{"ready", "drain", "maint"}, "ready")
	return s
}

// Package compiler lowers a checked lang.Program to an ir.Config.
//
// Routing layout (mode http). For each frontend:
//
//  1. deny, redirect and set_header blocks become http-request rules in
//     declaration order, each guarded by named ACLs.
//  2. Two variables are computed after them: txn.hr_host (Host header,
//     port stripped, lower-cased) and txn.hr_path (the path).
//  3. Route selection is a sequence of "set-var(txn.hr_be)" rules in rank
//     order, each guarded by "the backend is not chosen yet". Plain routes
//     (host and/or path or path_prefix, no other condition) are grouped
//     into tiers of equal rank class — (priority, host class, path kind) —
//     and each tier is ONE map lookup: map_str for exact keys, map_beg
//     (longest prefix) for prefixes, and for wildcard hosts of depth k a
//     lookup of the host's last k labels. Other routes become one rule per
//     candidate (host element x path element) with ACL conditions.
//  4. "use_backend %[var(txn.hr_be)]" selects the backend; without a
//     default_backend, unmatched requests get a 404.
//
// Adding, removing or retargeting a plain route in an existing tier changes
// only a map file. For priority 0 the tiers for exact host (exact path,
// prefix, no path) and no host (exact path, prefix) always exist.
package compiler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// Options control compilation.
type Options struct {
	// StatsSocket, when set, adds the admin stats socket line haproute's
	// applier needs.
	StatsSocket string
	// Version is written as "# _version=N".
	Version int
}

// Variable names used by the generated configuration.
const (
	varHost    = "txn.hr_host"
	varPath    = "txn.hr_path"
	varBackend = "txn.hr_be"
)

// maxAlternatives bounds the OR-terms a when-expression may expand to.
const maxAlternatives = 256

// Compile lowers prog to an IR configuration.
func Compile(prog *lang.Program, opts Options) (*ir.Config, hcl.Diagnostics) {
	c := &compiler{prog: prog, cfg: &ir.Config{Version: opts.Version}}
	c.cfg.Global = ir.Global{
		Maxconn:     prog.Global.Maxconn,
		Nbthread:    prog.Global.Nbthread,
		Log:         prog.Global.Log,
		StatsSocket: opts.StatsSocket,
	}
	for _, r := range prog.Global.Raw {
		c.cfg.Global.Raw = append(c.cfg.Global.Raw, ir.RawLine{Text: r.Text, Range: r.Range})
	}
	d := prog.Defaults
	c.cfg.Defaults = ir.Defaults{
		Mode:           "http",
		TimeoutConnect: or(d.TimeoutConnect, "5s"),
		TimeoutClient:  or(d.TimeoutClient, "30s"),
		TimeoutServer:  or(d.TimeoutServer, "30s"),
		LogFormat:      d.LogFormat,
	}
	// Proxies log only with a "log" line of their own: make them use the
	// global targets, unless a raw line already sets the proxies' logging.
	if len(prog.Global.Log) > 0 && !slices.ContainsFunc(d.Raw, func(r lang.Raw) bool { return strings.HasPrefix(r.Text, "log ") }) {
		c.cfg.Defaults.Raw = append(c.cfg.Defaults.Raw, ir.RawLine{Text: "log global", Range: prog.Global.Range})
	}
	for _, r := range d.Raw {
		c.cfg.Defaults.Raw = append(c.cfg.Defaults.Raw, ir.RawLine{Text: r.Text, Range: r.Range})
	}
	for _, b := range sortedBy(prog.Backends, func(b *lang.Backend) string { return b.Name }) {
		c.cfg.Backends = append(c.cfg.Backends, backend(b))
	}
	for _, f := range sortedBy(prog.Frontends, func(f *lang.Frontend) string { return f.Name }) {
		c.frontend(f)
	}
	// HAProxy reads at most 63 words per line: split long ACLs and
	// conditions (found by gen's soundness test).
	ir.SplitLongLines(c.cfg)
	return c.cfg, c.diags
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortedBy[T any](in []T, key func(T) string) []T {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

type compiler struct {
	prog  *lang.Program
	cfg   *ir.Config
	diags hcl.Diagnostics
}

func backend(b *lang.Backend) *ir.Backend {
	out := &ir.Backend{
		Name:           b.Name,
		Mode:           b.Mode,
		Balance:        b.Balance,
		TimeoutConnect: b.TimeoutConnect,
		TimeoutServer:  b.TimeoutServer,
		TimeoutQueue:   b.TimeoutQueue,
		Range:          b.Range,
	}
	if hc := b.HealthCheck; hc != nil {
		out.HealthCheck = &ir.HealthCheck{Method: hc.Method, Path: hc.Path, Interval: hc.Interval, ExpectStatus: hc.ExpectStatus}
	}
	for _, s := range b.Servers {
		out.Servers = append(out.Servers, &ir.Server{
			Name:    s.Name,
			Address: s.Host,
			Port:    s.Port,
			Weight:  s.Weight,
			Maxconn: s.Maxconn,
			Check:   s.Check,
			Backup:  s.Backup,
			State:   s.State,
			Range:   s.Range,
		})
	}
	return out
}

// source names the HCL origin of a generated line.
func source(rng hcl.Range, label string) string {
	return lang.ShortPos(rng) + " " + label
}

// feCompiler compiles one frontend.
type feCompiler struct {
	*compiler
	fe  *lang.Frontend
	out *ir.Frontend
	// conds caches the compiled DNF of named conditions.
	conds map[string]dnf
	// files counts auxiliary files per name to keep names unique.
	files map[string]bool
	// acls records emitted ACL names.
	acls map[string]bool
	// prefixes name each rule's and route's ACLs (see blockPrefixes).
	prefixes map[any]string
}

// blockPrefixes names the ACLs of each block after its label
// ("route.api_host0"), or for an unlabeled block after its position among
// the unlabeled blocks of its kind ("deny.2"): adding or removing another
// block never renames them, so such an edit stays a small change.
// Labels start with a letter or '_', so the two forms never collide.
func blockPrefixes(fe *lang.Frontend) map[any]string {
	out := map[any]string{}
	unlabeled := map[string]int{}
	name := func(kind, label string) string {
		if label != "" {
			return kind + "." + label
		}
		n := unlabeled[kind]
		unlabeled[kind]++
		return kind + "." + strconv.Itoa(n)
	}
	for _, r := range fe.Rules {
		out[r] = name(r.Kind.String(), r.Name)
	}
	for _, r := range fe.Routes {
		out[r] = name("route", r.Name)
	}
	return out
}

// dnf is an OR of AND-ed terms. nil means "always true" only when marked
// by alwaysTrue; an empty non-nil slice means "never".
type dnf [][]ir.Term

var alwaysTrue = dnf{{}}

func (c *compiler) frontend(fe *lang.Frontend) {
	fc := &feCompiler{compiler: c, fe: fe, conds: map[string]dnf{}, files: map[string]bool{}, acls: map[string]bool{}, prefixes: blockPrefixes(fe)}
	fc.out = &ir.Frontend{
		Name:          fe.Name,
		Mode:          fe.Mode,
		Maxconn:       fe.Maxconn,
		TimeoutClient: fe.TimeoutClient,
		Range:         fe.Range,
	}
	if fe.Mode != "tcp" {
		fc.out.IdleCloseOnResponse = c.prog.Defaults.IdleCloseOnResponse
		if fe.IdleCloseOnResponse != nil {
			fc.out.IdleCloseOnResponse = *fe.IdleCloseOnResponse
		}
	}
	for _, b := range fe.Binds {
		fc.out.Binds = append(fc.out.Binds, b.Addr)
	}
	if fe.Mode == "tcp" {
		fc.tcpRoutes()
	} else {
		for i, r := range fe.Rules {
			fc.rule(i, r)
		}
		fc.routes()
	}
	fc.out.DefaultBackend = fe.DefaultBackend
	c.cfg.Frontends = append(c.cfg.Frontends, fc.out)
}

func (fc *feCompiler) rule(i int, r *lang.Rule) {
	prefix := fc.prefixes[r]
	cond := fc.match(prefix, &r.Match, nil, nil, r.Range, r.Label())
	if len(cond) == 0 {
		return // can never match
	}
	rule := &ir.Rule{Comment: source(r.Range, r.Label()), Range: r.Range, Cond: toCond(cond)}
	switch r.Kind {
	case lang.RuleDeny:
		rule.Action, rule.Status = ir.ActionDeny, r.Status
	case lang.RuleRedirect:
		rule.Action, rule.Location, rule.Code = ir.ActionRedirect, r.To, r.Code
	case lang.RuleSetHeader:
		rule.Action, rule.Header, rule.Value = ir.ActionSetHeader, r.Header, r.Value
	}
	fc.out.Rules = append(fc.out.Rules, rule)
}

func toCond(d dnf) ir.Cond {
	if len(d) == 1 && len(d[0]) == 0 {
		return ir.Cond{}
	}
	return ir.Cond{Or: d}
}

// and combines two DNFs.
func and(a, b dnf) (dnf, bool) {
	var out dnf
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(slices.Clone(x), y...))
			if len(out) > maxAlternatives {
				return nil, false
			}
		}
	}
	return out, true
}

// fileName returns a unique auxiliary file name.
func (fc *feCompiler) fileName(base, ext string) string {
	name := fc.fe.Name + "." + base + ext
	for i := 2; fc.files[name]; i++ {
		name = fc.fe.Name + "." + base + "-" + strconv.Itoa(i) + ext
	}
	fc.files[name] = true
	return name
}

func (fc *feCompiler) acl(a *ir.ACL) {
	fc.acls[a.Name] = true
	fc.out.ACLs = append(fc.out.ACLs, a)
}

// hostFetch is the Host header without port, lower-cased. It is evaluated
// where it is used, so set_header rules before it are seen.
const hostFetch = "req.hdr(host),field(1,:),lower"

// hostACL emits ACL lines matching any of hosts under name.
func (fc *feCompiler) hostACL(name, fetch string, hosts []lang.Host, comment string, rng hcl.Range) {
	var exact, wild []string
	for _, h := range hosts {
		if h.Wildcard {
			wild = append(wild, "."+h.Name)
		} else {
			exact = append(exact, h.Name)
		}
	}
	if len(exact) > 0 {
		fc.acl(&ir.ACL{Name: name, Fetch: fetch, Match: "str", Patterns: exact, Comment: comment, Range: rng})
	}
	if len(wild) > 0 {
		fc.acl(&ir.ACL{Name: name, Fetch: fetch, Match: "end", Patterns: wild, Comment: comment, Range: rng})
	}
}

// pathACL emits an ACL for the given path elements of kind k.
func (fc *feCompiler) pathACL(name string, k lang.PathKind, paths []lang.Str, comment string, rng hcl.Range) {
	var vals []string
	for _, p := range paths {
		vals = append(vals, p.Value)
	}
	m := map[lang.PathKind]string{lang.PathExact: "str", lang.PathPrefix: "beg", lang.PathRegex: "reg"}[k]
	fc.acl(&ir.ACL{Name: name, Fetch: "path", Match: m, Patterns: vals, Comment: comment, Range: rng})
}

// cidrACL writes the CIDRs to an ACL file and emits "acl NAME src -f FILE".
func (fc *feCompiler) cidrACL(name, fileBase string, cidrs []lang.CIDR, comment string, rng hcl.Range) {
	file := fc.fileName(fileBase, ".acl")
	af := &ir.ACLFile{Name: file}
	for _, c := range cidrs {
		af.Entries = append(af.Entries, ir.ACLEntry{Pattern: c.Prefix.String(), Range: c.Range})
	}
	fc.cfg.ACLFiles = append(fc.cfg.ACLFiles, af)
	fc.acl(&ir.ACL{Name: name, Fetch: "src", Match: "ip", File: file, Comment: comment, Range: rng})
}

// match compiles a match set to a DNF. host and path, when not nil,
// restrict the host and path attribute to one element (a route candidate).
// fileBase names the block for auxiliary files.
func (fc *feCompiler) match(prefix string, m *lang.Match, host *lang.Host, path *lang.Str, rng hcl.Range, label string) dnf {
	comment := source(rng, label)
	var terms []ir.Term
	if len(m.Hosts) > 0 {
		name := prefix + "_host"
		hosts := m.Hosts
		if host != nil {
			name = prefix + "_host" + strconv.Itoa(indexOf(m.Hosts, host))
			hosts = []lang.Host{*host}
		}
		// A route candidate is evaluated after every rule, where the host
		// is already in txn.hr_host; rules and conditions read the header
		// itself, since a set_header may have changed it.
		fetch := hostFetch
		if host != nil {
			fetch = "var(" + varHost + ")"
		}
		if !fc.acls[name] {
			fc.hostACL(name, fetch, hosts, comment, rng)
		}
		terms = append(terms, ir.Term{ACL: name})
	}
	if k := m.PathKind(); k != lang.PathNone {
		name := prefix + "_path"
		paths := m.PathElems()
		if path != nil {
			name = prefix + "_path" + strconv.Itoa(indexOfStr(paths, path))
			paths = []lang.Str{*path}
		}
		if !fc.acls[name] {
			fc.pathACL(name, k, paths, comment, rng)
		}
		terms = append(terms, ir.Term{ACL: name})
	}
	if len(m.Methods) > 0 {
		name := prefix + "_method"
		if !fc.acls[name] {
			var vals []string
			for _, s := range m.Methods {
				vals = append(vals, s.Value)
			}
			fc.acl(&ir.ACL{Name: name, Fetch: "method", Match: "str", Patterns: vals, Comment: comment, Range: rng})
		}
		terms = append(terms, ir.Term{ACL: name})
	}
	for i, h := range m.Headers {
		name := prefix + "_hdr" + strconv.Itoa(i)
		if !fc.acls[name] {
			fc.acl(&ir.ACL{Name: name, Fetch: "req.fhdr(" + h.Name + ")", Match: "str", Patterns: []string{h.Value}, Comment: comment, Range: h.Range})
		}
		terms = append(terms, ir.Term{ACL: name})
	}
	if len(m.Src) > 0 {
		name := prefix + "_src"
		if !fc.acls[name] {
			fc.cidrACL(name, fileLabel(prefix, label)+".src", m.Src, comment, rng)
		}
		terms = append(terms, ir.Term{ACL: name})
	}
	if len(m.NotSrc) > 0 {
		name := prefix + "_notsrc"
		if !fc.acls[name] {
			fc.cidrACL(name, fileLabel(prefix, label)+".not_src", m.NotSrc, comment, rng)
		}
		terms = append(terms, ir.Term{ACL: name, Not: true})
	}
	out := dnf{terms}
	if m.When != nil {
		w := fc.when(prefix+"_w", m.When, false, comment, rng)
		combined, ok := and(out, w)
		if !ok {
			fc.tooComplex(rng)
			return nil
		}
		out = combined
	}
	return out
}

// fileLabel names auxiliary files after the block (its ACL prefix, which
// is "kind.label" or "kind.N").
func fileLabel(prefix, _ string) string { return prefix }

func (fc *feCompiler) tooComplex(rng hcl.Range) {
	r := rng
	fc.diags = append(fc.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Condition too complex",
		Detail:   fmt.Sprintf("This block's conditions expand to more than %d alternatives in HAProxy's if/|| form. Split it into several blocks or use named conditions.", maxAlternatives),
		Subject:  &r,
	})
}

func indexOf(hosts []lang.Host, h *lang.Host) int {
	for i := range hosts {
		if &hosts[i] == h {
			return i
		}
	}
	return 0
}

func indexOfStr(l []lang.Str, s *lang.Str) int {
	for i := range l {
		if &l[i] == s {
			return i
		}
	}
	return 0
}

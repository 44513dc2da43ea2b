package compiler

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// notChosen is the guard of every route-selection rule: the backend has
// not been chosen by a higher-ranked route.
var notChosen = ir.Term{Not: true, Anon: "var(" + varBackend + ") -m found"}

var chosen = ir.Term{Anon: "var(" + varBackend + ") -m found"}

// Plain reports whether a route compiles into a map lookup: it has a host
// or a path (exact or prefix) and no other condition.
func Plain(r *lang.Route) bool {
	m := &r.Match
	k := m.PathKind()
	if m.Others() > 0 || k == lang.PathRegex {
		return false
	}
	return len(m.Hosts) > 0 || k != lang.PathNone
}

// tierKey identifies a group of plain candidates that one map lookup
// serves.
type tierKey struct {
	prio     int
	hostRank int // lang.HostExact, wildcard label count, or 0
	path     lang.PathKind
}

func (k tierKey) fileBase() string {
	host := "any"
	switch {
	case k.hostRank == lang.HostExact:
		host = "host"
	case k.hostRank > 0:
		host = "wild" + strconv.Itoa(k.hostRank)
	}
	path := map[lang.PathKind]string{lang.PathExact: "path", lang.PathPrefix: "prefix", lang.PathNone: "all"}[k.path]
	return "routes.p" + strconv.Itoa(k.prio) + "." + host + "." + path
}

// rankTuple orders steps; it mirrors lang.Compare.
type rankTuple struct {
	prio, host, path, others, index int
}

func tupleOf(c lang.Candidate) rankTuple {
	return rankTuple{c.Route.Priority, c.HostRank(), c.PathRank(), c.Route.Match.Others(), c.Route.Index}
}

func compareTuple(a, b rankTuple) int {
	if c := cmp.Compare(b.prio, a.prio); c != 0 {
		return c
	}
	if c := cmp.Compare(b.host, a.host); c != 0 {
		return c
	}
	if c := cmp.Compare(b.path, a.path); c != 0 {
		return c
	}
	if c := cmp.Compare(b.others, a.others); c != 0 {
		return c
	}
	return cmp.Compare(a.index, b.index)
}

// item is a candidate or a placeholder for an always-present tier.
type item struct {
	rank rankTuple
	cand *lang.Candidate // nil for a placeholder
	tier tierKey
	// plain is true for placeholders and plain candidates.
	plain bool
}

// step is one route-selection rule.
type step struct {
	plain bool
	tier  tierKey
	cands []lang.Candidate
}

// standardTiers exist at priority 0 even when empty, so a plain route added
// there later only changes a map file.
var standardTiers = []struct {
	tier tierKey
	path int
}{
	{tierKey{0, lang.HostExact, lang.PathExact}, 3 << 20},
	{tierKey{0, lang.HostExact, lang.PathPrefix}, 2 << 20},
	{tierKey{0, lang.HostExact, lang.PathNone}, 0},
	{tierKey{0, 0, lang.PathExact}, 3 << 20},
	{tierKey{0, 0, lang.PathPrefix}, 2 << 20},
}

func (fc *feCompiler) steps() []step {
	var items []item
	for _, r := range fc.fe.Routes {
		if r.Backend == "" {
			continue
		}
		plain := Plain(r)
		for _, c := range r.Candidates() {
			c := c
			it := item{rank: tupleOf(c), cand: &c, plain: plain}
			if plain {
				it.tier = tierKey{r.Priority, c.HostRank(), r.Match.PathKind()}
			}
			items = append(items, it)
		}
	}
	for _, st := range standardTiers {
		items = append(items, item{
			rank:  rankTuple{0, st.tier.hostRank, st.path, 0, math.MaxInt},
			tier:  st.tier,
			plain: true,
		})
	}
	slices.SortStableFunc(items, func(a, b item) int { return compareTuple(a.rank, b.rank) })
	var steps []step
	for _, it := range items {
		if it.plain {
			if n := len(steps); n > 0 && steps[n-1].plain && steps[n-1].tier == it.tier {
				if it.cand != nil {
					steps[n-1].cands = append(steps[n-1].cands, *it.cand)
				}
				continue
			}
			s := step{plain: true, tier: it.tier}
			if it.cand != nil {
				s.cands = append(s.cands, *it.cand)
			}
			steps = append(steps, s)
			continue
		}
		steps = append(steps, step{cands: []lang.Candidate{*it.cand}})
	}
	return steps
}

func (fc *feCompiler) routes() {
	fc.out.Rules = append(fc.out.Rules,
		&ir.Rule{Action: ir.ActionSetVar, Var: varHost, Expr: hostFetch, Comment: "routing key: host without port, lower case"},
		&ir.Rule{Action: ir.ActionSetVar, Var: varPath, Expr: "path", Comment: "routing key: path"},
	)
	depths := map[int]bool{}
	for _, s := range fc.steps() {
		if s.plain {
			fc.mapStep(s, depths)
		} else {
			fc.ruleStep(s.cands[0])
		}
	}
	fc.out.UseBackends = append(fc.out.UseBackends, &ir.UseBackend{
		Backend: "%[var(" + varBackend + ")]",
		Cond:    ir.Cond{Or: [][]ir.Term{{chosen}}},
		Comment: "the backend chosen by the highest-ranked matching route",
	})
	if fc.fe.DefaultBackend == "" {
		fc.out.Rules = append(fc.out.Rules, &ir.Rule{
			Action:  ir.ActionDeny,
			Status:  404,
			Cond:    ir.Cond{Unless: true, Or: [][]ir.Term{{chosen}}},
			Comment: "no route matched and there is no default_backend",
		})
	}
}

// mapStep emits one map lookup serving a tier of plain candidates.
func (fc *feCompiler) mapStep(s step, depths map[int]bool) {
	file := fc.fileName(s.tier.fileBase(), ".map")
	mf := &ir.MapFile{Name: file}
	seen := map[string]bool{}
	for _, c := range s.cands {
		key := ""
		if c.Host != nil {
			key = c.Host.Name
		}
		if c.Path != nil {
			key += c.Path.Value
		}
		if seen[key] {
			continue // a higher-ranked route of the same tier has this key
		}
		seen[key] = true
		mf.Entries = append(mf.Entries, ir.MapEntry{Key: key, Value: c.Route.Backend, Comment: source(c.Route.Range, c.Route.Label()), Range: c.Route.Range})
	}
	fc.cfg.Maps = append(fc.cfg.Maps, mf)

	t := s.tier
	var expr string
	terms := []ir.Term{notChosen}
	switch {
	case t.hostRank == lang.HostExact:
		expr = "var(" + varHost + ")"
	case t.hostRank > 0:
		// Wildcard "*.SUFFIX" with k labels in SUFFIX: look up the host's
		// last k labels, when the host has more than k labels.
		k := strconv.Itoa(t.hostRank)
		expr = "var(" + varHost + "),field(-1,.," + k + ")"
		name := "hr_depth" + k
		if !depths[t.hostRank] {
			depths[t.hostRank] = true
			fc.acl(&ir.ACL{Name: name, Fetch: "var(" + varHost + ")", Match: "reg", Patterns: []string{`^([^.]*\.){` + k + `}`}, Comment: "host has more than " + k + " labels"})
		}
		terms = append(terms, ir.Term{ACL: name})
	}
	if t.path != lang.PathNone {
		if expr == "" {
			expr = "var(" + varPath + ")"
		} else {
			expr += ",concat(," + varPath + ")"
		}
	}
	conv := "map_str"
	if t.path == lang.PathPrefix {
		conv = "map_beg"
	}
	fc.out.Rules = append(fc.out.Rules, &ir.Rule{
		Action:  ir.ActionSetVar,
		Var:     varBackend,
		Expr:    expr,
		MapConv: conv,
		MapFile: file,
		Cond:    ir.Cond{Or: [][]ir.Term{terms}},
		Comment: "plain routes: " + s.tier.fileBase(),
	})
}

// ruleStep emits the rule for one candidate of a route with conditions.
func (fc *feCompiler) ruleStep(c lang.Candidate) {
	r := c.Route
	d := fc.match(fc.prefixes[r], &r.Match, c.Host, c.Path, r.Range, r.Label())
	if len(d) == 0 {
		return
	}
	var or [][]ir.Term
	for _, conj := range d {
		or = append(or, append([]ir.Term{notChosen}, conj...))
	}
	fc.out.Rules = append(fc.out.Rules, &ir.Rule{
		Action:  ir.ActionSetVar,
		Var:     varBackend,
		Expr:    "str(" + r.Backend + ")",
		Cond:    ir.Cond{Or: or},
		Comment: source(r.Range, r.Label()),
		Range:   r.Range,
	})
}

// tcpRoutes emits use_backend rules in rank order for a tcp frontend.
func (fc *feCompiler) tcpRoutes() {
	for _, c := range fc.fe.RankedCandidates() {
		r := c.Route
		if r.Backend == "" {
			continue
		}
		d := fc.match(fc.prefixes[r], &r.Match, nil, nil, r.Range, r.Label())
		if len(d) == 0 {
			continue
		}
		fc.out.UseBackends = append(fc.out.UseBackends, &ir.UseBackend{Backend: r.Backend, Cond: toCond(d), Comment: source(r.Range, r.Label()), Range: r.Range})
	}
}

package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkBinds reports an addr:port bound by two frontends (or twice by one).
func (c *checker) checkBinds() {
	seen := map[string]string{}
	seenRange := map[string]hcl.Range{}
	for _, fe := range c.prog.Frontends {
		for _, b := range fe.Binds {
			if prev, dup := seen[b.Addr]; dup {
				c.add(errAt(b.Range, "Address bound twice", fmt.Sprintf("%s is already bound by frontend %q at %s.", b.Addr, prev, shortPos(seenRange[b.Addr]))))
				continue
			}
			seen[b.Addr] = fe.Name
			seenRange[b.Addr] = b.Range
		}
	}
}

// matchKey is a canonical text of a match set: equal keys mean identical
// match sets.
func matchKey(m *Match) string {
	var b strings.Builder
	list := func(tag string, vals []string) {
		sort.Strings(vals)
		b.WriteString(tag)
		b.WriteString(strings.Join(vals, "\x00"))
		b.WriteByte('\x01')
	}
	var hosts []string
	for _, h := range m.Hosts {
		hosts = append(hosts, h.Pattern())
	}
	list("h", hosts)
	var paths []string
	for _, p := range m.PathElems() {
		paths = append(paths, p.Value)
	}
	list(fmt.Sprint("p", m.PathKind()), paths)
	var methods []string
	for _, s := range m.Methods {
		methods = append(methods, s.Value)
	}
	list("m", methods)
	var headers []string
	for _, h := range m.Headers {
		headers = append(headers, h.Name+"\x02"+h.Value)
	}
	list("H", headers)
	cidrs := func(l []CIDR) []string {
		var out []string
		for _, c := range l {
			out = append(out, c.Prefix.String())
		}
		return out
	}
	list("s", cidrs(m.Src))
	list("n", cidrs(m.NotSrc))
	b.WriteString("w" + m.WhenText)
	return b.String()
}

// checkRoutes reports ambiguous routes (identical match sets and priority)
// and routes that can never be selected (shadowed).
func (c *checker) checkRoutes(fe *Frontend) {
	seen := map[string]*Route{}
	ambiguous := map[*Route]bool{}
	for _, r := range fe.Routes {
		if c.broken[r] {
			continue
		}
		key := fmt.Sprint(r.Priority) + "\x03" + matchKey(&r.Match)
		if prev, dup := seen[key]; dup {
			c.add(errAt(r.Range, "Ambiguous route", fmt.Sprintf("%s has the same match attributes and priority as %s (%s); only declaration order would tell them apart. Change the priority or the match.", r.Label(), prev.Label(), shortPos(prev.Range))))
			ambiguous[r] = true
			continue
		}
		seen[key] = r
	}
	c.checkShadowed(fe, ambiguous)
}

// checkShadowed warns about a route each of whose candidates is covered by
// a higher-ranked candidate of another route. Candidates are bucketed by
// host so only routes that can cover each other are compared. Routes in
// skip were already reported as ambiguous; they are not reported again.
func (c *checker) checkShadowed(fe *Frontend, skip map[*Route]bool) {
	ranked := fe.RankedCandidates()
	byExact := map[string][]int{}
	byWild := map[string][]int{}
	var noHost []int
	for i, cand := range ranked {
		switch {
		case cand.Host == nil:
			noHost = append(noHost, i)
		case cand.Host.Wildcard:
			byWild[cand.Host.Name] = append(byWild[cand.Host.Name], i)
		default:
			byExact[cand.Host.Name] = append(byExact[cand.Host.Name], i)
		}
	}
	rankOf := make(map[candKey]int, len(ranked))
	for i, cand := range ranked {
		rankOf[keyOf(cand)] = i
	}
	reported := map[*Route]bool{}
	for _, r := range fe.Routes {
		if reported[r] || c.broken[r] || skip[r] {
			continue
		}
		var by *Route
		shadowed := true
		for _, cand := range r.Candidates() {
			me := rankOf[keyOf(cand)]
			var buckets [][]int
			buckets = append(buckets, noHost)
			if cand.Host != nil {
				if !cand.Host.Wildcard {
					buckets = append(buckets, byExact[cand.Host.Name])
				}
				// Wildcards whose suffix is a suffix of this host.
				name := cand.Host.Name
				if cand.Host.Wildcard {
					buckets = append(buckets, byWild[name])
				}
				for i := strings.IndexByte(name, '.'); i >= 0; {
					name = name[i+1:]
					buckets = append(buckets, byWild[name])
					i = strings.IndexByte(name, '.')
				}
			}
			var coverer *Route
			for _, bucket := range buckets {
				for _, j := range bucket {
					if j >= me {
						break // buckets are in rank order
					}
					s := ranked[j]
					if s.Route != r && !c.broken[s.Route] && covers(s, cand) {
						coverer = s.Route
						break
					}
				}
				if coverer != nil {
					break
				}
			}
			if coverer == nil {
				shadowed = false
				break
			}
			by = coverer
		}
		if shadowed && by != nil {
			reported[r] = true
			c.add(warnAt(r.Range, "Route can never be selected", fmt.Sprintf("%s is shadowed by %s (%s), which ranks higher and matches every request this route matches.", r.Label(), by.Label(), shortPos(by.Range))))
		}
	}
}

type candKey struct {
	r    *Route
	h, p int
}

func keyOf(c Candidate) candKey {
	k := candKey{r: c.Route, h: -1, p: -1}
	if c.Host != nil {
		for i := range c.Route.Match.Hosts {
			if &c.Route.Match.Hosts[i] == c.Host {
				k.h = i
			}
		}
	}
	if c.Path != nil {
		elems := c.Route.Match.PathElems()
		for i := range elems {
			if &elems[i] == c.Path {
				k.p = i
			}
		}
	}
	return k
}

// covers reports whether every request matching candidate r also matches
// candidate s (s's match set contains r's).
func covers(s, r Candidate) bool {
	if !hostCovers(s.Host, r.Host) || !pathCovers(s, r) {
		return false
	}
	sm, rm := &s.Route.Match, &r.Route.Match
	if len(sm.Methods) > 0 {
		if len(rm.Methods) == 0 {
			return false
		}
		for _, m := range rm.Methods {
			if !containsStr(sm.Methods, m.Value) {
				return false
			}
		}
	}
	for _, h := range sm.Headers {
		found := false
		for _, h2 := range rm.Headers {
			if h2.Name == h.Name && h2.Value == h.Value {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if len(sm.Src) > 0 {
		if len(rm.Src) == 0 {
			return false
		}
		for _, p := range rm.Src {
			if !cidrCovered(p, sm.Src) {
				return false
			}
		}
	}
	for _, p := range sm.NotSrc {
		// r must exclude at least what s excludes.
		if !cidrCovered(p, rm.NotSrc) {
			return false
		}
	}
	if sm.When != nil && sm.WhenText != rm.WhenText {
		return false
	}
	return true
}

func containsStr(l []Str, v string) bool {
	for _, s := range l {
		if s.Value == v {
			return true
		}
	}
	return false
}

func cidrCovered(p CIDR, list []CIDR) bool {
	for _, q := range list {
		if q.Prefix.Bits() <= p.Prefix.Bits() && q.Prefix.Contains(p.Prefix.Addr()) {
			return true
		}
	}
	return false
}

func hostCovers(s, r *Host) bool {
	switch {
	case s == nil:
		return true
	case r == nil:
		return false
	case !s.Wildcard:
		return !r.Wildcard && r.Name == s.Name
	}
	return r.Name == s.Name && r.Wildcard || strings.HasSuffix(r.Name, "."+s.Name)
}

func pathCovers(s, r Candidate) bool {
	sk, rk := s.Route.Match.PathKind(), r.Route.Match.PathKind()
	switch sk {
	case PathNone:
		return true
	case PathExact:
		return rk == PathExact && r.Path.Value == s.Path.Value
	case PathPrefix:
		return (rk == PathExact || rk == PathPrefix) && strings.HasPrefix(r.Path.Value, s.Path.Value)
	}
	return rk == PathRegex && r.Path.Value == s.Path.Value
}

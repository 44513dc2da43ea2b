package lang

import (
	"cmp"
	"slices"
)

// HostExact is the host rank of an exact host; a wildcard ranks by its
// number of labels and a route without host ranks 0.
const HostExact = 1 << 16

// Candidate is one way a route can match: one element of its host list (or
// none) combined with one element of its path list (or none). For a route
// with several hosts or paths, the element that matched decides the rank.
type Candidate struct {
	Route *Route
	Host  *Host // nil: the route has no host attribute
	Path  *Str  // nil: the route has no path attribute
}

// HostRank is rank criterion 2: exact > wildcard with more labels > fewer >
// no host.
func (c Candidate) HostRank() int {
	switch {
	case c.Host == nil:
		return 0
	case c.Host.Wildcard:
		return c.Host.Labels
	}
	return HostExact
}

// PathRank is rank criterion 3 as one number: exact > prefix (longer first)
// > regex > no path.
func (c Candidate) PathRank() int {
	switch c.Route.Match.PathKind() {
	case PathExact:
		return 3 << 20
	case PathPrefix:
		return 2<<20 + len(c.Path.Value)
	case PathRegex:
		return 1 << 20
	}
	return 0
}

// Compare orders candidates by rank: negative when a ranks higher than b.
func Compare(a, b Candidate) int {
	if c := cmp.Compare(b.Route.Priority, a.Route.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(b.HostRank(), a.HostRank()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.PathRank(), a.PathRank()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Route.Match.Others(), a.Route.Match.Others()); c != 0 {
		return c
	}
	return cmp.Compare(a.Route.Index, b.Route.Index)
}

// Candidates returns every candidate of the route.
func (r *Route) Candidates() []Candidate {
	var out []Candidate
	paths := r.Match.PathElems()
	hosts := r.Match.Hosts
	for hi := 0; hi < max(1, len(hosts)); hi++ {
		var h *Host
		if len(hosts) > 0 {
			h = &hosts[hi]
		}
		for pi := 0; pi < max(1, len(paths)); pi++ {
			var p *Str
			if len(paths) > 0 {
				p = &paths[pi]
			}
			out = append(out, Candidate{Route: r, Host: h, Path: p})
		}
	}
	return out
}

// RankedCandidates returns all candidates of the frontend's routes, highest
// rank first.
func (f *Frontend) RankedCandidates() []Candidate {
	var out []Candidate
	for _, r := range f.Routes {
		out = append(out, r.Candidates()...)
	}
	slices.SortStableFunc(out, Compare)
	return out
}

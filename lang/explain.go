package lang

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Request is an HTTP request as explain sees it.
type Request struct {
	Method string
	// Host is the Host header as sent (may carry a port).
	Host string
	// Target is the request target: path and optional query string.
	Target string
	// Header holds the other headers in order (name, value).
	Header [][2]string
	// Src is the client address; the zero Addr matches no src list.
	Src netip.Addr
}

// Outcome is what happens to a request.
type Outcome int

// The possible outcomes.
const (
	OutcomeRoute    Outcome = iota // a route selected the backend
	OutcomeDefault                 // no route matched; default_backend
	OutcomeNotFound                // no route matched and no default: 404
	OutcomeDeny                    // a deny block answered
	OutcomeRedirect                // a redirect block answered
)

// Explanation is the result of Explain.
type Explanation struct {
	Outcome Outcome
	Backend string
	// Status is the HTTP status for deny (its status), redirect (its code)
	// and 404.
	Status   int
	Location string
	// Rule is the deny or redirect that ended processing.
	Rule *Rule
	// SetHeaders are the set_header blocks that applied, in order.
	SetHeaders []*Rule
	// Route and Candidate are the winner for OutcomeRoute.
	Route     *Route
	Candidate Candidate
	// Rejected lists each higher-ranked candidate with why it did not
	// match, in rank order.
	Rejected []Rejection
}

// Rejection explains why a candidate did not match.
type Rejection struct {
	Candidate Candidate
	Reason    string
}

// reqState is a request during processing: set_header changes headers.
type reqState struct {
	method string
	path   string
	query  string
	src    netip.Addr
	// headers are (lower-case name, value) in order, Host included.
	headers [][2]string
	fe      *Frontend
	regexes map[string]*regexp.Regexp
}

func (s *reqState) values(name string) []string {
	var out []string
	for _, h := range s.headers {
		if h[0] == name {
			out = append(out, h[1])
		}
	}
	return out
}

// host is the Host header without port, lower-cased, as
// req.hdr(host),field(1,:),lower computes it; ok is false without Host.
func (s *reqState) host() (string, bool) {
	v := s.values("host")
	if len(v) == 0 {
		return "", false
	}
	h := v[len(v)-1]
	if i := strings.IndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.ToLower(h), true
}

func (s *reqState) setHeader(name, value string) {
	name = strings.ToLower(name)
	var kept [][2]string
	for _, h := range s.headers {
		if h[0] != name {
			kept = append(kept, h)
		}
	}
	s.headers = append(kept, [2]string{name, value})
}

// Explain evaluates the request against the frontend with the language's
// processing semantics (the compiled HAProxy configuration implements the
// same semantics).
func Explain(fe *Frontend, req Request) *Explanation {
	s := &reqState{method: req.Method, src: req.Src.Unmap(), fe: fe, regexes: map[string]*regexp.Regexp{}}
	s.path, s.query, _ = strings.Cut(originPath(req.Target), "?")
	if req.Host != "" {
		s.headers = append(s.headers, [2]string{"host", strings.Trim(req.Host, " \t")})
	}
	for _, h := range req.Header {
		s.headers = append(s.headers, [2]string{strings.ToLower(h[0]), strings.Trim(h[1], " \t")})
	}
	ex := &Explanation{}
	for _, r := range fe.Rules {
		if reason := s.match(&r.Match, nil, nil); reason != "" {
			continue
		}
		switch r.Kind {
		case RuleDeny:
			ex.Outcome, ex.Status, ex.Rule = OutcomeDeny, r.Status, r
			return ex
		case RuleRedirect:
			ex.Outcome, ex.Status, ex.Location, ex.Rule = OutcomeRedirect, r.Code, r.To, r
			return ex
		case RuleSetHeader:
			s.setHeader(r.Header, r.Value)
			ex.SetHeaders = append(ex.SetHeaders, r)
		}
	}
	for _, c := range fe.RankedCandidates() {
		if c.Route.Backend == "" {
			continue
		}
		reason := s.match(&c.Route.Match, c.Host, c.Path)
		if reason == "" {
			ex.Outcome, ex.Backend, ex.Route, ex.Candidate = OutcomeRoute, c.Route.Backend, c.Route, c
			return ex
		}
		ex.Rejected = append(ex.Rejected, Rejection{Candidate: c, Reason: reason})
	}
	if fe.DefaultBackend != "" {
		ex.Outcome, ex.Backend = OutcomeDefault, fe.DefaultBackend
		return ex
	}
	ex.Outcome, ex.Status = OutcomeNotFound, 404
	return ex
}

// originPath drops the scheme and authority of an absolute-form target
// ("http://host/p?q" -> "/p?q"), as HAProxy's path fetch does; other
// targets are returned unchanged.
func originPath(target string) string {
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok || strings.ContainsAny(scheme, "/?") {
		return target
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		return rest[i:]
	}
	return ""
}

// match returns "" when the match set matches, else the reason it does not.
// host and path, when set, restrict to one element.
func (s *reqState) match(m *Match, host *Host, path *Str) string {
	if len(m.Hosts) > 0 {
		hosts := m.Hosts
		if host != nil {
			hosts = []Host{*host}
		}
		h, ok := s.host()
		if !ok {
			return "the request has no Host header"
		}
		if !anyHost(hosts, h) {
			return fmt.Sprintf("host %q is not %s", h, hostList(hosts))
		}
	}
	if k := m.PathKind(); k != PathNone {
		paths := m.PathElems()
		if path != nil {
			paths = []Str{*path}
		}
		found := false
		for _, p := range paths {
			if s.pathMatch(k, p.Value) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Sprintf("path %q does not match %s %s", s.path, map[PathKind]string{PathExact: "path", PathPrefix: "path_prefix", PathRegex: "path_regex"}[k], strList(paths))
		}
	}
	if len(m.Methods) > 0 && !containsStr(m.Methods, s.method) {
		return fmt.Sprintf("method %s is not %s", s.method, strList(m.Methods))
	}
	for _, h := range m.Headers {
		if !s.headerIs(h.Name, h.Value) {
			return fmt.Sprintf("header %s is not %q", h.Name, h.Value)
		}
	}
	if len(m.Src) > 0 && !s.inCIDRs(m.Src) {
		return fmt.Sprintf("client %s is not in src", s.srcString())
	}
	if len(m.NotSrc) > 0 && s.inCIDRs(m.NotSrc) {
		return fmt.Sprintf("client %s is in not_src", s.srcString())
	}
	if m.When != nil && !s.when(m.When) {
		return fmt.Sprintf("when %q is false", m.WhenText)
	}
	return ""
}

func (s *reqState) srcString() string {
	if !s.src.IsValid() {
		return "(unknown)"
	}
	return s.src.String()
}

func (s *reqState) inCIDRs(l []CIDR) bool {
	if !s.src.IsValid() {
		return false
	}
	for _, c := range l {
		if prefixContains(c.Prefix, s.src) {
			return true
		}
	}
	return false
}

// prefixContains reports whether a is in p as HAProxy's "src -m ip"
// matches: an IPv4 client is also compared, as ::ffff:a.b.c.d, with IPv6
// patterns, so "::/0" matches every IPv4 client.
func prefixContains(p netip.Prefix, a netip.Addr) bool {
	if p.Contains(a) {
		return true
	}
	return a.Is4() && p.Addr().Is6() && p.Contains(netip.AddrFrom16(a.As16()))
}

func (s *reqState) headerIs(name, value string) bool {
	for _, v := range s.values(name) {
		if v == value {
			return true
		}
	}
	return false
}

func (s *reqState) pathMatch(k PathKind, p string) bool {
	switch k {
	case PathExact:
		return s.path == p
	case PathPrefix:
		return strings.HasPrefix(s.path, p)
	}
	rx, ok := s.regexes[p]
	if !ok {
		rx, _ = regexp.Compile(p)
		s.regexes[p] = rx
	}
	return rx != nil && rx.MatchString(s.path)
}

func anyHost(hosts []Host, h string) bool {
	for _, p := range hosts {
		if p.Wildcard && strings.HasSuffix(h, "."+p.Name) || !p.Wildcard && h == p.Name {
			return true
		}
	}
	return false
}

func hostList(hosts []Host) string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.Pattern())
	}
	if len(out) == 1 {
		return out[0]
	}
	return "any of " + strings.Join(out, ", ")
}

func strList(l []Str) string {
	var out []string
	for _, s := range l {
		out = append(out, fmt.Sprintf("%q", s.Value))
	}
	return strings.Join(out, ", ")
}

// when evaluates a when-expression.
func (s *reqState) when(e WhenExpr) bool {
	switch e := e.(type) {
	case *WhenOr:
		for _, t := range e.Terms {
			if s.when(t) {
				return true
			}
		}
		return false
	case *WhenAnd:
		for _, t := range e.Terms {
			if !s.when(t) {
				return false
			}
		}
		return true
	case *WhenNot:
		return !s.when(e.X)
	case *WhenRef:
		c := s.fe.Condition(e.Name)
		return c != nil && s.match(&c.Match, nil, nil) == ""
	case *WhenCall:
		return s.call(e)
	}
	return false
}

func (s *reqState) call(c *WhenCall) bool {
	arg := c.Args[0]
	switch c.Func {
	case "host":
		h, ok := s.host()
		if !ok {
			return false
		}
		p, err := parseHost(arg)
		return err == nil && anyHost([]Host{p}, h)
	case "path":
		return s.pathMatch(PathExact, arg)
	case "path_prefix":
		return s.pathMatch(PathPrefix, arg)
	case "path_regex":
		return s.pathMatch(PathRegex, arg)
	case "method":
		return s.method == arg
	case "src":
		p, _, err := parseCIDR(arg)
		return err == nil && s.src.IsValid() && prefixContains(p, s.src)
	case "header":
		return s.headerIs(strings.ToLower(arg), c.Args[1])
	case "header_present":
		return len(s.values(strings.ToLower(arg))) > 0
	case "query":
		// HAProxy's urlp() splits parameters at '&' and at ';'.
		for _, kv := range strings.FieldsFunc(s.query, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			if k == arg && v == c.Args[1] {
				return true
			}
		}
	}
	return false
}

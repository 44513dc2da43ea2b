// Package lang loads haproute's HCL routing language, evaluates variables,
// locals, functions and dynamic blocks, parses when-expressions and
// type-checks everything into a Program.
//
// Every stage returns a partial result together with hcl.Diagnostics and
// keeps going after errors; only callers decide to stop at a boundary.
package lang

import (
	"net/netip"

	"github.com/hashicorp/hcl/v2"
)

// Program is a checked configuration: every reference resolved, every value
// validated. It is the compiler's input.
type Program struct {
	// Files are the loaded file names in declaration order.
	Files     []string
	Global    *Global
	Defaults  *Defaults
	Backends  []*Backend
	Frontends []*Frontend
}

// Backend returns the backend named name, or nil.
func (p *Program) Backend(name string) *Backend {
	for _, b := range p.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// Frontend returns the frontend named name, or nil.
func (p *Program) Frontend(name string) *Frontend {
	for _, f := range p.Frontends {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Global holds the typed global settings.
type Global struct {
	Maxconn  int
	Log      []string
	Nbthread int
	Raw      []Raw
	Range    hcl.Range
}

// Raw is one validated pass-through line.
type Raw struct {
	Text  string
	Range hcl.Range
}

// Defaults holds the typed defaults settings.
type Defaults struct {
	TimeoutConnect string
	TimeoutClient  string
	TimeoutServer  string
	LogFormat      string
	// LogFormatRange is the range of the log_format value.
	LogFormatRange hcl.Range
	// IdleCloseOnResponse (idle_close_on_response, default false, as in
	// HAProxy) keeps idle keep-alive connections open through a reload
	// until their next answer, for every mode http frontend that does not
	// say otherwise.
	IdleCloseOnResponse bool
	Raw                 []Raw
	Range               hcl.Range
}

// Backend is a checked backend block.
type Backend struct {
	Name           string
	Mode           string
	Balance        string
	TimeoutConnect string
	TimeoutServer  string
	TimeoutQueue   string
	HealthCheck    *HealthCheck
	Servers        []*Server
	Range          hcl.Range
	// Used is set when a route or frontend refers to the backend.
	Used bool
}

// HealthCheck is a backend's HTTP health check.
type HealthCheck struct {
	Method       string
	Path         string
	Interval     string
	ExpectStatus int
	Range        hcl.Range
}

// Server is a checked server block.
type Server struct {
	Name    string
	Host    string // IPv4, IPv6 (without brackets) or DNS name
	Port    int
	Weight  int
	Maxconn int
	Check   bool
	Backup  bool
	State   string
	Range   hcl.Range
}

// Frontend is a checked frontend block.
type Frontend struct {
	Name           string
	Mode           string
	Binds          []Bind
	DefaultBackend string
	TimeoutClient  string
	Maxconn        int
	// IdleCloseOnResponse is the frontend's idle_close_on_response; nil
	// means the defaults' value.
	IdleCloseOnResponse *bool
	Conditions          []*Condition
	// Rules are the deny, redirect and set_header blocks in declaration
	// order.
	Rules []*Rule
	// Routes are in declaration order; Route.Index is that position.
	Routes []*Route
	Range  hcl.Range
}

// Condition returns the named condition, or nil.
func (f *Frontend) Condition(name string) *Condition {
	for _, c := range f.Conditions {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Bind is one bind address.
type Bind struct {
	Addr  string
	Range hcl.Range
}

// Condition is a named condition block.
type Condition struct {
	Name  string
	Match Match
	Range hcl.Range
	Used  bool
}

// RuleKind tells deny, redirect and set_header apart.
type RuleKind int

// The rule kinds.
const (
	RuleDeny RuleKind = iota
	RuleRedirect
	RuleSetHeader
)

func (k RuleKind) String() string {
	switch k {
	case RuleDeny:
		return "deny"
	case RuleRedirect:
		return "redirect"
	default:
		return "set_header"
	}
}

// Rule is a deny, redirect or set_header block.
type Rule struct {
	Kind   RuleKind
	Name   string
	Match  Match
	Status int    // deny
	To     string // redirect
	Code   int    // redirect
	Header string // set_header
	Value  string // set_header
	Range  hcl.Range
}

// Route is a route block.
type Route struct {
	Name     string
	Match    Match
	Backend  string
	Priority int
	// Index is the declaration position among the frontend's routes.
	Index int
	Range hcl.Range
}

// Label is how diagnostics and comments name the route.
func (r *Route) Label() string { return blockLabel("route", r.Name, r.Range) }

// Label is how diagnostics and comments name the rule.
func (r *Rule) Label() string { return blockLabel(r.Kind.String(), r.Name, r.Range) }

func blockLabel(kind, name string, rng hcl.Range) string {
	if name != "" {
		return kind + " \"" + name + "\""
	}
	return kind + " at " + shortPos(rng)
}

// Match is the set of match attributes of a route, rule or condition.
type Match struct {
	Hosts        []Host
	Paths        []Str
	PathPrefixes []Str
	PathRegexes  []Str
	Methods      []Str
	// Headers are sorted by lower-cased name.
	Headers []Header
	Src     []CIDR
	NotSrc  []CIDR
	When    WhenExpr
	// WhenText is the canonical form of When (FormatWhen), "" without one.
	WhenText string
	Range    hcl.Range
}

// Empty reports whether the match has no attribute at all.
func (m *Match) Empty() bool {
	return len(m.Hosts) == 0 && m.PathKind() == PathNone && m.Others() == 0
}

// Others counts the match attributes other than host and path (method,
// header, src, not_src, when): rank criterion 4.
func (m *Match) Others() int {
	n := 0
	if len(m.Methods) > 0 {
		n++
	}
	if len(m.Headers) > 0 {
		n++
	}
	if len(m.Src) > 0 {
		n++
	}
	if len(m.NotSrc) > 0 {
		n++
	}
	if m.When != nil {
		n++
	}
	return n
}

// PathKind is the kind of path attribute a match has.
type PathKind int

// Path kinds in rank order: exact paths rank first.
const (
	PathExact PathKind = iota
	PathPrefix
	PathRegex
	PathNone
)

// PathKind returns which path attribute is set.
func (m *Match) PathKind() PathKind {
	switch {
	case len(m.Paths) > 0:
		return PathExact
	case len(m.PathPrefixes) > 0:
		return PathPrefix
	case len(m.PathRegexes) > 0:
		return PathRegex
	}
	return PathNone
}

// PathElems returns the elements of the path attribute that is set.
func (m *Match) PathElems() []Str {
	switch m.PathKind() {
	case PathExact:
		return m.Paths
	case PathPrefix:
		return m.PathPrefixes
	case PathRegex:
		return m.PathRegexes
	}
	return nil
}

// Str is a string value with its source range.
type Str struct {
	Value string
	Range hcl.Range
}

// Host is a host pattern: an exact name or a wildcard "*.SUFFIX".
type Host struct {
	// Name is the lower-cased exact host, or the suffix without "*." for a
	// wildcard.
	Name     string
	Wildcard bool
	// Labels is the number of labels of Name.
	Labels int
	Range  hcl.Range
}

// Pattern returns the host as written in canonical form.
func (h Host) Pattern() string {
	if h.Wildcard {
		return "*." + h.Name
	}
	return h.Name
}

// Header is a header name and the exact value it must have.
type Header struct {
	Name  string // canonical lower case
	Value string
	Range hcl.Range
}

// CIDR is a validated address prefix.
type CIDR struct {
	Prefix netip.Prefix
	Range  hcl.Range
}

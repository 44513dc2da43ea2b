// Package ir models an HAProxy configuration as plain data: the global and
// defaults sections, frontends with their ACLs and rules, backends with their
// servers, and the map and ACL files the configuration refers to.
//
// ir is a leaf package: it imports nothing else of haproute. Render turns a
// Config into haproxy.cfg text plus auxiliary files; it is the only code that
// assembles HAProxy configuration lines, and it quotes every user-supplied
// string so that it reaches HAProxy literally.
package ir

import (
	"github.com/hashicorp/hcl/v2"
)

// Config is one complete HAProxy configuration.
type Config struct {
	// Version is the configuration version written as "# _version=N".
	Version  int
	Global   Global
	Defaults Defaults
	// Frontends and Backends are kept in the order they are rendered
	// (sorted by name).
	Frontends []*Frontend
	Backends  []*Backend
	// Maps and ACLFiles are the auxiliary files, named relative to the
	// output directory.
	Maps     []*MapFile
	ACLFiles []*ACLFile
}

// Global is HAProxy's global section.
type Global struct {
	Maxconn  int
	Nbthread int
	Log      []string
	// StatsSocket, when set, is rendered as
	// "stats socket PATH mode 600 level admin expose-fd listeners".
	StatsSocket string
	// Raw holds validated extra lines, rendered as given.
	Raw []RawLine
}

// RawLine is a line the user asked to pass through as is (validated by the
// checker: no newline, no comment, a known keyword).
type RawLine struct {
	Text  string
	Range hcl.Range
}

// Defaults is HAProxy's (single) defaults section.
type Defaults struct {
	Mode           string
	TimeoutConnect string
	TimeoutClient  string
	TimeoutServer  string
	// LogFormat is a log-format string given by the operator; it is the one
	// place where log-format expressions are intended.
	LogFormat string
	Raw       []RawLine
}

// Frontend is a frontend section.
type Frontend struct {
	Name          string
	Mode          string
	Binds         []string
	Maxconn       int
	TimeoutClient string
	// IdleCloseOnResponse renders "option idle-close-on-response": at a
	// reload the old worker keeps idle keep-alive connections until it has
	// answered their next request with "Connection: close", instead of
	// closing them under the clients' feet.
	IdleCloseOnResponse bool
	ACLs                []*ACL
	Rules               []*Rule
	UseBackends         []*UseBackend
	DefaultBackend      string
	Range               hcl.Range
}

// ACL is a named ACL: "acl NAME FETCH -m MATCH PATTERN..." or, with File set,
// "acl NAME FETCH -m MATCH -f FILE".
type ACL struct {
	Name  string
	Fetch string // a sample fetch expression produced by the compiler (trusted)
	Match string // str, beg, end, reg, ip, found, ...
	// Patterns are literal user values; the renderer quotes them.
	Patterns []string
	// File is the ACL or map file holding the patterns, relative to the
	// output directory.
	File    string
	Comment string
	Range   hcl.Range
}

// Cond is a rule condition: an OR of AND-ed terms. An empty Cond means the
// rule applies unconditionally.
type Cond struct {
	Unless bool
	Or     [][]Term
}

// Term is one term of a condition: a named ACL or an anonymous ACL
// expression produced by the compiler, optionally negated.
type Term struct {
	Not bool
	// ACL names an ACL of the same section.
	ACL string
	// Anon is a trusted anonymous ACL body rendered as "{ Anon }".
	Anon string
}

// Action is the kind of an http-request (or tcp-request) rule.
type Action int

// The rule actions haproute emits.
const (
	ActionDeny Action = iota
	ActionRedirect
	ActionSetHeader
	ActionSetVar
)

// Rule is an "http-request ACTION ... [if|unless COND]" line.
type Rule struct {
	Action Action
	// Status for deny.
	Status int
	// Location (literal) and Code for redirect.
	Location string
	Code     int
	// Header and Value (literal) for set-header.
	Header string
	Value  string
	// Var and Expr (a trusted sample expression) for set-var.
	Var  string
	Expr string
	// MapConv and MapFile, when set, append a map lookup converter
	// ("map_str", "map_beg") on the named map file to Expr.
	MapConv string
	MapFile string
	Cond    Cond
	Comment string
	Range   hcl.Range
}

// UseBackend is a "use_backend NAME [if COND]" line. Backend may be a
// trusted log-format expression such as "%[var(txn.be)]".
type UseBackend struct {
	Backend string
	Cond    Cond
	Comment string
	Range   hcl.Range
}

// Backend is a backend section.
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
}

// HealthCheck is an HTTP health check ("option httpchk" + "http-check").
type HealthCheck struct {
	Method       string
	Path         string
	Interval     string
	ExpectStatus int
}

// Server is a server line.
type Server struct {
	Name    string
	Address string // host or IPv6 literal without brackets
	Port    int
	Weight  int
	// Maxconn is 0 when unset.
	Maxconn int
	Check   bool
	Backup  bool
	// State is "ready", "drain" or "maint".
	State string
	Range hcl.Range
}

// MapFile is a map file: one "KEY VALUE" line per entry.
type MapFile struct {
	Name    string
	Entries []MapEntry
}

// MapEntry is one line of a map file.
type MapEntry struct {
	Key   string
	Value string
	// Comment names the HCL source of the entry.
	Comment string
	Range   hcl.Range
}

// ACLFile is a pattern file: one pattern per line.
type ACLFile struct {
	Name    string
	Entries []ACLEntry
}

// ACLEntry is one line of an ACL file.
type ACLEntry struct {
	Pattern string
	Comment string
	Range   hcl.Range
}

// FindBackend returns the backend named name, or nil.
func (c *Config) FindBackend(name string) *Backend {
	for _, b := range c.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// FindFrontend returns the frontend named name, or nil.
func (c *Config) FindFrontend(name string) *Frontend {
	for _, f := range c.Frontends {
		if f.Name == name {
			return f
		}
	}
	return nil
}

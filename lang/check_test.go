package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// This file is the go/types-style diagnostics harness: every
// testdata/check/*.hcl file is parsed and checked, and the diagnostics must
// match the expectations written as comments on the offending lines:
//
//	host = ["a..b"]   # ERROR "Invalid host: .*empty label"
//	when = "x ||"     # ERROR@21 "Invalid when expression"
//	src  = ["10.0.0.1/8"]  # WARNING "host bits set.*10.0.0.0/8"
//
// The regexp is matched against "Summary: Detail". ERROR@COL also asserts
// the column of the diagnostic's subject. Several expectations may share a
// line; "//" works as well as "#". Matching goes both ways: every expected
// diagnostic must be produced on its line, and every produced diagnostic
// must be expected.
//
// An optional header comment on the first lines sets Options:
//
//	# VARS name=value name2=value2
//	# ENV HAPROUTE_VAR_name=value

// checkExpectation is one ERROR or WARNING comment.
type checkExpectation struct {
	line     int
	col      int // 0: any column
	severity hcl.DiagnosticSeverity
	rx       *regexp.Regexp
	text     string // as written, for messages
	matched  bool
}

var (
	checkMarkerRx    = regexp.MustCompile(`(?:#|//)\s*(?:ERROR|WARNING)\b`)
	checkDirectiveRx = regexp.MustCompile("(ERROR|WARNING)(?:@([0-9]+))?\\s+(\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`)")
	checkHeaderRx    = regexp.MustCompile(`^\s*#\s*(VARS|ENV)\s+(.*)$`)
)

// parseCheckExpectations reads the ERROR/WARNING comments of src.
func parseCheckExpectations(t *testing.T, name string, src []byte) []*checkExpectation {
	t.Helper()
	var out []*checkExpectation
	for i, line := range strings.Split(string(src), "\n") {
		loc := checkMarkerRx.FindStringIndex(line)
		if loc == nil {
			continue
		}
		rest := line[loc[0]:]
		ms := checkDirectiveRx.FindAllStringSubmatch(rest, -1)
		if len(ms) == 0 {
			t.Fatalf("%s:%d: malformed expectation %q", name, i+1, rest)
		}
		for _, m := range ms {
			e := &checkExpectation{line: i + 1, severity: hcl.DiagError, text: m[0]}
			if m[1] == "WARNING" {
				e.severity = hcl.DiagWarning
			}
			if m[2] != "" {
				e.col, _ = strconv.Atoi(m[2])
			}
			pat := m[3]
			if pat[0] == '`' {
				pat = pat[1 : len(pat)-1]
			} else {
				var err error
				if pat, err = strconv.Unquote(pat); err != nil {
					t.Fatalf("%s:%d: bad expectation string %s: %v", name, i+1, m[3], err)
				}
			}
			rx, err := regexp.Compile(pat)
			if err != nil {
				t.Fatalf("%s:%d: bad expectation regexp %q: %v", name, i+1, pat, err)
			}
			e.rx = rx
			out = append(out, e)
		}
	}
	return out
}

// parseCheckOptions reads the optional VARS / ENV header comments.
func parseCheckOptions(t *testing.T, name string, src []byte) Options {
	t.Helper()
	opts := Options{}
	env := map[string]string{}
	for i, line := range strings.Split(string(src), "\n") {
		m := checkHeaderRx.FindStringSubmatch(line)
		if m == nil {
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			break // the header ends at the first non-comment line
		}
		for _, kv := range strings.Fields(m[2]) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("%s:%d: %s entry %q is not NAME=VALUE", name, i+1, m[1], kv)
			}
			if m[1] == "VARS" {
				if opts.Vars == nil {
					opts.Vars = map[string]string{}
				}
				opts.Vars[k] = v
			} else {
				env[k] = v
			}
		}
	}
	if len(env) > 0 {
		opts.Env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	return opts
}

func diagText(d *hcl.Diagnostic) string { return d.Summary + ": " + d.Detail }

func diagPos(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	if d.Subject == nil {
		return "?:?: " + sev
	}
	return fmt.Sprintf("%s:%d:%d: %s", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, sev)
}

// checkSource parses and checks one file's source.
func checkSource(name string, src []byte, opts Options) (*Program, hcl.Diagnostics) {
	f, diags := Parse(src, name)
	prog, d := Check([]*File{f}, opts)
	return prog, append(diags, d...)
}

// matchDiagnostics compares produced diagnostics to expectations both ways
// and returns one message per mismatch.
func matchDiagnostics(name string, diags hcl.Diagnostics, exps []*checkExpectation) []string {
	var problems []string
	var rest hcl.Diagnostics
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename != name || d.Subject.Start.Line < 1 || d.Subject.Start.Column < 1 {
			problems = append(problems, fmt.Sprintf("diagnostic without a position in the file: %s %q", diagPos(d), diagText(d)))
			continue
		}
		rest = append(rest, d)
	}
	used := make([]bool, len(rest))
	// Expectations with a column first, so a column-less expectation on the
	// same line cannot take their diagnostic.
	sorted := append([]*checkExpectation(nil), exps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].col > sorted[j].col })
	for _, e := range sorted {
		for i, d := range rest {
			if used[i] || d.Subject.Start.Line != e.line || d.Severity != e.severity || !e.rx.MatchString(diagText(d)) {
				continue
			}
			if e.col != 0 && d.Subject.Start.Column != e.col {
				continue
			}
			used[i], e.matched = true, true
			break
		}
	}
	for _, e := range exps {
		if e.matched {
			continue
		}
		var onLine []string
		for _, d := range rest {
			if d.Subject.Start.Line == e.line {
				onLine = append(onLine, fmt.Sprintf("%s %q", diagPos(d), diagText(d)))
			}
		}
		msg := fmt.Sprintf("%s:%d: missing diagnostic %s", filepath.Base(name), e.line, e.text)
		if len(onLine) > 0 {
			msg += "\n\ton this line instead: " + strings.Join(onLine, "\n\t                     ")
		}
		problems = append(problems, msg)
	}
	for i, d := range rest {
		if !used[i] {
			problems = append(problems, fmt.Sprintf("%s: unexpected diagnostic %q", diagPos(d), diagText(d)))
		}
	}
	return problems
}

func TestCheckFiles(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "check", "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no testdata/check/*.hcl files")
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			exps := parseCheckExpectations(t, name, src)
			prog, diags := checkSource(name, src, parseCheckOptions(t, name, src))
			if prog == nil {
				t.Fatal("Check returned a nil Program")
			}
			for _, p := range matchDiagnostics(name, diags, exps) {
				t.Error(p)
			}
		})
	}
}

// TestCheckHarness makes sure the harness itself fails on a missing, an
// unexpected, a wrong-column and a wrong-severity diagnostic.
func TestCheckHarness(t *testing.T) {
	for _, good := range []string{
		"backend \"b\" { # WARNING \"Unused backend\" WARNING \"no servers\"\n}\n",
		"backend \"b\" { // WARNING@1 `^Unused backend \"b\"` // WARNING `no servers`\n}\n",
	} {
		src := []byte(good)
		_, diags := checkSource("h.hcl", src, Options{})
		if p := matchDiagnostics("h.hcl", diags, parseCheckExpectations(t, "h.hcl", src)); len(p) != 0 {
			t.Errorf("valid expectations in %q reported problems: %v", good, p)
		}
	}
	for _, bad := range []string{
		"backend \"b\" { # WARNING \"Unused backend\"\n}\n",                                      // unexpected "no servers"
		"backend \"b\" { # WARNING \"Unused backend\" WARNING \"no servers\" WARNING \"x\"\n}\n", // missing "x"
		"backend \"b\" { # ERROR \"Unused backend\" WARNING \"no servers\"\n}\n",                 // wrong severity
		"backend \"b\" { # WARNING@2 \"Unused backend\" WARNING \"no servers\"\n}\n",             // wrong column
		"# WARNING \"Unused backend\" WARNING \"no servers\"\nbackend \"b\" {\n}\n",              // wrong line
	} {
		src := []byte(bad)
		_, diags := checkSource("h.hcl", src, Options{})
		if p := matchDiagnostics("h.hcl", diags, parseCheckExpectations(t, "h.hcl", src)); len(p) == 0 {
			t.Errorf("harness accepted wrong expectations in %q", bad)
		}
	}
}

// TestCheckVariableSources checks where variable values come from: -var
// (Options.Vars) first, then HAPROUTE_VAR_NAME (Options.Env), then the
// default; typed variables parse the text as an HCL expression.
func TestCheckVariableSources(t *testing.T) {
	const src = `
variable "port" {
  type    = number
  default = 9001
}
variable "host" {
  default = "default.example.com"
}
backend "b" {
  server "s" { address = "127.0.0.1:${var.port}" }
}
frontend "f" {
  bind = ["127.0.0.1:8080"]
  route "r" {
    host    = [var.host]
    backend = backend.b
  }
}
`
	tests := []struct {
		name     string
		vars     map[string]string
		env      map[string]string
		wantPort int
		wantHost string
		wantErr  string // regexp on "Summary: Detail"; "" means no diagnostics
	}{
		{name: "defaults", wantPort: 9001, wantHost: "default.example.com"},
		{name: "var", vars: map[string]string{"port": "9100", "host": "var.example.com"}, wantPort: 9100, wantHost: "var.example.com"},
		{name: "env", env: map[string]string{"HAPROUTE_VAR_port": "9200", "HAPROUTE_VAR_host": "env.example.com"}, wantPort: 9200, wantHost: "env.example.com"},
		{
			name:     "var beats env",
			vars:     map[string]string{"port": "9100"},
			env:      map[string]string{"HAPROUTE_VAR_port": "9200", "HAPROUTE_VAR_host": "env.example.com"},
			wantPort: 9100, wantHost: "env.example.com",
		},
		{name: "env name is case-sensitive", env: map[string]string{"HAPROUTE_VAR_PORT": "9200"}, wantPort: 9001, wantHost: "default.example.com"},
		{name: "env expression for a number", env: map[string]string{"HAPROUTE_VAR_port": "9000 + 5"}, wantPort: 9005, wantHost: "default.example.com"},
		{name: "string is taken literally", vars: map[string]string{"host": "${x}.example.com"}, wantHost: "${x}.example.com", wantPort: 9001, wantErr: `Invalid host`},
		{name: "bad number from env", env: map[string]string{"HAPROUTE_VAR_port": "eighty"}, wantErr: `^Invalid value for variable port: The value from HAPROUTE_VAR_port (cannot be evaluated|is not a number)`},
		{name: "bad number from var", vars: map[string]string{"port": "80 +"}, wantErr: `^Invalid value for variable port: The value from -var port is not a valid HCL expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Vars: tt.vars}
			if tt.env != nil {
				opts.Env = func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			}
			prog, diags := checkSource("v.hcl", []byte(src), opts)
			if tt.wantErr == "" {
				if len(diags) != 0 {
					t.Fatalf("unexpected diagnostics: %v", diags)
				}
			} else {
				rx := regexp.MustCompile(tt.wantErr)
				found := false
				for _, d := range diags {
					if d.Severity == hcl.DiagError && rx.MatchString(diagText(d)) {
						found = true
					}
				}
				if !found {
					t.Fatalf("no error matching %q in %v", tt.wantErr, diags)
				}
				return
			}
			s := prog.Backend("b").Servers[0]
			if s.Port != tt.wantPort {
				t.Errorf("port = %d, want %d", s.Port, tt.wantPort)
			}
			r := prog.Frontend("f").Routes[0]
			if len(r.Match.Hosts) != 1 || r.Match.Hosts[0].Pattern() != tt.wantHost {
				t.Errorf("hosts = %v, want [%s]", r.Match.Hosts, tt.wantHost)
			}
		})
	}
}

// TestCheckFunctions evaluates every function through Check: the expression
// is the value of a set_header block, read back from the Program.
func TestCheckFunctions(t *testing.T) {
	tests := []struct {
		expr, want string
		err        bool // the expression must be rejected
	}{
		{expr: `cidrsubnet("10.0.0.0/8", 8, 2)`, want: "10.2.0.0/16"},
		{expr: `cidrhost("10.0.0.0/24", 5)`, want: "10.0.0.5"},
		{expr: `cidrsubnet("192.168.0.0/16", 8, 255)`, want: "192.168.255.0/24"},
		{expr: `cidrsubnet("2001:db8::/32", 16, 1)`, want: "2001:db8:1::/48"},
		{expr: `cidrhost("10.0.0.0/24", -1)`, want: "10.0.0.255"},
		{expr: `cidrhost("2001:db8::/64", 16)`, want: "2001:db8::10"},
		{expr: `join(",", concat(["a"], ["b", "c"]))`, want: "a,b,c"},
		{expr: `tostring(true)`, err: true}, // not a haproute function
		{expr: `file("/etc/passwd")`, err: true},
		{expr: `format("%t", contains(["a", "b"], "b"))`, want: "true"},
		{expr: `join(",", distinct(["a", "b", "a"]))`, want: "a,b"},
		{expr: `join(",", flatten([["a"], ["b", ["c"]]]))`, want: "a,b,c"},
		{expr: `format("%s-%03d", "x", 7)`, want: "x-007"},
		{expr: `format("%d", length([1, 2, 3]))`, want: "3"},
		{expr: `lower("MiXeD")`, want: "mixed"},
		{expr: `upper("MiXeD")`, want: "MIXED"},
		{expr: `merge({ a = "1", b = "2" }, { b = "3" }).b`, want: "3"},
		{expr: `join(",", [for n in range(2, 5) : format("%d", n)])`, want: "2,3,4"},
		{expr: `join("|", split(",", "a,b,c"))`, want: "a|b|c"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			src := fmt.Sprintf(`
backend "b" {
  server "s" { address = "127.0.0.1:9001" }
}
frontend "f" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.b
  set_header "h" {
    header = "X-R"
    value  = %s
  }
}
`, tt.expr)
			prog, diags := checkSource("fn.hcl", []byte(src), Options{})
			if tt.err {
				if !diags.HasErrors() {
					t.Fatalf("%s: expected an error", tt.expr)
				}
				return
			}
			if len(diags) != 0 {
				t.Fatalf("unexpected diagnostics: %v", diags)
			}
			if got := prog.Frontend("f").Rules[0].Value; got != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

// TestCheckCIDRFunctionsInProgram checks cidrsubnet and cidrhost results
// where they matter: a route's src and a server's address.
func TestCheckCIDRFunctionsInProgram(t *testing.T) {
	const src = `
backend "b" {
  server "s" { address = "${cidrhost("10.0.0.0/24", 5)}:80" }
}
frontend "f" {
  bind = ["127.0.0.1:8080"]
  route "r" {
    src     = [cidrsubnet("10.0.0.0/8", 8, 2)]
    backend = backend.b
  }
}
`
	prog, diags := checkSource("cidr.hcl", []byte(src), Options{})
	if len(diags) != 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if got := prog.Backend("b").Servers[0].Host; got != "10.0.0.5" {
		t.Errorf(`cidrhost("10.0.0.0/24", 5) = %q, want "10.0.0.5"`, got)
	}
	src0 := prog.Frontend("f").Routes[0].Match.Src
	if len(src0) != 1 || src0[0].Prefix.String() != "10.2.0.0/16" {
		t.Errorf(`cidrsubnet("10.0.0.0/8", 8, 2) = %v, want [10.2.0.0/16]`, src0)
	}
}

// TestCheckCIDRFunctionErrors checks that out-of-range arguments are errors
// at the call.
func TestCheckCIDRFunctionErrors(t *testing.T) {
	for _, expr := range []string{
		`cidrsubnet("10.0.0.0/8", 25, 0)`,
		`cidrsubnet("10.0.0.0/8", 8, 256)`,
		`cidrsubnet("not a cidr", 8, 0)`,
		`cidrhost("10.0.0.0/24", 256)`,
		`cidrhost("10.0.0.0/24", 1.5)`,
	} {
		src := fmt.Sprintf("locals {\n  x = %s\n}\n", expr)
		_, diags := checkSource("e.hcl", []byte(src), Options{})
		if !diags.HasErrors() {
			t.Errorf("%s: no error", expr)
			continue
		}
		for _, d := range diags {
			if d.Severity == hcl.DiagError && (d.Subject == nil || d.Subject.Start.Line != 2) {
				t.Errorf("%s: error not on line 2: %s %q", expr, diagPos(d), diagText(d))
			}
		}
	}
}

// TestCheckDynamicProgram checks what testdata/check/dynamic.hcl generates.
func TestCheckDynamicProgram(t *testing.T) {
	name := filepath.Join("testdata", "check", "dynamic.hcl")
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	prog, diags := checkSource(name, src, Options{})
	if len(diags) != 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	var servers []string
	for _, s := range prog.Backend("pool").Servers {
		servers = append(servers, fmt.Sprintf("%s=%s:%d/%d", s.Name, s.Host, s.Port, s.Weight))
	}
	if got, want := strings.Join(servers, " "), "s0=127.0.0.1:9001/100 s1=127.0.0.1:9002/101 s2=127.0.0.1:9003/102"; got != want {
		t.Errorf("servers = %s, want %s", got, want)
	}
	fe := prog.Frontend("main")
	var routes []string
	for _, r := range fe.Routes {
		var hosts []string
		for _, h := range r.Match.Hosts {
			hosts = append(hosts, h.Pattern())
		}
		var paths []string
		for _, p := range r.Match.PathElems() {
			paths = append(paths, p.Value)
		}
		routes = append(routes, fmt.Sprintf("%s[%s|%s|p%d]->%s", r.Name, strings.Join(hosts, ","), strings.Join(paths, ","), r.Priority, r.Backend))
	}
	want := []string{
		"acme[acme.example.com,*.acme.example.com||p0]->acme",
		"globex[globex.example.com,*.globex.example.com||p0]->globex",
		"[|/a/|p1]->pool",
		"[|/b/|p2]->pool",
		"internal[|/internal/|p0]->pool",
	}
	if got := strings.Join(routes, " "); got != strings.Join(want, " ") {
		t.Errorf("routes =\n%s\nwant\n%s", strings.Join(routes, "\n"), strings.Join(want, "\n"))
	}
	var rules []string
	for _, r := range fe.Rules {
		rules = append(rules, fmt.Sprintf("%s:%s:%d", r.Kind, r.Name, r.Status))
	}
	if got, want := strings.Join(rules, " "), "deny:deny_0:403 deny:deny_1:403"; got != want {
		t.Errorf("rules = %s, want %s", got, want)
	}
	var conds []string
	for _, c := range fe.Conditions {
		conds = append(conds, c.Name+"="+c.Match.Src[0].Prefix.String())
	}
	sort.Strings(conds)
	if got, want := strings.Join(conds, " "), "lab=198.51.100.0/24 office=192.0.2.0/24"; got != want {
		t.Errorf("conditions = %s, want %s", got, want)
	}
}

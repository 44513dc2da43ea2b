package applier_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// ubase is the configuration most plan cases start from: servers in a
// dynamic and a "balance source" backend, plain routes (one map), a src
// route (one ACL file) and two unconditional rules.
const ubase = `
global {
  maxconn = 4096
}

defaults {
  timeout_client = "30s"
}

backend "web" {
  server "s1" {
    address = "127.0.0.1:9001"
  }
  server "s2" {
    address = "127.0.0.1:9002"
    maxconn = 50
  }
}

backend "api" {
  server "a1" {
    address = "127.0.0.1:9101"
  }
}

backend "sticky" {
  balance = "source"
  server "t1" {
    address = "127.0.0.1:9201"
  }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web
  maxconn         = 1000

  set_header "proto" {
    header = "X-Forwarded-Proto"
    value  = "http"
  }
  set_header "via" {
    header = "Via"
    value  = "haproute"
  }

  route "api" {
    host    = ["api.test"]
    backend = backend.api
  }
  route "sticky" {
    host    = ["sticky.test"]
    backend = backend.sticky
  }
  route "office" {
    src     = ["10.0.0.0/8"]
    backend = backend.api
  }
}
`

// ucompile type-checks and compiles one HCL file named test.hcl, failing
// the test on errors (warnings are fine).
func ucompile(t *testing.T, src string) *ir.Config {
	t.Helper()
	f, diags := lang.Parse([]byte(src), "test.hcl")
	prog, d := lang.Check([]*lang.File{f}, lang.Options{})
	diags = append(diags, d...)
	if diags.HasErrors() {
		t.Fatalf("check:\n%v\n%s", diags, src)
	}
	cfg, d := compiler.Compile(prog, compiler.Options{})
	if d.HasErrors() {
		t.Fatalf("compile: %v", d)
	}
	return cfg
}

// urep applies replacements to src: pairs is old1, new1, old2, new2, ...,
// and each old string must occur exactly once.
func urep(t *testing.T, src string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := strings.Count(src, pairs[i]); n != 1 {
			t.Fatalf("urep: %q occurs %d times", pairs[i], n)
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

// Fragments of ubase that the cases below change.
const (
	uS1      = "    address = \"127.0.0.1:9001\"\n"
	uS2      = "    address = \"127.0.0.1:9002\"\n    maxconn = 50\n"
	uWebEnd  = "    maxconn = 50\n  }\n}\n"
	uFeEnd   = "    backend = backend.api\n  }\n}\n"
	uProto   = "  set_header \"proto\" {\n    header = \"X-Forwarded-Proto\"\n    value  = \"http\"\n  }\n"
	uVia     = "  set_header \"via\" {\n    header = \"Via\"\n    value  = \"haproute\"\n  }\n"
	uSticky  = "  route \"sticky\" {\n    host    = [\"sticky.test\"]\n    backend = backend.sticky\n  }\n"
	uOffice  = `src     = ["10.0.0.0/8"]`
	uMaxconn = "  maxconn         = 1000\n"
	uBind    = `bind            = ["127.0.0.1:8080"]`
	uHostMap = "main.routes.p0.host.all.map"
	uSrcACL  = "main.route.office.src.acl"
)

// uAddServer returns ubase with a server block added to backend web.
func uAddServer(t *testing.T, block string) string {
	t.Helper()
	return urep(t, ubase, uWebEnd, "    maxconn = 50\n  }\n"+block+"}\n")
}

// uAddToFrontend returns src (ubase or a variant) with blocks added at the
// end of frontend main.
func uAddToFrontend(t *testing.T, src, blocks string) string {
	t.Helper()
	return urep(t, src, uFeEnd, "    backend = backend.api\n  }\n"+blocks+"}\n")
}

// uRuleLines is the rule list of frontend fe as Diff compares it.
func uRuleLines(cfg *ir.Config, fe string) string {
	f := cfg.FindFrontend(fe)
	var out []string
	for _, r := range f.Rules {
		out = append(out, ir.RuleLine(f.Mode, r))
	}
	for _, u := range f.UseBackends {
		out = append(out, ir.UseBackendLine(u))
	}
	return strings.Join(out, "\n")
}

var uCmpOpts = cmp.Options{
	cmpopts.IgnoreUnexported(applier.Change{}),
	cmpopts.IgnoreFields(applier.Change{}, "Range"),
	cmpopts.EquateEmpty(),
}

func TestDiff(t *testing.T) {
	const (
		reloadServer = "health checks of an existing server change with a reload"
		rulesReason  = "rules change with a reload"
		mapReason    = "the map file itself is added or removed"
		feMaxReason  = "the limit can only be changed, not set or removed, at runtime"
	)
	withWWW := uAddToFrontend(t, ubase, "  route \"www\" {\n    host    = [\"www.test\"]\n    backend = backend.web\n  }\n")
	swapped := urep(t, ubase, uProto+uVia, uVia+uProto)
	withP5 := uAddToFrontend(t, ubase, "  route \"p5\" {\n    host     = [\"p5.test\"]\n    priority = 5\n    backend  = backend.web\n  }\n")
	p5Rule := "http-request set-var(txn.hr_be) var(txn.hr_host),map_str(main.routes.p5.host.all.map) if !{ var(txn.hr_be) -m found }"
	withExtra := urep(t, ubase, `backend "api" {`, "backend \"extra\" {\n  server \"e1\" {\n    address = \"127.0.0.1:9301\"\n  }\n}\n\nbackend \"api\" {")
	withAdmin := uAddToFrontend(t, ubase, "}\n\nfrontend \"admin\" {\n  bind            = [\"127.0.0.1:8081\"]\n  default_backend = backend.web\n")
	twoCIDRs := urep(t, ubase, uOffice, `src     = ["10.0.0.0/8", "192.168.0.0/16"]`)

	cases := []struct {
		name          string
		live, desired string // HCL; live defaults to ubase
		want          []applier.Change
		// knownIssue, when set, skips the case: it describes a bug outside
		// the applier that makes the plan larger than it should be.
		knownIssue string
	}{
		{name: "no change", desired: ubase},
		{
			name:    "map entry added",
			desired: withWWW,
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindMapEntry, Section: uHostMap, Name: "www.test", After: "web", Via: applier.Runtime}},
		},
		{
			name:    "plain route added before a conditional route",
			desired: urep(t, ubase, uSticky, uSticky+"  route \"www\" {\n    host    = [\"www.test\"]\n    backend = backend.web\n  }\n"),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindMapEntry, Section: uHostMap, Name: "www.test", After: "web", Via: applier.Runtime}},
		},
		{
			name:    "host added to a route",
			desired: urep(t, ubase, `host    = ["api.test"]`, `host    = ["api.test", "api2.test"]`),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindMapEntry, Section: uHostMap, Name: "api2.test", After: "api", Via: applier.Runtime}},
		},
		{
			name:    "map entry removed",
			live:    withWWW,
			desired: ubase,
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindMapEntry, Section: uHostMap, Name: "www.test", Before: "web", Via: applier.Runtime}},
		},
		{
			name:    "plain route removed before a conditional route",
			desired: urep(t, ubase, uSticky, ""),
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindMapEntry, Section: uHostMap, Name: "sticky.test", Before: "sticky", Via: applier.Runtime}},
		},
		{
			name:    "map entry retargeted",
			desired: urep(t, ubase, "[\"api.test\"]\n    backend = backend.api", "[\"api.test\"]\n    backend = backend.web"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindMapEntry, Section: uHostMap, Name: "api.test", Before: "api", After: "web", Via: applier.Runtime}},
		},
		{
			name:    "server added",
			desired: uAddServer(t, "  server \"s3\" {\n    address = \"127.0.0.1:9003\"\n  }\n"),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindServer, Section: "web", Name: "s3", After: "server s3 127.0.0.1:9003 weight 100", Via: applier.Runtime}},
		},
		{
			name:    "server added to a balance source backend",
			desired: urep(t, ubase, "127.0.0.1:9201\"\n  }\n", "127.0.0.1:9201\"\n  }\n  server \"t2\" {\n    address = \"127.0.0.1:9202\"\n  }\n"),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindServer, Section: "sticky", Name: "t2", After: "server t2 127.0.0.1:9202 weight 100", Via: applier.Reload, Reason: "balance source does not allow adding servers at runtime"}},
		},
		{
			name:    "server added with a DNS name",
			desired: uAddServer(t, "  server \"s3\" {\n    address = \"app.internal:9003\"\n  }\n"),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindServer, Section: "web", Name: "s3", After: "server s3 app.internal:9003 weight 100 init-addr last,libc,none", Via: applier.Reload, Reason: "a DNS name is not resolved for servers added at runtime"}},
		},
		{
			name:    "server removed",
			desired: urep(t, ubase, "  server \"s1\" {\n"+uS1+"  }\n", ""),
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "server s1 127.0.0.1:9001 weight 100", Via: applier.Runtime}},
		},
		{
			name:    "server weight",
			desired: urep(t, ubase, uS1, uS1+"    weight  = 50\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.1:9001 weight 50 state ready", Via: applier.Runtime}},
		},
		{
			name:    "server state maint",
			desired: urep(t, ubase, uS1, uS1+"    state   = \"maint\"\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.1:9001 weight 100 state maint", Via: applier.Runtime}},
		},
		{
			name:    "server state drain",
			desired: urep(t, ubase, uS1, uS1+"    state   = \"drain\"\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.1:9001 weight 100 state drain", Via: applier.Runtime}},
		},
		{
			name:    "server back from drain",
			live:    urep(t, ubase, uS1, uS1+"    state   = \"drain\"\n"),
			desired: ubase,
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state drain", After: "127.0.0.1:9001 weight 100 state ready", Via: applier.Runtime}},
		},
		{
			name:    "server address",
			desired: urep(t, ubase, uS1, `    address = "127.0.0.2:9011"`+"\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.2:9011 weight 100 state ready", Via: applier.Runtime}},
		},
		{
			name:    "server address to a DNS name",
			desired: urep(t, ubase, uS1, `    address = "app.internal:9001"`+"\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "app.internal:9001 weight 100 state ready", Via: applier.Reload, Reason: "a DNS name is not resolved at runtime"}},
		},
		{
			name:    "server maxconn changed",
			desired: urep(t, ubase, uS2, "    address = \"127.0.0.1:9002\"\n    maxconn = 80\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s2", Before: "127.0.0.1:9002 weight 100 state ready maxconn 50", After: "127.0.0.1:9002 weight 100 state ready maxconn 80", Via: applier.Runtime}},
		},
		{
			name:    "server maxconn set",
			desired: urep(t, ubase, uS1, uS1+"    maxconn = 10\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.1:9001 weight 100 state ready maxconn 10", Via: applier.Runtime}},
		},
		{
			name:    "server maxconn unset",
			desired: urep(t, ubase, uS2, "    address = \"127.0.0.1:9002\"\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s2", Before: "127.0.0.1:9002 weight 100 state ready maxconn 50", After: "127.0.0.1:9002 weight 100 state ready", Via: applier.Reload, Reason: "maxconn cannot be unset at runtime"}},
		},
		{
			name:    "server check toggled",
			desired: urep(t, ubase, uS1, uS1+"    check   = true\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.1:9001 weight 100 state ready check", Via: applier.Reload, Reason: reloadServer}},
		},
		{
			name:    "server backup toggled",
			desired: urep(t, ubase, uS1, uS1+"    backup  = true\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state ready", After: "127.0.0.1:9001 weight 100 state ready backup", Via: applier.Reload, Reason: "backup changes with a reload"}},
		},
		{
			name:    "acl entry added",
			desired: twoCIDRs,
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindACLEntry, Section: uSrcACL, Name: "192.168.0.0/16", After: "192.168.0.0/16", Via: applier.Runtime}},
		},
		{
			name:    "acl entry removed",
			live:    twoCIDRs,
			desired: ubase,
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindACLEntry, Section: uSrcACL, Name: "192.168.0.0/16", Before: "192.168.0.0/16", Via: applier.Runtime}},
		},
		{
			name:    "frontend maxconn changed",
			desired: urep(t, ubase, uMaxconn, "  maxconn         = 2000\n"),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindFrontendMaxconn, Section: "main", Name: "maxconn", Before: "1000", After: "2000", Via: applier.Runtime}},
		},
		{
			name:    "frontend maxconn set from unset",
			live:    urep(t, ubase, uMaxconn, ""),
			desired: ubase,
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindFrontendMaxconn, Section: "main", Name: "maxconn", After: "1000", Via: applier.Reload, Reason: feMaxReason}},
		},
		{
			name:    "frontend maxconn removed",
			desired: urep(t, ubase, uMaxconn, ""),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindFrontendMaxconn, Section: "main", Name: "maxconn", Before: "1000", Via: applier.Reload, Reason: feMaxReason}},
		},
		{
			name:    "backend added",
			desired: withExtra,
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindBackend, Name: "extra", After: "extra", Via: applier.Reload, Reason: "backends cannot be added at runtime"}},
		},
		{
			name:    "backend removed",
			live:    withExtra,
			desired: ubase,
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindBackend, Name: "extra", Before: "extra", Via: applier.Reload, Reason: "backends cannot be removed at runtime"}},
		},
		{
			name:    "backend balance changed",
			desired: urep(t, ubase, `balance = "source"`, `balance = "leastconn"`),
			want:    []applier.Change{{Action: applier.Update, Kind: applier.KindBackend, Section: "sticky", Name: "balance", Before: "source", After: "leastconn", Via: applier.Reload, Reason: "balance is read at start-up"}},
		},
		{
			name:    "frontend added",
			desired: withAdmin,
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindFrontend, Name: "admin", After: "admin", Via: applier.Reload, Reason: "frontends cannot be added at runtime"}},
		},
		{
			name:    "frontend removed",
			live:    withAdmin,
			desired: ubase,
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindFrontend, Name: "admin", Before: "admin", Via: applier.Reload, Reason: "frontends cannot be removed at runtime"}},
		},
		{
			name:    "bind added",
			desired: urep(t, ubase, uBind, `bind            = ["127.0.0.1:8080", "127.0.0.1:8443"]`),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindBind, Section: "main", Name: "127.0.0.1:8443", After: "127.0.0.1:8443", Via: applier.Reload, Reason: "listening addresses change with a reload"}},
		},
		{
			name:    "rule added",
			desired: urep(t, ubase, uVia, uVia+"  set_header \"extra\" {\n    header = \"X-Extra\"\n    value  = \"1\"\n  }\n"),
			want:    []applier.Change{{Action: applier.Create, Kind: applier.KindRule, Section: "main", Name: "http-request set-header X-Extra 1", After: "http-request set-header X-Extra 1", Via: applier.Reload, Reason: rulesReason}},
		},
		{
			name:    "rule with a condition added",
			desired: urep(t, ubase, uVia, uVia+"  deny \"trace\" {\n    method = [\"TRACE\"]\n    status = 405\n  }\n"),
			want: []applier.Change{
				{Action: applier.Create, Kind: applier.KindACL, Section: "main", Name: "acl deny.trace_method method -m str -- TRACE", After: "acl deny.trace_method method -m str -- TRACE", Via: applier.Reload, Reason: "ACL definitions change with a reload"},
				{Action: applier.Create, Kind: applier.KindRule, Section: "main", Name: "http-request deny deny_status 405 if deny.trace_method", After: "http-request deny deny_status 405 if deny.trace_method", Via: applier.Reload, Reason: rulesReason},
			},
		},
		{
			name:    "rule order swapped",
			desired: swapped,
			want: []applier.Change{{Action: applier.Update, Kind: applier.KindRule, Section: "main", Name: "order",
				Before: uRuleLines(ucompile(t, ubase), "main"), After: uRuleLines(ucompile(t, swapped), "main"),
				Via: applier.Reload, Reason: "rule order changed"}},
		},
		{
			name:    "rule order swapped and a rule added",
			desired: urep(t, swapped, uProto, uProto+"  deny \"trace\" {\n    method = [\"TRACE\"]\n    status = 405\n  }\n"),
			want: []applier.Change{
				{Action: applier.Create, Kind: applier.KindACL, Section: "main", Name: "acl deny.trace_method method -m str -- TRACE", After: "acl deny.trace_method method -m str -- TRACE", Via: applier.Reload, Reason: "ACL definitions change with a reload"},
				{Action: applier.Create, Kind: applier.KindRule, Section: "main", Name: "http-request deny deny_status 405 if deny.trace_method", After: "http-request deny deny_status 405 if deny.trace_method", Via: applier.Reload, Reason: rulesReason},
				// The order change lists the rules present on both sides.
				{Action: applier.Update, Kind: applier.KindRule, Section: "main", Name: "order",
					Before: uRuleLines(ucompile(t, ubase), "main"), After: uRuleLines(ucompile(t, swapped), "main"),
					Via: applier.Reload, Reason: "rule order changed"},
			},
		},
		{
			name:    "global settings",
			desired: urep(t, ubase, "  maxconn = 4096\n", "  maxconn = 8192\n  log     = [\"stdout format raw local0\"]\n"),
			want: []applier.Change{
				{Action: applier.Update, Kind: applier.KindGlobal, Section: "global", Name: "maxconn", Before: "4096", After: "8192", Via: applier.Reload, Reason: "maxconn is read at start-up"},
				{Action: applier.Create, Kind: applier.KindGlobal, Section: "global", Name: "stdout format raw local0", After: "stdout format raw local0", Via: applier.Reload, Reason: "log targets are read at start-up"},
				{Action: applier.Create, Kind: applier.KindDefaults, Section: "defaults", Name: "log global", After: "log global", Via: applier.Reload, Reason: "defaults are read at start-up"},
			},
		},
		{
			name:    "global raw line removed",
			live:    urep(t, ubase, "  maxconn = 4096\n", "  maxconn = 4096\n  raw     = [\"tune.bufsize 32768\"]\n"),
			desired: ubase,
			want:    []applier.Change{{Action: applier.Delete, Kind: applier.KindGlobal, Section: "global", Name: "tune.bufsize 32768", Before: "tune.bufsize 32768", Via: applier.Reload, Reason: "global settings are read at start-up"}},
		},
		{
			name:    "defaults settings",
			desired: urep(t, ubase, `timeout_client = "30s"`, "timeout_client = \"1m\"\n  raw            = [\"retries 3\"]"),
			want: []applier.Change{
				{Action: applier.Update, Kind: applier.KindDefaults, Section: "defaults", Name: "timeout client", Before: "30s", After: "1m", Via: applier.Reload, Reason: "timeout client is read at start-up"},
				{Action: applier.Create, Kind: applier.KindDefaults, Section: "defaults", Name: "retries 3", After: "retries 3", Via: applier.Reload, Reason: "defaults are read at start-up"},
			},
		},
		{
			name:    "idle-close-on-response turned on",
			desired: urep(t, ubase, `timeout_client = "30s"`, "timeout_client = \"30s\"\n  idle_close_on_response = true"),
			want: []applier.Change{
				{Action: applier.Create, Kind: applier.KindFrontend, Section: "main", Name: "option idle-close-on-response", After: "on", Via: applier.Reload, Reason: "option idle-close-on-response is read at start-up"},
			},
		},
		{
			name:    "new map file",
			desired: withP5,
			want: []applier.Change{
				{Action: applier.Create, Kind: applier.KindRule, Section: "main", Name: p5Rule, After: p5Rule, Via: applier.Reload, Reason: rulesReason},
				{Action: applier.Create, Kind: applier.KindMapEntry, Section: "main.routes.p5.host.all.map", Name: "p5.test", After: "web", Via: applier.Reload, Reason: mapReason},
			},
		},
		{
			name:    "map file removed",
			live:    withP5,
			desired: ubase,
			want: []applier.Change{
				{Action: applier.Delete, Kind: applier.KindRule, Section: "main", Name: p5Rule, Before: p5Rule, Via: applier.Reload, Reason: rulesReason},
				{Action: applier.Delete, Kind: applier.KindMapEntry, Section: "main.routes.p5.host.all.map", Name: "p5.test", Before: "web", Via: applier.Reload, Reason: mapReason},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.knownIssue != "" {
				t.Skip("known issue: " + tc.knownIssue)
			}
			live := tc.live
			if live == "" {
				live = ubase
			}
			plan := applier.Diff(ucompile(t, tc.desired), ucompile(t, live))
			if diff := cmp.Diff(tc.want, plan.Changes, uCmpOpts); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
			wantReload := false
			for _, c := range tc.want {
				wantReload = wantReload || c.Via == applier.Reload
			}
			if plan.Reload() != wantReload {
				t.Errorf("Reload() = %v, want %v", plan.Reload(), wantReload)
			}
			if plan.Empty() != (len(tc.want) == 0) {
				t.Errorf("Empty() = %v with %d changes", plan.Empty(), len(plan.Changes))
			}
		})
	}
}

// TestDiffRange checks that changes point at the HCL source of the desired
// element, and that removals (which have none) carry no range.
func TestDiffRange(t *testing.T) {
	desired := uAddToFrontend(t, ubase, "  route \"www\" {\n    host    = [\"www.test\"]\n    backend = backend.web\n  }\n")
	desired = urep(t, desired, uWebEnd, "    maxconn = 50\n  }\n  server \"s3\" {\n    address = \"127.0.0.1:9003\"\n  }\n}\n")
	desired = urep(t, desired, "  server \"s1\" {\n"+uS1+"  }\n", "")
	lineOf := func(s string) int {
		i := strings.Index(desired, s)
		if i < 0 {
			t.Fatalf("%q not in the configuration", s)
		}
		return strings.Count(desired[:i], "\n") + 1
	}
	plan := applier.Diff(ucompile(t, desired), ucompile(t, ubase))
	want := map[string]int{"s3": lineOf(`server "s3"`), "www.test": lineOf(`route "www"`), "s1": 0}
	if len(plan.Changes) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(plan.Changes), len(want), plan.Changes)
	}
	for _, c := range plan.Changes {
		line, ok := want[c.Name]
		switch {
		case !ok:
			t.Errorf("unexpected change %+v", c)
		case line == 0 && c.Range != nil:
			t.Errorf("%s %s: range %v, want none", c.Action, c.Name, c.Range)
		case line != 0 && (c.Range == nil || c.Range.Filename != "test.hcl" || c.Range.Start.Line != line):
			t.Errorf("%s %s: range %v, want test.hcl:%d", c.Action, c.Name, c.Range, line)
		}
	}
}

// uGroup is the position of a change's section kind in the plan order.
func uGroup(k applier.Kind) int {
	switch k {
	case applier.KindGlobal:
		return 0
	case applier.KindDefaults:
		return 1
	case applier.KindBackend, applier.KindServer:
		return 2
	case applier.KindFrontend, applier.KindFrontendMaxconn, applier.KindBind, applier.KindACL, applier.KindRule:
		return 3
	case applier.KindMapEntry:
		return 4
	case applier.KindACLEntry:
		return 5
	}
	return -1
}

// uReversed returns a copy of cfg with its sections, servers and files in
// reverse order (what a live view assembled in another order looks like).
func uReversed(cfg *ir.Config) *ir.Config {
	out := *cfg
	out.Backends = slices.Clone(cfg.Backends)
	slices.Reverse(out.Backends)
	for i, b := range out.Backends {
		nb := *b
		nb.Servers = slices.Clone(b.Servers)
		slices.Reverse(nb.Servers)
		out.Backends[i] = &nb
	}
	out.Frontends = slices.Clone(cfg.Frontends)
	slices.Reverse(out.Frontends)
	out.Maps = slices.Clone(cfg.Maps)
	slices.Reverse(out.Maps)
	for i, m := range out.Maps {
		nm := *m
		nm.Entries = slices.Clone(m.Entries)
		slices.Reverse(nm.Entries)
		out.Maps[i] = &nm
	}
	out.ACLFiles = slices.Clone(cfg.ACLFiles)
	slices.Reverse(out.ACLFiles)
	for i, a := range out.ACLFiles {
		na := *a
		na.Entries = slices.Clone(a.Entries)
		slices.Reverse(na.Entries)
		out.ACLFiles[i] = &na
	}
	return &out
}

// TestDiffDeterministic diffs two very different configurations (changes
// of every kind) twice and requires identical plans, grouped by section
// kind, and the same plan whatever the order of the live configuration's
// sections, servers and files.
func TestDiffDeterministic(t *testing.T) {
	files, diags := lang.Load(filepath.Join("..", "examples", "multi"))
	prog, d := lang.Check(files, lang.Options{})
	diags = append(diags, d...)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	multi, d := compiler.Compile(prog, compiler.Options{})
	if d.HasErrors() {
		t.Fatal(d)
	}
	base := ucompile(t, urep(t, ubase, uOffice, `src     = ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"]`))
	for _, pair := range [][2]*ir.Config{{multi, base}, {base, multi}} {
		desired, live := pair[0], pair[1]
		p1 := applier.Diff(desired, live)
		p2 := applier.Diff(desired, live)
		if len(p1.Changes) < 10 {
			t.Fatalf("only %d changes; the test needs a large plan", len(p1.Changes))
		}
		if diff := cmp.Diff(p1, p2, cmpopts.IgnoreUnexported(applier.Change{})); diff != "" {
			t.Errorf("two diffs differ (-first +second):\n%s", diff)
		}
		for i := 1; i < len(p1.Changes); i++ {
			a, b := p1.Changes[i-1], p1.Changes[i]
			if uGroup(a.Kind) > uGroup(b.Kind) {
				t.Errorf("change %d (%s %s) comes after change %d (%s %s)", i, b.Kind, b.Name, i-1, a.Kind, a.Name)
			}
		}
		p3 := applier.Diff(desired, uReversed(live))
		if diff := cmp.Diff(p1, p3, cmpopts.IgnoreUnexported(applier.Change{})); diff != "" {
			t.Errorf("the order of the live configuration changes the plan (-in order +reversed):\n%s", diff)
		}
	}
}

// uConfigPaths lists every compiler golden case (file or directory) and
// every example directory.
func uConfigPaths(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, pattern := range []string{"../compiler/testdata/*", "../examples/*", "../examples/*/*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			hcl, _ := filepath.Glob(filepath.Join(p, "*.hcl"))
			golden := strings.HasPrefix(p, "../compiler/")
			if (st.IsDir() && len(hcl) > 0) || (golden && !st.IsDir() && strings.HasSuffix(p, ".hcl")) {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// TestDiffRoundTrip renders every golden case and example, reads the files
// back with ir.Read, and requires an empty plan both ways: what haproute
// writes is what it will find when it next compares.
func TestDiffRoundTrip(t *testing.T) {
	paths := uConfigPaths(t)
	if len(paths) < 15 {
		t.Fatalf("found only %d configurations: %v", len(paths), paths)
	}
	for _, p := range paths {
		t.Run(strings.TrimPrefix(filepath.ToSlash(p), "../"), func(t *testing.T) {
			files, diags := lang.Load(p)
			prog, d := lang.Check(files, lang.Options{})
			diags = append(diags, d...)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			cfg, d := compiler.Compile(prog, compiler.Options{StatsSocket: "/run/haproute/stats.sock", Version: 3})
			if d.HasErrors() {
				t.Fatal(d)
			}
			dir := t.TempDir()
			out, err := ir.Render(cfg, dir)
			if err != nil {
				t.Fatal(err)
			}
			for name, data := range out {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			live, err := ir.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if p := applier.Diff(cfg, live); !p.Empty() {
				t.Errorf("Diff(cfg, Read(Render(cfg))) has %d changes:\n%s", len(p.Changes), uText(p))
			}
			if p := applier.Diff(live, cfg); !p.Empty() {
				t.Errorf("Diff(Read(Render(cfg)), cfg) has %d changes:\n%s", len(p.Changes), uText(p))
			}
			if live.Version != 3 {
				t.Errorf("read version %d, want 3", live.Version)
			}
		})
	}
}

func uText(p *applier.Plan) string {
	var b strings.Builder
	applier.WriteText(&b, p)
	return b.String()
}

// TestPlanForDrift: the files say what is desired, but at runtime a server
// was put in maintenance by hand. The plan has one change, marked drift.
func TestPlanForDrift(t *testing.T) {
	files := ucompile(t, ubase)
	runtime := ucompile(t, ubase)
	runtime.FindBackend("web").Servers[0].State = "maint"
	desired := ucompile(t, urep(t, ubase, uMaxconn, "  maxconn         = 2000\n"))
	plan := applier.PlanFor(desired, &applier.Live{Files: files, Runtime: runtime})
	want := []applier.Change{
		{Action: applier.Update, Kind: applier.KindServer, Section: "web", Name: "s1", Before: "127.0.0.1:9001 weight 100 state maint", After: "127.0.0.1:9001 weight 100 state ready", Via: applier.Runtime, Drift: true},
		{Action: applier.Update, Kind: applier.KindFrontendMaxconn, Section: "main", Name: "maxconn", Before: "1000", After: "2000", Via: applier.Runtime},
	}
	if diff := cmp.Diff(want, plan.Changes, uCmpOpts); diff != "" {
		t.Errorf("PlanFor (-want +got):\n%s", diff)
	}

	// Desired equal to the files: only the drift is left.
	plan = applier.PlanFor(files, &applier.Live{Files: files, Runtime: runtime})
	if diff := cmp.Diff(want[:1], plan.Changes, uCmpOpts); diff != "" {
		t.Errorf("PlanFor with desired = files (-want +got):\n%s", diff)
	}

	// Without a runtime view there is nothing to compare against: no drift.
	plan = applier.PlanFor(files, &applier.Live{Files: files})
	if !plan.Empty() {
		t.Errorf("PlanFor without runtime: %d changes, want none", len(plan.Changes))
	}
}

package e2e

import (
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// setup describes one configuration to run under a real haproxy.
type setup struct {
	// backends are mode http backends, tcpBackends mode tcp ones. Each gets
	// one server: a hatest backend that reports the backend's name.
	backends, tcpBackends []string
	// files maps a file name to HCL text. "@BIND_NAME@" is replaced with a
	// free 127.0.0.1 address; NAME must be the name of the frontend that
	// binds it, so requests can be addressed by frontend name.
	files map[string]string
}

// backendsFile is the generated file holding the backend blocks.
const backendsFile = "00_backends.hcl"

var bindPlaceholder = regexp.MustCompile(`@BIND_([A-Za-z0-9_]+)@`)

// env is a running configuration: the checked program and the haproxy
// serving it.
type env struct {
	prog  *lang.Program
	addrs map[string]string // frontend name -> bind address
	proxy *hatest.Proxy
	dir   string
}

// start checks and compiles s, renders it, checks it with haproxy -c and
// starts haproxy with it, waiting until every frontend accepts connections.
func start(t *testing.T, s setup) *env {
	t.Helper()
	e := &env{addrs: map[string]string{}}

	var be strings.Builder
	for _, name := range s.backends {
		b := hatest.StartBackend(t, name)
		fmt.Fprintf(&be, "backend %q {\n  server \"s\" { address = %q }\n}\n", name, b.Addr)
	}
	for _, name := range s.tcpBackends {
		b := hatest.StartBackend(t, name)
		fmt.Fprintf(&be, "backend %q {\n  mode = \"tcp\"\n  server \"s\" { address = %q }\n}\n", name, b.Addr)
	}
	texts := map[string]string{backendsFile: be.String()}
	for name, text := range s.files {
		texts[name] = bindPlaceholder.ReplaceAllStringFunc(text, func(m string) string {
			fe := bindPlaceholder.FindStringSubmatch(m)[1]
			if _, ok := e.addrs[fe]; !ok {
				e.addrs[fe] = fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t))
			}
			return e.addrs[fe]
		})
	}

	// Files by name, as lang.Load reads a directory.
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	slices.Sort(names)
	var files []*lang.File
	var diags hcl.Diagnostics
	for _, n := range names {
		f, d := lang.Parse([]byte(texts[n]), n)
		diags = append(diags, d...)
		files = append(files, f)
	}
	prog, d := lang.Check(files, lang.Options{})
	diags = append(diags, d...)
	if diags.HasErrors() {
		t.Fatalf("check:\n%s", diagText(files, diags))
	}
	e.prog = prog
	cfg, d := compiler.Compile(prog, compiler.Options{})
	if d.HasErrors() {
		t.Fatalf("compile:\n%s", diagText(files, d))
	}
	e.dir = t.TempDir()
	out, err := ir.Render(cfg, e.dir)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	for name, data := range out {
		hatest.WriteFile(t, filepath.Join(e.dir, name), string(data))
	}
	cfgPath := filepath.Join(e.dir, ir.ConfigFile)
	if err := hatest.Check(t, cfgPath); err != nil {
		t.Fatalf("%v\n%s", err, out[ir.ConfigFile])
	}
	var wait []string
	for _, a := range e.addrs {
		wait = append(wait, a)
	}
	slices.Sort(wait)
	e.proxy = hatest.StartProxy(t, cfgPath, wait...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("generated %s:\n%s", ir.ConfigFile, out[ir.ConfigFile])
		}
	})
	return e
}

// diagText renders diagnostics with source snippets.
func diagText(files []*lang.File, diags hcl.Diagnostics) string {
	srcs := map[string]*hcl.File{}
	for _, f := range files {
		srcs[f.Name] = &hcl.File{Bytes: f.Src}
	}
	var b bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&b, srcs, 100, false)
	_ = w.WriteDiagnostics(diags)
	return b.String()
}

// want is the expected result of one request. Exactly one of backend or
// status is set: backend means "200 from this backend", status a response
// from haproxy itself (deny, redirect, 404).
type want struct {
	backend  string
	status   int
	location string
	// seen lists headers (lower-case name, value) the backend must have
	// received; a value of "<absent>" means the header must be missing.
	seen [][2]string
}

// absent marks a header the backend must not have received.
const absent = "<absent>"

// tc is one request against a frontend of a running configuration.
type tc struct {
	name string
	fe   string // frontend name; "" means "fe"
	req  hatest.Request
	want want
}

// result is what a request produced, in the terms Explain and haproxy
// share.
type result struct {
	status   int
	backend  string
	location string
}

func (r result) String() string {
	s := fmt.Sprintf("status %d", r.status)
	if r.backend != "" {
		s += " backend " + r.backend
	}
	if r.location != "" {
		s += " location " + r.location
	}
	return s
}

// run sends each case as a subtest and checks haproxy's answer against the
// expectation and against lang.Explain.
func (e *env) run(t *testing.T, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.check(t, c)
		})
	}
}

func (e *env) check(t *testing.T, c tc) {
	t.Helper()
	feName := c.fe
	if feName == "" {
		feName = "fe"
	}
	fe := e.prog.Frontend(feName)
	addr := e.addrs[feName]
	if fe == nil || addr == "" {
		t.Fatalf("no frontend %q in the configuration", feName)
	}
	resp, err := hatest.Do(addr, c.req)
	if err != nil {
		t.Fatalf("request: %v\nhaproxy output:\n%s", err, e.proxy.Output())
	}
	got := result{status: resp.Status, backend: resp.Backend, location: resp.Location}

	w := result{status: c.want.status, backend: c.want.backend, location: c.want.location}
	if w.backend != "" {
		w.status = 200
	}
	if got != w {
		t.Errorf("haproxy: got %v, want %v\nbody: %s", got, w, resp.Body)
	}
	for _, h := range c.want.seen {
		v, ok := resp.Echo.Headers[h[0]]
		switch {
		case h[1] == absent && ok:
			t.Errorf("backend saw header %s: %q, want it absent", h[0], v)
		case h[1] != absent && v != h[1]:
			t.Errorf("backend saw header %s = %q (present %v), want %q", h[0], v, ok, h[1])
		}
	}

	ex := lang.Explain(fe, explainRequest(addr, c.req))
	exr := explainResult(ex)
	if exr != got {
		t.Errorf("explain disagrees with haproxy: explain %v (outcome %d, route %v), haproxy %v", exr, ex.Outcome, routeName(ex), got)
	}
	// A default_backend answer must be reported as such: the test
	// configurations never name their default backend in a route.
	if isDefault := w.backend != "" && w.backend == fe.DefaultBackend; isDefault != (ex.Outcome == lang.OutcomeDefault) {
		t.Errorf("explain outcome %d (route %v), want default_backend outcome: %v", ex.Outcome, routeName(ex), isDefault)
	}
}

func routeName(ex *lang.Explanation) string {
	if ex.Route == nil {
		return "none"
	}
	return ex.Route.Label()
}

// explainRequest converts a hatest request to what Explain takes, with the
// same defaults hatest.Do applies.
func explainRequest(addr string, r hatest.Request) lang.Request {
	out := lang.Request{Method: r.Method, Host: r.Host, Target: r.Path, Header: r.Header}
	if out.Method == "" {
		out.Method = "GET"
	}
	if out.Target == "" {
		out.Target = "/"
	}
	hasHost := slices.ContainsFunc(r.Header, func(h [2]string) bool { return strings.EqualFold(h[0], "host") })
	if out.Host == "" && !hasHost {
		out.Host = addr
	}
	src := r.Src
	if src == "" {
		src = "127.0.0.1"
	}
	out.Src = netip.MustParseAddr(src)
	return out
}

func explainResult(ex *lang.Explanation) result {
	switch ex.Outcome {
	case lang.OutcomeRoute, lang.OutcomeDefault:
		return result{status: 200, backend: ex.Backend}
	case lang.OutcomeRedirect:
		return result{status: ex.Status, location: ex.Location}
	default:
		return result{status: ex.Status}
	}
}

// hdr builds a header list from name, value pairs.
func hdr(kv ...string) [][2]string {
	if len(kv)%2 != 0 {
		panic("hdr: odd number of arguments")
	}
	var out [][2]string
	for i := 0; i < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

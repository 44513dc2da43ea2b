package applier_test

// Integration tests of the Local driver against a REAL haproxy (master-worker
// mode, stats socket at level admin) and real backends on 127.0.0.1.
//
// For every runtime-class change they check that (a) the worker PID did not
// change, (b) real traffic follows the new state as soon as Apply returns
// and (c) the files on disk give the same behaviour after a reload. For
// reload-class changes they check that exactly one reload happened.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// itEnv is one haproxy driven by the applier, with its backends.
type itEnv struct {
	t     *testing.T
	dir   string // configuration directory
	sock  string // stats socket
	addr  string // address of frontend "fe" (@FE@)
	addr2 string // a second free address (@FE2@)
	proxy *hatest.Proxy
	drv   *applier.Local
	srv   map[string]*hatest.Backend // @NAME@ -> backend server
	hang  map[string]*itSilent       // @hang*@ -> silent server
}

var itPlaceholder = regexp.MustCompile(`@([A-Za-z0-9_]+)@`)

// itStart compiles src (HCL with @NAME@ placeholders, see expand), writes
// it as version 1 into a fresh configuration directory and starts haproxy
// on it.
func itStart(t *testing.T, src string) *itEnv {
	t.Helper()
	e := &itEnv{
		t:     t,
		dir:   t.TempDir(),
		addr:  fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t)),
		addr2: fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t)),
		srv:   map[string]*hatest.Backend{},
		hang:  map[string]*itSilent{},
	}
	e.sock = filepath.Join(hatest.SocketDir(t), "stats.sock")
	cfg := e.compile(src)
	cfg.Version = 1
	files, err := ir.Render(cfg, e.dir)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if err := applier.WriteFiles(e.dir, files); err != nil {
		t.Fatalf("write: %v", err)
	}
	cfgPath := filepath.Join(e.dir, ir.ConfigFile)
	if err := hatest.Check(t, cfgPath); err != nil {
		t.Fatal(err)
	}
	e.proxy = hatest.StartProxy(t, cfgPath, e.addr)
	e.drv = e.driver()
	e.releaseFirst()
	return e
}

// releaseFirst ends the connections of the silent servers before haproxy
// is stopped (cleanups run last-in first-out): haproxy's soft stop waits
// for them.
func (e *itEnv) releaseFirst() {
	e.t.Cleanup(func() {
		for _, s := range e.hang {
			s.release()
		}
	})
}

// driver returns a new Local driver for the environment.
func (e *itEnv) driver() *applier.Local {
	return &applier.Local{
		Dir:           e.dir,
		RuntimeSocket: e.sock,
		MasterSocket:  e.proxy.MasterSocket,
		Haproxy:       hatest.Binary(e.t),
		Timeout:       3 * time.Second,
		ReloadTimeout: 10 * time.Second,
	}
}

// expand replaces placeholders: @FE@ and @FE2@ are the frontend addresses,
// @hangN@ a silent server (accepts, never answers), any other @NAME@ the
// address of a backend server started on first use that answers with
// X-Backend: NAME.
func (e *itEnv) expand(src string) string {
	return itPlaceholder.ReplaceAllStringFunc(src, func(m string) string {
		name := m[1 : len(m)-1]
		switch {
		case name == "FE":
			return e.addr
		case name == "FE2":
			return e.addr2
		case strings.HasPrefix(name, "hang"):
			if e.hang[name] == nil {
				e.hang[name] = itStartSilent(e.t)
			}
			return e.hang[name].addr
		}
		if e.srv[name] == nil {
			e.srv[name] = hatest.StartBackend(e.t, name)
		}
		return e.srv[name].Addr
	})
}

// compile checks and compiles src for this environment's stats socket.
func (e *itEnv) compile(src string) *ir.Config {
	e.t.Helper()
	return itCompile(e.t, e.expand(src), e.sock)
}

func itCompile(t *testing.T, src, sock string) *ir.Config {
	t.Helper()
	f, diags := lang.Parse([]byte(src), "main.hcl")
	if diags.HasErrors() {
		t.Fatalf("parse: %v\n%s", diags, src)
	}
	prog, diags := lang.Check([]*lang.File{f}, lang.Options{})
	if diags.HasErrors() {
		t.Fatalf("check: %v\n%s", diags, src)
	}
	cfg, diags := compiler.Compile(prog, compiler.Options{StatsSocket: sock})
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	return cfg
}

// apply compiles src and applies it.
func (e *itEnv) apply(src string, opts applier.ApplyOptions) (*ir.Config, *applier.Result, error) {
	e.t.Helper()
	want := e.compile(src)
	res, err := e.drv.Apply(context.Background(), want, nil, opts)
	return want, res, err
}

// workers returns the current worker PIDs.
func (e *itEnv) workers() []int {
	e.t.Helper()
	pids, err := e.proxy.WorkerPIDs()
	if err != nil || len(pids) == 0 {
		e.t.Fatalf("worker PIDs: %v %v\n%s", pids, err, e.proxy.Output())
	}
	slices.Sort(pids)
	return pids
}

// proc returns the master's process list.
func (e *itEnv) proc() *applier.Proc {
	e.t.Helper()
	m := &applier.Master{Path: e.proxy.MasterSocket}
	p, err := m.ShowProc(context.Background())
	if err != nil {
		e.t.Fatalf("show proc: %v", err)
	}
	return p
}

// runtime applies src and requires a runtime-only apply: no error, no
// reload, the same worker PIDs, at least one runtime command.
func (e *itEnv) runtime(src string) (*ir.Config, *applier.Result) {
	e.t.Helper()
	before := e.workers()
	want, res, err := e.apply(src, applier.ApplyOptions{DrainTimeout: 5 * time.Second})
	if err != nil {
		e.t.Fatalf("apply: %v\nhaproxy output:\n%s", err, e.proxy.Output())
	}
	if res.Reloaded || res.Unchanged || len(res.Commands) == 0 {
		e.t.Fatalf("want a runtime apply, got reloaded=%v unchanged=%v commands=%q", res.Reloaded, res.Unchanged, res.Commands)
	}
	if after := e.workers(); !slices.Equal(before, after) {
		e.t.Fatalf("worker PIDs changed on a runtime apply: %v -> %v (commands %q)", before, after, res.Commands)
	}
	return want, res
}

// reload applies src and requires exactly one reload: one new worker PID
// and the master's reload counter up by one.
func (e *itEnv) reload(src string) (*ir.Config, *applier.Result) {
	e.t.Helper()
	before := e.workers()
	reloads := e.proc().Reloads
	want, res, err := e.apply(src, applier.ApplyOptions{DrainTimeout: 5 * time.Second})
	if err != nil {
		e.t.Fatalf("apply: %v\nhaproxy output:\n%s", err, e.proxy.Output())
	}
	if !res.Reloaded || len(res.Commands) != 0 {
		e.t.Fatalf("want one reload and no runtime command, got reloaded=%v commands=%q", res.Reloaded, res.Commands)
	}
	after := e.workers()
	if len(after) != 1 || slices.Contains(before, after[0]) {
		e.t.Fatalf("want exactly one new worker, got %v -> %v", before, after)
	}
	if got := e.proc().Reloads; got != reloads+1 {
		e.t.Fatalf("master reload counter %d -> %d, want exactly one reload", reloads, got)
	}
	return want, res
}

// converged requires that the live state (files + runtime) equals want and
// that the runtime state does not drift from the files.
func (e *itEnv) converged(want *ir.Config) {
	e.t.Helper()
	// A new driver: it parses the files on disk (e.drv remembers what it
	// wrote).
	live, err := e.driver().Live(context.Background())
	if err != nil {
		e.t.Fatalf("live: %v", err)
	}
	if p := applier.PlanFor(want, live); !p.Empty() {
		e.t.Fatalf("live state differs from desired: %s", itChanges(p.Changes))
	}
	if p := applier.Diff(live.Files, live.Runtime); !p.Empty() {
		e.t.Fatalf("runtime state drifts from the files: %s", itChanges(p.Changes))
	}
}

// reloadAndCheck reloads haproxy by hand (so it runs what the files say),
// then runs check again and requires the live state to equal want.
func (e *itEnv) reloadAndCheck(want *ir.Config, check func()) {
	e.t.Helper()
	e.proxy.Reload(e.t)
	check()
	e.converged(want)
}

func itChanges(cs []applier.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  %s %s %s/%s: %q -> %q (%s)", c.Action, c.Kind, c.Section, c.Name, c.Before, c.After, c.Via)
	}
	return b.String()
}

// count sends n requests to addr and counts answers by X-Backend (or by
// status when no backend answered).
func (e *itEnv) count(addr string, req hatest.Request, n int) map[string]int {
	e.t.Helper()
	got := map[string]int{}
	for range n {
		resp, err := hatest.Do(addr, req)
		if err != nil {
			e.t.Fatalf("request %+v: %v\nhaproxy output:\n%s", req, err, e.proxy.Output())
		}
		k := resp.Backend
		if k == "" {
			k = strconv.Itoa(resp.Status)
		}
		got[k]++
	}
	return got
}

// only requires every one of n requests to be answered by key (a server
// name or a status).
func (e *itEnv) only(req hatest.Request, n int, key string) {
	e.t.Helper()
	if got := e.count(e.addr, req, n); got[key] != n {
		e.t.Fatalf("request %+v: want all %d answered by %s, got %v", req, n, key, got)
	}
}

// itState is one line of "show servers state".
type itState struct {
	op, admin, weight int
	addr              string
	port              int
}

// servers returns "show servers state BACKEND" by server name.
func (e *itEnv) servers(be string) map[string]itState {
	e.t.Helper()
	out, err := hatest.RuntimeCommand(e.sock, "show servers state "+be)
	if err != nil {
		e.t.Fatalf("show servers state: %v", err)
	}
	res := map[string]itState{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 19 || strings.HasPrefix(line, "#") {
			continue
		}
		op, _ := strconv.Atoi(f[5])
		admin, _ := strconv.Atoi(f[6])
		w, _ := strconv.Atoi(f[7])
		port, _ := strconv.Atoi(f[18])
		res[f[3]] = itState{op: op, admin: admin, weight: w, addr: f[4], port: port}
	}
	return res
}

// stat returns the column col of "show stat" for proxy/name.
func (e *itEnv) stat(proxy, name, col string) string {
	e.t.Helper()
	out, err := hatest.RuntimeCommand(e.sock, "show stat")
	if err != nil {
		e.t.Fatalf("show stat: %v", err)
	}
	lines := strings.Split(strings.TrimPrefix(out, "# "), "\n")
	idx := slices.Index(strings.Split(lines[0], ","), col)
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) > idx && f[0] == proxy && f[1] == name {
			return f[idx]
		}
	}
	e.t.Fatalf("show stat: no %s/%s in\n%s", proxy, name, out)
	return ""
}

// itSilent is a TCP server that accepts connections and never answers:
// a server with long-lived connections.
type itSilent struct {
	addr     string
	l        net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted atomic.Int64
}

func itStartSilent(t testing.TB) *itSilent {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &itSilent{addr: l.Addr().String(), l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.accepted.Add(1)
		}
	}()
	t.Cleanup(func() { l.Close(); s.release() })
	return s
}

// release closes every accepted connection: haproxy sees the server close
// and the connections end.
func (s *itSilent) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// itHold sends a request to addr and does not read the answer: with a
// silent server behind, the connection stays open. The connection is
// closed at cleanup.
func itHold(t testing.TB, addr, host string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host); err != nil {
		t.Fatal(err)
	}
	return c
}

// itConf is the base configuration: backend b1 with the given server
// blocks, b2 (server t1), b3 (server u1), and frontend fe (default b1)
// with the given extra body.
func itConf(servers, fe string) string {
	return `backend "b1" {
` + servers + `
}
backend "b2" {
  server "t1" { address = "@t1@" }
}
backend "b3" {
  server "u1" { address = "@u1@" }
}
frontend "fe" {
  bind = ["@FE@"]
  default_backend = backend.b1
` + fe + `
}
`
}

const (
	itS1 = `  server "s1" { address = "@s1@" }
`
	itS2 = `  server "s2" { address = "@s2@" }
`
)

// itBalanced requires both servers to have answered a fair share of n.
func itBalanced(t *testing.T, got map[string]int, n int, a, b string) {
	t.Helper()
	if got[a]+got[b] != n || got[a] < n/4 || got[b] < n/4 {
		t.Fatalf("want %d requests shared by %s and %s, got %v", n, a, b, got)
	}
}

func TestITRuntimeServers(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	x := hatest.Request{Host: "x.test"}

	t.Run("add", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, ""))
		e.only(x, 10, "s1")
		want, res := e.runtime(itConf(itS1+itS2, ""))
		if !slices.ContainsFunc(res.Commands, func(c string) bool { return strings.HasPrefix(c, "add server b1/s2 ") }) {
			t.Fatalf("commands %q lack add server", res.Commands)
		}
		check := func() { itBalanced(t, e.count(e.addr, x, 20), 20, "s1", "s2") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("add with health check", func(t *testing.T) {
		t.Parallel()
		hc := `  health_check {
    path     = "/"
    interval = "1s"
  }
`
		e := itStart(t, itConf(hc+itS1, ""))
		want, _ := e.runtime(itConf(hc+itS1+itS2, ""))
		// It starts DOWN (op state 0) and goes UP (2) after its checks.
		st, ok := e.servers("b1")["s2"]
		if !ok || st.op != 0 {
			t.Fatalf("right after apply b1/s2 = %+v (present %v), want op state 0 (DOWN)", st, ok)
		}
		e.only(x, 6, "s1")
		hatest.Eventually(t, 10*time.Second, func() bool { return e.servers("b1")["s2"].op == 2 }, "b1/s2 never went UP")
		check := func() { itBalanced(t, e.count(e.addr, x, 20), 20, "s1", "s2") }
		check()
		e.proxy.Reload(t)
		hatest.Eventually(t, 10*time.Second, func() bool { return e.servers("b1")["s2"].op == 2 }, "b1/s2 not UP after reload")
		check()
		e.converged(want)
	})

	t.Run("remove", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		itBalanced(t, e.count(e.addr, x, 10), 10, "s1", "s2")
		want, _ := e.runtime(itConf(itS1, ""))
		if _, ok := e.servers("b1")["s2"]; ok {
			t.Fatalf("b1/s2 still listed by show servers state")
		}
		check := func() { e.only(x, 10, "s1") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("address and port", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		itBalanced(t, e.count(e.addr, x, 10), 10, "s1", "s2")
		old := e.srv["s2"].Count()
		want, _ := e.runtime(itConf(itS1+`  server "s2" { address = "@s4@" }`, ""))
		st := e.servers("b1")["s2"]
		if st.addr+":"+strconv.Itoa(st.port) != e.srv["s4"].Addr {
			t.Fatalf("b1/s2 is %s:%d, want %s", st.addr, st.port, e.srv["s4"].Addr)
		}
		check := func() { itBalanced(t, e.count(e.addr, x, 20), 20, "s1", "s4") }
		check()
		e.reloadAndCheck(want, check)
		if n := e.srv["s2"].Count(); n != old {
			t.Fatalf("the old address got %d more requests after the change", n-old)
		}
	})

	t.Run("weight", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		itBalanced(t, e.count(e.addr, x, 20), 20, "s1", "s2")
		want, _ := e.runtime(itConf(`  server "s1" {
    address = "@s1@"
    weight  = 50
  }
  server "s2" {
    address = "@s2@"
    weight  = 150
  }`, ""))
		check := func() {
			got := e.count(e.addr, x, 40)
			if got["s1"]+got["s2"] != 40 || got["s1"] < 6 || got["s1"] > 14 {
				t.Fatalf("weights 50:150: want about 10 of 40 requests on s1, got %v", got)
			}
		}
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("state", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		withState := func(s string, w int) string {
			return itConf(itS1+`  server "s2" {
    address = "@s2@"
    state   = "`+s+`"
    weight  = `+strconv.Itoa(w)+`
  }`, "")
		}
		// Each step starts from the files after a reload: a drained
		// server is then weight 0 in the file, not HAProxy's drain state.
		for _, step := range []struct {
			state  string
			weight int
			check  func()
		}{
			{"drain", 100, func() { e.only(x, 10, "s1") }},
			{"maint", 100, func() { e.only(x, 10, "s1") }},
			{"ready", 100, func() { itBalanced(t, e.count(e.addr, x, 20), 20, "s1", "s2") }},
			{"drain", 100, func() { e.only(x, 10, "s1") }},
			{"ready", 100, func() { itBalanced(t, e.count(e.addr, x, 20), 20, "s1", "s2") }},
			{"drain", 100, func() { e.only(x, 10, "s1") }},
			{"drain", 150, func() { e.only(x, 10, "s1") }},
			{"maint", 150, func() { e.only(x, 10, "s1") }},
		} {
			want, _ := e.runtime(withState(step.state, step.weight))
			step.check()
			e.reloadAndCheck(want, step.check)
		}
	})

	t.Run("maxconn", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		with := func(n int) string {
			return itConf(itS1+`  server "s2" {
    address = "@s2@"
    maxconn = `+strconv.Itoa(n)+`
  }`, "")
		}
		for _, n := range []int{5, 7} {
			want, _ := e.runtime(with(n))
			check := func() {
				if got := e.stat("b1", "s2", "slim"); got != strconv.Itoa(n) {
					t.Fatalf("b1/s2 slim = %q, want %d", got, n)
				}
				itBalanced(t, e.count(e.addr, x, 10), 10, "s1", "s2")
			}
			check()
			e.reloadAndCheck(want, check)
		}
	})
}

func TestITRuntimeFrontendMaxconn(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	e := itStart(t, itConf(itS1, "  maxconn = 100\n"))
	e.runtime(itConf(itS1, "  maxconn = 1\n"))
	if got := e.stat("fe", "FRONTEND", "slim"); got != "1" {
		t.Fatalf("fe slim = %q, want 1", got)
	}
	// One idle connection uses the only slot: the next request waits.
	idle, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	hatest.Eventually(t, 5*time.Second, func() bool { return e.stat("fe", "FRONTEND", "scur") == "1" }, "idle connection not accepted")
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if line, err := rd.ReadString('\n'); err == nil {
		t.Fatalf("with maxconn 1 and one connection open, a second request was answered: %q", line)
	}

	// Raising the limit of a full frontend at runtime deadlocks HAProxy
	// 2.6 (haproxy/haproxy#2726): the apply must refuse, change nothing
	// and leave HAProxy answering.
	files := itReadDir(t, e.dir)
	before := e.workers()
	_, _, err = e.apply(itConf(itS1, "  maxconn = 100\n"), applier.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection limit") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("raising the limit of a full frontend: want a refusal, got %v", err)
	}
	itSameFiles(t, files, itReadDir(t, e.dir))
	if after := e.workers(); !slices.Equal(before, after) {
		t.Fatalf("workers changed %v -> %v", before, after)
	}
	if got := e.stat("fe", "FRONTEND", "slim"); got != "1" {
		t.Fatalf("fe slim = %q after the refused apply, want 1", got)
	}

	// The waiting request goes through once the slot is free.
	idle.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := rd.ReadString('\n'); err != nil || !strings.Contains(line, " 200 ") {
		t.Fatalf("after the idle connection closed the waiting request got %q, %v", line, err)
	}
	c.Close()
	hatest.Eventually(t, 5*time.Second, func() bool { return e.stat("fe", "FRONTEND", "scur") == "0" }, "connections did not end")

	want, _ := e.runtime(itConf(itS1, "  maxconn = 100\n"))
	check := func() {
		if got := e.stat("fe", "FRONTEND", "slim"); got != "100" {
			t.Fatalf("fe slim = %q, want 100", got)
		}
		// Two connections at once now: one idle, one request.
		idle, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer idle.Close()
		hatest.Eventually(t, 5*time.Second, func() bool { return e.stat("fe", "FRONTEND", "scur") == "1" }, "idle connection not accepted")
		e.only(hatest.Request{Host: "x.test"}, 3, "s1")
	}
	check()
	e.reloadAndCheck(want, check)
}

// itReadDir returns the regular files of dir (not dot files) by name.
func itReadDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			if strings.HasPrefix(e.Name(), ".candidate-") {
				t.Errorf("scratch directory %s left behind", e.Name())
			}
			continue
		}
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

// itSameFiles requires two directory snapshots to be equal.
func itSameFiles(t *testing.T, want, got map[string]string) {
	t.Helper()
	for n, w := range want {
		g, ok := got[n]
		switch {
		case !ok:
			t.Fatalf("file %s disappeared", n)
		case g != w:
			t.Fatalf("file %s changed:\n--- before\n%s\n--- after\n%s", n, w, g)
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Fatalf("new file %s", n)
		}
	}
}

func TestITRuntimeRoutes(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	routeA := `  route "a" {
    host    = ["a.test"]
    backend = backend.b2
  }
`
	a := hatest.Request{Host: "a.test"}
	c := hatest.Request{Host: "c.test"}
	api := hatest.Request{Host: "x.test", Path: "/api/v1"}

	t.Run("add", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, routeA))
		e.only(c, 3, "s1")
		e.only(api, 3, "s1")
		want, _ := e.runtime(itConf(itS1, routeA+`  route "c" {
    host    = ["c.test"]
    backend = backend.b3
  }
  route "api" {
    path_prefix = ["/api/"]
    backend     = backend.b2
  }
`))
		check := func() {
			e.only(c, 3, "u1")
			e.only(api, 3, "t1")
			e.only(a, 3, "t1")
			e.only(hatest.Request{Host: "x.test", Path: "/apx"}, 3, "s1")
		}
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("remove", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, routeA))
		e.only(a, 3, "t1")
		want, _ := e.runtime(itConf(itS1, ""))
		check := func() { e.only(a, 3, "s1") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("remove without default", func(t *testing.T) {
		t.Parallel()
		conf := func(routes string) string {
			return strings.Replace(itConf(itS1, routes), "  default_backend = backend.b1\n", "", 1)
		}
		e := itStart(t, conf(routeA+`  route "x" {
    host    = ["x.test"]
    backend = backend.b1
  }
`))
		e.only(a, 3, "t1")
		want, _ := e.runtime(conf(`  route "x" {
    host    = ["x.test"]
    backend = backend.b1
  }
`))
		check := func() { e.only(a, 3, "404"); e.only(hatest.Request{Host: "x.test"}, 3, "s1") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("retarget", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, routeA))
		want, _ := e.runtime(itConf(itS1, strings.Replace(routeA, "backend.b2", "backend.b3", 1)))
		check := func() { e.only(a, 3, "u1") }
		check()
		e.reloadAndCheck(want, check)
	})
}

func TestITRuntimeCIDR(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	from := func(ip, path string) hatest.Request { return hatest.Request{Host: "x.test", Src: ip, Path: path} }

	t.Run("src", func(t *testing.T) {
		t.Parallel()
		conf := func(cidrs string) string {
			return itConf(itS1, `  deny "block" {
    src = [`+cidrs+`]
  }
`)
		}
		e := itStart(t, conf(`"10.0.0.0/8"`))
		e.only(from("127.0.0.2", "/"), 3, "s1")
		want, _ := e.runtime(conf(`"10.0.0.0/8", "127.0.0.2/32"`))
		check := func() {
			e.only(from("127.0.0.2", "/"), 3, "403")
			e.only(from("127.0.0.3", "/"), 3, "s1")
			e.only(from("127.0.0.1", "/"), 3, "s1")
		}
		check()
		e.reloadAndCheck(want, check)

		want, _ = e.runtime(conf(`"10.0.0.0/8"`))
		check = func() { e.only(from("127.0.0.2", "/"), 3, "s1") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("not_src", func(t *testing.T) {
		t.Parallel()
		conf := func(cidrs string) string {
			return itConf(itS1, `  deny "private" {
    path_prefix = ["/private"]
    not_src     = [`+cidrs+`]
  }
`)
		}
		e := itStart(t, conf(`"127.0.0.1/32"`))
		e.only(from("127.0.0.2", "/private/x"), 3, "403")
		want, _ := e.runtime(conf(`"127.0.0.1/32", "127.0.0.2/32"`))
		check := func() {
			e.only(from("127.0.0.2", "/private/x"), 3, "s1")
			e.only(from("127.0.0.3", "/private/x"), 3, "403")
			e.only(from("127.0.0.3", "/public"), 3, "s1")
		}
		check()
		e.reloadAndCheck(want, check)

		want, _ = e.runtime(conf(`"127.0.0.1/32"`))
		check = func() { e.only(from("127.0.0.2", "/private/x"), 3, "403") }
		check()
		e.reloadAndCheck(want, check)
	})
}

// itHostRoutes returns one route per host hN.test, N in [lo, hi), to be.
func itHostRoutes(lo, hi int, be string) string {
	var b strings.Builder
	for i := lo; i < hi; i++ {
		fmt.Fprintf(&b, "  route \"h%d\" {\n    host    = [\"h%d.test\"]\n    backend = backend.%s\n  }\n", i, i, be)
	}
	return b.String()
}

// TestITBulkMap changes 250 entries of one map in one apply: it must go
// through prepare/commit; concurrent readers of the map must only ever see
// the whole old map or the whole new one, and requests for a host present
// in both must never miss.
func TestITBulkMap(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	e := itStart(t, itConf(itS1, itHostRoutes(0, 150, "b3")))
	mapFile := filepath.Join(e.dir, "fe.routes.p0.host.all.map")
	if _, err := os.Stat(mapFile); err != nil {
		t.Fatalf("expected host map: %v", err)
	}
	snapshot := func() (map[string]string, error) {
		out, err := hatest.RuntimeCommand(e.sock, "show map "+mapFile)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l == "" {
				continue
			}
			f := strings.Fields(l)
			if len(f) != 3 {
				return nil, fmt.Errorf("bad show map line %q", l)
			}
			m[f[1]] = f[2]
		}
		return m, nil
	}
	expect := func(lo, hi int, be string) map[string]string {
		m := map[string]string{}
		for i := lo; i < hi; i++ {
			m[fmt.Sprintf("h%d.test", i)] = be
		}
		return m
	}
	oldMap, newMap := expect(0, 150, "b3"), expect(50, 250, "b2")
	if got, err := snapshot(); err != nil || !itSameMap(got, oldMap) {
		t.Fatalf("initial map: %v (%d entries)", err, len(got))
	}

	// Readers poll the map and route requests while the apply runs.
	stop := make(chan struct{})
	var (
		reads, empty, requests int
		readErr, reqErr        error
		wg                     sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := snapshot()
			if err != nil {
				readErr = err
				return
			}
			reads++
			switch {
			case len(got) == 0:
				// HAProxy 2.6 "show map" sometimes lists nothing while a
				// commit purges the old version (requests never miss then;
				// the other reader checks that).
				empty++
			case !itSameMap(got, oldMap) && !itSameMap(got, newMap):
				readErr = fmt.Errorf("reader saw a half-applied map with %d entries", len(got))
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := hatest.Do(e.addr, hatest.Request{Host: "h120.test"})
			if err != nil {
				reqErr = err
				return
			}
			requests++
			if resp.Backend != "u1" && resp.Backend != "t1" {
				reqErr = fmt.Errorf("h120.test, in the old and the new map, answered by %q (status %d) during the apply", resp.Backend, resp.Status)
				return
			}
		}
	}()
	want, res := e.runtime(itConf(itS1, itHostRoutes(50, 250, "b2")))
	close(stop)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	if reqErr != nil {
		t.Fatal(reqErr)
	}
	var prepare, commit, single int
	for _, c := range res.Commands {
		switch {
		case strings.HasPrefix(c, "prepare map "):
			prepare++
		case strings.HasPrefix(c, "commit map @"):
			commit++
		case strings.HasPrefix(c, "add map "+mapFile), strings.HasPrefix(c, "set map "), strings.HasPrefix(c, "del map "):
			single++
		}
	}
	if prepare != 1 || commit != 1 || single != 0 {
		t.Fatalf("want one prepare/commit and no single-entry command, got prepare=%d commit=%d single=%d", prepare, commit, single)
	}
	t.Logf("bulk apply: %d commands in %s; meanwhile %d map reads (%d empty) and %d requests", len(res.Commands), res.Duration, reads, empty, requests)
	check := func() {
		if got, err := snapshot(); err != nil || !itSameMap(got, newMap) {
			t.Fatalf("map after apply: %v, %d entries", err, len(got))
		}
		for i := 0; i < 250; i += 7 {
			key := "t1"
			if i < 50 {
				key = "s1"
			}
			e.only(hatest.Request{Host: fmt.Sprintf("h%d.test", i)}, 1, key)
		}
	}
	check()
	e.reloadAndCheck(want, check)
}

func itSameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestITReloadChanges(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	x := hatest.Request{Host: "x.test"}

	t.Run("new backend", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, ""))
		want, _ := e.reload(itConf(itS1, `  route "d" {
    host    = ["d.test"]
    backend = backend.b4
  }
`) + `backend "b4" {
  server "v1" { address = "@v1@" }
}
`)
		check := func() { e.only(hatest.Request{Host: "d.test"}, 3, "v1"); e.only(x, 3, "s1") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("new frontend", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, ""))
		want, _ := e.reload(itConf(itS1, "") + `frontend "fe2" {
  bind            = ["@FE2@"]
  default_backend = backend.b2
}
`)
		check := func() {
			if got := e.count(e.addr2, x, 3); got["t1"] != 3 {
				t.Fatalf("new frontend: %v", got)
			}
			e.only(x, 3, "s1")
		}
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("balance", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		itBalanced(t, e.count(e.addr, x, 10), 10, "s1", "s2")
		// balance first without maxconn: everything goes to the first server.
		want, _ := e.reload(itConf("  balance = \"first\"\n"+itS1+itS2, ""))
		check := func() { e.only(x, 10, "s1") }
		check()
		e.reloadAndCheck(want, check)
	})

	t.Run("conditional route", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, ""))
		want, _ := e.reload(itConf(itS1, `  route "post" {
    method  = ["POST"]
    backend = backend.b3
  }
`))
		check := func() {
			e.only(hatest.Request{Host: "x.test", Method: "POST"}, 3, "u1")
			e.only(x, 3, "s1")
		}
		check()
		e.reloadAndCheck(want, check)
	})
}

// itCLIBuild is the haproute binary shared by the tests running at the
// same time; it is removed when the last of them ends.
var itCLIBuild struct {
	mu       sync.Mutex
	dir, bin string
	users    int
}

// itBuildCLI builds the haproute binary (once for the tests that run at
// the same time) and returns its path.
func itBuildCLI(t *testing.T) string {
	t.Helper()
	b := &itCLIBuild
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == 0 {
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("go toolchain needed to build the CLI: %v", err)
		}
		dir, err := os.MkdirTemp("", "haproute-it-")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "haproute")
		if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/haproute/haproute/cmd/haproute").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build: %v\n%s", err, out)
		}
		b.dir, b.bin = dir, bin
	}
	b.users++
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.users--; b.users == 0 {
			os.RemoveAll(b.dir)
		}
	})
	return b.bin
}

// itCLI runs the CLI and returns its exit code, stdout and stderr.
func itCLI(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// itCLIEnv starts haproxy on the output of "haproute build" for src and
// returns the environment, the HCL directory and the target flags.
func itCLIEnv(t *testing.T, bin, src string) (*itEnv, string, []string) {
	t.Helper()
	e := &itEnv{
		t:     t,
		dir:   t.TempDir(),
		addr:  fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t)),
		addr2: fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t)),
		srv:   map[string]*hatest.Backend{},
		hang:  map[string]*itSilent{},
	}
	e.sock = filepath.Join(hatest.SocketDir(t), "stats.sock")
	hcl := t.TempDir()
	e.write(hcl, src)
	if code, out, errOut := itCLI(t, bin, "build", hcl, "-o", e.dir, "--runtime-socket", e.sock); code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
	}
	e.proxy = hatest.StartProxy(t, filepath.Join(e.dir, ir.ConfigFile), e.addr)
	e.drv = e.driver()
	e.releaseFirst()
	flags := []string{"--config-dir", e.dir, "--runtime-socket", e.sock, "--master-socket", e.proxy.MasterSocket, "--haproxy-bin", hatest.Binary(t)}
	return e, hcl, flags
}

// write writes src (expanded) as DIR/main.hcl.
func (e *itEnv) write(dir, src string) {
	e.t.Helper()
	hatest.WriteFile(e.t, filepath.Join(dir, "main.hcl"), e.expand(src))
}

func TestITCLI(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	bin := itBuildCLI(t)
	x := hatest.Request{Host: "x.test"}
	e, hcl, flags := itCLIEnv(t, bin, itConf(itS1, ""))
	plan := func(extra ...string) (int, string, string) {
		return itCLI(t, bin, append(append([]string{"plan", hcl}, flags...), extra...)...)
	}
	apply := func(extra ...string) (int, string, string) {
		return itCLI(t, bin, append(append([]string{"apply", hcl}, flags...), extra...)...)
	}

	if code, out, errOut := plan(); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan right after build: exit %d\n%s%s", code, out, errOut)
	}

	// A runtime change: plan says so (text and JSON), apply does it.
	e.write(hcl, itConf(itS1+itS2, ""))
	code, out, errOut := plan()
	if code != 2 || !strings.Contains(out, "+ server b1") || !strings.Contains(out, "[runtime]") || !strings.Contains(out, "without a reload") {
		t.Fatalf("plan with a new server: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = plan("--format", "json")
	var p struct {
		Changes []struct {
			Action, Kind, Section, Name, Via string
		} `json:"changes"`
		LiveVersion int `json:"live_version"`
		Version     int `json:"version"`
	}
	if code != 2 {
		t.Fatalf("plan --format json: exit %d\n%s%s", code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --format json: %v\n%s", err, out)
	}
	if len(p.Changes) != 1 || p.Changes[0].Action != "+" || p.Changes[0].Kind != "server" || p.Changes[0].Name != "s2" || p.Changes[0].Via != "runtime" || p.LiveVersion != 0 || p.Version != 1 {
		t.Fatalf("plan --format json: %+v", p)
	}
	before := e.workers()
	code, out, errOut = apply()
	if code != 0 || !strings.Contains(out, "Applied version 1: ") || !strings.Contains(out, "no reload") || !strings.Contains(out, "runtime: add server b1/s2 ") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if after := e.workers(); !slices.Equal(before, after) {
		t.Fatalf("runtime apply changed workers %v -> %v", before, after)
	}
	itBalanced(t, e.count(e.addr, x, 10), 10, "s1", "s2")
	if code, out, errOut := plan(); code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := apply(); code != 0 || !strings.Contains(out, "No changes (version 1)") {
		t.Fatalf("second apply: exit %d\n%s%s", code, out, errOut)
	}

	// A version conflict: exit 3, nothing changed.
	e.write(hcl, itConf(itS1, ""))
	if code, out, errOut := apply("--version", "7"); code != 3 || !strings.Contains(errOut, "version conflict") {
		t.Fatalf("apply --version 7: exit %d\n%s%s", code, out, errOut)
	}
	itBalanced(t, e.count(e.addr, x, 10), 10, "s1", "s2")

	// A reload change with the right version.
	e.write(hcl, itConf(itS1+itS2, "")+`frontend "fe2" {
  bind            = ["@FE2@"]
  default_backend = backend.b2
}
`)
	if code, out, errOut := plan(); code != 2 || !strings.Contains(out, "needing a reload") {
		t.Fatalf("plan with a new frontend: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := apply("--version", "1"); code != 0 || !strings.Contains(out, "Applied version 2: 0 runtime command(s), 1 reload") {
		t.Fatalf("apply reload: exit %d\n%s%s", code, out, errOut)
	}
	if after := e.workers(); len(after) != 1 || slices.Contains(before, after[0]) {
		t.Fatalf("want one new worker, got %v -> %v", before, after)
	}
	if got := e.count(e.addr2, x, 3); got["t1"] != 3 {
		t.Fatalf("new frontend: %v", got)
	}
	if code, out, errOut := plan(); code != 0 {
		t.Fatalf("plan after reload apply: exit %d\n%s%s", code, out, errOut)
	}

	// An invalid configuration: exit 1 from plan and apply.
	hatest.WriteFile(t, filepath.Join(hcl, "main.hcl"), "backend \"b1\" {\n  server \"s1\" { address = \"nope\" }\n}\n")
	if code, out, errOut := plan(); code != 1 {
		t.Fatalf("plan of an invalid configuration: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := apply(); code != 1 {
		t.Fatalf("apply of an invalid configuration: exit %d\n%s%s", code, out, errOut)
	}
}

package daemon

// Integration tests of "haproute run": they run the REAL haproute binary
// (built once in TestMain), which starts and supervises a real haproxy,
// against real hatest backends on 127.0.0.1, and observe it only from the
// outside: requests through HAProxy, the master socket, the status
// listener (/status, /metrics, /plan) and process state in /proc.
//
// Helpers are prefixed dt.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/internal/hatest"
)

// dtBin is the haproute binary built by TestMain ("" with -short).
var dtBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "dt-haproute-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dtBin = filepath.Join(dir, "haproute")
	args := []string{"build", "-o", dtBin}
	if dtRace {
		args = append(args, "-race")
	}
	// "go test" puts GOROOT/bin first on PATH; the package directory is
	// the working directory.
	cmd := exec.Command("go", append(args, "../cmd/haproute")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building haproute: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dtBuffer is a goroutine-safe log buffer.
type dtBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *dtBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *dtBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dtOptions are the knobs of one haproute run.
type dtOptions struct {
	// State reuses a state directory (a restart); "" makes a fresh one.
	State string
	// Token is passed as --admin-token and sent on every status request.
	Token string
	// Args are extra flags (e.g. "--poll", "100ms").
	Args []string
}

// dtDaemon is one running "haproute run" process.
type dtDaemon struct {
	t     *testing.T
	Path  string
	State string
	// Addr is the status listener, 127.0.0.1:PORT.
	Addr  string
	Token string
	Cmd   *exec.Cmd
	Log   *dtBuffer
	done  chan struct{}

	mu sync.Mutex
	// seen are the haproxy PIDs (masters and workers) observed; cleanup
	// requires every one of them to be gone.
	seen map[int]bool
}

// dtStart runs "haproute run PATH" with a status listener on a free
// loopback port and waits until /healthz answers. Cleanup stops it with
// SIGTERM (SIGKILL after 20s) and fails the test if any haproxy process
// it was seen to run is still alive, or if the race detector fired.
func dtStart(t *testing.T, path string, o dtOptions) *dtDaemon {
	t.Helper()
	if dtBin == "" {
		t.Skip("integration test (not with -short)")
	}
	haproxy := hatest.Binary(t)
	state := o.State
	if state == "" {
		state = filepath.Join(hatest.SocketDir(t), "st")
	}
	d := &dtDaemon{
		t: t, Path: path, State: state, Token: o.Token,
		Addr: fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t)),
		Log:  &dtBuffer{}, done: make(chan struct{}), seen: map[int]bool{},
	}
	args := []string{"run", path, "--state-dir", state, "--listen", d.Addr,
		"--haproxy-bin", haproxy, "--log-format", "json"}
	if o.Token != "" {
		args = append(args, "--admin-token", o.Token)
	}
	args = append(args, o.Args...)
	d.Cmd = exec.Command(dtBin, args...)
	d.Cmd.Env = dtEnv()
	d.Cmd.Stdout, d.Cmd.Stderr = d.Log, d.Log
	// If the test binary dies, so does haproute (and with it its haproxy,
	// through haproute's own parent-death signal).
	d.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = d.Cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(d.cleanup)
	if !dtPoll(20*time.Second, func() bool {
		if d.Exited() {
			return true
		}
		code, _, err := d.Get("/healthz")
		return err == nil && code == http.StatusOK
	}) || d.Exited() {
		t.Fatalf("haproute did not come up (exited: %v)\n%s", d.Exited(), d.Log)
	}
	return d
}

// dtEnv is the test's environment without haproute's own variables, so a
// token or variable set by whoever runs the tests cannot leak in.
func dtEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HAPROUTE_") {
			env = append(env, kv)
		}
	}
	return env
}

// Exited reports whether the haproute process has exited.
func (d *dtDaemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for haproute to exit and returns its exit code
// (-1 when killed by a signal), or fails the test.
func (d *dtDaemon) Wait(timeout time.Duration) int {
	d.t.Helper()
	select {
	case <-d.done:
	case <-time.After(timeout):
		d.t.Fatalf("haproute still running %s later\n%s", timeout, d.Log)
	}
	return d.Cmd.ProcessState.ExitCode()
}

func (d *dtDaemon) cleanup() {
	t := d.t
	d.remember()
	if !d.Exited() {
		_ = d.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(20 * time.Second):
			t.Errorf("haproute did not stop within 20s of SIGTERM; killing it")
			_ = d.Cmd.Process.Kill()
			<-d.done
		}
	}
	if left := d.alive(10 * time.Second); len(left) > 0 {
		t.Errorf("haproxy processes left behind: %v", left)
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if strings.Contains(d.Log.String(), "WARNING: DATA RACE") {
		t.Errorf("the race detector fired in haproute")
	}
	if t.Failed() {
		t.Logf("haproute log:\n%s", d.Log)
	}
}

// remember records the current haproxy PIDs (master, workers, old workers)
// from the master socket.
func (d *dtDaemon) remember() []int {
	p, err := (&applier.Master{Path: filepath.Join(d.State, "master.sock"), Timeout: 2 * time.Second}).ShowProc(context.Background())
	if err != nil {
		return nil
	}
	pids := append([]int{p.MasterPID}, p.Workers...)
	pids = append(pids, p.Old...)
	d.mu.Lock()
	for _, pid := range pids {
		d.seen[pid] = true
	}
	d.mu.Unlock()
	return pids
}

// alive waits up to timeout for every haproxy PID seen to be gone and
// returns those still running.
func (d *dtDaemon) alive(timeout time.Duration) []int {
	d.mu.Lock()
	pids := make([]int, 0, len(d.seen))
	for pid := range d.seen {
		pids = append(pids, pid)
	}
	d.mu.Unlock()
	sort.Ints(pids)
	var left []int
	dtPoll(timeout, func() bool {
		left = left[:0]
		for _, pid := range pids {
			if dtAlive(pid, d.State) {
				left = append(left, pid)
			}
		}
		return len(left) == 0
	})
	return left
}

// dtAlive reports whether pid is a running (not zombie) process whose
// command line names stateDir, i.e. one of this test's haproxy processes
// and not a reused PID.
func dtAlive(pid int, stateDir string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(stateDir)) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state letter follows the command name in parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// Get sends GET path to the status listener (with the token, if any).
func (d *dtDaemon) Get(path string) (int, []byte, error) {
	return dtGet(d.Addr, path, d.Token)
}

func dtGet(addr, path, token string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// Status returns /status.
func (d *dtDaemon) Status() Status {
	d.t.Helper()
	code, body, err := d.Get("/status")
	if err != nil || code != http.StatusOK {
		d.t.Fatalf("GET /status: %d %v %s", code, err, body)
	}
	var st Status
	if err := json.Unmarshal(body, &st); err != nil {
		d.t.Fatalf("GET /status: %v: %s", err, body)
	}
	if st.HAProxyPID != 0 {
		d.mu.Lock()
		d.seen[st.HAProxyPID] = true
		d.mu.Unlock()
	}
	return st
}

// Metrics returns /metrics as "name{k="v",...}" (labels sorted) -> value.
func (d *dtDaemon) Metrics() map[string]float64 {
	d.t.Helper()
	code, body, err := d.Get("/metrics")
	if err != nil || code != http.StatusOK {
		d.t.Fatalf("GET /metrics: %d %v %s", code, err, body)
	}
	m, err := dtParseMetrics(body)
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

// dtParseMetrics parses the Prometheus text format (no timestamps).
func dtParseMetrics(body []byte) (map[string]float64, error) {
	m := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("bad metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("bad metrics line %q: %v", line, err)
		}
		name, labels, _ := strings.Cut(line[:i], "{")
		var kv []string
		if labels = strings.TrimSuffix(labels, "}"); labels != "" {
			kv = strings.Split(labels, ",")
		}
		m[dtMetricKey(name, kv...)] = v
	}
	return m, sc.Err()
}

// dtMetricKey is the map key of a sample: labels are `k="v"` strings.
func dtMetricKey(name string, labels ...string) string {
	labels = slices.Clone(labels)
	sort.Strings(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

// Plan returns GET /plan.
func (d *dtDaemon) Plan() *applier.Plan {
	d.t.Helper()
	code, body, err := d.Get("/plan")
	if err != nil || code != http.StatusOK {
		d.t.Fatalf("GET /plan: %d %v %s", code, err, body)
	}
	var p applier.Plan
	if err := json.Unmarshal(body, &p); err != nil {
		d.t.Fatalf("GET /plan: %v: %s", err, body)
	}
	return &p
}

// Proc returns the master's "show proc" (and remembers the PIDs).
func (d *dtDaemon) Proc() *applier.Proc {
	d.t.Helper()
	p, err := (&applier.Master{Path: filepath.Join(d.State, "master.sock"), Timeout: 5 * time.Second}).ShowProc(context.Background())
	if err != nil {
		d.t.Fatalf("show proc: %v", err)
	}
	d.remember()
	return p
}

// WaitVersion waits until /status reports a configuration version of at
// least v, no error, and a running HAProxy; it returns that status.
func (d *dtDaemon) WaitVersion(v int, timeout time.Duration) Status {
	d.t.Helper()
	var st Status
	if !dtPoll(timeout, func() bool {
		if d.Exited() {
			return true
		}
		st = d.Status()
		return st.Version >= v && st.LastError == "" && st.HAProxyPID != 0
	}) || d.Exited() {
		d.t.Fatalf("status did not reach version %d within %s (exited: %v): %+v", v, timeout, d.Exited(), st)
	}
	d.remember()
	return st
}

// dtPoll calls cond every 5ms until it is true (returns true) or timeout
// has passed (returns false).
func dtPoll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dtRoute sends one request through HAProxy and describes who answered:
// the backend's name, "status N", or "error: ...".
func dtRoute(fe string, req hatest.Request) string {
	resp, err := hatest.Do(fe, req)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case resp.Status != http.StatusOK:
		return fmt.Sprintf("status %d", resp.Status)
	}
	return resp.Backend
}

// dtWaitRoute polls until req is answered by backend want and returns the
// time since t0 (the moment of the write being measured).
func dtWaitRoute(t *testing.T, fe string, req hatest.Request, want string, t0 time.Time, timeout time.Duration) time.Duration {
	t.Helper()
	var got string
	if !dtPoll(timeout, func() bool {
		got = dtRoute(fe, req)
		return got == want
	}) {
		t.Fatalf("host %q: answered by %q, want %q, %s after the write", req.Host, got, want, time.Since(t0))
	}
	return time.Since(t0)
}

// dtFrontendAddr returns a free 127.0.0.1 address for a frontend.
func dtFrontendAddr(t *testing.T) string {
	return fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t))
}

// dtWrite writes a file the way most editors and tools do (truncate and
// write in place).
func dtWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dtHCL renders a one-frontend configuration. backends are {name,
// address} pairs (one server "s1" each), def is the default backend ("" for
// none), routes are "host=backend" pairs, in order.
func dtHCL(bind string, backends [][2]string, def string, routes ...string) string {
	var b strings.Builder
	for _, be := range backends {
		fmt.Fprintf(&b, "backend %q {\n  server \"s1\" {\n    address = %q\n  }\n}\n\n", be[0], be[1])
	}
	fmt.Fprintf(&b, "frontend \"web\" {\n  bind = [%q]\n", bind)
	if def != "" {
		fmt.Fprintf(&b, "  default_backend = backend.%s\n", def)
	}
	for _, r := range routes {
		host, be, _ := strings.Cut(r, "=")
		fmt.Fprintf(&b, "\n  route %q {\n    host    = [%q]\n    backend = backend.%s\n  }\n", "r_"+host, host, be)
	}
	b.WriteString("}\n")
	return b.String()
}

// dtSetup starts backends a and b, writes routes.hcl (default a, b.test ->
// b, plus routes) in a fresh directory, runs haproute on it and waits for
// the first configuration to serve.
func dtSetup(t *testing.T, o dtOptions, routes ...string) (d *dtDaemon, fe, path string, bes [][2]string) {
	t.Helper()
	a, b := hatest.StartBackend(t, "a"), hatest.StartBackend(t, "b")
	fe = dtFrontendAddr(t)
	path = filepath.Join(t.TempDir(), "routes.hcl")
	bes = [][2]string{{"a", a.Addr}, {"b", b.Addr}}
	dtWrite(t, path, dtHCL(fe, bes, "a", append([]string{"b.test=b"}, routes...)...))
	d = dtStart(t, filepath.Dir(path), o)
	d.WaitVersion(1, 20*time.Second)
	dtWaitRoute(t, fe, hatest.Request{Host: "b.test"}, "b", time.Now(), 10*time.Second)
	return d, fe, path, bes
}

// dtApplied returns haproute's "applied" log lines (JSON log) by version.
func dtApplied(log string) map[int]struct {
	at  time.Time
	dur time.Duration
} {
	out := map[int]struct {
		at  time.Time
		dur time.Duration
	}{}
	for _, line := range strings.Split(log, "\n") {
		var e struct {
			Time     time.Time     `json:"time"`
			Msg      string        `json:"msg"`
			Version  int           `json:"version"`
			Duration time.Duration `json:"duration"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "applied" {
			out[e.Version] = struct {
				at  time.Time
				dur time.Duration
			}{e.Time, e.Duration}
		}
	}
	return out
}

// TestRunRouteEditAppliesAtRuntime: adding a host route to the file is
// served by the new backend without a reload (the master's worker is the
// same process), within debounce + 100 ms of the write.
func TestRunRouteEditAppliesAtRuntime(t *testing.T) {
	d, fe, path, bes := dtSetup(t, dtOptions{})
	workers := d.Proc().Workers
	if len(workers) != 1 {
		t.Fatalf("workers = %v, want one", workers)
	}
	m0 := d.Metrics()
	routes := []string{"b.test=b"}
	const debounce = 200 * time.Millisecond // the default
	budget := debounce + 100*time.Millisecond
	var lats []time.Duration
	for i := range 5 {
		v := d.Status().Version
		host := fmt.Sprintf("new%d.test", i)
		routes = append(routes, host+"=b")
		t0 := time.Now()
		dtWrite(t, path, dtHCL(fe, bes, "a", routes...))
		lat := dtWaitRoute(t, fe, hatest.Request{Host: host}, "b", t0, 10*time.Second)
		lats = append(lats, lat)
		st := d.WaitVersion(v+1, 10*time.Second)
		if st.LastApplyKind != "runtime" {
			t.Errorf("edit %d: last_apply_kind = %q, want runtime", i, st.LastApplyKind)
		}
		// Where the time went, from haproute's "applied" log line (its
		// time and the sync's duration).
		if a, ok := dtApplied(d.Log.String())[v+1]; ok {
			start := a.at.Add(-a.dur)
			t.Logf("edit %d: write -> sync start %s (debounce %s), sync %s (check, compile, apply, verify), live %s after the write",
				i, start.Sub(t0).Round(time.Millisecond), debounce, a.dur.Round(time.Millisecond), lat.Round(time.Millisecond))
		}
	}
	t.Logf("save-to-live for a new host route (debounce %s): %v", debounce, lats)
	if got := d.Proc().Workers; !slices.Equal(got, workers) {
		t.Errorf("workers %v -> %v: HAProxy was reloaded", workers, got)
	}
	m := d.Metrics()
	if n := m["haproute_reloads_total{}"] - m0["haproute_reloads_total{}"]; n != 0 {
		t.Errorf("haproute_reloads_total grew by %v, want 0", n)
	}
	key := dtMetricKey("haproute_applies_total", `kind="runtime"`, `result="success"`)
	if n := m[key] - m0[key]; n != 5 {
		t.Errorf("%s grew by %v, want 5", key, n)
	}
	// Each apply was prepared while the debounce ran and committed as
	// prepared (nothing else changed the live state in between).
	pkey := dtMetricKey("haproute_prepared_applies_total", `outcome="committed"`)
	if n := m[pkey] - m0[pkey]; n != 5 {
		t.Errorf("%s grew by %v, want 5", pkey, n)
	}
	// Every request of the earlier routes still goes where it should.
	for _, r := range routes {
		host, be, _ := strings.Cut(r, "=")
		if got := dtRoute(fe, hatest.Request{Host: host}); got != be {
			t.Errorf("host %s: %s, want %s", host, got, be)
		}
	}
	if got := dtRoute(fe, hatest.Request{Host: "other.test"}); got != "a" {
		t.Errorf("default backend: %s, want a", got)
	}
	if dtRace {
		// EXPLICITLY RELAXED under -race only: the race-instrumented
		// haproute is several times slower (seen: 217-379 ms, where the
		// normal build stays within 208-252 ms on the same loaded
		// machine); it is held to 1 s, the budget to normal builds.
		budget = time.Second
	}
	for i, lat := range lats {
		if lat > budget {
			t.Errorf("edit %d: live %s after the write, budget %s (debounce + 100ms; race build %v; load average %.1f on %d CPUs)",
				i, lat, budget, dtRace, dtLoadAverage(), runtime.NumCPU())
		}
	}
}

// dtLoadAverage is the 1-minute load average (0 if unknown).
func dtLoadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// dtFileVersion is the "# _version=N" of STATE/haproxy.cfg (0 if none).
func dtFileVersion(state string) int {
	data, err := os.ReadFile(filepath.Join(state, "haproxy.cfg"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	v, _ := strconv.Atoi(strings.TrimPrefix(line, "# _version="))
	return v
}

// WaitSettled waits until the last sync has finished: no error, /status
// reports the version of the files on disk, and /plan is empty.
func (d *dtDaemon) WaitSettled(timeout time.Duration) Status {
	d.t.Helper()
	var st Status
	var plan *applier.Plan
	if !dtPoll(timeout, func() bool {
		st = d.Status()
		if st.LastError != "" || st.HAProxyPID == 0 || st.Version == 0 || st.Version != dtFileVersion(d.State) {
			return false
		}
		plan = d.Plan()
		return plan.Empty()
	}) {
		d.t.Fatalf("not settled within %s: status %+v, plan %+v", timeout, st, plan)
	}
	d.remember()
	return st
}

// dtLine returns the 1-based line of the first occurrence of s in text.
func dtLine(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q not in the text", s)
	}
	return strings.Count(text[:i], "\n") + 1
}

// TestRunBrokenConfigKeepsServing: a broken save is never applied, the old
// routing keeps serving, and /status shows the diagnostic with file:line;
// the fixed file applies.
func TestRunBrokenConfigKeepsServing(t *testing.T) {
	d, fe, path, bes := dtSetup(t, dtOptions{})
	v0 := d.WaitSettled(10 * time.Second).Version
	m0 := d.Metrics()
	invalid := dtMetricKey("haproute_applies_total", `kind="none"`, `result="invalid"`)

	for i, tc := range []struct {
		name, text, at, summary string
	}{{
		name: "unknown backend",
		text: dtHCL(fe, bes, "a", "b.test=b", "fixed.test=nope"),
		at:   "backend.nope", summary: "nope",
	}, {
		name: "syntax error",
		text: strings.Replace(dtHCL(fe, bes, "a", "b.test=b", "fixed.test=b"), "backend = backend.b\n  }\n}", "backend = = backend.b\n  }\n}", 1),
		at:   "= = backend.b", summary: "Invalid expression",
	}} {
		dtWrite(t, path, tc.text)
		line := dtLine(t, tc.text, tc.at)
		var st Status
		var found *Diagnostic
		if !dtPoll(10*time.Second, func() bool {
			st = d.Status()
			for j, dg := range st.Diagnostics {
				if dg.Severity == "error" && dg.File == path && dg.Line == line && strings.Contains(dg.Summary+dg.Detail, tc.summary) {
					found = &st.Diagnostics[j]
					return true
				}
			}
			return false
		}) {
			t.Fatalf("%s: /status has no error %q at %s:%d: %+v", tc.name, tc.summary, path, line, st.Diagnostics)
		}
		t.Logf("%s: /status diagnostic %s:%d:%d: %s: %s", tc.name, found.File, found.Line, found.Column, found.Summary, found.Detail)
		if want := fmt.Sprintf("%s:%d:", path, line); !strings.Contains(st.DiagnosticsText, want) {
			t.Errorf("%s: diagnostics_text lacks %q:\n%s", tc.name, want, st.DiagnosticsText)
		}
		if st.Version != v0 {
			t.Errorf("%s: version %d -> %d: a broken configuration was applied", tc.name, v0, st.Version)
		}
		// The old routing keeps serving: fixed.test is not routed yet.
		for host, want := range map[string]string{"b.test": "b", "fixed.test": "a", "x.test": "a"} {
			if got := dtRoute(fe, hatest.Request{Host: host}); got != want {
				t.Errorf("%s: host %s: %s, want %s", tc.name, host, got, want)
			}
		}
		m := d.Metrics()
		if n := m[invalid] - m0[invalid]; n != float64(i+1) {
			t.Errorf("%s: %s grew by %v, want %d", tc.name, invalid, n, i+1)
		}
		if m["haproute_config_errors{}"] < 1 {
			t.Errorf("%s: haproute_config_errors = %v, want >= 1", tc.name, m["haproute_config_errors{}"])
		}
	}

	dtWrite(t, path, dtHCL(fe, bes, "a", "b.test=b", "fixed.test=b"))
	dtWaitRoute(t, fe, hatest.Request{Host: "fixed.test"}, "b", time.Now(), 10*time.Second)
	st := d.WaitSettled(10 * time.Second)
	if st.Version <= v0 {
		t.Errorf("version %d after the fix, want > %d", st.Version, v0)
	}
	for _, dg := range st.Diagnostics {
		if dg.Severity == "error" {
			t.Errorf("error diagnostic left after the fix: %+v", dg)
		}
	}
	if m := d.Metrics(); m["haproute_config_errors{}"] != 0 {
		t.Errorf("haproute_config_errors = %v after the fix", m["haproute_config_errors{}"])
	}
}

// TestRunBurstConverges: 100 saves within one second converge to the last
// content with at most a few applies (debounce).
func TestRunBurstConverges(t *testing.T) {
	d, fe, path, bes := dtSetup(t, dtOptions{})
	d.WaitSettled(10 * time.Second)
	m0 := d.Metrics()
	success := func(m map[string]float64) float64 {
		return m[dtMetricKey("haproute_applies_total", `kind="runtime"`, `result="success"`)] +
			m[dtMetricKey("haproute_applies_total", `kind="reload"`, `result="success"`)]
	}
	const n = 100
	start := time.Now()
	var final []string
	for i := range n {
		// Each save differs: the burst.test route flips between a and b,
		// and route n<i>.test is new.
		target := "a"
		if i%2 == 1 {
			target = "b"
		}
		final = []string{"b.test=b", "burst.test=" + target, fmt.Sprintf("n%d.test=b", i)}
		dtWrite(t, path, dtHCL(fe, bes, "a", final...))
		// Pace the writes over one second.
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * time.Second / n)))
	}
	burst := time.Since(start)
	lat := dtWaitRoute(t, fe, hatest.Request{Host: fmt.Sprintf("n%d.test", n-1)}, "b", start.Add(burst), 10*time.Second)
	d.WaitSettled(10 * time.Second)
	for _, r := range final {
		host, be, _ := strings.Cut(r, "=")
		if got := dtRoute(fe, hatest.Request{Host: host}); got != be {
			t.Errorf("host %s: %s, want %s", host, got, be)
		}
	}
	if got := dtRoute(fe, hatest.Request{Host: "n98.test"}); got != "a" {
		t.Errorf("n98.test (only in an intermediate save): %s, want the default a", got)
	}
	applies := success(d.Metrics()) - success(m0)
	t.Logf("%d saves in %s -> %v applies; the last save live %s after it", n, burst.Round(time.Millisecond), applies, lat.Round(time.Millisecond))
	if applies < 1 || applies > 3 {
		t.Errorf("%v applies for a burst of %d saves, want 1..3", applies, n)
	}
}

// TestRunWatchLayouts: the ways files change besides an in-place write are
// all picked up: rename into place, a Kubernetes ConfigMap symlink swap, a
// configuration directory created after start, a file created after
// start, and polling instead of inotify.
func TestRunWatchLayouts(t *testing.T) {
	t.Run("rename into place", func(t *testing.T) {
		d, fe, path, bes := dtSetup(t, dtOptions{})
		v := d.WaitSettled(10 * time.Second).Version
		tmp := filepath.Join(filepath.Dir(path), ".routes.hcl.tmp")
		dtWrite(t, tmp, dtHCL(fe, bes, "a", "b.test=b", "renamed.test=b"))
		t0 := time.Now()
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		lat := dtWaitRoute(t, fe, hatest.Request{Host: "renamed.test"}, "b", t0, 10*time.Second)
		if st := d.WaitSettled(10 * time.Second); st.Version != v+1 {
			t.Errorf("version %d -> %d, want one apply", v, st.Version)
		}
		t.Logf("rename into place: live %s after the rename", lat.Round(time.Millisecond))
	})

	t.Run("configmap symlink swap", func(t *testing.T) {
		a, b := hatest.StartBackend(t, "a"), hatest.StartBackend(t, "b")
		fe := dtFrontendAddr(t)
		bes := [][2]string{{"a", a.Addr}, {"b", b.Addr}}
		dir := t.TempDir()
		// The layout the kubelet makes: the file is a symlink through
		// ..data, itself a symlink to a timestamped directory.
		mustDo(t, os.Mkdir(filepath.Join(dir, "..2026_01_01"), 0o755))
		dtWrite(t, filepath.Join(dir, "..2026_01_01", "x.hcl"), dtHCL(fe, bes, "a", "b.test=b"))
		mustDo(t, os.Symlink("..2026_01_01", filepath.Join(dir, "..data")))
		mustDo(t, os.Symlink(filepath.Join("..data", "x.hcl"), filepath.Join(dir, "x.hcl")))
		d := dtStart(t, dir, dtOptions{})
		v := d.WaitSettled(20 * time.Second).Version
		dtWaitRoute(t, fe, hatest.Request{Host: "b.test"}, "b", time.Now(), 10*time.Second)

		// The atomic swap: a new directory, a new ..data_tmp symlink,
		// renamed over ..data.
		mustDo(t, os.Mkdir(filepath.Join(dir, "..2026_01_02"), 0o755))
		dtWrite(t, filepath.Join(dir, "..2026_01_02", "x.hcl"), dtHCL(fe, bes, "a", "b.test=b", "cm.test=b"))
		mustDo(t, os.Symlink("..2026_01_02", filepath.Join(dir, "..data_tmp")))
		t0 := time.Now()
		mustDo(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
		mustDo(t, os.RemoveAll(filepath.Join(dir, "..2026_01_01")))
		lat := dtWaitRoute(t, fe, hatest.Request{Host: "cm.test"}, "b", t0, 10*time.Second)
		if st := d.WaitSettled(10 * time.Second); st.Version != v+1 {
			t.Errorf("version %d -> %d, want one apply", v, st.Version)
		}
		t.Logf("configmap swap: live %s after the rename of ..data", lat.Round(time.Millisecond))
	})

	t.Run("directory created after start", func(t *testing.T) {
		a, b := hatest.StartBackend(t, "a"), hatest.StartBackend(t, "b")
		fe := dtFrontendAddr(t)
		bes := [][2]string{{"a", a.Addr}, {"b", b.Addr}}
		// Two levels are missing: only the grandparent exists.
		dir := filepath.Join(t.TempDir(), "later", "cfg")
		d := dtStart(t, dir, dtOptions{})
		var st Status
		if !dtPoll(10*time.Second, func() bool {
			st = d.Status()
			return len(st.Diagnostics) > 0
		}) {
			t.Fatalf("no diagnostic for the missing directory: %+v", st)
		}
		if st.HAProxyPID != 0 || st.Version != 0 {
			t.Errorf("haproxy started without a configuration: %+v", st)
		}
		t.Logf("before the directory exists: %s", st.DiagnosticsText)
		mustDo(t, os.MkdirAll(dir, 0o755))
		t0 := time.Now()
		dtWrite(t, filepath.Join(dir, "routes.hcl"), dtHCL(fe, bes, "a", "b.test=b"))
		lat := dtWaitRoute(t, fe, hatest.Request{Host: "b.test"}, "b", t0, 20*time.Second)
		d.WaitSettled(10 * time.Second)
		t.Logf("created directory: serving %s after the write", lat.Round(time.Millisecond))
		// And it is watched from now on.
		dtWrite(t, filepath.Join(dir, "routes.hcl"), dtHCL(fe, bes, "a", "b.test=b", "later.test=b"))
		dtWaitRoute(t, fe, hatest.Request{Host: "later.test"}, "b", time.Now(), 10*time.Second)
	})

	t.Run("file created after start", func(t *testing.T) {
		d, _, path, _ := dtSetup(t, dtOptions{})
		v := d.WaitSettled(10 * time.Second).Version
		workers := d.Proc().Workers
		c := hatest.StartBackend(t, "c")
		fe2 := dtFrontendAddr(t)
		t0 := time.Now()
		dtWrite(t, filepath.Join(filepath.Dir(path), "more.hcl"),
			strings.Replace(dtHCL(fe2, [][2]string{{"c", c.Addr}}, "c"), `frontend "web"`, `frontend "web2"`, 1))
		lat := dtWaitRoute(t, fe2, hatest.Request{Host: "any.test"}, "c", t0, 10*time.Second)
		st := d.WaitSettled(10 * time.Second)
		if st.Version != v+1 || st.LastApplyKind != "reload" {
			t.Errorf("version %d -> %d, kind %q; want one reload (a new frontend)", v, st.Version, st.LastApplyKind)
		}
		if got := d.Proc().Workers; slices.Equal(got, workers) {
			t.Errorf("workers unchanged (%v) after a new frontend", got)
		}
		t.Logf("new file with a new frontend: live %s after the write (reload)", lat.Round(time.Millisecond))
	})

	t.Run("poll", func(t *testing.T) {
		d, fe, path, bes := dtSetup(t, dtOptions{Args: []string{"--poll", "100ms"}})
		v := d.WaitSettled(10 * time.Second).Version
		t0 := time.Now()
		dtWrite(t, path, dtHCL(fe, bes, "a", "b.test=b", "polled.test=b"))
		lat := dtWaitRoute(t, fe, hatest.Request{Host: "polled.test"}, "b", t0, 10*time.Second)
		if st := d.WaitSettled(10 * time.Second); st.Version != v+1 {
			t.Errorf("version %d -> %d, want one apply", v, st.Version)
		}
		t.Logf("--poll 100ms: live %s after the write", lat.Round(time.Millisecond))
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunHAProxyKilledIsRestarted: kill -9 of the supervised master ->
// HAProxy is started again with the current configuration, including a
// route applied at runtime before the kill.
func TestRunHAProxyKilledIsRestarted(t *testing.T) {
	d, fe, path, bes := dtSetup(t, dtOptions{})
	dtWrite(t, path, dtHCL(fe, bes, "a", "b.test=b", "added.test=b"))
	dtWaitRoute(t, fe, hatest.Request{Host: "added.test"}, "b", time.Now(), 10*time.Second)
	st := d.WaitSettled(10 * time.Second)
	proc := d.Proc()
	if st.HAProxyPID != proc.MasterPID {
		t.Fatalf("/status haproxy_pid %d, master socket says %d", st.HAProxyPID, proc.MasterPID)
	}
	if m := d.Metrics(); m["haproute_haproxy_restarts_total{}"] != 0 {
		t.Fatalf("restarts = %v before the kill", m["haproute_haproxy_restarts_total{}"])
	}
	old := append([]int{proc.MasterPID}, proc.Workers...)

	t0 := time.Now()
	mustDo(t, syscall.Kill(st.HAProxyPID, syscall.SIGKILL))
	if !dtPoll(15*time.Second, func() bool {
		st = d.Status()
		return st.HAProxyPID != 0 && st.HAProxyPID != old[0]
	}) {
		t.Fatalf("haproxy not restarted: %+v", st)
	}
	lat := dtWaitRoute(t, fe, hatest.Request{Host: "added.test"}, "b", t0, 15*time.Second)
	t.Logf("kill -9 of the master %d: new master %d, traffic back %s after the kill", old[0], st.HAProxyPID, lat.Round(time.Millisecond))
	for host, want := range map[string]string{"b.test": "b", "added.test": "b", "x.test": "a"} {
		if got := dtRoute(fe, hatest.Request{Host: host}); got != want {
			t.Errorf("host %s: %s, want %s", host, got, want)
		}
	}
	if got := d.Metrics()["haproute_haproxy_restarts_total{}"]; got != 1 {
		t.Errorf("haproute_haproxy_restarts_total = %v, want 1", got)
	}
	// The killed master's worker notices and exits by itself.
	var left []int
	if !dtPoll(10*time.Second, func() bool {
		left = left[:0]
		for _, pid := range old {
			if dtAlive(pid, d.State) {
				left = append(left, pid)
			}
		}
		return len(left) == 0
	}) {
		t.Errorf("processes of the killed haproxy still running: %v", left)
	}
	t.Logf("the killed master's processes %v were gone %s after the kill", old, time.Since(t0).Round(time.Millisecond))
	d.WaitSettled(10 * time.Second)
}

// dtHangServer accepts TCP connections, reads them and never answers; one
// value is sent on the returned channel per accepted connection.
func dtHangServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 16)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String(), accepted
}

// dtServerAdmin returns the admin state bits of server be/srv from "show
// servers state" on the stats socket, or -1 when it does not exist.
func dtServerAdmin(t *testing.T, state, be, srv string) int {
	t.Helper()
	out, err := hatest.RuntimeCommand(filepath.Join(state, "stats.sock"), "show servers state "+be)
	if err != nil {
		t.Fatalf("show servers state: %v", err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 7 && !strings.HasPrefix(line, "#") && f[1] == be && f[3] == srv {
			n, _ := strconv.Atoi(f[6])
			return n
		}
	}
	return -1
}

// TestRunKilledDuringApplyConverges: haproute is killed with -9 while an
// apply hangs draining a removed server; its HAProxy goes with it, and a
// new haproute on the same state directory converges with no cleanup.
func TestRunKilledDuringApplyConverges(t *testing.T) {
	a, b := hatest.StartBackend(t, "a"), hatest.StartBackend(t, "b")
	hang, accepted := dtHangServer(t)
	fe := dtFrontendAddr(t)
	cfg := func(withH1 bool) string {
		h1, w2 := "", 0
		if withH1 {
			h1 = fmt.Sprintf("  server \"h1\" {\n    address = %q\n  }\n", hang)
		} else {
			w2 = 100
		}
		return fmt.Sprintf(`backend "a" {
  server "s1" {
    address = %q
  }
}

backend "hang" {
%s  server "h2" {
    address = %q
    weight  = %d
  }
}

frontend "web" {
  bind            = [%q]
  default_backend = backend.a

  route "r_hang" {
    host    = ["hang.test"]
    backend = backend.hang
  }
}
`, a.Addr, h1, b.Addr, w2, fe)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "routes.hcl")
	dtWrite(t, path, cfg(true))
	d := dtStart(t, dir, dtOptions{Args: []string{"--drain-timeout", "5m"}})
	v0 := d.WaitSettled(20 * time.Second).Version

	// A request that h1 never answers keeps a connection on it.
	conn, err := net.Dial("tcp", fe)
	mustDo(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: hang.test\r\n\r\n")
	mustDo(t, err)
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging request did not reach h1")
	}

	// Remove h1 (and give h2 a weight): the apply drains h1 and waits.
	dtWrite(t, path, cfg(false))
	if !dtPoll(10*time.Second, func() bool {
		return dtServerAdmin(t, d.State, "hang", "h1")&0x08 != 0 // SRV_ADMF_FDRAIN
	}) {
		t.Fatal("h1 was not set to drain")
	}
	if st := d.Status(); st.Version != v0 || dtFileVersion(d.State) != v0+1 {
		t.Fatalf("not in the middle of the apply: status version %d, files %d (was %d)", st.Version, dtFileVersion(d.State), v0)
	}
	pids := d.remember()
	mustDo(t, d.Cmd.Process.Kill())
	d.Wait(10 * time.Second)
	if left := d.alive(10 * time.Second); len(left) > 0 {
		t.Errorf("haproxy processes outlived haproute (kill -9): %v", left)
	} else {
		t.Logf("kill -9 of haproute during the drain: its haproxy processes %v are gone", pids)
	}
	if got := dtRoute(fe, hatest.Request{Host: "x.test"}); !strings.HasPrefix(got, "error:") {
		t.Errorf("the frontend still answers (%s) with haproute dead", got)
	}

	d2 := dtStart(t, dir, dtOptions{State: d.State})
	st := d2.WaitSettled(20 * time.Second)
	if st.Version <= v0 {
		t.Errorf("version %d after the restart, want > %d", st.Version, v0)
	}
	if p := d2.Plan(); !p.Empty() {
		t.Errorf("plan after the restart: %+v", p.Changes)
	}
	for host, want := range map[string]string{"hang.test": "b", "x.test": "a"} {
		if got := dtRoute(fe, hatest.Request{Host: host}); got != want {
			t.Errorf("host %s: %s, want %s", host, got, want)
		}
	}
	if n := dtServerAdmin(t, d2.State, "hang", "h1"); n != -1 {
		t.Errorf("h1 still exists after the restart (admin state %d)", n)
	}
	t.Logf("restart converged: version %d -> %d, kind %q", v0, st.Version, st.LastApplyKind)
}

// TestRunSIGTERMStopsGracefully: SIGTERM -> HAProxy soft-stops (a request
// in flight completes, new connections are refused), every haproxy
// process is gone, and haproute exits 0.
func TestRunSIGTERMStopsGracefully(t *testing.T) {
	a := hatest.StartBackend(t, "a")
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	slow := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.Header().Set("X-Backend", "slow")
		_, _ = io.WriteString(w, "done\n")
	})}
	go func() { _ = slow.Serve(ln) }()
	t.Cleanup(func() { once.Do(func() { close(release) }); slow.Close() })

	fe := dtFrontendAddr(t)
	dir := t.TempDir()
	dtWrite(t, filepath.Join(dir, "routes.hcl"), dtHCL(fe, [][2]string{{"a", a.Addr}, {"slow", ln.Addr().String()}}, "a", "slow.test=slow"))
	d := dtStart(t, dir, dtOptions{})
	d.WaitSettled(20 * time.Second)
	proc := d.Proc()
	pids := append([]int{proc.MasterPID}, proc.Workers...)

	result := make(chan string, 1)
	go func() { result <- dtRoute(fe, hatest.Request{Host: "slow.test"}) }()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow request did not reach its backend")
	}
	mustDo(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	if !dtPoll(5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", fe, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}) {
		t.Error("the frontend still accepts connections after SIGTERM")
	}
	once.Do(func() { close(release) })
	if got := <-result; got != "slow" {
		t.Errorf("the request in flight during the stop got %q, want an answer from slow", got)
	}
	if code := d.Wait(20 * time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	for _, pid := range pids {
		if dtAlive(pid, d.State) {
			t.Errorf("haproxy process %d still running after haproute exited", pid)
		}
	}
	if !strings.Contains(d.Log.String(), `"msg":"haproxy stopped"`) {
		t.Errorf("no \"haproxy stopped\" in the log")
	}
}

// TestRunStatusMetricsAndToken: /metrics has every metric, /status every
// field, and --admin-token guards all of it.
func TestRunStatusMetricsAndToken(t *testing.T) {
	start := time.Now()
	const token = "t0k3n-for-tests"
	d, fe, path, bes := dtSetup(t, dtOptions{Token: token})
	for _, p := range []string{"/healthz", "/status", "/metrics", "/plan"} {
		for _, tok := range []string{"", "wrong"} {
			if code, _, err := dtGet(d.Addr, p, tok); err != nil || code != http.StatusUnauthorized {
				t.Errorf("GET %s with token %q: %d %v, want 401", p, tok, code, err)
			}
		}
		if code, _, err := d.Get(p); err != nil || code != http.StatusOK {
			t.Errorf("GET %s with the token: %d %v, want 200", p, code, err)
		}
	}

	// One runtime apply, one reload, one drift repair.
	v := d.WaitSettled(10 * time.Second).Version
	dtWrite(t, path, dtHCL(fe, bes, "a", "b.test=b", "rt.test=b"))
	dtWaitRoute(t, fe, hatest.Request{Host: "rt.test"}, "b", time.Now(), 10*time.Second)
	if st := d.WaitSettled(10 * time.Second); st.Version != v+1 || st.LastApplyKind != "runtime" {
		t.Errorf("after a route edit: version %d kind %q, want %d runtime", st.Version, st.LastApplyKind, v+1)
	}
	c := hatest.StartBackend(t, "c")
	bes = append(bes, [2]string{"c", c.Addr})
	dtWrite(t, path, dtHCL(fe, bes, "a", "b.test=b", "rt.test=b", "c.test=c"))
	dtWaitRoute(t, fe, hatest.Request{Host: "c.test"}, "c", time.Now(), 10*time.Second)
	if st := d.WaitSettled(10 * time.Second); st.Version != v+2 || st.LastApplyKind != "reload" {
		t.Errorf("after a new backend: version %d kind %q, want %d reload", st.Version, st.LastApplyKind, v+2)
	}
	sock := filepath.Join(d.State, "stats.sock")
	if out, err := hatest.RuntimeCommand(sock, "set weight a/s1 7"); err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("set weight: %q %v", out, err)
	}
	mustDo(t, d.Cmd.Process.Signal(syscall.SIGHUP))
	var weight string
	if !dtPoll(10*time.Second, func() bool {
		weight, _ = hatest.RuntimeCommand(sock, "get weight a/s1")
		return strings.HasPrefix(weight, "100 ")
	}) {
		t.Errorf("drift not repaired after SIGHUP: get weight a/s1 = %q", weight)
	}
	st := d.WaitSettled(10 * time.Second)

	m := d.Metrics()
	key := dtMetricKey
	for _, want := range []struct {
		key string
		min float64
	}{
		{key("haproute_applies_total", `kind="runtime"`, `result="success"`), 2},
		{key("haproute_applies_total", `kind="reload"`, `result="success"`), 1},
		{key("haproute_reloads_total"), 1},
		{key("haproute_runtime_commands_total"), 2},
		{key("haproute_apply_duration_seconds_count"), 3},
		{key("haproute_apply_duration_seconds_bucket", `le="+Inf"`), 3},
		{key("haproute_apply_duration_seconds_sum"), 0.000001},
		{key("haproute_drift_detected_total"), 1},
		{key("haproute_last_successful_apply_timestamp_seconds"), float64(start.Unix())},
	} {
		if got, ok := m[want.key]; !ok || got < want.min {
			t.Errorf("%s = %v (present %v), want >= %v", want.key, got, ok, want.min)
		}
	}
	for _, k := range []string{key("haproute_haproxy_restarts_total"), key("haproute_config_errors")} {
		if got, ok := m[k]; !ok || got != 0 {
			t.Errorf("%s = %v (present %v), want 0", k, got, ok)
		}
	}
	if _, ok := m[key("haproute_apply_duration_seconds_bucket", `le="0.1"`)]; !ok {
		t.Errorf("haproute_apply_duration_seconds has no le=\"0.1\" bucket")
	}
	if ts := m[key("haproute_last_successful_apply_timestamp_seconds")]; ts > float64(time.Now().Unix()+1) {
		t.Errorf("last successful apply timestamp %v is in the future", ts)
	}

	_, body, err := d.Get("/status")
	mustDo(t, err)
	var raw map[string]any
	mustDo(t, json.Unmarshal(body, &raw))
	for _, f := range []string{"config_version", "last_apply", "last_apply_duration_ms", "last_apply_kind", "diagnostics", "haproxy_pid", "haproxy_uptime_seconds", "applies", "mode"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("/status has no %q: %s", f, body)
		}
	}
	if st.Mode != "embedded" || st.HAProxyPID != d.Proc().MasterPID || st.Applies < 3 || st.LastApplyMillis <= 0 ||
		st.HAProxyUptime <= 0 || st.LastApply.Before(start) || st.Version != dtFileVersion(d.State) {
		t.Errorf("/status: %s", body)
	}
}

// TestRunListenNonLoopbackNeedsToken: --listen on a non-loopback address
// without --admin-token refuses to start, with a clear error, before
// starting HAProxy.
func TestRunListenNonLoopbackNeedsToken(t *testing.T) {
	if dtBin == "" {
		t.Skip("integration test (not with -short)")
	}
	dir := t.TempDir()
	dtWrite(t, filepath.Join(dir, "routes.hcl"), dtHCL(dtFrontendAddr(t), [][2]string{{"a", "127.0.0.1:1"}}, "a"))
	state := filepath.Join(hatest.SocketDir(t), "st")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dtBin, "run", dir, "--state-dir", state, "--listen", fmt.Sprintf("0.0.0.0:%d", hatest.FreePort(t)), "--haproxy-bin", hatest.Binary(t))
	cmd.Env = dtEnv()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit code 1\n%s", err, out)
	}
	for _, want := range []string{"0.0.0.0", "not a loopback address", "--admin-token"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error does not mention %q: %s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "master.sock")); err == nil {
		t.Errorf("haproxy was started")
	}
	t.Logf("refused: %s", strings.TrimSpace(string(out)))
}

// TestRunPreparedStale: the daemon prepares an apply while the debounce
// runs; if HAProxy's worker is replaced in between (here a reload by hand
// through the master socket, as a restart would do), the commit sees the
// preparation is stale, prepares again and still applies the change at
// runtime.
func TestRunPreparedStale(t *testing.T) {
	d, fe, path, bes := dtSetup(t, dtOptions{Args: []string{"--debounce", "1500ms", "--log-level", "debug"}})
	m0 := d.Metrics()
	v := d.Status().Version
	dtWrite(t, path, dtHCL(fe, bes, "a", "b.test=b", "stale.test=b"))
	// Wait for the preparation (logged at debug level), well inside the
	// debounce.
	if !dtPoll(1200*time.Millisecond, func() bool { return strings.Contains(d.Log.String(), `"msg":"prepared"`) }) {
		t.Fatalf("no preparation logged within the debounce:\n%s", d.Log.String())
	}
	before := d.Proc().Workers
	m := &applier.Master{Path: filepath.Join(d.State, "master.sock"), Timeout: 2 * time.Second}
	if _, err := m.Do(context.Background(), "reload"); err != nil {
		t.Fatal(err)
	}
	// The master re-executes itself on reload: its socket refuses
	// connections for a moment.
	if !dtPoll(5*time.Second, func() bool {
		p, err := m.ShowProc(context.Background())
		return err == nil && len(p.Workers) == 1 && !slices.Contains(before, p.Workers[0])
	}) {
		t.Fatalf("the reload by hand did not replace the worker %v", before)
	}
	workers := d.Proc().Workers
	st := d.WaitVersion(v+1, 10*time.Second)
	if st.LastApplyKind != "runtime" {
		t.Errorf("last_apply_kind = %q, want runtime", st.LastApplyKind)
	}
	if got := dtRoute(fe, hatest.Request{Host: "stale.test"}); got != "b" {
		t.Errorf("stale.test: %s, want b", got)
	}
	if got := d.Proc().Workers; !slices.Equal(got, workers) {
		t.Errorf("workers %v -> %v: the apply reloaded", workers, got)
	}
	m1 := d.Metrics()
	for outcome, want := range map[string]float64{"stale": 1, "committed": 0} {
		key := dtMetricKey("haproute_prepared_applies_total", `outcome="`+outcome+`"`)
		if n := m1[key] - m0[key]; n != want {
			t.Errorf("%s grew by %v, want %v", key, n, want)
		}
	}
}

package applier_test

// The zero-failed-requests measurement: a real haproxy (master-worker mode)
// with real backends serves a steady keep-alive load while 100 applies run,
// mixing runtime changes (route add/remove/retarget, server weight, add and
// remove, a CIDR entry) and reload changes (a new backend, a balance
// change). Every request goes to a host whose route always exists, so every
// answer must be 2xx.
//
// The clients are written on raw TCP connections (one keep-alive connection
// per worker, one request at a time, read with http.ReadResponse) so that
// nothing is retried behind our back: net/http's Transport silently resends
// an idempotent request when a reused keep-alive connection turns out to be
// dead, which would hide exactly the failures this test counts.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// ltState is the variable part of the load test's configuration.
type ltState struct {
	churn     bool // route c.test exists
	retarget  bool // s0.test goes to backend b instead of a
	weight    int  // weight of a/a1
	extra     bool // server a/a2 exists
	cidr      bool // 127.0.0.0/8 is in the CIDR route's src list
	leastconn bool // backend a balances with leastconn
	backends  int  // number of extra backends nb0..nbN-1 (each with a route)
}

// ltSource renders st as HCL; srv maps a server placeholder to an address
// and extra is added as is (e.g. a defaults block).
func ltSource(st ltState, fe string, srv map[string]string, extra string) string {
	var b strings.Builder
	b.WriteString(extra)
	balance := "roundrobin"
	if st.leastconn {
		balance = "leastconn"
	}
	fmt.Fprintf(&b, "backend \"a\" {\n  balance = %q\n  server \"a1\" {\n    address = %q\n    weight = %d\n  }\n", balance, srv["A1"], st.weight)
	if st.extra {
		fmt.Fprintf(&b, "  server \"a2\" {\n    address = %q\n  }\n", srv["A2"])
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "backend \"b\" {\n  server \"b1\" {\n    address = %q\n  }\n}\n", srv["B1"])
	fmt.Fprintf(&b, "backend \"c\" {\n  server \"c1\" {\n    address = %q\n  }\n}\n", srv["C1"])
	for i := range st.backends {
		fmt.Fprintf(&b, "backend \"nb%d\" {\n  server \"n1\" {\n    address = %q\n  }\n}\n", i, srv["C1"])
	}
	fmt.Fprintf(&b, "frontend \"fe\" {\n  bind = [%q]\n", fe)
	s0 := "a"
	if st.retarget {
		s0 = "b"
	}
	fmt.Fprintf(&b, "  route \"s0\" {\n    host = [\"s0.test\"]\n    backend = backend.%s\n  }\n", s0)
	b.WriteString("  route \"s1\" {\n    host = [\"s1.test\"]\n    backend = backend.a\n  }\n")
	b.WriteString("  route \"s2\" {\n    host = [\"s2.test\"]\n    backend = backend.c\n  }\n")
	cidrs := `"10.1.0.0/16"`
	if st.cidr {
		cidrs += `, "127.0.0.0/8"`
	}
	fmt.Fprintf(&b, "  route \"s1src\" {\n    host = [\"s1.test\"]\n    src = [%s]\n    backend = backend.b\n  }\n", cidrs)
	if st.churn {
		b.WriteString("  route \"churn\" {\n    host = [\"c.test\"]\n    backend = backend.b\n  }\n")
	}
	for i := range st.backends {
		fmt.Fprintf(&b, "  route \"nb%d\" {\n    host = [\"nb%d.test\"]\n    backend = backend.nb%d\n  }\n", i, i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

// ltCompile checks and compiles src with the stats socket sock.
func ltCompile(t testing.TB, src, sock string) *ir.Config {
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

// ltStep is one apply of the load test: how it changes the state and
// whether it must reload.
type ltStep struct {
	name   string
	reload bool
	change func(*ltState)
}

// ltSteps is one cycle of ten applies; the test runs it ten times.
var ltSteps = []ltStep{
	{"route add", false, func(s *ltState) { s.churn = true }},
	{"route retarget", false, func(s *ltState) { s.retarget = true }},
	{"server weight", false, func(s *ltState) { s.weight = 50 }},
	{"server add", false, func(s *ltState) { s.extra = true }},
	{"CIDR entry add", false, func(s *ltState) { s.cidr = true }},
	{"new backend", true, func(s *ltState) { s.backends++ }},
	{"route remove + retarget back", false, func(s *ltState) { s.churn, s.retarget = false, false }},
	{"server weight + server remove", false, func(s *ltState) { s.weight, s.extra = 100, false }},
	{"CIDR entry remove", false, func(s *ltState) { s.cidr = false }},
	{"balance change", true, func(s *ltState) { s.leastconn = !s.leastconn }},
}

// ltEvent is one failed request.
type ltEvent struct {
	at     time.Time
	host   string
	cause  string
	status int // non-2xx answers; 0 for socket errors
	// conn is when the connection the request was sent on was opened.
	conn time.Time
}

// ltStats collects what the clients saw.
type ltStats struct {
	total    atomic.Int64
	closed   atomic.Int64 // answers with "Connection: close" (clean close)
	dials    atomic.Int64
	mu       sync.Mutex
	events   []ltEvent
	backends map[string]int
}

func (s *ltStats) record(e ltEvent) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

// ltCause describes a socket error of a request sent on a connection that
// had already served reused requests.
func ltCause(op string, err error, reused int) string {
	conn := "a fresh connection"
	if reused > 0 {
		conn = "a reused keep-alive connection"
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("%s: EOF on %s (closed by the proxy before answering)", op, conn)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("%s: connection reset on %s", op, conn)
	case errors.Is(err, syscall.EPIPE):
		return fmt.Sprintf("%s: broken pipe on %s", op, conn)
	case errors.Is(err, syscall.ECONNREFUSED):
		return op + ": connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("%s: no answer within 5s on %s", op, conn)
	}
	return fmt.Sprintf("%s: %v on %s", op, err, conn)
}

// ltInterval is the least time between two requests of one client.
const ltInterval = 2 * time.Millisecond

// ltWorker sends GET requests for hosts on one keep-alive connection until
// stop is closed; a socket error is recorded and the worker reconnects.
// Nothing is retried.
func ltWorker(addr string, hosts []string, closeConn bool, stop <-chan struct{}, st *ltStats, id int) {
	var (
		conn   net.Conn
		br     *bufio.Reader
		reused int
		since  time.Time // when conn was opened
		local  = map[string]int{}
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
		st.mu.Lock()
		for k, v := range local {
			st.backends[k] += v
		}
		st.mu.Unlock()
	}()
	drop := func() {
		conn.Close()
		conn, br = nil, nil
	}
	hdr := ""
	if closeConn {
		hdr = "Connection: close\r\n"
	}
	// Each client sends at most one request per ltInterval, so the load
	// (and the test's CPU use on a shared machine) is bounded.
	tick := time.NewTicker(ltInterval)
	defer tick.Stop()
	for n := id; ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		host := hosts[n%len(hosts)]
		if conn == nil {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				st.record(ltEvent{at: time.Now(), host: host, cause: ltCause("dial", err, 0)})
				continue
			}
			st.dials.Add(1)
			conn, br, reused, since = c, bufio.NewReader(c), 0, time.Now()
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		req := "GET /load HTTP/1.1\r\nHost: " + host + "\r\n" + hdr + "\r\n"
		if _, err := io.WriteString(conn, req); err != nil {
			st.record(ltEvent{at: time.Now(), host: host, cause: ltCause("write", err, reused), conn: since})
			drop()
			continue
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			st.record(ltEvent{at: time.Now(), host: host, cause: ltCause("read", err, reused), conn: since})
			drop()
			continue
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			st.record(ltEvent{at: time.Now(), host: host, cause: ltCause("read body", err, reused), conn: since})
			drop()
			continue
		}
		st.total.Add(1)
		reused++
		if resp.StatusCode/100 != 2 {
			st.record(ltEvent{at: time.Now(), host: host, status: resp.StatusCode, cause: fmt.Sprintf("HTTP %d from %q", resp.StatusCode, resp.Header.Get("X-Backend"))})
		} else {
			local[resp.Header.Get("X-Backend")]++
		}
		if resp.Close {
			st.closed.Add(1)
			drop()
		}
	}
}

// ltWindow is the time an apply (and, for a reload, the old worker) took.
type ltWindow struct {
	from, to time.Time
	step     string
	reload   bool
}

// ltOptions describe one load run.
type ltOptions struct {
	steps  []ltStep // one cycle of applies
	cycles int
	// closeConn makes the clients send "Connection: close".
	closeConn bool
	// extra is HCL added to the configuration.
	extra string
}

// ltReloads is a cycle of two reloads and nothing else.
var ltReloads = []ltStep{
	{"balance change", true, func(s *ltState) { s.leastconn = !s.leastconn }},
	{"new backend", true, func(s *ltState) { s.backends++ }},
}

// ltResult is the outcome of one load run.
type ltResult struct {
	stats     *ltStats
	windows   []ltWindow
	reloads   int
	masterRel int // reloads counted by the master
	runtimeD  []time.Duration
	reloadD   []time.Duration
	oldGoneD  []time.Duration
	commands  int
	elapsed   time.Duration
}

// ltRun starts haproxy and the backends, runs the load while applying
// o.cycles cycles of o.steps and returns what happened.
func ltRun(t *testing.T, o ltOptions) *ltResult {
	t.Helper()
	srv := map[string]string{}
	for _, n := range []string{"A1", "A2", "B1", "C1"} {
		srv[n] = hatest.StartBackend(t, n).Addr
	}
	dir := t.TempDir()
	sock := filepath.Join(hatest.SocketDir(t), "stats.sock")
	fe := fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t))
	st := ltState{weight: 100}
	cfg := ltCompile(t, ltSource(st, fe, srv, o.extra), sock)
	cfg.Version = 1
	files, err := ir.Render(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := applier.WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	proxy := hatest.StartProxy(t, filepath.Join(dir, ir.ConfigFile), fe)
	drv := &applier.Local{Dir: dir, RuntimeSocket: sock, MasterSocket: proxy.MasterSocket,
		Haproxy: hatest.Binary(t), Timeout: 5 * time.Second, ReloadTimeout: 20 * time.Second}
	master := &applier.Master{Path: proxy.MasterSocket}
	ctx := context.Background()
	p0, err := master.ShowProc(ctx)
	if err != nil {
		t.Fatal(err)
	}

	res := &ltResult{stats: &ltStats{backends: map[string]int{}}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hosts := []string{"s0.test", "s1.test", "s2.test"}
	for i := range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); ltWorker(fe, hosts, o.closeConn, stop, res.stats, i) }()
	}
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer halt()

	start := time.Now()
	// Let the load reach a steady state first.
	hatest.Eventually(t, 10*time.Second, func() bool { return res.stats.total.Load() >= 200 }, "the load generator got no answers")
	for c := range o.cycles {
		for _, step := range o.steps {
			step.change(&st)
			want := ltCompile(t, ltSource(st, fe, srv, o.extra), sock)
			from := time.Now()
			r, err := drv.Apply(ctx, want, nil, applier.ApplyOptions{DrainTimeout: 10 * time.Second})
			if err != nil {
				halt()
				t.Fatalf("cycle %d, %s: apply: %v\nhaproxy output:\n%s", c, step.name, err, proxy.Output())
			}
			d := time.Since(from)
			if r.Reloaded != step.reload || r.Unchanged {
				halt()
				t.Fatalf("cycle %d, %s: reloaded=%v unchanged=%v, want reloaded=%v (commands %q)", c, step.name, r.Reloaded, r.Unchanged, step.reload, r.Commands)
			}
			res.commands += len(r.Commands)
			w := ltWindow{from: from, to: time.Now(), step: step.name, reload: r.Reloaded}
			if r.Reloaded {
				res.reloads++
				res.reloadD = append(res.reloadD, d)
				// The old worker closes its connections and exits; the
				// window of this reload lasts until it is gone, so every
				// error it causes is counted against the reload.
				hatest.Eventually(t, 15*time.Second, func() bool {
					p, err := master.ShowProc(ctx)
					return err == nil && len(p.Old) == 0
				}, "the old worker did not exit after reload %d", res.reloads)
				w.to = time.Now()
				res.oldGoneD = append(res.oldGoneD, w.to.Sub(from)-d)
			} else {
				res.runtimeD = append(res.runtimeD, d)
			}
			res.windows = append(res.windows, w)
		}
	}
	// A little load after the last apply, so errors that follow it are seen.
	n := res.stats.total.Load()
	hatest.Eventually(t, 10*time.Second, func() bool { return res.stats.total.Load() >= n+200 }, "the load generator stalled after the last apply")
	halt()
	res.elapsed = time.Since(start)
	p1, err := master.ShowProc(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res.masterRel = p1.Reloads - p0.Reloads
	return res
}

// ltReloadOf returns the reload whose window the connection of a socket
// error overlaps (the connection was open between the reload's start and
// the old worker's exit, and the error came after the start): the old
// worker may have closed it, even if the client only noticed later.
func ltReloadOf(ws []ltWindow, e ltEvent) (ltWindow, bool) {
	for _, w := range ws {
		if w.reload && !e.conn.After(w.to) && !e.at.Before(w.from) {
			return w, true
		}
	}
	return ltWindow{}, false
}

// ltWindowOf returns the apply window an event falls in, if any.
func ltWindowOf(ws []ltWindow, at time.Time) (ltWindow, bool) {
	for _, w := range ws {
		if !at.Before(w.from) && !at.After(w.to) {
			return w, true
		}
	}
	return ltWindow{}, false
}

func ltPercentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(len(s)-1, i))]
}

// ltReport summarises a run and returns the non-2xx answers, the socket
// errors on connections that lived through no reload, and those on
// connections that did.
func ltReport(t *testing.T, label string, r *ltResult) (non2xx, runtimeErrs, reloadErrs []ltEvent) {
	t.Helper()
	for _, e := range r.stats.events {
		_, reload := ltReloadOf(r.windows, e)
		switch {
		case e.status != 0:
			non2xx = append(non2xx, e)
		case reload:
			reloadErrs = append(reloadErrs, e)
		default:
			runtimeErrs = append(runtimeErrs, e)
		}
	}
	causes := map[string]int{}
	for _, e := range reloadErrs {
		causes[e.cause]++
	}
	var cl []string
	for c, n := range causes {
		cl = append(cl, fmt.Sprintf("%dx %s", n, c))
	}
	sort.Strings(cl)
	t.Logf("%s: %d requests in %s (%.0f req/s), %d connections opened, %d answers with Connection: close; %d applies (%d reloads; master counted %d), %d runtime commands",
		label, r.stats.total.Load(), r.elapsed.Round(time.Millisecond), float64(r.stats.total.Load())/r.elapsed.Seconds(),
		r.stats.dials.Load(), r.stats.closed.Load(), len(r.windows), r.reloads, r.masterRel, r.commands)
	t.Logf("%s: non-2xx %d; socket errors on connections that lived through no reload %d; socket errors on connections open across a reload %d", label, len(non2xx), len(runtimeErrs), len(reloadErrs))
	for _, c := range cl {
		t.Logf("%s:   reload error: %s", label, c)
	}
	t.Logf("%s: answers by backend %v", label, r.stats.backends)
	t.Logf("%s: apply time runtime p50 %s max %s; reload p50 %s max %s; old worker gone after the reload apply p50 %s max %s", label,
		ltPercentile(r.runtimeD, .5).Round(time.Millisecond/10), ltPercentile(r.runtimeD, 1).Round(time.Millisecond/10),
		ltPercentile(r.reloadD, .5).Round(time.Millisecond/10), ltPercentile(r.reloadD, 1).Round(time.Millisecond/10),
		ltPercentile(r.oldGoneD, .5).Round(time.Millisecond/10), ltPercentile(r.oldGoneD, 1).Round(time.Millisecond/10))
	return non2xx, runtimeErrs, reloadErrs
}

// TestLoadZeroFailedRequests runs 100 applies (80 at runtime, 20 reloads)
// under a keep-alive load of 8 clients, with idle_close_on_response, and
// requires every answer to be 2xx and no socket error at all: the old
// worker of a reload answers the next request of each idle keep-alive
// connection (with Connection: close) instead of closing it under the
// client. TestLoadReloadDefault shows HAProxy's default soft stop.
func TestLoadZeroFailedRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	r := ltRun(t, ltOptions{steps: ltSteps, cycles: 10, extra: ltIdleClose})
	non2xx, runtimeErrs, reloadErrs := ltReport(t, "keep-alive", r)
	if r.stats.total.Load() < 1000 {
		t.Errorf("only %d requests were answered; the load is too small to mean anything", r.stats.total.Load())
	}
	if r.reloads != 20 || r.masterRel != 20 {
		t.Errorf("want 20 reloads, the applier reported %d and the master counted %d", r.reloads, r.masterRel)
	}
	for _, e := range non2xx {
		t.Errorf("non-2xx answer at %s for %s: %s", e.at.Format(time.StampMicro), e.host, e.cause)
	}
	for _, e := range reloadErrs {
		t.Errorf("socket error on a connection open across a reload at %s for %s: %s", e.at.Format(time.StampMicro), e.host, e.cause)
	}
	for _, e := range runtimeErrs {
		w, in := ltWindowOf(r.windows, e.at)
		where := "between applies"
		if in {
			where = "during runtime apply " + w.step
		}
		t.Errorf("socket error %s at %s for %s: %s", where, e.at.Format(time.StampMicro), e.host, e.cause)
	}
	// Every server answered: the added server a2 took traffic, and so did
	// b (for s0.test while retargeted, and for s1.test from 127.0.0.0/8
	// while the CIDR entry was present).
	for _, n := range []string{"A1", "A2", "B1", "C1"} {
		if r.stats.backends[n] == 0 {
			t.Errorf("server %s answered no request: %v", n, r.stats.backends)
		}
	}
}

// ltNoErrors requires a run without any failed request.
func ltNoErrors(t *testing.T, label string, r *ltResult, reloads int) {
	t.Helper()
	non2xx, runtimeErrs, reloadErrs := ltReport(t, label, r)
	for _, e := range slices.Concat(non2xx, runtimeErrs, reloadErrs) {
		t.Errorf("failed request at %s for %s: %s", e.at.Format(time.StampMicro), e.host, e.cause)
	}
	if r.reloads != reloads || r.masterRel != reloads {
		t.Errorf("want %d reloads, the applier reported %d and the master counted %d", reloads, r.reloads, r.masterRel)
	}
}

// TestLoadReloadConnectionClose reloads under clients that send
// "Connection: close" (a new connection per request): no keep-alive
// connection is ever idle on the old worker, so no request fails.
func TestLoadReloadConnectionClose(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	ltNoErrors(t, "Connection: close", ltRun(t, ltOptions{steps: ltReloads, cycles: 3, closeConn: true}), 6)
}

// ltIdleClose turns idle_close_on_response on for every frontend.
const ltIdleClose = "defaults {\n  idle_close_on_response = true\n}\n"

// TestLoadReloadIdleClose reloads under keep-alive clients with
// idle_close_on_response ("option idle-close-on-response", accepted by
// HAProxy 2.6.12, the Debian package): the old worker does not close idle
// keep-alive connections at once, it answers the next request on each
// with "Connection: close", so no request fails.
func TestLoadReloadIdleClose(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	r := ltRun(t, ltOptions{steps: ltReloads, cycles: 3, extra: ltIdleClose})
	ltNoErrors(t, "keep-alive, idle_close_on_response", r, 6)
	if r.stats.closed.Load() == 0 {
		t.Errorf("no answer carried Connection: close: the old workers did not close idle connections through an answer")
	}
}

// TestLoadReloadDefault is the same without idle_close_on_response
// (HAProxy 2.6's own soft stop: idle keep-alive connections are closed at
// once). Requests on connections idle at the reload may fail with EOF; it
// reports them and requires only 2xx answers.
func TestLoadReloadDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	r := ltRun(t, ltOptions{steps: ltReloads, cycles: 3})
	non2xx, _, _ := ltReport(t, "keep-alive, default soft stop", r)
	for _, e := range non2xx {
		t.Errorf("non-2xx answer at %s for %s: %s", e.at.Format(time.StampMicro), e.host, e.cause)
	}
}

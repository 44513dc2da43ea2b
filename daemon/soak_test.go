package daemon

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/internal/hatest"
)

// TestSoak runs haproute on a 10k-route configuration (ten files of 1000
// routes, one frontend each, 1000 backends) under a bounded keep-alive
// load, and applies 200 changes by editing the files: server weight, server
// add and remove, route add and retarget, a CIDR change, and structural
// changes (a new backend, which needs a reload). It reports the load's
// requests, non-2xx answers and socket errors (by cause), the reloads, and
// the save-to-live latency of each class of change: from the write until
// a request shows the new state.
//
//	HAPROUTE_SOAK=1 go test ./daemon -run TestSoak -v -timeout 30m
//
// (HAPROUTE_SOAK_CHANGES=N makes a shorter smoke run of N changes;
// HAPROUTE_SOAK_IDLE_CLOSE=1 turns idle_close_on_response on.)
// (scripts/soak.sh). Target: 0 non-2xx; p99 save-to-live of runtime-class
// changes <= debounce + 50 ms. The test fails on any non-2xx answer, on a
// change that does not go live within 30 s, or on a failed apply; the
// latency target is reported, not asserted (it depends on the machine).
func TestSoak(t *testing.T) {
	if os.Getenv("HAPROUTE_SOAK") == "" {
		t.Skip("set HAPROUTE_SOAK=1 (scripts/soak.sh)")
	}
	changes, minLoad := 200, 60*time.Second
	if n, err := strconv.Atoi(os.Getenv("HAPROUTE_SOAK_CHANGES")); err == nil && n > 0 {
		// A shorter smoke run.
		changes, minLoad = n, 0
	}
	const (
		clients  = 8
		perConn  = 50 // requests per second per connection
		debounce = 200 * time.Millisecond
	)
	a, bb, c := hatest.StartBackend(t, "A"), hatest.StartBackend(t, "B"), hatest.StartBackend(t, "C")
	dir := t.TempDir()
	base := dtFreePorts(t, 10)
	sum, err := benchgen.Write(dir, benchgen.Config{Routes: 10_000, PerFile: 1000, Server: a.Addr, BasePort: base})
	mustDo(t, err)
	if os.Getenv("HAPROUTE_SOAK_IDLE_CLOSE") != "" {
		// idle_close_on_response: no EOF on keep-alive connections idle
		// at a reload.
		g := filepath.Join(dir, "00_global.hcl")
		src, err := os.ReadFile(g)
		mustDo(t, err)
		mustDo(t, os.WriteFile(g, []byte(strings.Replace(string(src), "defaults {\n", "defaults {\n  idle_close_on_response = true\n", 1)), 0o644))
	}
	routesFile := filepath.Join(dir, "20_frontend_000.hcl")
	orig, err := os.ReadFile(routesFile)
	mustDo(t, err)
	s := &soakState{orig: string(orig), dir: dir, b: bb.Addr, c: c.Addr, cidr: "127.0.0.2", retarget: map[int]string{}}
	s.write(t)
	t.Logf("configuration: %d files, %d frontends, %d backends, %d routes (+ soak routes and backends)", sum.Files, sum.Frontends, sum.Backends, sum.Routes)

	d := dtStart(t, dir, dtOptions{Args: []string{"--drain-timeout", "5s", "--log-level", "debug"}})
	startup := time.Now()
	st0 := d.WaitSettled(3 * time.Minute)
	t.Logf("started: version %d in %s", st0.Version, time.Since(startup).Round(time.Millisecond))
	fe0 := fmt.Sprintf("127.0.0.1:%d", base)
	m0 := d.Metrics()

	// The load: keep-alive GETs to routes no change touches, in every
	// frontend, each expected to be answered by A.
	var targets []soakTarget
	for fe := range 10 {
		for i := 16; i < 55; i += 4 {
			if i%5 == 0 {
				continue
			}
			targets = append(targets, soakTarget{fe: fe, addr: fmt.Sprintf("127.0.0.1:%d", base+fe), host: fmt.Sprintf("h%d.example.net", fe*1_000_000+100+i)})
		}
	}
	for _, tg := range targets {
		if got := dtRoute(tg.addr, hatest.Request{Host: tg.host}); got != "A" {
			t.Fatalf("load target %s on %s: %s, want A", tg.host, tg.addr, got)
		}
	}
	load := newSoakLoad(clients, perConn, targets)
	loadStart := time.Now()
	load.start()

	type result struct {
		kind, class string
		lat         time.Duration
	}
	var results []result
	for i := range changes {
		kind, probe := s.change(i)
		v := d.Status().Version
		t0 := time.Now()
		s.write(t)
		var got string
		if !dtPoll(30*time.Second, func() bool {
			got = dtRoute(fe0, probe.req)
			return got == probe.want
		}) {
			load.stop()
			t.Fatalf("change %d (%s): %s answered by %q, want %q, 30 s after the write", i, kind, probe.req.Host, got, probe.want)
		}
		lat := time.Since(t0)
		// Wait for the sync to finish (files and status agree) so that
		// the next change is a change of its own.
		var st Status
		if !dtPoll(60*time.Second, func() bool {
			st = d.Status()
			return st.Version > v && st.Version == dtFileVersion(d.State)
		}) || st.LastError != "" {
			load.stop()
			t.Fatalf("change %d (%s): sync did not finish: %+v", i, kind, st)
		}
		results = append(results, result{kind, st.LastApplyKind, lat})
	}
	changesDone := time.Since(loadStart)
	if rest := minLoad - changesDone; rest > 0 {
		time.Sleep(rest) // keep the load running for at least a minute
	}
	load.stop()
	loadDur := time.Since(loadStart)
	m := d.Metrics()
	if p := d.Plan(); !p.Empty() {
		t.Errorf("plan not empty after the soak: %+v", p.Changes)
	}

	// Report.
	var rep strings.Builder
	fmt.Fprintf(&rep, "machine: %d CPUs, load average %.1f at the end; debounce %s\n", runtime.NumCPU(), dtLoadAverage(), debounce)
	fmt.Fprintf(&rep, "load: %d keep-alive connections x %d req/s for %s: %d requests, %d non-2xx, %d socket errors\n",
		clients, perConn, loadDur.Round(time.Second), load.requests.Load(), load.non2xx.Load(), load.errors.Load())
	for _, cause := range load.causes() {
		fmt.Fprintf(&rep, "  socket error: %s\n", cause)
	}
	diff := func(k string) float64 { return m[k] - m0[k] }
	fmt.Fprintf(&rep, "changes: %d in %s; applies runtime %v, reload %v, failed %v; reloads %v; haproxy restarts %v\n",
		changes, changesDone.Round(time.Second),
		diff(dtMetricKey("haproute_applies_total", `kind="runtime"`, `result="success"`)),
		diff(dtMetricKey("haproute_applies_total", `kind="reload"`, `result="success"`)),
		diff(dtMetricKey("haproute_applies_total", `kind="unknown"`, `result="failure"`)),
		diff("haproute_reloads_total{}"), m["haproute_haproxy_restarts_total{}"])
	byKind := map[string][]time.Duration{}
	var runtimeLat []time.Duration
	kinds := []string{}
	for _, r := range results {
		k := r.kind + " [" + r.class + "]"
		if _, ok := byKind[k]; !ok {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], r.lat)
		if r.class == "runtime" {
			runtimeLat = append(runtimeLat, r.lat)
		}
	}
	sort.Strings(kinds)
	fmt.Fprintf(&rep, "save-to-live (write -> a request sees the new state):\n")
	fmt.Fprintf(&rep, "  %-28s %5s %8s %8s %8s\n", "change [applied as]", "n", "p50", "p99", "max")
	line := func(name string, ds []time.Duration) {
		p50, p99, mx := dtPercentiles(ds)
		fmt.Fprintf(&rep, "  %-28s %5d %8s %8s %8s\n", name, len(ds), p50, p99, mx)
	}
	for _, k := range kinds {
		line(k, byKind[k])
	}
	line("all runtime-class", runtimeLat)
	// Where the time goes, from haproute's log: the preparations (run
	// while the debounce waits: load+check+compile, the live-state read
	// beside it, and the whole) and the syncs (from the debounce's end).
	var prepDesired, prepLive, prepAll, syncs, syncsPrepared []time.Duration
	for _, l := range strings.Split(d.Log.String(), "\n") {
		var e struct {
			Msg      string        `json:"msg"`
			Desired  time.Duration `json:"desired"`
			Live     time.Duration `json:"live"`
			Duration time.Duration `json:"duration"`
			Prepared bool          `json:"prepared"`
			Kind     string        `json:"kind"`
		}
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		switch {
		case e.Msg == "prepared":
			prepDesired, prepLive, prepAll = append(prepDesired, e.Desired), append(prepLive, e.Live), append(prepAll, e.Duration)
		case e.Msg == "applied" && e.Kind == "runtime":
			syncs = append(syncs, e.Duration)
			if e.Prepared {
				syncsPrepared = append(syncsPrepared, e.Duration)
			}
		}
	}
	fmt.Fprintf(&rep, "haproute's log (runtime-class syncs committed as prepared: %d of %d):\n", len(syncsPrepared), len(syncs))
	fmt.Fprintf(&rep, "  %-28s %5s %8s %8s %8s\n", "step", "n", "p50", "p99", "max")
	line("prepare: load+check+compile", prepDesired)
	line("prepare: live read (beside)", prepLive)
	line("prepare: whole", prepAll)
	line("sync after the debounce", syncs)
	line("  of which prepared", syncsPrepared)
	t.Logf("soak report:\n%s", rep.String())

	if n := load.non2xx.Load(); n != 0 {
		t.Errorf("%d non-2xx answers under load (%s)", n, load.statuses())
	}
	if n := m["haproute_haproxy_restarts_total{}"]; n != 0 {
		t.Errorf("haproxy restarted %v times", n)
	}
	if _, p99, _ := dtPercentiles(runtimeLat); p99 > debounce+50*time.Millisecond {
		t.Logf("TARGET MISSED: p99 save-to-live of runtime-class changes %s > debounce + 50 ms", p99)
	}
}

// dtPercentiles returns p50, p99 and max, rounded to the millisecond.
func dtPercentiles(ds []time.Duration) (p50, p99, mx time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.5) - 1
		return s[max(0, min(i, len(s)-1))].Round(time.Millisecond)
	}
	return at(0.5), at(0.99), s[len(s)-1].Round(time.Millisecond)
}

// dtFreePorts returns the first of n consecutive free ports.
func dtFreePorts(t *testing.T, n int) int {
	t.Helper()
	return hatest.FreePorts(t, n)
}

// soakProbe is the request that shows a change is live, and who must
// answer it.
type soakProbe struct {
	req  hatest.Request
	want string
}

// soakState is the soak's mutable part of the configuration: soak
// backends in 30_soak.hcl, soak routes appended to frontend fe000 (the
// first 1000-route file), and retargeted benchgen routes in that file.
type soakState struct {
	orig, dir, b, c string

	weightToB  bool           // soak_w: weight on sB (B) or sC (C)
	arAdded    bool           // soak_ar has server y (C), x at weight 0
	added      int            // routes add<N>.soak.test -> soak_c
	retarget   map[int]string // fe000 route index -> soak_b | soak_c
	nextRoute  int
	cidr       string // the src of route soak_cidr
	structural int    // backends soak_s<N>, with routes s<N>.soak.test
}

// change mutates the state for change number i and returns its kind and
// the probe that shows it.
func (s *soakState) change(i int) (string, soakProbe) {
	switch i % 10 {
	case 0, 4:
		s.weightToB = !s.weightToB
		want := "C"
		if s.weightToB {
			want = "B"
		}
		return "server weight", soakProbe{hatest.Request{Host: "w.soak.test"}, want}
	case 1, 7:
		s.added++
		return "route add", soakProbe{hatest.Request{Host: fmt.Sprintf("add%d.soak.test", s.added)}, "C"}
	case 2, 6:
		// Exact-host routes of fe000 not used by the load: r<k>, k mod 100
		// in 17..54 (not a multiple of 5: one host), k mod 4 != 0.
		for {
			k := s.nextRoute
			s.nextRoute++
			r := 100*(1+k/30) + 17 + k%30 // hundreds 1.., offsets 17..46
			if r%5 == 0 || (r%100-16)%4 == 0 {
				continue
			}
			be, want := "soak_b", "B"
			if k%2 == 1 {
				be, want = "soak_c", "C"
			}
			s.retarget[r] = be
			return "route retarget", soakProbe{hatest.Request{Host: fmt.Sprintf("h%d.example.net", r)}, want}
		}
	case 3:
		if s.cidr == "127.0.0.2" {
			s.cidr = "127.0.0.3"
		} else {
			s.cidr = "127.0.0.2"
		}
		return "CIDR", soakProbe{hatest.Request{Host: "cidr.soak.test", Src: s.cidr}, "B"}
	case 5:
		s.arAdded = true
		return "server add", soakProbe{hatest.Request{Host: "ar.soak.test"}, "C"}
	case 8:
		s.arAdded = false
		return "server remove", soakProbe{hatest.Request{Host: "ar.soak.test"}, "B"}
	default: // 9
		if (i/10)%2 == 1 {
			s.weightToB = !s.weightToB
			want := "C"
			if s.weightToB {
				want = "B"
			}
			return "server weight", soakProbe{hatest.Request{Host: "w.soak.test"}, want}
		}
		s.structural++
		return "new backend", soakProbe{hatest.Request{Host: fmt.Sprintf("s%d.soak.test", s.structural)}, "C"}
	}
}

var soakBackendRE = regexp.MustCompile(`(?s)(route "r(\d+)" \{.*?backend\s+= backend\.)(b\d+)`)

// write writes 30_soak.hcl and 20_frontend_000.hcl from the state.
func (s *soakState) write(t *testing.T) {
	t.Helper()
	var be strings.Builder
	server := func(name, addr string, weight int) {
		fmt.Fprintf(&be, "  server %q {\n    address = %q\n    weight  = %d\n  }\n", name, addr, weight)
	}
	fmt.Fprintf(&be, "backend \"soak_b\" {\n")
	server("s1", s.b, 100)
	fmt.Fprintf(&be, "}\n\nbackend \"soak_c\" {\n")
	server("s1", s.c, 100)
	fmt.Fprintf(&be, "}\n\nbackend \"soak_w\" {\n")
	wb, wc := 0, 100
	if s.weightToB {
		wb, wc = 100, 0
	}
	server("sB", s.b, wb)
	server("sC", s.c, wc)
	fmt.Fprintf(&be, "}\n\nbackend \"soak_ar\" {\n")
	if s.arAdded {
		server("x", s.b, 0)
		server("y", s.c, 100)
	} else {
		server("x", s.b, 100)
	}
	be.WriteString("}\n")
	for n := 1; n <= s.structural; n++ {
		fmt.Fprintf(&be, "\nbackend \"soak_s%d\" {\n", n)
		server("s1", s.c, 100)
		be.WriteString("}\n")
	}

	fe := soakBackendRE.ReplaceAllStringFunc(s.orig, func(m string) string {
		sub := soakBackendRE.FindStringSubmatch(m)
		var r int
		fmt.Sscan(sub[2], &r)
		if to, ok := s.retarget[r]; ok {
			return sub[1] + to
		}
		return m
	})
	var rt strings.Builder
	route := func(name, body string) { fmt.Fprintf(&rt, "\n  route %q {\n%s  }\n", name, body) }
	route("soak_w", "    host    = [\"w.soak.test\"]\n    backend = backend.soak_w\n")
	route("soak_ar", "    host    = [\"ar.soak.test\"]\n    backend = backend.soak_ar\n")
	route("soak_cidr", fmt.Sprintf("    host    = [\"cidr.soak.test\"]\n    src     = [\"%s/32\"]\n    backend = backend.soak_b\n", s.cidr))
	for n := 1; n <= s.added; n++ {
		route(fmt.Sprintf("soak_add%d", n), fmt.Sprintf("    host    = [\"add%d.soak.test\"]\n    backend = backend.soak_c\n", n))
	}
	for n := 1; n <= s.structural; n++ {
		route(fmt.Sprintf("soak_s%d", n), fmt.Sprintf("    host    = [\"s%d.soak.test\"]\n    backend = backend.soak_s%d\n", n, n))
	}
	i := strings.LastIndex(fe, "}")
	fe = fe[:i] + rt.String() + fe[i:]

	// Backends first: a sync between the two writes sees a backend
	// without routes (valid), never a route without its backend.
	dtWrite(t, filepath.Join(s.dir, "30_soak.hcl"), be.String())
	dtWrite(t, filepath.Join(s.dir, "20_frontend_000.hcl"), fe)
}

type soakTarget struct {
	fe         int
	addr, host string
}

// soakLoad is a bounded load generator: keep-alive connections, each
// sending GETs at a fixed rate, with no retries. A failed request counts
// as a socket error and the connection is replaced.
type soakLoad struct {
	clients, rate int
	targets       []soakTarget
	quit          chan struct{}
	wg            sync.WaitGroup

	requests, non2xx, errors atomic.Int64
	mu                       sync.Mutex
	causeCount               map[string]int
	statusCount              map[int]int
}

func newSoakLoad(clients, rate int, targets []soakTarget) *soakLoad {
	return &soakLoad{clients: clients, rate: rate, targets: targets, quit: make(chan struct{}),
		causeCount: map[string]int{}, statusCount: map[int]int{}}
}

func (l *soakLoad) start() {
	for i := range l.clients {
		l.wg.Add(1)
		go l.run(i)
	}
}

func (l *soakLoad) stop() {
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	l.wg.Wait()
}

// run is one client: one keep-alive connection to one frontend (client
// id serves frontend id mod the number of frontends), cycling through that
// frontend's targets at a fixed rate.
func (l *soakLoad) run(id int) {
	defer l.wg.Done()
	var mine []soakTarget
	addr := l.targets[0].addr
	for _, tg := range l.targets {
		if tg.fe == id%10 {
			mine = append(mine, tg)
			addr = tg.addr
		}
	}
	var conn net.Conn
	var br *bufio.Reader
	reused := false
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	interval := time.Second / time.Duration(l.rate)
	next := time.Now()
	for n := 0; ; n++ {
		next = next.Add(interval)
		select {
		case <-l.quit:
			return
		case <-time.After(time.Until(next)):
		}
		tg := mine[n%len(mine)]
		if conn == nil {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				l.requests.Add(1)
				l.fail("dial: "+dtCause(err), false)
				continue
			}
			conn, br, reused = c, bufio.NewReader(c), false
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		l.requests.Add(1)
		status, closeConn, err := dtKeepAliveGet(conn, br, tg.host)
		if err != nil {
			l.fail(dtCause(err), reused)
			conn.Close()
			conn = nil
			continue
		}
		if status < 200 || status > 299 {
			l.non2xx.Add(1)
			l.mu.Lock()
			l.statusCount[status]++
			l.mu.Unlock()
		}
		reused = true
		if closeConn {
			conn.Close()
			conn = nil
		}
	}
}

func (l *soakLoad) fail(cause string, reused bool) {
	l.errors.Add(1)
	if reused {
		cause += " (on a reused keep-alive connection)"
	} else {
		cause += " (on a new connection)"
	}
	l.mu.Lock()
	l.causeCount[cause]++
	l.mu.Unlock()
}

func (l *soakLoad) causes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for c, n := range l.causeCount {
		out = append(out, fmt.Sprintf("%d x %s", n, c))
	}
	sort.Strings(out)
	return out
}

func (l *soakLoad) statuses() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.statusCount)
}

// dtKeepAliveGet sends one GET on a keep-alive connection and reads the
// whole answer.
func dtKeepAliveGet(conn net.Conn, br *bufio.Reader, host string) (status int, closeConn bool, err error) {
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n"); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Close, err
}

// dtCause names a socket error's cause.
func dtCause(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the proxy before an answer (EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset (RST)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe (write to a closed connection)"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return err.Error()
}

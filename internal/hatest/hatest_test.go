package hatest

import (
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLoopbackSourceAddresses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: time.Second}
		c, err := d.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatalf("dial from %s: %v", src, err)
		}
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got := s.RemoteAddr().(*net.TCPAddr).IP.String(); got != src {
			t.Errorf("server saw %s, want %s", got, src)
		}
		s.Close()
		c.Close()
	}
}

func TestParseShowProc(t *testing.T) {
	out := `#<PID>          <type>          <reloads>       <uptime>        <version>
1162            master          1 [failed: 0]   0d00h00m25s     2.6.12-1+deb12u4
# workers
1200            worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
1163            worker          [was: 0]        0d00h00m25s     2.6.12-1+deb12u4
# programs

`
	pids, err := parseShowProc(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 || pids[0] != 1200 {
		t.Fatalf("pids = %v, want [1200]", pids)
	}
	if _, err := parseShowProc("Unknown command\n"); err == nil {
		t.Fatal("expected error on garbage")
	}
}

func TestBackendDirect(t *testing.T) {
	b := StartBackend(t, "direct")
	resp, err := Do(b.Addr, Request{
		Method: "POST",
		Host:   "h.test",
		Path:   "/p/a%20b?x=1&y=%41",
		Header: [][2]string{{"X-Raw", `a  "b" \c`}, {"x-multi", "1"}, {"X-Multi", "2"}},
		Body:   []byte("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Backend != "direct" || resp.Echo.Backend != "direct" {
		t.Fatalf("resp = %+v", resp)
	}
	e := resp.Echo
	if e.Method != "POST" || e.Path != "/p/a b" || e.Query != "x=1&y=%41" || e.Host != "h.test" || e.URI != "/p/a%20b?x=1&y=%41" {
		t.Errorf("echo = %+v", e)
	}
	if e.Headers["x-raw"] != `a  "b" \c` || e.Headers["x-multi"] != "1" || e.Headers["host"] != "h.test" {
		t.Errorf("headers = %v", e.Headers)
	}
	if b.Count() != 1 {
		t.Errorf("Count = %d", b.Count())
	}
}

func TestCheckRejectsInvalid(t *testing.T) {
	dir := t.TempDir()
	cfg := WriteFile(t, filepath.Join(dir, "bad.cfg"), "frontend f\n  bind 127.0.0.1:1\n  frobnicate yes\n")
	err := Check(t, cfg)
	if err == nil {
		t.Fatal("Check accepted an invalid config")
	}
	if !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("error does not contain haproxy output: %v", err)
	}
}

func TestProxyEndToEnd(t *testing.T) {
	b1 := StartBackend(t, "b1")
	b2 := StartBackend(t, "b2")
	dir := SocketDir(t)
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	stats := filepath.Join(dir, "stats.sock")
	cfg := WriteFile(t, filepath.Join(dir, "haproxy.cfg"), fmt.Sprintf(`global
    stats socket %s mode 600 level admin expose-fd listeners

defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s

frontend fe
    bind %s
    http-request deny deny_status 403 if { src 127.0.0.3 }
    use_backend b2 if { hdr(host) -m str b2.test }
    default_backend b1

backend b1
    server s1 %s

backend b2
    server s1 %s
`, stats, addr, b1.Addr, b2.Addr))
	if err := Check(t, cfg); err != nil {
		t.Fatal(err)
	}
	p := StartProxy(t, cfg, addr)

	resp, err := Do(addr, Request{Host: "a.test", Path: "/x?q=1"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Backend != "b1" || resp.Echo.Path != "/x" || resp.Echo.Query != "q=1" {
		t.Errorf("default: %+v", resp)
	}
	resp, err = Do(addr, Request{Host: "b2.test"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Backend != "b2" || resp.Echo.Host != "b2.test" {
		t.Errorf("b2.test: %+v", resp)
	}
	resp, err = Do(addr, Request{Host: "b2.test", Src: "127.0.0.3"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 403 || resp.Backend != "" {
		t.Errorf("src 127.0.0.3: status %d backend %q", resp.Status, resp.Backend)
	}
	resp, err = Do(addr, Request{Host: "b2.test", Src: "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Backend != "b2" {
		t.Errorf("src 127.0.0.2: status %d backend %q", resp.Status, resp.Backend)
	}
	if b1.Count() != 1 || b2.Count() != 2 {
		t.Errorf("counts b1=%d b2=%d, want 1 and 2", b1.Count(), b2.Count())
	}

	pids, err := p.WorkerPIDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 {
		t.Fatalf("WorkerPIDs = %v, want exactly one", pids)
	}

	info, err := RuntimeCommand(stats, "show info")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "Name: HAProxy") || !strings.Contains(info, fmt.Sprintf("Pid: %d", pids[0])) {
		t.Errorf("show info unexpected:\n%s", info)
	}

	if _, err := p.MasterCommand("reload"); err != nil {
		t.Fatal(err)
	}
	var newPIDs []int
	Eventually(t, 10*time.Second, func() bool {
		cur, err := p.WorkerPIDs()
		if err != nil || len(cur) != 1 || cur[0] == pids[0] {
			return false
		}
		newPIDs = cur
		return true
	}, "worker pid did not change after reload; output:\n%s", p.Output())
	t.Logf("worker %d replaced by %d after reload", pids[0], newPIDs[0])

	// The reloaded proxy keeps serving on the same listener.
	Eventually(t, 5*time.Second, func() bool {
		r, err := Do(addr, Request{Host: "b2.test"})
		return err == nil && r.Backend == "b2"
	}, "proxy not serving after reload")

	// Reload helper replaces the worker again.
	t1 := time.Now()
	again := p.Reload(t)
	t.Logf("Reload took %v", time.Since(t1))
	if len(again) != 1 || again[0] == newPIDs[0] {
		t.Errorf("Reload returned %v (previous %v)", again, newPIDs)
	}

	t0 := time.Now()
	p.Stop()
	t.Logf("Stop took %v", time.Since(t0))
	if !p.Exited() {
		t.Fatal("master still running after Stop")
	}
	if _, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		t.Error("listener still accepting after Stop")
	}
}

func TestStartProxyReportsEarlyExit(t *testing.T) {
	// Run StartProxy against a config that binds an address already in use;
	// haproxy exits early and StartProxy must fail with its output.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	cfg := WriteFile(t, filepath.Join(dir, "haproxy.cfg"), fmt.Sprintf(`defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind %s
    default_backend b
backend b
    server s 127.0.0.1:1
`, l.Addr()))
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartProxy(ft, cfg, fmt.Sprintf("127.0.0.1:%d", FreePort(t))) // never listened on
	}()
	<-done
	if !ft.failed {
		t.Fatal("StartProxy did not fail")
	}
	if !strings.Contains(ft.msg, "exited early") || !strings.Contains(ft.msg, "Address already in use") && !strings.Contains(ft.msg, "cannot bind") {
		t.Errorf("unexpected failure message:\n%s", ft.msg)
	}
}

// fatalRecorder captures Fatalf instead of failing the real test; Fatalf
// ends the calling goroutine like testing.T does.
type fatalRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalRecorder) Fatal(args ...any) {
	f.failed = true
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

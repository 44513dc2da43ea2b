// Package hatest is a test-helper library for integration tests that run a
// REAL haproxy binary and real HTTP backends on 127.0.0.1. Nothing is mocked:
// configurations are checked with `haproxy -c`, proxies are started in
// master-worker mode, and requests are sent over real TCP connections.
//
// Typical use:
//
//	b1 := hatest.StartBackend(t, "b1")
//	port := hatest.FreePort(t)
//	dir := hatest.SocketDir(t)
//	cfg := hatest.WriteFile(t, filepath.Join(dir, "haproxy.cfg"), "...")
//	if err := hatest.Check(t, cfg); err != nil { t.Fatal(err) }
//	p := hatest.StartProxy(t, cfg, fmt.Sprintf("127.0.0.1:%d", port))
//	resp, err := hatest.Do(fmt.Sprintf("127.0.0.1:%d", port), hatest.Request{Host: "a.test"})
//
// Loopback source addresses other than 127.0.0.1 (127.0.0.2, 127.0.0.3, ...)
// work on Linux without any configuration because the whole 127.0.0.0/8
// block is routed to the loopback interface; use Request.Src to pick one.
package hatest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// EnvBinary is the environment variable that overrides the haproxy binary path.
const EnvBinary = "HAPROUTE_HAPROXY"

// DefaultTimeout is the I/O timeout used by Do, MasterCommand and RuntimeCommand.
const DefaultTimeout = 5 * time.Second

// fallbackBinary is tried when haproxy is not on PATH.
const fallbackBinary = "/usr/sbin/haproxy"

// Binary returns the haproxy binary path: the value of HAPROUTE_HAPROXY if set,
// otherwise a PATH lookup of "haproxy", otherwise /usr/sbin/haproxy. If no
// usable binary is found the test fails (t.Fatal) when os.Getenv("CI") ==
// "true" and is skipped (t.Skip) otherwise.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := findBinary()
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("hatest: haproxy binary required in CI: %v", err)
	}
	t.Skipf("hatest: skipping, haproxy binary not available: %v", err)
	return ""
}

func findBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("%s=%q is not an executable file", EnvBinary, p)
	}
	if p, err := exec.LookPath("haproxy"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	if isExecutable(fallbackBinary) {
		return fallbackBinary, nil
	}
	return "", errors.New(`"haproxy" not found in PATH nor at ` + fallbackBinary)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Check runs `haproxy -c -f cfgPath` and returns nil when haproxy accepts the
// configuration, or an error containing haproxy's full combined output.
func Check(t testing.TB, cfgPath string) error {
	t.Helper()
	bin := Binary(t)
	out, err := exec.Command(bin, "-c", "-f", cfgPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("haproxy -c -f %s: %v\n%s", cfgPath, err, out)
	}
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free at the time of the
// call (the listener is closed before returning). It is taken below the
// kernel's ephemeral range (32768 and up on Linux), from which outgoing
// connections pick their source ports: a port the kernel hands out for
// :0 can be taken by a client connection of another test before haproxy
// binds it ("Address already in use"). Ports are not handed out twice in
// one test process.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)
}

// FreePorts is FreePort for n consecutive ports; it returns the first.
func FreePorts(t testing.TB, n int) int {
	t.Helper()
	freePortMu.Lock()
	defer freePortMu.Unlock()
	free := func(base int) bool {
		for p := base; p < base+n; p++ {
			if freePortUsed[p] {
				return false
			}
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				return false
			}
			l.Close()
		}
		return true
	}
	for range 1000 {
		base := 20000 + rand.IntN(12000-n)
		if free(base) {
			for p := base; p < base+n; p++ {
				freePortUsed[p] = true
			}
			return base
		}
	}
	t.Fatalf("hatest: no run of %d free ports below 32000", n)
	return 0
}

var (
	freePortMu   sync.Mutex
	freePortUsed = map[int]bool{}
)

// maxSocketDirLen keeps "<dir>/<name>.sock" below the 108-byte sun_path limit.
const maxSocketDirLen = 80

// SocketDir returns a temporary directory (removed at cleanup) whose path is
// short enough to hold unix sockets such as "master.sock" and "stats.sock".
// It is t.TempDir() unless that path is too long, in which case a shorter
// directory under /tmp is created.
func SocketDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) <= maxSocketDirLen {
		return dir
	}
	dir, err := os.MkdirTemp("/tmp", "hatest")
	if err != nil {
		t.Fatalf("hatest: SocketDir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// WriteFile writes content to path (mode 0644), failing the test on error,
// and returns path. It is a convenience for writing configs, maps and ACL files.
func WriteFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("hatest: WriteFile: %v", err)
	}
	return path
}

// EchoBody is the JSON document a Backend returns for every request.
type EchoBody struct {
	// Backend is the name of the backend that answered.
	Backend string `json:"backend"`
	// Method is the request method.
	Method string `json:"method"`
	// Path is the decoded URL path (net/url semantics).
	Path string `json:"path"`
	// Query is the raw query string, without the leading "?".
	Query string `json:"query"`
	// Host is the Host header (or authority) seen by the backend.
	Host string `json:"host"`
	// URI is the request-target exactly as it appeared on the request line.
	URI string `json:"uri"`
	// Headers maps lowercased header names to their first value. It also
	// contains "host" when the request carried one.
	Headers map[string]string `json:"headers"`
}

// Backend is a real HTTP server on 127.0.0.1 that identifies itself in
// every response (X-Backend header and EchoBody JSON).
type Backend struct {
	// Name is the identity reported by the backend.
	Name string
	// Addr is the listening address, "127.0.0.1:<port>".
	Addr string
	// Port is the listening port.
	Port int

	count atomic.Int64
	srv   *http.Server
}

// Count returns the number of requests the backend has answered so far.
func (b *Backend) Count() int { return int(b.count.Load()) }

// StartBackend starts a backend on a kernel-chosen port of 127.0.0.1. It
// answers every request with status 200, header "X-Backend: <name>",
// "Content-Type: application/json" and a JSON EchoBody:
// {"backend":name,"method":..,"path":..,"query":..,"host":..,"uri":..,
// "headers":{lowercased name: first value}}. It counts requests (Count) and
// is closed by t.Cleanup.
func StartBackend(t testing.TB, name string) *Backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("hatest: StartBackend %s: %v", name, err)
	}
	b := &Backend{Name: name, Addr: l.Addr().String(), Port: l.Addr().(*net.TCPAddr).Port}
	b.srv = &http.Server{
		Handler:           http.HandlerFunc(b.serve),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go b.srv.Serve(l) //nolint:errcheck // returns ErrServerClosed at cleanup
	t.Cleanup(func() { b.srv.Close() })
	return b
}

func (b *Backend) serve(w http.ResponseWriter, r *http.Request) {
	b.count.Add(1)
	_, _ = io.Copy(io.Discard, r.Body)
	hdrs := make(map[string]string, len(r.Header)+1)
	for k, v := range r.Header {
		if len(v) > 0 {
			hdrs[strings.ToLower(k)] = v[0]
		}
	}
	if r.Host != "" {
		hdrs["host"] = r.Host
	}
	body, _ := json.Marshal(EchoBody{
		Backend: b.Name,
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.RawQuery,
		Host:    r.Host,
		URI:     r.RequestURI,
		Headers: hdrs,
	})
	w.Header().Set("X-Backend", b.Name)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Response is what a client saw.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Backend is the X-Backend response header, "" if none.
	Backend string
	// Location is the Location response header, "" if none.
	Location string
	// Body is the full response body.
	Body []byte
	// Header holds all response headers.
	Header http.Header
	// Echo is the decoded EchoBody when the body is a backend's JSON echo;
	// zero otherwise.
	Echo EchoBody
}

// Request describes one request to send with Do.
type Request struct {
	// Method defaults to "GET".
	Method string
	// Host is sent as the Host header. "" means the address passed to Do,
	// unless Header already contains a Host header.
	Host string
	// Path is the request-target, sent verbatim (it may include a query).
	// "" means "/".
	Path string
	// Header lists extra headers, sent in order and byte-for-byte as
	// "name: value".
	Header [][2]string
	// Src is the local source IP, e.g. "127.0.0.2"; "" means the default.
	Src string
	// Body is an optional request body; when non-empty a Content-Length
	// header is added.
	Body []byte
}

// Do sends req to addr (host:port) over a fresh TCP connection (bound to
// req.Src when set) using a hand-written HTTP/1.1 request, so header values
// and the request target are sent byte-for-byte and are not normalised by
// net/http. It adds "Connection: close", reads the response with
// http.ReadResponse, and never follows redirects. The whole exchange is
// limited to 5 seconds.
func Do(addr string, req Request) (*Response, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	target := req.Path
	if target == "" {
		target = "/"
	}
	d := net.Dialer{Timeout: DefaultTimeout}
	if req.Src != "" {
		ip := net.ParseIP(req.Src)
		if ip == nil {
			return nil, fmt.Errorf("hatest: invalid source IP %q", req.Src)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(DefaultTimeout)); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s %s HTTP/1.1\r\n", method, target)
	hasHost := false
	for _, h := range req.Header {
		if strings.EqualFold(h[0], "host") {
			hasHost = true
		}
	}
	switch {
	case req.Host != "":
		fmt.Fprintf(&buf, "Host: %s\r\n", req.Host)
	case !hasHost:
		fmt.Fprintf(&buf, "Host: %s\r\n", addr)
	}
	for _, h := range req.Header {
		fmt.Fprintf(&buf, "%s: %s\r\n", h[0], h[1])
	}
	if len(req.Body) > 0 {
		fmt.Fprintf(&buf, "Content-Length: %d\r\n", len(req.Body))
	}
	buf.WriteString("Connection: close\r\n\r\n")
	buf.Write(req.Body)
	if _, err := conn.Write(buf.Bytes()); err != nil {
		return nil, err
	}

	hr, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		return nil, err
	}
	resp := &Response{
		Status:   hr.StatusCode,
		Backend:  hr.Header.Get("X-Backend"),
		Location: hr.Header.Get("Location"),
		Body:     body,
		Header:   hr.Header,
	}
	if len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{' {
		var e EchoBody
		if json.Unmarshal(body, &e) == nil {
			resp.Echo = e
		}
	}
	return resp, nil
}

// syncBuffer is a goroutine-safe bytes.Buffer used to capture haproxy output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Proxy is a running haproxy in master-worker mode started by StartProxy.
type Proxy struct {
	// Cmd is the master process.
	Cmd *exec.Cmd
	// MasterSocket is the path of the master CLI unix socket.
	MasterSocket string
	// Dir is the temporary directory holding the master socket.
	Dir string

	t        testing.TB
	out      *syncBuffer
	done     chan struct{} // closed when the master has exited
	waitErr  error         // valid after done is closed
	stopOnce sync.Once
}

// StartProxy starts `haproxy -W -db -S <dir>/master.sock,mode,600 -f cfgPath`
// (dir is a fresh temporary directory), capturing stdout and stderr (see
// Output). The child gets its own process group and SIGKILL as parent-death
// signal, so it does not outlive a killed test binary. StartProxy waits until
// every address in waitAddrs accepts TCP connections and the master CLI
// answers `show proc` with at least one worker (polling, 10s deadline). If haproxy exits early or the
// deadline passes the test fails with haproxy's output. A t.Cleanup stops the
// proxy (see Stop).
func StartProxy(t testing.TB, cfgPath string, waitAddrs ...string) *Proxy {
	t.Helper()
	bin := Binary(t)
	if abs, err := filepath.Abs(cfgPath); err == nil {
		cfgPath = abs
	}
	dir := SocketDir(t)
	sock := filepath.Join(dir, "master.sock")
	out := &syncBuffer{}
	cmd := exec.Command(bin, "-W", "-db", "-S", sock+",mode,600", "-f", cfgPath)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Workers inherit the output pipe; do not let a stray worker block Wait.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("hatest: start haproxy: %v", err)
	}
	p := &Proxy{Cmd: cmd, MasterSocket: sock, Dir: dir, t: t, out: out, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Stop)

	addrs := append([]string{}, waitAddrs...)
	deadline := time.Now().Add(10 * time.Second)
	ready := func() bool {
		for len(addrs) > 0 {
			c, err := net.DialTimeout("tcp", addrs[0], 200*time.Millisecond)
			if err != nil {
				return false
			}
			c.Close()
			addrs = addrs[1:]
		}
		// The master re-executes itself into "wait mode" right after forking
		// the first worker; only a full command round trip proves that the
		// final master is serving its CLI.
		out, err := unixCommand(sock, "show proc")
		if err != nil {
			return false
		}
		pids, err := parseShowProc(out)
		return err == nil && len(pids) > 0
	}
	for !ready() {
		select {
		case <-p.done:
			t.Fatalf("hatest: haproxy exited early (%v); output:\n%s", p.waitErr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hatest: haproxy not ready after 10s (addresses still closed: %v; otherwise the master CLI did not list a worker); output:\n%s", addrs, out.String())
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Millisecond):
		}
	}
	return p
}

// Output returns everything haproxy has written to stdout and stderr so far.
// Alerts and warnings (stderr) appear immediately; some NOTICE lines go to
// stdout, which haproxy buffers because it is a pipe, so they may only show
// up when the master exits.
func (p *Proxy) Output() string { return p.out.String() }

// PID returns the PID of the master process.
func (p *Proxy) PID() int { return p.Cmd.Process.Pid }

// Exited reports whether the master process has exited.
func (p *Proxy) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop soft-stops haproxy: it sends SIGUSR1 to the master PID, waits up to
// 5s for it to exit, and only if it is still alive sends SIGKILL to that PID
// and its process group. It is idempotent and registered as a t.Cleanup by
// StartProxy.
func (p *Proxy) Stop() {
	p.stopOnce.Do(func() {
		pid := p.Cmd.Process.Pid
		if !p.Exited() {
			_ = syscall.Kill(pid, syscall.SIGUSR1)
		}
		select {
		case <-p.done:
			return
		case <-time.After(5 * time.Second):
		}
		p.t.Logf("hatest: haproxy (pid %d) still running 5s after SIGUSR1; sending SIGKILL to it and its process group", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_ = syscall.Kill(-pid, syscall.SIGKILL) // Setpgid: pgid == pid
		<-p.done
	})
}

// MasterCommand sends one command to the master CLI socket ("CMD\n" followed
// by a write half-close, after which the master answers and closes) and
// returns the reply. Commands may be chained with ';'. A "reload" typically returns an
// empty reply because the master re-executes itself.
//
// While the master re-executes itself (at startup and on every reload) its
// socket briefly refuses connections; MasterCommand retries such refused
// connects for up to 5s while the master is alive. A connection accepted
// just before a re-exec may still yield an empty reply.
func (p *Proxy) MasterCommand(cmd string) (string, error) {
	deadline := time.Now().Add(DefaultTimeout)
	for {
		out, err := unixCommand(p.MasterSocket, cmd)
		if err == nil || !isRefused(err) || p.Exited() || time.Now().After(deadline) {
			return out, err
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// isRefused reports whether err is a connect failure caused by a unix socket
// that currently has no listener (or does not exist yet).
func isRefused(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// WorkerPIDs parses `show proc` from the master socket and returns the PIDs
// of the current workers (the "# workers" section; old workers still
// finishing after a reload are excluded).
func (p *Proxy) WorkerPIDs() ([]int, error) {
	out, err := p.MasterCommand("show proc")
	if err != nil {
		return nil, err
	}
	return parseShowProc(out)
}

// parseShowProc extracts current worker PIDs from `show proc` output. Lines
// before the first section marker belong to the master; the "# workers"
// section lists current workers; other sections ("# old workers",
// "# programs", ...) are ignored.
func parseShowProc(out string) ([]int, error) {
	var pids []int
	section := ""
	sawHeader := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "#<PID>") {
				sawHeader = true
				continue
			}
			section = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		}
		if section != "workers" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || f[1] != "worker" {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("hatest: bad pid in show proc line %q", line)
		}
		pids = append(pids, pid)
	}
	if !sawHeader {
		return nil, fmt.Errorf("hatest: unexpected show proc output: %q", out)
	}
	return pids, nil
}

// Reload sends "reload" to the master CLI and waits (up to 10s) until the
// current worker set no longer contains any of the previous worker PIDs and
// is non-empty. It returns the new worker PIDs. The test fails if the reload
// does not take effect (for example because the new configuration is invalid).
func (p *Proxy) Reload(t testing.TB) []int {
	t.Helper()
	old, err := p.WorkerPIDs()
	if err != nil {
		t.Fatalf("hatest: Reload: %v\noutput:\n%s", err, p.Output())
	}
	if _, err := p.MasterCommand("reload"); err != nil {
		t.Fatalf("hatest: Reload: %v\noutput:\n%s", err, p.Output())
	}
	var cur []int
	Eventually(t, 10*time.Second, func() bool {
		pids, err := p.WorkerPIDs()
		if err != nil || len(pids) == 0 {
			return false
		}
		for _, o := range old {
			for _, n := range pids {
				if o == n {
					return false
				}
			}
		}
		cur = pids
		return true
	}, "haproxy reload did not replace workers %v; output:\n%s", old, p.Output())
	return cur
}

// RuntimeCommand sends one command to the stats (runtime API) unix socket at
// sock and returns the reply, read until EOF (in non-interactive mode the
// socket is closed after one command).
func RuntimeCommand(sock, cmd string) (string, error) {
	return unixCommand(sock, cmd)
}

func unixCommand(sock, cmd string) (string, error) {
	conn, err := net.DialTimeout("unix", sock, DefaultTimeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(DefaultTimeout)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", err
	}
	// Half-close: the master CLI keeps the connection open after answering
	// unless it sees the end of input (or "quit"); the stats socket closes
	// by itself but accepts the half-close as well.
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		return "", err
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		return string(reply), fmt.Errorf("hatest: %s: %q: %w", sock, cmd, err)
	}
	return string(reply), nil
}

// Eventually polls cond every 10ms until it returns true, or fails the test
// with t.Fatalf once d has elapsed. msgAndArgs, when given, is a format
// string followed by its arguments describing what was awaited.
func Eventually(t testing.TB, d time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hatest: Eventually: after %v: %s", d, formatMsg(msgAndArgs))
		}
		<-tick.C
	}
}

// formatMsg renders testify-style msgAndArgs: a format string followed by its
// arguments, or any values printed with fmt.Sprint. The arguments are copied
// so that vet does not treat Eventually as a printf wrapper (its signature
// deliberately accepts a message that may be empty).
func formatMsg(msgAndArgs []any) string {
	if len(msgAndArgs) == 0 {
		return "condition not met"
	}
	args := append([]any(nil), msgAndArgs...)
	if f, ok := args[0].(string); ok {
		return fmt.Sprintf(f, args[1:]...)
	}
	return fmt.Sprint(args...)
}

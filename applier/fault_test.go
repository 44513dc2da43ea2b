package applier_test

// Fault tests of the Local driver against a REAL haproxy: HAProxy down, a
// socket that never answers, a runtime command refused mid-plan, a reload
// that fails, racing applies and an apply killed half-way.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/internal/hatest"
)

// itSilentUnix is a unix socket that accepts connections and never
// answers.
func itSilentUnix(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
}

func TestITFaultNotRunning(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	e := itStart(t, itConf(itS1, ""))
	e.proxy.Stop()
	files := itReadDir(t, e.dir)
	for name, src := range map[string]string{
		"runtime change": itConf(itS1+itS2, ""),
		"reload change":  itConf(itS1, "") + "backend \"b4\" {\n  server \"v1\" { address = \"@v1@\" }\n}\n",
	} {
		_, _, err := e.apply(src, applier.ApplyOptions{})
		if err == nil || !strings.Contains(err.Error(), "runtime socket") || !strings.Contains(err.Error(), "is HAProxy running") {
			t.Fatalf("%s with HAProxy stopped: want a clear socket error, got %v", name, err)
		}
		itSameFiles(t, files, itReadDir(t, e.dir))
		if _, err := os.Stat(filepath.Join(e.dir, applier.LastGoodDir)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: %s was written (%v)", name, applier.LastGoodDir, err)
		}
	}
	if _, err := e.drv.Live(context.Background()); err == nil {
		t.Fatalf("Live with HAProxy stopped: no error")
	}
}

func TestITFaultSilentSocket(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	e := itStart(t, itConf(itS1, ""))
	silent := filepath.Join(filepath.Dir(e.sock), "silent.sock")
	itSilentUnix(t, silent)
	files := itReadDir(t, e.dir)
	before := e.workers()
	const timeout = 300 * time.Millisecond

	t.Run("stats socket", func(t *testing.T) {
		drv := e.driver()
		drv.RuntimeSocket, drv.Timeout = silent, timeout
		start := time.Now()
		_, err := drv.Apply(context.Background(), e.compile(itConf(itS1+itS2, "")), nil, applier.ApplyOptions{})
		elapsed := time.Since(start)
		if !errors.Is(err, applier.ErrTimeout) || !strings.Contains(err.Error(), "no answer from HAProxy") || !strings.Contains(err.Error(), silent) {
			t.Fatalf("want a timeout error naming the socket, got %v", err)
		}
		if elapsed > 2*time.Second {
			t.Fatalf("the apply gave up after %s, want about %s", elapsed, timeout)
		}
		itSameFiles(t, files, itReadDir(t, e.dir))
	})

	t.Run("master socket", func(t *testing.T) {
		// A reload change: the files are written, then the reload times
		// out and the files are restored.
		drv := e.driver()
		drv.MasterSocket, drv.Timeout = silent, timeout
		start := time.Now()
		_, err := drv.Apply(context.Background(), e.compile(itConf(itS1, "")+"backend \"b4\" {\n  server \"v1\" { address = \"@v1@\" }\n}\n"), nil, applier.ApplyOptions{})
		elapsed := time.Since(start)
		if !errors.Is(err, applier.ErrTimeout) {
			t.Fatalf("want a timeout error, got %v", err)
		}
		if elapsed > 3*time.Second {
			t.Fatalf("the apply gave up after %s, want about %s per command", elapsed, timeout)
		}
		itSameFiles(t, files, itReadDir(t, e.dir))
	})

	if after := e.workers(); !slices.Equal(before, after) {
		t.Fatalf("workers changed %v -> %v", before, after)
	}
	e.only(hatest.Request{Host: "x.test"}, 3, "s1")
}

// itSlowConf is itConf plus a backend "slow" with the given servers and a
// route slow.test -> slow.
func itSlowConf(b1, slow, fe string) string {
	return itConf(b1, `  route "slow" {
    host    = ["slow.test"]
    backend = backend.slow
  }
`+fe) + `backend "slow" {
` + slow + `}
`
}

// TestITFaultRollback makes the last step of a large runtime plan fail (a
// server that keeps a connection past the drain timeout) and requires
// every earlier step, of every kind, to be undone.
func TestITFaultRollback(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	hang := `  server "hang" { address = "@hang1@" }
`
	initial := itSlowConf(itS1, hang, `  maxconn = 100
  deny "block" {
    src = ["10.0.0.0/8"]
  }
`+itHostRoutes(0, 10, "b3"))
	e := itStart(t, initial)
	old := e.compile(initial)
	itHold(t, e.addr, "slow.test")
	hatest.Eventually(t, 5*time.Second, func() bool { return e.hang["hang1"].accepted.Load() == 1 }, "the request never reached the silent server")

	files := itReadDir(t, e.dir)
	before := e.workers()
	desired := itSlowConf(`  server "s1" {
    address = "@s1@"
    weight  = 50
  }
`+itS2, `  server "ok" { address = "@ok@" }
`, `  maxconn = 50
  deny "block" {
    src = ["10.0.0.0/8", "127.0.0.2/32"]
  }
`+itHostRoutes(0, 80, "b2"))
	_, res, err := e.apply(desired, applier.ApplyOptions{DrainTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "slow/hang still has 1 connection") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("want a drain timeout, rolled back; got %v", err)
	}
	// The plan really went through every kind of step before failing.
	sent := strings.Join(res.Commands, "\n")
	for _, c := range []string{"add server b1/s2", "add server slow/ok", "set weight b1/s1 50", "prepare map", "commit map", "add acl", "set maxconn frontend fe 50", "set server slow/hang state drain"} {
		if !strings.Contains(sent, c) {
			t.Fatalf("commands lack %q:\n%s", c, sent)
		}
	}
	if after := e.workers(); !slices.Equal(before, after) {
		t.Fatalf("workers changed %v -> %v", before, after)
	}
	itSameFiles(t, files, itReadDir(t, e.dir))
	e.converged(old)
	if st := e.servers("slow")["hang"]; st.admin != 0 {
		t.Fatalf("slow/hang admin state %d after rollback, want 0 (ready)", st.admin)
	}
	if _, ok := e.servers("slow")["ok"]; ok {
		t.Fatalf("slow/ok still present after rollback")
	}
	if got := e.stat("fe", "FRONTEND", "slim"); got != "100" {
		t.Fatalf("fe slim = %q after rollback, want 100", got)
	}
	e.only(hatest.Request{Host: "x.test"}, 6, "s1")
	e.only(hatest.Request{Host: "h5.test"}, 2, "u1")
	e.only(hatest.Request{Host: "h50.test"}, 2, "s1")
	e.only(hatest.Request{Host: "x.test", Src: "127.0.0.2"}, 2, "s1")
}

// TestITFaultReloadFails applies a configuration that haproxy -c accepts
// but the reload cannot load (its port is taken).
func TestITFaultReloadFails(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	e := itStart(t, itConf(itS1, ""))
	old := e.compile(itConf(itS1, ""))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	withFE2 := itConf(itS1, "") + `frontend "fe2" {
  bind            = ["` + taken.Addr().String() + `"]
  default_backend = backend.b2
}
`
	files := itReadDir(t, e.dir)
	before := e.workers()
	failed := e.proc().Failed
	_, _, err = e.apply(withFE2, applier.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "refused the new configuration") {
		t.Fatalf("want a failed reload, got %v", err)
	}
	itSameFiles(t, files, itReadDir(t, e.dir))
	if _, err := os.Stat(filepath.Join(e.dir, applier.LastGoodDir, "haproxy.cfg")); err != nil {
		t.Fatalf("no last-good snapshot: %v", err)
	}
	if after := e.workers(); !slices.Equal(before, after) {
		t.Fatalf("workers changed %v -> %v on a failed reload", before, after)
	}
	if got := e.proc().Failed; got != failed+1 {
		t.Fatalf("master failed-reload counter %d -> %d", failed, got)
	}
	e.only(hatest.Request{Host: "x.test"}, 3, "s1")
	e.converged(old)

	// Once the port is free the same change applies with one reload.
	taken.Close()
	want, _ := e.reload(withFE2)
	if got := e.count(taken.Addr().String(), hatest.Request{Host: "x.test"}, 3); got["t1"] != 3 {
		t.Fatalf("fe2 after the second apply: %v", got)
	}
	e.converged(want)
}

// TestITFaultRace runs two applies with the same expected version at once,
// three times: each time exactly one wins and the other gets a conflict.
func TestITFaultRace(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	e := itStart(t, itConf(itS1, ""))
	routes := ""
	for round := range 3 {
		version := round + 1
		srcs := [2]string{
			routes + fmt.Sprintf("  route \"a%d\" {\n    host    = [\"a%d.test\"]\n    backend = backend.b2\n  }\n", round, round),
			routes + fmt.Sprintf("  route \"b%d\" {\n    host    = [\"b%d.test\"]\n    backend = backend.b3\n  }\n", round, round),
		}
		var (
			errs  [2]error
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for i := range 2 {
			want := e.compile(itConf(itS1, srcs[i]))
			drv := e.driver()
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = drv.Apply(context.Background(), want, nil, applier.ApplyOptions{ExpectVersion: version})
			}()
		}
		close(start)
		wg.Wait()
		var conflict *applier.ConflictError
		winner := -1
		switch {
		case errs[0] == nil && errors.As(errs[1], &conflict):
			winner = 0
		case errs[1] == nil && errors.As(errs[0], &conflict):
			winner = 1
		default:
			t.Fatalf("round %d: want one success and one conflict, got %v and %v", round, errs[0], errs[1])
		}
		if conflict.Expected != version || conflict.Live != version+1 {
			t.Fatalf("round %d: conflict %+v, want expected %d live %d", round, conflict, version, version+1)
		}
		routes = srcs[winner]
		e.converged(e.compile(itConf(itS1, routes)))
		win, lose := []string{"a", "b"}[winner], []string{"a", "b"}[1-winner]
		e.only(hatest.Request{Host: fmt.Sprintf("%s%d.test", win, round)}, 2, map[string]string{"a": "t1", "b": "u1"}[win])
		e.only(hatest.Request{Host: fmt.Sprintf("%s%d.test", lose, round)}, 2, "s1")
	}
}

// TestITFaultKilledMidApply kills "haproute apply" with SIGKILL while it
// waits for a server to drain (files written, runtime half changed); the
// next apply must converge.
func TestITFaultKilledMidApply(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	bin := itBuildCLI(t)
	initial := itSlowConf(itS1, `  server "hang" { address = "@hang1@" }
`, "")
	desired := itSlowConf(itS1+itS2, `  server "ok" { address = "@ok@" }
`, `  route "c" {
    host    = ["c.test"]
    backend = backend.b2
  }
`)
	e, hcl, flags := itCLIEnv(t, bin, initial)
	itHold(t, e.addr, "slow.test")
	hatest.Eventually(t, 5*time.Second, func() bool { return e.hang["hang1"].accepted.Load() == 1 }, "the request never reached the silent server")

	e.write(hcl, desired)
	cmd := exec.Command(bin, append(append([]string{"apply", hcl}, flags...), "--drain-timeout", "1h")...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	// Half-way: the new files are on disk and slow/hang is draining.
	hatest.Eventually(t, 10*time.Second, func() bool {
		return e.servers("slow")["hang"].admin&0x08 != 0
	}, "apply never started draining slow/hang")
	cfg, err := os.ReadFile(filepath.Join(e.dir, "haproxy.cfg"))
	if err != nil || !strings.HasPrefix(string(cfg), "# _version=1\n") || strings.Contains(string(cfg), "server hang") {
		t.Fatalf("while draining, haproxy.cfg should be the new version 1 (%v):\n%s", err, cfg)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("apply was not killed by SIGKILL: %v\n%s", cmd.ProcessState, out.String())
	}
	plan := func() (int, string, string) { return itCLI(t, bin, append([]string{"plan", hcl}, flags...)...) }
	if code, stdout, stderr := plan(); code != 2 || !strings.Contains(stdout, "server slow hang") {
		t.Fatalf("plan after the kill: want the pending removal of slow/hang (exit 2), got exit %d\n%s%s", code, stdout, stderr)
	}

	// The long-lived connection ends; the next apply converges.
	e.hang["hang1"].release()
	code, stdout, stderr := itCLI(t, bin, append(append([]string{"apply", hcl}, flags...), "--drain-timeout", "5s")...)
	if code != 0 || !strings.Contains(stdout, "Applied version 2") || !strings.Contains(stdout, "del server slow/hang") {
		t.Fatalf("apply after the kill: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := plan(); code != 0 || !strings.Contains(stdout, "No changes") {
		t.Fatalf("plan after the second apply: exit %d\n%s%s", code, stdout, stderr)
	}
	e.converged(e.compile(desired))
	e.only(hatest.Request{Host: "slow.test"}, 3, "ok")
	e.only(hatest.Request{Host: "c.test"}, 3, "t1")
	itBalanced(t, e.count(e.addr, hatest.Request{Host: "x.test"}, 10), 10, "s1", "s2")
}

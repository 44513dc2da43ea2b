package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// TestTraceSync times each step of one sync for a runtime-class change (a
// new host route) on a small configuration, against a real supervised
// HAProxy: where do the milliseconds between the debounce and "live" go?
// It is an investigation tool, run with
//
//	HAPROUTE_TRACE=1 go test ./daemon -run TestTraceSync -v
//	HAPROUTE_TRACE=1 HAPROUTE_TRACE_ROUTES=10000 HAPROUTE_TRACE_RUNS=5 go test ./daemon -run TestTraceSync -v
//
// The daemon runs in-process with a debounce long enough that its own
// loop never fires; the test performs the steps of Daemon.sync itself, and
// the parts of applier.Local.Apply it can reach from outside the package
// (Live, Render, WriteFiles), then the real Apply.
func TestTraceSync(t *testing.T) {
	if os.Getenv("HAPROUTE_TRACE") == "" {
		t.Skip("set HAPROUTE_TRACE=1")
	}
	a, b := hatest.StartBackend(t, "a"), hatest.StartBackend(t, "b")
	fe := dtFrontendAddr(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "routes.hcl")
	bes := [][2]string{{"a", a.Addr}, {"b", b.Addr}}
	routes := []string{"b.test=b"}
	// edit writes the configuration with routes.
	edit := func() { dtWrite(t, path, dtHCL(fe, bes, "a", routes...)) }
	if n, _ := strconv.Atoi(os.Getenv("HAPROUTE_TRACE_ROUTES")); n > 0 {
		// A large configuration (benchgen, files of 1000 routes): the
		// routes are added to the first frontend's file.
		base := dtFreePorts(t, (n+999)/1000)
		if _, err := benchgen.Write(dir, benchgen.Config{Routes: n, PerFile: 1000, Server: a.Addr, BasePort: base}); err != nil {
			t.Fatal(err)
		}
		fe = fmt.Sprintf("127.0.0.1:%d", base)
		path = filepath.Join(dir, "20_frontend_000.hcl")
		orig, err := os.ReadFile(path)
		mustDo(t, err)
		dtWrite(t, filepath.Join(dir, "30_trace.hcl"), fmt.Sprintf("backend \"b\" {\n  server \"s1\" {\n    address = %q\n  }\n}\n", b.Addr))
		edit = func() {
			var r strings.Builder
			for _, rt := range routes {
				host, _, _ := strings.Cut(rt, "=")
				fmt.Fprintf(&r, "  route %q {\n    host    = [%q]\n    backend = backend.b\n  }\n", "t_"+host, host)
			}
			i := strings.LastIndex(string(orig), "}")
			dtWrite(t, path, string(orig[:i])+r.String()+string(orig[i:]))
		}
	}
	edit()
	d, err := New(Config{Path: dir, StateDir: filepath.Join(hatest.SocketDir(t), "st"), HaproxyBin: hatest.Binary(t),
		Debounce: time.Hour, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mustDo(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if !dtPoll(3*time.Minute, func() bool { st := d.Status(); return st.Version >= 1 && st.HAProxyPID != 0 }) {
		t.Fatal("daemon did not start")
	}

	steps := map[string][]time.Duration{}
	var order []string
	step := func(name string, f func()) {
		t0 := time.Now()
		f()
		if _, ok := steps[name]; !ok {
			order = append(order, name)
		}
		steps[name] = append(steps[name], time.Since(t0))
	}
	checks := &lang.CheckCache{}
	runs := 20
	if n, _ := strconv.Atoi(os.Getenv("HAPROUTE_TRACE_RUNS")); n > 0 {
		runs = n
	}
	for i := range runs {
		host := fmt.Sprintf("n%d.test", i)
		routes = append(routes, host+"=b")
		edit()
		t0 := time.Now()
		var files []*lang.File
		var prog *lang.Program
		var cfg *ir.Config
		step("1 cache.load (parse 1 file)", func() { files, _, _ = d.cache.load(dir) })
		step("2 lang.Check", func() {
			var diags hcl.Diagnostics
			prog, diags = lang.Check(files, lang.Options{Cache: checks})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
		})
		step("3 compiler.Compile", func() { cfg, _ = compiler.Compile(prog, compiler.Options{StatsSocket: d.cfg.RuntimeSocket}) })
		// The daemon prepares while the debounce runs, then commits.
		var prep *applier.Prepared
		step("4 Local.Prepare (live, plan, render, check)", func() {
			prep, err = d.driver.Prepare(ctx, cfg)
			mustDo(t, err)
		})
		var res *applier.Result
		step("5 Local.ApplyPrepared (commit)", func() {
			last := time.Now()
			obs := func(s string) {
				now := time.Now()
				name := "5." + strings.Map(func(r rune) rune {
					if r >= '0' && r <= '9' {
						return -1
					}
					return r
				}, s)
				if _, ok := steps[name]; !ok {
					order = append(order, name)
				}
				steps[name] = append(steps[name], now.Sub(last))
				last = now
			}
			res, err = d.driver.ApplyPrepared(ctx, prep, applier.ApplyOptions{DrainTimeout: time.Second, Observe: obs})
			mustDo(t, err)
		})
		if !res.Prepared {
			t.Fatalf("apply %d: the preparation was stale", i)
		}
		steps["total sync (1-5)"] = append(steps["total sync (1-5)"], time.Since(t0))
		if res.Reloaded || res.Unchanged {
			t.Fatalf("apply %d: reloaded %v unchanged %v", i, res.Reloaded, res.Unchanged)
		}
		if got := dtRoute(fe, hatest.Request{Host: host}); got != "b" {
			t.Fatalf("%s: %s", host, got)
		}
	}
	if os.Getenv("HAPROUTE_TRACE_COMMANDS") != "" {
		traceRuntimeCommands(t, d.cfg.RuntimeSocket, d.cfg.StateDir)
	}
	order = append(order, "total sync (1-5)")
	var out strings.Builder
	fmt.Fprintf(&out, "%-45s %8s %8s %8s\n", fmt.Sprintf("step (%d runs)", runs), "min", "median", "max")
	for _, name := range order {
		ds := steps[name]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Fprintf(&out, "%-45s %8s %8s %8s\n", name, ds[0].Round(10*time.Microsecond), ds[len(ds)/2].Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond))
	}
	t.Logf("\n%s", out.String())
}

func traceRuntimeCommands(t *testing.T, sock, dir string) {
	rt, err := applier.DialRuntime(context.Background(), sock, 5*time.Second)
	mustDo(t, err)
	defer rt.Close()
	maps, _ := filepath.Glob(filepath.Join(dir, "*.map"))
	acls, _ := filepath.Glob(filepath.Join(dir, "*.acl"))
	for _, cmd := range []string{"show servers state", "show stat", "show stat -1 5 -1", "show stat typed", "show map"} {
		t0 := time.Now()
		out, err := rt.Do(cmd)
		mustDo(t, err)
		t.Logf("%-25s %8s %8d bytes", cmd, time.Since(t0).Round(10*time.Microsecond), len(out))
	}
	t0 := time.Now()
	n := 0
	for _, m := range maps {
		out, err := rt.Do("show map " + m)
		mustDo(t, err)
		n += len(out)
	}
	t.Logf("%d x show map: %s, %d bytes", len(maps), time.Since(t0).Round(10*time.Microsecond), n)
	t0 = time.Now()
	for _, m := range acls {
		out, err := rt.Do("show acl " + m)
		mustDo(t, err)
		n += len(out)
	}
	t.Logf("%d x show acl: %s", len(acls), time.Since(t0).Round(10*time.Microsecond))
}

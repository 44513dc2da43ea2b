package applier

// Apply benchmarks on a 10k-route configuration (benchgen, plain host
// routes in one map, 1000 backends with one server each) served by a REAL
// haproxy in master-worker mode. Every benchmark reports percentiles of its
// own samples (b.ReportMetric) next to Go's mean ns/op, so run them with a
// fixed iteration count, e.g.
//
//	go test ./applier -run '^$' -bench 'Apply10k/' -benchtime 200x
//
// See docs/BENCHMARKS.md ("## Apply") for the figures and commands.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/options"
	"github.com/haproxytech/config-parser/v5/types"
)

// btRoutes is the size of the benchmark configuration.
const btRoutes = 10000

// btEnv is a running haproxy on the 10k-route configuration.
type btEnv struct {
	base  string // HCL source directory (10k routes)
	sock  string // stats socket
	dir   string // configuration directory
	fe    string // frontend address
	proxy *hatest.Proxy
	drv   *Local
	b     *testing.B
}

// btSetup generates the configuration, compiles it as version 1 and
// starts haproxy on it.
func btSetup(b *testing.B) *btEnv {
	b.Helper()
	srv := hatest.StartBackend(b, "srv")
	e := &btEnv{b: b, base: b.TempDir(), dir: b.TempDir(), sock: filepath.Join(hatest.SocketDir(b), "stats.sock")}
	port := hatest.FreePort(b)
	e.fe = fmt.Sprintf("127.0.0.1:%d", port)
	if _, err := benchgen.Write(e.base, benchgen.Config{Routes: btRoutes, PerFile: btRoutes, HostOnly: true, Server: srv.Addr, BasePort: port}); err != nil {
		b.Fatal(err)
	}
	cfg := e.compile(e.base)
	cfg.Version = 1
	files, err := ir.Render(cfg, e.dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeAll(e.dir, files); err != nil {
		b.Fatal(err)
	}
	e.proxy = hatest.StartProxy(b, filepath.Join(e.dir, ir.ConfigFile), e.fe)
	e.drv = &Local{Dir: e.dir, RuntimeSocket: e.sock, MasterSocket: e.proxy.MasterSocket,
		Haproxy: hatest.Binary(b), Timeout: 10 * time.Second, ReloadTimeout: 30 * time.Second}
	return e
}

// compile loads, checks and compiles the HCL directory src.
func (e *btEnv) compile(src string) *ir.Config {
	e.b.Helper()
	files, diags := lang.Load(src)
	if diags.HasErrors() {
		e.b.Fatalf("load: %v", diags)
	}
	prog, diags := lang.Check(files, lang.Options{})
	if diags.HasErrors() {
		e.b.Fatalf("check: %v", diags)
	}
	cfg, diags := compiler.Compile(prog, compiler.Options{StatsSocket: e.sock})
	if diags.HasErrors() {
		e.b.Fatalf("compile: %v", diags)
	}
	return cfg
}

// withRoutes returns a copy of the base source with n more plain host
// routes (extraI.example.net -> b00001).
func (e *btEnv) withRoutes(n int) string {
	return btVariant(e.b, e.base, "20_frontend_000.hcl", func(s string) string {
		var add strings.Builder
		for i := range n {
			fmt.Fprintf(&add, "\n  route \"extra%d\" {\n    host    = [\"extra%d.example.net\"]\n    backend = backend.b00001\n  }\n", i, i)
		}
		i := strings.LastIndex(s, "}")
		return s[:i] + add.String() + s[i:]
	})
}

// withLeastconn returns a copy of the base source where backend b00000
// balances with leastconn (a reload-class change).
func (e *btEnv) withLeastconn() string {
	return btVariant(e.b, e.base, "10_backends_000.hcl", func(s string) string {
		return strings.Replace(s, "backend \"b00000\" {\n", "backend \"b00000\" {\n  balance = \"leastconn\"\n", 1)
	})
}

// btVariant copies dir and rewrites one file of the copy with edit.
func btVariant(b *testing.B, dir, file string, edit func(string) string) string {
	b.Helper()
	out := b.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, en := range ents {
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if en.Name() == file {
			s := edit(string(data))
			if s == string(data) {
				b.Fatalf("btVariant: edit of %s changed nothing", file)
			}
			data = []byte(s)
		}
		if err := os.WriteFile(filepath.Join(out, en.Name()), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// btSamples are the durations of one phase.
type btSamples []time.Duration

func (s btSamples) pct(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(p*float64(len(c))+0.5) - 1
	return c[max(0, min(len(c)-1, i))]
}

// report adds name-p50-ms and name-p99-ms to the benchmark's output.
func (s btSamples) report(b *testing.B, name string) {
	b.ReportMetric(float64(s.pct(.50))/1e6, name+"-p50-ms")
	b.ReportMetric(float64(s.pct(.99))/1e6, name+"-p99-ms")
}

// btExecTimes are the steps of execute.
type btExecTimes struct {
	render, compare, snapshot, write, commands time.Duration
}

// execute is Local.Apply after the diff and before the verification, step
// by step as Apply does them (lock, render, compare, haproxy -c when the
// text changed, snapshot, write, runtime commands or reload), so that the
// phase and its steps can be timed on their own. Apply itself is timed by
// the "apply" benchmarks.
func (e *btEnv) execute(desired *ir.Config, live *Live, plan *Plan, tm *btExecTimes) (*Result, error) {
	l := e.drv
	ctx := context.Background()
	unlock, err := l.Lock(10 * time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t0 := time.Now()
	want := *desired
	want.Version = live.Files.Version + 1
	files, err := l.renderer.Render(&want, l.absDir())
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	same, cfgSame, err := sameFiles(l.absDir(), files)
	if err != nil {
		return nil, err
	}
	if plan.Empty() && same {
		return &Result{Unchanged: true}, nil
	}
	if !cfgSame || !entriesOnly(plan) {
		if err := l.Validate(ctx, &want); err != nil {
			return nil, err
		}
	}
	t2 := time.Now()
	if _, err := l.snapshot(); err != nil {
		return nil, err
	}
	t3 := time.Now()
	if err := writeAll(l.absDir(), files); err != nil {
		return nil, err
	}
	t4 := time.Now()
	res := &Result{Version: want.Version, Plan: plan}
	if plan.Reload() {
		return res, l.reload(ctx, func(string) {})
	}
	rt, err := DialRuntime(ctx, l.RuntimeSocket, l.Timeout)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	ex := &executor{rt: rt, dir: l.absDir(), obs: func(string) {}}
	err = ex.run(plan)
	res.Commands = ex.sent
	*tm = btExecTimes{render: t1.Sub(t0), compare: t2.Sub(t1), snapshot: t3.Sub(t2), write: t4.Sub(t3), commands: time.Since(t4)}
	return res, err
}

// btCPU returns the CPU time (user + system) the process has used.
func btCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApply10k times a one-route change (alternately adding and
// removing one route) on the 10k-route configuration, phase by phase and
// as a whole.
func BenchmarkApply10k(b *testing.B) {
	e := btSetup(b)
	ctx := context.Background()
	srcs := [2]string{e.base, e.withRoutes(1)}
	cfgs := [2]*ir.Config{e.compile(srcs[0]), e.compile(srcs[1])}
	// cur is the index of the configuration HAProxy runs; the state
	// carries over between runs of a sub-benchmark (Go runs each first
	// with b.N = 1).
	cur := 0
	next := func() int { cur = 1 - cur; return cur }

	b.Run("phases", func(b *testing.B) {
		var comp, live, diff, execu, diffExec, verify btSamples
		var render, compare, snapshot, write, commands btSamples
		var cpuComp, cpuLive, cpuDiff, cpuExec, cpuVerify btSamples
		for i := 0; i < b.N; i++ {
			c0, t0 := btCPU(), time.Now()
			want := e.compile(srcs[next()])
			c1, t1 := btCPU(), time.Now()
			lv, err := e.drv.Live(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c2, t2 := btCPU(), time.Now()
			plan := PlanFor(want, lv)
			c3, t3 := btCPU(), time.Now()
			var tm btExecTimes
			res, err := e.execute(want, lv, plan, &tm)
			if err != nil {
				b.Fatal(err)
			}
			c4, t4 := btCPU(), time.Now()
			after, err := e.drv.Live(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if rest := PlanFor(want, after); !rest.Empty() || len(plan.Changes) != 1 || len(res.Commands) != 1 {
				b.Fatalf("iteration %d: plan %d changes, %d commands, %d remaining", i, len(plan.Changes), len(res.Commands), len(rest.Changes))
			}
			c5, t5 := btCPU(), time.Now()
			comp = append(comp, t1.Sub(t0))
			live = append(live, t2.Sub(t1))
			diff = append(diff, t3.Sub(t2))
			execu = append(execu, t4.Sub(t3))
			diffExec = append(diffExec, t4.Sub(t2))
			verify = append(verify, t5.Sub(t4))
			render = append(render, tm.render)
			compare = append(compare, tm.compare)
			snapshot = append(snapshot, tm.snapshot)
			write = append(write, tm.write)
			commands = append(commands, tm.commands)
			cpuComp = append(cpuComp, c1-c0)
			cpuLive = append(cpuLive, c2-c1)
			cpuDiff = append(cpuDiff, c3-c2)
			cpuExec = append(cpuExec, c4-c3)
			cpuVerify = append(cpuVerify, c5-c4)
		}
		comp.report(b, "compile")
		live.report(b, "live")
		diff.report(b, "diff")
		execu.report(b, "exec")
		diffExec.report(b, "diff+exec")
		verify.report(b, "verify")
		render.report(b, "exec.render")
		compare.report(b, "exec.compare")
		snapshot.report(b, "exec.snapshot")
		write.report(b, "exec.write")
		commands.report(b, "exec.commands")
		cpuComp.report(b, "cpu.compile")
		cpuLive.report(b, "cpu.live")
		cpuDiff.report(b, "cpu.diff")
		cpuExec.report(b, "cpu.exec")
		cpuVerify.report(b, "cpu.verify")
	})

	b.Run("apply", func(b *testing.B) {
		var d btSamples
		for i := 0; i < b.N; i++ {
			want := cfgs[next()]
			t0 := time.Now()
			res, err := e.drv.Apply(ctx, want, nil, ApplyOptions{})
			if err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t0))
			if res.Reloaded || len(res.Commands) != 1 {
				b.Fatalf("want one runtime command, got reloaded=%v %q", res.Reloaded, res.Commands)
			}
		}
		d.report(b, "apply")
	})

	// Runtime commands per change: n routes added, then removed; above 64
	// entries of one map the map is replaced atomically (prepare, payload
	// chunks of 12 KiB, commit).
	for _, n := range []int{1, 10, 100, 1000} {
		src := e.withRoutes(n)
		more := e.compile(src)
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			var d btSamples
			var cmds, bytes int
			for i := 0; i < b.N; i++ {
				want := [2]*ir.Config{cfgs[0], more}[next()]
				t0 := time.Now()
				res, err := e.drv.Apply(ctx, want, nil, ApplyOptions{})
				if err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(t0))
				if res.Reloaded || len(res.Plan.Changes) != n {
					b.Fatalf("want %d runtime changes, got reloaded=%v %d changes", n, res.Reloaded, len(res.Plan.Changes))
				}
				cmds += len(res.Commands)
				for _, c := range res.Commands {
					bytes += len(c) + 1
				}
			}
			d.report(b, "apply")
			b.ReportMetric(float64(cmds)/float64(b.N), "commands/op")
			b.ReportMetric(float64(bytes)/float64(b.N), "command-bytes/op")
		})
		if _, err := e.drv.Apply(ctx, cfgs[0], nil, ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
		cur = 0
	}

	// A reload-class change (balance of one backend) through Apply, next
	// to haproxy's own reload of the same configuration (master "reload"
	// until the new worker is listed by "show proc").
	lc := e.compile(e.withLeastconn())
	b.Run("reload-apply", func(b *testing.B) {
		// The steps are timed by the lines Apply reports (Observe):
		// before = lock, Live, diff, render and haproxy -c; write =
		// snapshot and files; reload = master reload until the new worker;
		// verify = the live state read again and diffed.
		var d, before, write, reload, verify, check btSamples
		for i := 0; i < b.N; i++ {
			want := [2]*ir.Config{cfgs[0], lc}[next()]
			var marks []time.Time
			obs := func(string) { marks = append(marks, time.Now()) }
			t0 := time.Now()
			res, err := e.drv.Apply(ctx, want, nil, ApplyOptions{Observe: obs})
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			// Observed: haproxy -c ok, wrote files, reload requested, new worker.
			if !res.Reloaded || len(marks) != 4 {
				b.Fatalf("want a reload and 4 observed steps, got reloaded=%v %d steps", res.Reloaded, len(marks))
			}
			d = append(d, t1.Sub(t0))
			before = append(before, marks[0].Sub(t0))
			write = append(write, marks[1].Sub(marks[0]))
			reload = append(reload, marks[3].Sub(marks[1]))
			verify = append(verify, t1.Sub(marks[3]))
			t2 := time.Now()
			if err := e.drv.Validate(ctx, want); err != nil {
				b.Fatal(err)
			}
			check = append(check, time.Since(t2))
		}
		d.report(b, "apply")
		before.report(b, "apply.until-checked")
		write.report(b, "apply.write")
		reload.report(b, "apply.reload")
		verify.report(b, "apply.verify")
		check.report(b, "haproxy-c")
	})
	if _, err := e.drv.Apply(ctx, cfgs[0], nil, ApplyOptions{}); err != nil {
		b.Fatal(err)
	}
	cur = 0
	b.Run("reload-haproxy", func(b *testing.B) {
		btReloads(b, e.proxy.MasterSocket)
	})
}

// btReloads reloads haproxy b.N times through the master socket and
// reports the time from "reload" to the new worker in "show proc".
func btReloads(b *testing.B, masterSocket string) {
	var d btSamples
	for i := 0; i < b.N; i++ {
		dur, err := btReload(masterSocket)
		if err != nil {
			b.Fatal(err)
		}
		d = append(d, dur)
	}
	d.report(b, "reload")
}

// btReload sends "reload" to the master and polls "show proc" until a new
// worker is listed; it returns the time that took.
func btReload(masterSocket string) (time.Duration, error) {
	ctx := context.Background()
	m := &Master{Path: masterSocket, Timeout: 10 * time.Second}
	before, err := m.ShowProc(ctx)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	if _, err := m.Do(ctx, "reload"); err != nil {
		return 0, err
	}
	deadline := t0.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p, err := m.ShowProc(ctx)
		if err == nil {
			if p.Failed > before.Failed {
				return 0, fmt.Errorf("reload failed")
			}
			for _, w := range p.Workers {
				if !slices.Contains(before.Workers, w) {
					return time.Since(t0), nil
				}
			}
		}
		time.Sleep(5 * time.Millisecond) // poll interval; bounded by the deadline
	}
	return 0, fmt.Errorf("no new worker 30s after reload")
}

// btHandWritten is the equivalent hand-written configuration of the
// benchmark's 10k routes: one "acl" and one "use_backend" line per route,
// as the Data Plane API manages them.
func btHandWritten(fe, server, sock string, routes int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  maxconn 4096\n  stats socket %s mode 600 level admin\n\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n\n", sock)
	fmt.Fprintf(&b, "frontend fe000\n  bind %s\n", fe)
	for i := range routes {
		fmt.Fprintf(&b, "  acl r%d hdr(host) -i h%d.example.net\n", i, i)
	}
	for i := range routes {
		fmt.Fprintf(&b, "  use_backend b%05d if r%d\n", i%(routes/10), i)
	}
	b.WriteString("  default_backend b00000\n")
	for i := range routes / 10 {
		fmt.Fprintf(&b, "\nbackend b%05d\n  mode http\n  server s%d %s weight 100\n", i, i, server)
	}
	return b.String()
}

// BenchmarkDPAPIFlow10k measures what the Data Plane API does for the same
// one-route change on the hand-written acl/use_backend configuration:
// parse the whole file with config-parser v5, add (or remove) one
// acl+use_backend pair, render it, write it, "haproxy -c", reload and wait
// for the new worker. It runs in the same process as BenchmarkApply10k's
// "apply" so the two can be compared side by side (-bench 'Apply10k/apply$|DPAPIFlow10k').
func BenchmarkDPAPIFlow10k(b *testing.B) {
	srv := hatest.StartBackend(b, "srv")
	dir := b.TempDir()
	sock := filepath.Join(hatest.SocketDir(b), "stats.sock")
	fe := fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(b))
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(btHandWritten(fe, srv.Addr, sock, btRoutes)), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := hatest.Binary(b)
	proxy := hatest.StartProxy(b, cfgPath, fe)
	if resp, err := hatest.Do(fe, hatest.Request{Host: "h9999.example.net"}); err != nil || resp.Status != 200 {
		b.Fatalf("hand-written config does not route: %v %+v", err, resp)
	}
	var parse, modify, render, write, check, reload, total btSamples
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		p, err := parser.New(options.Path(cfgPath))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if i%2 == 0 {
			err = p.Insert(parser.Frontends, "fe000", "acl", &types.ACL{Name: "extra0", Criterion: "hdr(host)", Value: "-i extra0.example.net"})
			if err == nil {
				err = p.Insert(parser.Frontends, "fe000", "use_backend", &types.UseBackend{Name: "b00001", Cond: "if", CondTest: "extra0"})
			}
		} else {
			err = p.Delete(parser.Frontends, "fe000", "acl", btRoutes)
			if err == nil {
				err = p.Delete(parser.Frontends, "fe000", "use_backend", btRoutes)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		text := p.String()
		t3 := time.Now()
		tmp := cfgPath + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		if out, err := exec.Command(bin, "-c", "-q", "-f", tmp).CombinedOutput(); err != nil {
			b.Fatalf("haproxy -c: %v\n%s", err, out)
		}
		if err := os.Rename(tmp, cfgPath); err != nil {
			b.Fatal(err)
		}
		t5 := time.Now()
		if _, err := btReload(proxy.MasterSocket); err != nil {
			b.Fatalf("%v\n%s", err, proxy.Output())
		}
		t6 := time.Now()
		parse = append(parse, t1.Sub(t0))
		modify = append(modify, t2.Sub(t1))
		render = append(render, t3.Sub(t2))
		write = append(write, t4.Sub(t3))
		check = append(check, t5.Sub(t4))
		reload = append(reload, t6.Sub(t5))
		total = append(total, t6.Sub(t0))
	}
	if n := strings.Count(btReadFile(b, cfgPath), "  acl "); n != btRoutes+b.N%2 {
		b.Fatalf("the configuration has %d acl lines, want %d", n, btRoutes+b.N%2)
	}
	parse.report(b, "parse")
	modify.report(b, "modify")
	render.report(b, "string")
	write.report(b, "write")
	check.report(b, "haproxy-c")
	reload.report(b, "reload")
	total.report(b, "total")
}

func btReadFile(b *testing.B, p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// btBinary returns the haproute binary: $HAPROUTE_BIN, or one built into a
// temporary directory.
func btBinary(b *testing.B) string {
	if p := os.Getenv("HAPROUTE_BIN"); p != "" {
		return p
	}
	out := filepath.Join(b.TempDir(), "haproute")
	cmd := exec.Command("go", "build", "-o", out, "github.com/haproute/haproute/cmd/haproute")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// BenchmarkCLI10k times whole processes on the 10k-route configuration:
// "haproute build" and "haproute apply" of a one-route change (alternately
// adding and removing the route) against the running haproxy.
func BenchmarkCLI10k(b *testing.B) {
	bin := btBinary(b)
	e := btSetup(b)
	srcs := [2]string{e.base, e.withRoutes(1)}
	out := b.TempDir()
	// run returns the wall time and the CPU time (user + system) of the
	// process.
	run := func(b *testing.B, args ...string) (time.Duration, time.Duration) {
		t0 := time.Now()
		cmd := exec.Command(bin, args...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("haproute %s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		return time.Since(t0), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.Run("build", func(b *testing.B) {
		var d, cpu btSamples
		for i := 0; i < b.N; i++ {
			w, c := run(b, "build", srcs[i%2], "-o", out, "--runtime-socket", e.sock)
			d, cpu = append(d, w), append(cpu, c)
		}
		d.report(b, "build")
		cpu.report(b, "cpu.build")
	})
	cur := 0 // the source HAProxy runs; carries over between runs
	b.Run("apply", func(b *testing.B) {
		var d, cpu btSamples
		for i := 0; i < b.N; i++ {
			cur = 1 - cur
			w, c := run(b, "apply", srcs[cur], "--config-dir", e.dir, "--runtime-socket", e.sock, "--master-socket", e.proxy.MasterSocket)
			d, cpu = append(d, w), append(cpu, c)
		}
		d.report(b, "apply")
		cpu.report(b, "cpu.apply")
	})
}

// BenchmarkCPU10k times the CPU-only parts of an apply on the 10k-route
// configuration, without haproxy: reading the files back (ir.Read),
// rendering (ir.Render) and diffing (PlanFor with a runtime view).
func BenchmarkCPU10k(b *testing.B) {
	e := &btEnv{b: b, base: b.TempDir(), dir: b.TempDir(), sock: "/run/haproute-bench.sock"}
	if _, err := benchgen.Write(e.base, benchgen.Config{Routes: btRoutes, PerFile: btRoutes, HostOnly: true, Server: "127.0.0.1:9", BasePort: 20000}); err != nil {
		b.Fatal(err)
	}
	cfg := e.compile(e.base)
	files, err := ir.Render(cfg, e.dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeAll(e.dir, files); err != nil {
		b.Fatal(err)
	}
	plus := e.compile(e.withRoutes(1))
	b.Run("read", func(b *testing.B) {
		defer btReportCPU(b, btCPU())
		for i := 0; i < b.N; i++ {
			if _, err := ir.Read(e.dir); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render", func(b *testing.B) {
		defer btReportCPU(b, btCPU())
		for i := 0; i < b.N; i++ {
			if _, err := ir.Render(cfg, e.dir); err != nil {
				b.Fatal(err)
			}
		}
	})
	live, err := ir.Read(e.dir)
	if err != nil {
		b.Fatal(err)
	}
	view, err := ir.Read(e.dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("planfor", func(b *testing.B) {
		defer btReportCPU(b, btCPU())
		for i := 0; i < b.N; i++ {
			if p := PlanFor(plus, &Live{Files: live, Runtime: view}); len(p.Changes) != 1 {
				b.Fatalf("%d changes", len(p.Changes))
			}
		}
	})
}

// btReportCPU reports the CPU time per iteration since c0 (process CPU:
// less sensitive than wall time to the other processes of a loaded
// machine).
func btReportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(btCPU()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}

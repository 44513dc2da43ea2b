package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// BenchmarkIncremental times the desired-state side of one sync after an
// edit of one route in one 100-route file of a 10k-route configuration
// (101 route files of at most 100 routes, plus the backends and global
// files): load (through the parse cache) + lang.Check + compiler.Compile +
// ir.Render. "cache" keeps the daemon's fileCache and lang.CheckCache
// and ir.Renderer across iterations, as the daemon does, so only the
// edited file is parsed again, only its frontend is checked again and the
// unchanged haproxy.cfg text does not go through config-parser again;
// "fresh" starts from empty caches, as the first sync or a SIGHUP does. Extra metrics give each stage's mean time
// and the files parsed per operation.
//
//	go test ./daemon -run '^$' -bench Incremental -benchtime 20x -count 3
func BenchmarkIncremental(b *testing.B) {
	dir := b.TempDir()
	sum, err := benchgen.Write(dir, benchgen.Config{Routes: 10_000, PerFile: 100})
	if err != nil {
		b.Fatal(err)
	}
	edited := filepath.Join(dir, "20_frontend_050.hcl")
	orig, err := os.ReadFile(edited)
	if err != nil {
		b.Fatal(err)
	}
	// One route's host changes back and forth, so every iteration sees
	// an edit.
	const host = `"h50000020.example.net"`
	if !strings.Contains(string(orig), host) {
		b.Fatalf("%s does not contain %s", edited, host)
	}
	variants := [][]byte{[]byte(strings.Replace(string(orig), host, `"edited50000020.example.net"`, 1)), orig}
	out := b.TempDir()
	b.Logf("configuration: %d files, %d frontends, %d backends, %d routes", sum.Files, sum.Frontends, sum.Backends, sum.Routes)

	for _, mode := range []string{"cache", "fresh"} {
		b.Run(mode, func(b *testing.B) {
			if err := os.WriteFile(edited, orig, 0o644); err != nil {
				b.Fatal(err)
			}
			var c fileCache
			checks := &lang.CheckCache{}
			rd := &ir.Renderer{}
			files, diags, _ := c.load(dir)
			if _, d := lang.Check(files, lang.Options{Cache: checks}); diags.HasErrors() || d.HasErrors() {
				b.Fatal(diags.Error(), d.Error())
			}
			parsed0 := c.Parsed
			var tLoad, tCheck, tCompile, tRender time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := dtCPU()
			for i := range b.N {
				b.StopTimer()
				if err := os.WriteFile(edited, variants[i%2], 0o644); err != nil {
					b.Fatal(err)
				}
				if mode == "fresh" {
					c.reset()
					checks = &lang.CheckCache{}
					rd = &ir.Renderer{}
				}
				b.StartTimer()
				t0 := time.Now()
				files, diags, _ := c.load(dir)
				t1 := time.Now()
				prog, cd := lang.Check(files, lang.Options{Cache: checks})
				t2 := time.Now()
				diags = append(diags, cd...)
				cfg, cd := compiler.Compile(prog, compiler.Options{StatsSocket: "/run/haproute/stats.sock"})
				t3 := time.Now()
				diags = append(diags, cd...)
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				if _, err := rd.Render(cfg, out); err != nil {
					b.Fatal(err)
				}
				t4 := time.Now()
				tLoad += t1.Sub(t0)
				tCheck += t2.Sub(t1)
				tCompile += t3.Sub(t2)
				tRender += t4.Sub(t3)
			}
			n := float64(b.N)
			// Process CPU time (including the writes and GC) is the steadier
			// figure on a machine shared with other jobs.
			b.ReportMetric(float64((dtCPU()-cpu0).Milliseconds())/n, "cpu-ms/op")
			b.ReportMetric(float64(c.Parsed-parsed0)/n, "files-parsed/op")
			b.ReportMetric(float64(tLoad.Milliseconds())/n, "load-ms/op")
			b.ReportMetric(float64(tCheck.Milliseconds())/n, "check-ms/op")
			b.ReportMetric(float64(tCompile.Milliseconds())/n, "compile-ms/op")
			b.ReportMetric(float64(tRender.Milliseconds())/n, "render-ms/op")
		})
	}
}

// dtCPU is the process's user+system CPU time so far.
func dtCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

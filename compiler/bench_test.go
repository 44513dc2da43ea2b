package compiler_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Benchmarks of the whole compile path on generated configurations (see
// internal/benchgen and docs/BENCHMARKS.md):
//
//	go test ./compiler -run '^$' -bench 'CheckBuild|ParseOnly' -benchtime 5x -count 5
//
// BenchmarkCheckBuild and BenchmarkParseOnly use files of at most 1000
// routes, one frontend per file; the OneFrontend variants put every route
// in one frontend (one file), which is where per-frontend analyses (rank
// order, ambiguity, shadowing, map tiers) see the whole route set.

var benchSizes = []struct {
	name   string
	routes int
}{{"1k", 1_000}, {"10k", 10_000}, {"100k", 100_000}}

// benchDirs generates each size's configuration once, on first use, under
// the parent benchmark's temporary directory.
func benchDirs(b *testing.B, oneFrontend bool) func(*testing.B, int) string {
	root := b.TempDir()
	dirs := map[int]string{}
	return func(b *testing.B, routes int) string {
		if d, ok := dirs[routes]; ok {
			return d
		}
		b.StopTimer()
		defer b.StartTimer()
		dir := filepath.Join(root, filepath.Base(b.Name()))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		cfg := benchgen.Config{Routes: routes}
		if oneFrontend {
			cfg.PerFile = routes
		}
		if _, err := benchgen.Write(dir, cfg); err != nil {
			b.Fatal(err)
		}
		dirs[routes] = dir
		return dir
	}
}

func BenchmarkCheckBuild(b *testing.B)            { benchCheckBuild(b, false) }
func BenchmarkCheckBuildOneFrontend(b *testing.B) { benchCheckBuild(b, true) }
func BenchmarkParseOnly(b *testing.B)             { benchParseOnly(b, false) }
func BenchmarkParseOnlyOneFrontend(b *testing.B)  { benchParseOnly(b, true) }

// benchCheckBuild measures lang.Load + lang.Check + compiler.Compile +
// ir.Render (in memory; nothing is written).
func benchCheckBuild(b *testing.B, oneFrontend bool) {
	dirOf := benchDirs(b, oneFrontend)
	out := b.TempDir()
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			dir := dirOf(b, size.routes)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for range b.N {
				files, diags := lang.Load(dir)
				prog, d := lang.Check(files, lang.Options{})
				diags = append(diags, d...)
				cfg, d := compiler.Compile(prog, compiler.Options{})
				diags = append(diags, d...)
				if len(diags) > 0 {
					b.Fatalf("%d diagnostics, first: %s", len(diags), diags[0].Error())
				}
				if _, err := ir.Render(cfg, out); err != nil {
					b.Fatal(err)
				}
			}
			report(b, size.routes, cpu)
		})
	}
}

// benchParseOnly measures reading and parsing the same files with
// hclsyntax.ParseConfig, nothing else.
func benchParseOnly(b *testing.B, oneFrontend bool) {
	dirOf := benchDirs(b, oneFrontend)
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			names, err := lang.Files(dirOf(b, size.routes))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for range b.N {
				for _, n := range names {
					src, err := os.ReadFile(n)
					if err != nil {
						b.Fatal(err)
					}
					if _, diags := hclsyntax.ParseConfig(src, n, hcl.InitialPos); diags.HasErrors() {
						b.Fatal(diags.Error())
					}
				}
			}
			report(b, size.routes, cpu)
		})
	}
}

// report adds wall time per route and process CPU time per operation; the
// CPU time is the steadier figure on a machine shared with other jobs.
func report(b *testing.B, routes int, cpuBefore time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(routes), "ns/route")
	b.ReportMetric(float64((processCPU()-cpuBefore).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

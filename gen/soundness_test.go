package gen_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/gen"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// EnvPrograms raises the number of programs TestSoundness generates.
const EnvPrograms = "HAPROUTE_GEN_PROGRAMS"

var programs = flag.Int("gen.programs", 1000, "number of programs TestSoundness generates (seeds 1..N); "+EnvPrograms+" overrides")

func programCount(t *testing.T) int {
	n := *programs
	if s := os.Getenv(EnvPrograms); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("%s=%q is not a positive number", EnvPrograms, s)
		}
		n = v
	}
	return n
}

// outcome is what happened to one generated program.
type outcome struct {
	seed     int
	stage    string // "", "check", "compile", "render", "haproxy"
	kind     string // the first error, without positions, to group failures
	detail   string
	source   string
	warnings int
}

// TestSoundness generates programs with fixed seeds 1..N and requires
// that every program lang.Check accepts compiles, renders and passes
// `haproxy -c`. The generator aims at valid programs only, so the test
// also requires that lang.Check rejects none of them: a rejection is either
// a generator mistake or a checker bug, and both need fixing.
func TestSoundness(t *testing.T) {
	bin := hatest.Binary(t)
	n := programCount(t)
	base := t.TempDir()
	start := time.Now()

	seeds := make(chan int)
	results := make(chan outcome)
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				results <- soundness(bin, base, seed)
			}
		}()
	}
	go func() {
		for seed := 1; seed <= n; seed++ {
			seeds <- seed
		}
		close(seeds)
		wg.Wait()
		close(results)
	}()

	counts := map[string]int{}
	warnings := 0
	var bad []outcome
	for r := range results {
		counts[r.stage]++
		warnings += r.warnings
		if r.stage != "" {
			bad = append(bad, r)
		}
	}
	accepted := n - counts["check"]
	t.Logf("programs generated: %d; rejected by check: %d (%.2f%%); accepted: %d; warnings: %d; compile errors: %d; render errors: %d; haproxy -c failures: %d; %v",
		n, counts["check"], 100*float64(counts["check"])/float64(n), accepted, warnings, counts["compile"], counts["render"], counts["haproxy"], time.Since(start).Round(time.Millisecond))
	kinds := map[string][]int{}
	for _, r := range bad {
		kinds[r.stage+": "+r.kind] = append(kinds[r.stage+": "+r.kind], r.seed)
	}
	for k, seeds := range kinds {
		t.Logf("%d× %s (seeds %v)", len(seeds), k, seeds[:min(len(seeds), 8)])
	}
	shown := map[string]int{}
	for _, r := range bad {
		shown[r.stage+r.kind]++
		if shown[r.stage+r.kind] > 1 {
			continue
		}
		t.Errorf("seed %d: %s failed:\n%s\n--- program ---\n%s", r.seed, r.stage, r.detail, r.source)
	}
}

// soundness runs one program through check, compile, render and
// `haproxy -c`.
func soundness(bin, base string, seed int) outcome {
	p := gen.Generate(rand.New(rand.NewPCG(uint64(seed), 0)), gen.Options{})
	out := outcome{seed: seed, source: p.Source()}
	var files []*lang.File
	var diags hcl.Diagnostics
	for _, f := range p.Files {
		lf, d := lang.Parse([]byte(f.Src), f.Name)
		diags = append(diags, d...)
		files = append(files, lf)
	}
	prog, d := lang.Check(files, lang.Options{})
	diags = append(diags, d...)
	for _, x := range diags {
		if x.Severity == hcl.DiagWarning {
			out.warnings++
		}
	}
	if diags.HasErrors() {
		out.stage, out.detail = "check", diagText(diags)
		for _, x := range diags {
			if x.Severity == hcl.DiagError {
				out.kind = x.Summary
				break
			}
		}
		return out
	}
	cfg, d := compiler.Compile(prog, compiler.Options{})
	if d.HasErrors() {
		out.stage, out.detail = "compile", diagText(d)
		return out
	}
	dir := filepath.Join(base, strconv.Itoa(seed))
	rendered, err := ir.Render(cfg, dir)
	if err != nil {
		out.stage, out.detail = "render", err.Error()
		return out
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		out.stage, out.detail = "render", err.Error()
		return out
	}
	for name, content := range rendered {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			out.stage, out.detail = "render", err.Error()
			return out
		}
	}
	cfgPath := filepath.Join(dir, ir.ConfigFile)
	res, err := exec.Command(bin, "-c", "-f", cfgPath).CombinedOutput()
	if err != nil {
		out.stage = "haproxy"
		out.kind = alertKind(string(res))
		out.detail = fmt.Sprintf("haproxy -c: %v\n%s\n--- haproxy.cfg ---\n%s", err, res, rendered[ir.ConfigFile])
		return out
	}
	os.RemoveAll(dir)
	return out
}

var (
	alertPos = regexp.MustCompile(`\[[^\]]*haproxy\.cfg:\d+\]|\(\d+\)|'[^']*'|<[^>]*>`)
)

// alertKind returns haproxy's first ALERT without positions and names.
func alertKind(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if _, msg, ok := strings.Cut(l, "[ALERT]"); ok {
			return alertPos.ReplaceAllString(msg, "_")
		}
	}
	return "no ALERT line"
}

func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			b.WriteString(d.Error())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

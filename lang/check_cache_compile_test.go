package lang_test

import (
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/gen"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// compileText compiles a program and renders every output file.
func compileText(t *testing.T, p *lang.Program) map[string]string {
	t.Helper()
	cfg, d := compiler.Compile(p, compiler.Options{})
	if d.HasErrors() {
		t.Fatalf("compile: %v", d)
	}
	files, err := ir.Render(cfg, "/etc/haproxy")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for n, b := range files {
		out[n] = string(b)
	}
	return out
}

// TestCheckCacheCompile: Programs from a cached Check compile to the same
// HAProxy configuration as uncached ones, and neither compiling nor a
// later cached Check changes an earlier Program (they share blocks).
func TestCheckCacheCompile(t *testing.T) {
	type config struct {
		name  string
		files map[string]string
		edit  func(map[string]string)
	}
	dir := t.TempDir()
	if _, err := benchgen.Write(dir, benchgen.Config{Routes: 1000, PerFile: 250}); err != nil {
		t.Fatal(err)
	}
	bench := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		bench[e.Name()] = string(b)
	}
	host := regexp.MustCompile(`"h(\d+)\.example\.net"`)
	configs := []config{{"benchgen", bench, func(m map[string]string) {
		f := "20_frontend_002.hcl"
		m[f] = host.ReplaceAllString(m[f], `"e$1.example.net"`)
		// Route 3 of this frontend moves from b00003 to b00004 (other
		// frontends still use b00003).
		m[f] = regexp.MustCompile(`backend\.b00003\b`).ReplaceAllString(m[f], "backend.b00004")
	}}}
	for seed := range 20 {
		g := gen.Generate(rand.New(rand.NewPCG(uint64(seed), 7)), gen.Options{})
		m := map[string]string{}
		for _, f := range g.Files {
			m[f.Name] = f.Src
		}
		configs = append(configs, config{"gen", m, func(m map[string]string) {
			for n, s := range m {
				m[n] = regexp.MustCompile(`(?m)^(backend "[^"]+" \{)$`).ReplaceAllString(s, "$1\n  timeout_queue = \"7s\"")
			}
		}})
	}
	for _, c := range configs {
		var cache lang.CheckCache
		parsed := map[string]*lang.File{}
		load := func() []*lang.File {
			var out []*lang.File
			for _, n := range sortedKeys(c.files) {
				if f := parsed[n]; f == nil || string(f.Src) != c.files[n] {
					parsed[n], _ = lang.Parse([]byte(c.files[n]), n)
				}
				out = append(out, parsed[n])
			}
			return out
		}
		p1, d := lang.Check(load(), lang.Options{Cache: &cache})
		if d.HasErrors() {
			t.Fatalf("%s: %v", c.name, d)
		}
		out1 := compileText(t, p1)
		c.edit(c.files)
		files := load()
		p2, d := lang.Check(files, lang.Options{Cache: &cache})
		if d.HasErrors() {
			t.Fatalf("%s: %v", c.name, d)
		}
		var fresh []*lang.File
		for _, f := range files {
			g, _ := lang.Parse(f.Src, f.Name)
			fresh = append(fresh, g)
		}
		want, _ := lang.Check(fresh, lang.Options{})
		if diff := cmp.Diff(compileText(t, want), compileText(t, p2)); diff != "" {
			t.Fatalf("%s: cached program compiles differently (-uncached +cached):\n%s", c.name, diff)
		}
		if diff := cmp.Diff(out1, compileText(t, p1)); diff != "" {
			t.Fatalf("%s: the first program changed (-before +after):\n%s", c.name, diff)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

package ir_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/gen"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
)

// TestRendererSections checks that the Renderer, which runs config-parser
// over the changed sections only, renders exactly what a fresh Render
// does, over every golden case, every example and 150 generated programs,
// through a sequence of edits; and that an edit of one backend's server
// costs one config-parser run of that section.
func TestRendererSections(t *testing.T) {
	var cfgs []*ir.Config
	var names []string
	paths, _ := filepath.Glob("../compiler/testdata/*.hcl")
	ex, _ := filepath.Glob("../examples/*")
	for _, p := range append(paths, ex...) {
		files, diags := lang.Load(p)
		prog, d := lang.Check(files, lang.Options{})
		if diags = append(diags, d...); diags.HasErrors() {
			continue
		}
		cfg, d := compiler.Compile(prog, compiler.Options{StatsSocket: "/run/haproute/stats.sock", Version: 1})
		if d.HasErrors() {
			continue
		}
		cfgs, names = append(cfgs, cfg), append(names, p)
	}
	// Large configurations (hundreds of sections: the first render runs
	// config-parser once over the whole text and splits its output).
	for _, n := range []int{300, 2000} {
		dir := t.TempDir()
		if _, err := benchgen.Write(dir, benchgen.Config{Routes: n, PerFile: 100}); err != nil {
			t.Fatal(err)
		}
		files, diags := lang.Load(dir)
		prog, d := lang.Check(files, lang.Options{})
		if diags = append(diags, d...); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		cfg, d := compiler.Compile(prog, compiler.Options{StatsSocket: "/run/haproute/stats.sock", Version: 1})
		if d.HasErrors() {
			t.Fatal(d.Error())
		}
		cfgs, names = append(cfgs, cfg), append(names, "benchgen "+itoa(n))
	}
	for seed := 1; seed <= 150; seed++ {
		p := gen.Generate(rand.New(rand.NewPCG(uint64(seed), 7)), gen.Options{})
		f, diags := lang.Parse([]byte(p.Source()), "gen.hcl")
		prog, d := lang.Check([]*lang.File{f}, lang.Options{})
		if diags = append(diags, d...); diags.HasErrors() {
			continue
		}
		opts := compiler.Options{Version: 1}
		if seed%2 == 0 {
			opts.StatsSocket = "/run/haproute/stats.sock" // and an empty global otherwise
		}
		cfg, d := compiler.Compile(prog, opts)
		if d.HasErrors() {
			continue
		}
		cfgs, names = append(cfgs, cfg), append(names, "generated seed "+itoa(seed))
	}
	if len(cfgs) < 150 {
		t.Fatalf("only %d configurations", len(cfgs))
	}
	same := func(name string, rd *ir.Renderer, cfg *ir.Config) {
		t.Helper()
		got, err := rd.Render(cfg, "/x")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := ir.Render(cfg, "/x")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got[ir.ConfigFile]) != string(want[ir.ConfigFile]) {
			t.Fatalf("%s (version %d): the Renderer's haproxy.cfg differs from Render's:\n%s\n--- want ---\n%s", name, cfg.Version, got[ir.ConfigFile], want[ir.ConfigFile])
		}
	}
	edited := 0
	for i, cfg := range cfgs {
		var rd ir.Renderer
		same(names[i], &rd, cfg)
		if n := rd.Passes(); len(cfg.Backends)+len(cfg.Frontends) > 20 && n != 1 {
			t.Errorf("%s: the first render of %d sections took %d config-parser runs, want 1", names[i], len(cfg.Backends)+len(cfg.Frontends), n)
		}
		// global (possibly empty), defaults, frontends, backends.
		if n, want := rd.CachedSections(), 2+len(cfg.Backends)+len(cfg.Frontends); n != want {
			t.Errorf("%s: %d sections cached, want %d", names[i], n, want)
		}
		cfg.Version = 2
		same(names[i], &rd, cfg)
		if len(cfg.Backends) == 0 || len(cfg.Backends[0].Servers) == 0 {
			continue
		}
		// One server line changes: one section goes through config-parser.
		passes := rd.Passes()
		cfg.Backends[0].Servers[0].Weight = 7
		cfg.Version = 3
		same(names[i], &rd, cfg)
		if n := rd.Passes() - passes; n != 1 {
			t.Errorf("%s: a one-server edit took %d config-parser runs, want 1", names[i], n)
		}
		// A new server, and back.
		b := cfg.Backends[len(cfg.Backends)-1]
		b.Servers = append(b.Servers, &ir.Server{Name: "zz", Address: "127.0.0.9", Port: 9, Weight: 1})
		cfg.Version = 4
		same(names[i], &rd, cfg)
		b.Servers = b.Servers[:len(b.Servers)-1]
		same(names[i], &rd, cfg)
		edited++
	}
	t.Logf("%d configurations, %d edited", len(cfgs), edited)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

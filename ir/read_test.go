package ir_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// TestReadRoundTrip renders every compiler golden case and every example,
// reads the files back, and requires the same Config (ranges and comments
// aside): Read is the inverse of Render.
func TestReadRoundTrip(t *testing.T) {
	var paths []string
	for _, pattern := range []string{"../compiler/testdata/*.hcl", "../examples/*", "../examples/*/*"} {
		m, _ := filepath.Glob(pattern)
		paths = append(paths, m...)
	}
	n := 0
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || (st.IsDir() && !hasHCL(p)) {
			continue
		}
		files, diags := lang.Load(p)
		prog, d := lang.Check(files, lang.Options{})
		diags = append(diags, d...)
		if diags.HasErrors() {
			continue
		}
		cfg, d := compiler.Compile(prog, compiler.Options{StatsSocket: "/run/haproute/stats.sock", Version: 7})
		if d.HasErrors() {
			t.Fatalf("%s: %v", p, d)
		}
		dir := t.TempDir()
		out, err := ir.Render(cfg, dir)
		if err != nil {
			t.Fatalf("%s: render: %v", p, err)
		}
		for name, data := range out {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ir.Read(dir)
		if err != nil {
			t.Fatalf("%s: read: %v", p, err)
		}
		opts := cmp.Options{
			cmpopts.IgnoreTypes(hcl.Range{}),
			cmpopts.IgnoreFields(ir.Rule{}, "Comment"),
			cmpopts.IgnoreFields(ir.ACL{}, "Comment"),
			cmpopts.IgnoreFields(ir.UseBackend{}, "Comment"),
			cmpopts.EquateEmpty(),
			cmpopts.SortSlices(func(a, b *ir.MapFile) bool { return a.Name < b.Name }),
			cmpopts.SortSlices(func(a, b *ir.ACLFile) bool { return a.Name < b.Name }),
		}
		if diff := cmp.Diff(cfg, got, opts); diff != "" {
			t.Errorf("%s: Read(Render(cfg)) differs (-want +got):\n%s", p, diff)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no configuration was round-tripped")
	}
	t.Logf("%d configurations round-tripped", n)
}

func hasHCL(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	return len(m) > 0
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		comment string
	}{
		{`acl a path -m str -- '/a b' x # c1`, []string{"acl", "a", "path", "-m", "str", "--", "/a b", "x"}, "c1"},
		{`set-header X 'it'\''s'`, []string{"set-header", "X", "it's"}, ""},
		{`a "q\"x" b\ c`, []string{"a", `q"x`, "b c"}, ""},
		{`x '#not' # yes`, []string{"x", "#not"}, "yes"},
		{`x ''`, []string{"x", ""}, ""},
	} {
		got, c, err := ir.Split(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || c != tc.comment {
			t.Errorf("%q: words diff %s comment %q", tc.in, diff, c)
		}
	}
	// Quote and Split are inverses.
	for _, s := range []string{"", "a", "a b", "'", `\`, "#", "x'y'z", "%[src]", "{ }", "é", " lead", "trail "} {
		got, _, err := ir.Split("k " + ir.Quote(s))
		if err != nil || len(got) != 2 || got[1] != s {
			t.Errorf("Split(Quote(%q)) = %q, %v", s, got, err)
		}
	}
}

// TestRendererCache checks the Renderer's shortcut gives exactly what a
// fresh render gives, for a version-only change and for a real change.
func TestRendererCache(t *testing.T) {
	files, _ := lang.Load("../examples/multi")
	prog, _ := lang.Check(files, lang.Options{})
	cfg, _ := compiler.Compile(prog, compiler.Options{Version: 1})
	var rd ir.Renderer
	if _, err := rd.Render(cfg, "/x"); err != nil {
		t.Fatal(err)
	}
	for _, change := range []func(){
		func() { cfg.Version = 2 },
		func() { cfg.Backends[0].Servers[0].Weight = 42; cfg.Version = 3 },
		func() { cfg.Version = 4 },
	} {
		change()
		got, err := rd.Render(cfg, "/x")
		if err != nil {
			t.Fatal(err)
		}
		want, err := ir.Render(cfg, "/x")
		if err != nil {
			t.Fatal(err)
		}
		for name := range want {
			if string(got[name]) != string(want[name]) {
				t.Fatalf("version %d: cached render of %s differs:\n%s\n---\n%s", cfg.Version, name, got[name], want[name])
			}
		}
	}
}

package compiler_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCase is one configuration under testdata: a single NAME.hcl file or
// a directory NAME/ of .hcl files. Its expected output is NAME.golden.
type goldenCase struct {
	name string
	path string // file or directory given to lang.Load
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join("testdata", name)
		switch {
		case e.IsDir():
			if hcl, _ := filepath.Glob(filepath.Join(path, "*.hcl")); len(hcl) == 0 {
				continue
			}
		case strings.HasSuffix(name, ".hcl"):
			name = strings.TrimSuffix(name, ".hcl")
		default:
			continue
		}
		cases = append(cases, goldenCase{name: name, path: path})
	}
	if len(cases) == 0 {
		t.Fatal("no test cases in testdata")
	}
	return cases
}

// build loads, checks and compiles path, failing the test on any error
// diagnostic. It returns the warnings.
func build(t *testing.T, path string) (*ir.Config, hcl.Diagnostics) {
	t.Helper()
	files, diags := lang.Load(path)
	prog, d := lang.Check(files, lang.Options{})
	diags = append(diags, d...)
	if diags.HasErrors() {
		t.Fatalf("check %s:\n%s", path, diagText(diags))
	}
	cfg, d := compiler.Compile(prog, compiler.Options{})
	diags = append(diags, d...)
	if diags.HasErrors() {
		t.Fatalf("compile %s:\n%s", path, diagText(diags))
	}
	return cfg, diags
}

func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// render renders cfg into dir and concatenates the files in sorted order,
// each preceded by "==> NAME <==".
func render(t *testing.T, cfg *ir.Config, dir string) ([]byte, ir.Files) {
	t.Helper()
	files, err := ir.Render(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, n := range files.Names() {
		b.WriteString("==> " + n + " <==\n")
		b.Write(files[n])
	}
	return b.Bytes(), files
}

// fakeDir is the output directory the goldens are rendered for.
func fakeDir(name string) string { return "/etc/haproute/" + name }

func TestGolden(t *testing.T) {
	cases := goldenCases(t)
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".golden")
		if !slices.ContainsFunc(cases, func(c goldenCase) bool { return c.name == name }) {
			t.Errorf("%s has no test case %s.hcl or %s/", g, name, name)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := build(t, tc.path)
			got, _ := render(t, cfg, fakeDir(tc.name))
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./compiler -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test ./compiler -update and review the diff)\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff reports the first differing line and some context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return "(same lines)"
}

// TestDeterministic compiles and renders every case twice, from scratch,
// and requires byte-equal output.
func TestDeterministic(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg1, _ := build(t, tc.path)
			cfg2, _ := build(t, tc.path)
			out1, _ := render(t, cfg1, fakeDir(tc.name))
			out2, _ := render(t, cfg2, fakeDir(tc.name))
			if !bytes.Equal(out1, out2) {
				t.Errorf("two compilations differ\n%s", lineDiff(string(out1), string(out2)))
			}
		})
	}
}

// TestHAProxyAccepts renders every case into a real directory and runs
// haproxy -c on it.
func TestHAProxyAccepts(t *testing.T) {
	hatest.Binary(t)
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := build(t, tc.path)
			haproxyCheck(t, cfg)
		})
	}
}

// haproxyCheck renders cfg into a temporary directory, writes the files
// and requires haproxy -c to accept them.
func haproxyCheck(t *testing.T, cfg *ir.Config) {
	t.Helper()
	dir := t.TempDir()
	_, files := render(t, cfg, dir)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := hatest.Check(t, filepath.Join(dir, ir.ConfigFile)); err != nil {
		t.Error(err)
	}
}

package compiler_test

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/lang"
)

// exampleDirs lists every directory under ../examples that holds .hcl
// files, relative to ../examples.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "examples")
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".hcl") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			seen[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for d := range seen {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	return dirs
}

// TestExamples requires every example to check with zero diagnostics (not
// even warnings), to compile without diagnostics and to be accepted by
// haproxy -c.
func TestExamples(t *testing.T) {
	dirs := exampleDirs(t)
	for _, want := range []string{"multi", "quickstart", "seed/step1", "seed/step2"} {
		if !slices.Contains(dirs, want) {
			t.Errorf("example %s is missing (found %v)", want, dirs)
		}
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join("..", "examples", filepath.FromSlash(dir))
			files, diags := lang.Load(path)
			prog, d := lang.Check(files, lang.Options{})
			diags = append(diags, d...)
			if len(diags) > 0 {
				t.Fatalf("check %s: want no diagnostics, got:\n%s", path, diagText(diags))
			}
			cfg, diags := compiler.Compile(prog, compiler.Options{})
			if len(diags) > 0 {
				t.Fatalf("compile %s: want no diagnostics, got:\n%s", path, diagText(diags))
			}
			haproxyCheck(t, cfg)
		})
	}
}

package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproute/haproute/lang"
)

func dtBackendText(name, addr string) string {
	return "backend \"" + name + "\" {\n  server \"s1\" {\n    address = \"" + addr + "\"\n  }\n}\n"
}

// dtLoad loads dir through c and checks how many files were parsed in
// total so far and whether the call reported a change.
func dtLoad(t *testing.T, c *fileCache, path string, wantParsed int, wantChanged bool) []*lang.File {
	t.Helper()
	files, diags, changed := c.load(path)
	if c.Parsed != wantParsed || changed != wantChanged {
		t.Fatalf("Parsed = %d, changed = %v; want %d, %v (diags %v)", c.Parsed, changed, wantParsed, wantChanged, diags)
	}
	return files
}

func dtByName(files []*lang.File) map[string]*lang.File {
	m := map[string]*lang.File{}
	for _, f := range files {
		m[filepath.Base(f.Name)] = f
	}
	return m
}

// TestFileCacheParsesOnlyChangedFiles: the cache re-parses a file only when
// its content changed, and reports changes (content, added and removed
// files) but not rewrites with the same content.
func TestFileCacheParsesOnlyChangedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		dtWrite(t, filepath.Join(dir, n+".hcl"), dtBackendText(n, "127.0.0.1:1"))
	}
	// Not configuration files: ignored.
	dtWrite(t, filepath.Join(dir, ".hidden.hcl"), "this is not { hcl")
	dtWrite(t, filepath.Join(dir, "notes.txt"), "nor this")
	var c fileCache

	first := dtByName(dtLoad(t, &c, dir, 3, true))
	if len(first) != 3 {
		t.Fatalf("files %v, want a b c", first)
	}
	again := dtByName(dtLoad(t, &c, dir, 3, false))
	for n, f := range first {
		if again[n] != f {
			t.Errorf("%s parsed again although unchanged", n)
		}
	}

	// Same bytes written again (a touch, a no-op save): no parse.
	dtWrite(t, filepath.Join(dir, "b.hcl"), dtBackendText("b", "127.0.0.1:1"))
	dtLoad(t, &c, dir, 3, false)

	// One file changes: only it is parsed.
	dtWrite(t, filepath.Join(dir, "b.hcl"), dtBackendText("b", "127.0.0.1:2"))
	got := dtByName(dtLoad(t, &c, dir, 4, true))
	if got["a.hcl"] != first["a.hcl"] || got["c.hcl"] != first["c.hcl"] || got["b.hcl"] == first["b.hcl"] {
		t.Errorf("after editing b.hcl: a, c reused and b new expected")
	}

	// Added and removed files are changes; the others are not parsed.
	dtWrite(t, filepath.Join(dir, "d.hcl"), dtBackendText("d", "127.0.0.1:1"))
	dtLoad(t, &c, dir, 5, true)
	mustDo(t, os.Remove(filepath.Join(dir, "c.hcl")))
	if got := dtByName(dtLoad(t, &c, dir, 5, true)); len(got) != 3 || got["c.hcl"] != nil {
		t.Errorf("after removing c.hcl: %v", got)
	}

	// A syntax error is parsed once; its diagnostics come from the cache.
	dtWrite(t, filepath.Join(dir, "d.hcl"), "backend \"d\" {\n")
	_, diags, _ := c.load(dir)
	if !diags.HasErrors() || c.Parsed != 6 {
		t.Fatalf("broken d.hcl: Parsed %d, diags %v", c.Parsed, diags)
	}
	_, diags2, changed := c.load(dir)
	if changed || c.Parsed != 6 || diags2.Error() != diags.Error() {
		t.Errorf("broken d.hcl again: changed %v, Parsed %d, diags %v", changed, c.Parsed, diags2)
	}
	if !strings.Contains(diags.Error(), "d.hcl:1") && !strings.Contains(diags.Error(), "d.hcl:2") {
		t.Errorf("diagnostic does not point at d.hcl: %v", diags)
	}

	// The directory disappears: an error, a change, and the cache is
	// emptied (everything is parsed again when it comes back).
	mustDo(t, os.RemoveAll(dir))
	if _, diags, changed := c.load(dir); !diags.HasErrors() || !changed {
		t.Errorf("missing directory: changed %v, diags %v", changed, diags)
	}
	mustDo(t, os.Mkdir(dir, 0o755))
	dtWrite(t, filepath.Join(dir, "a.hcl"), dtBackendText("a", "127.0.0.1:1"))
	dtLoad(t, &c, dir, 7, true)
}

// TestFileCacheSingleFileAndSymlinks: a single file as PATH, and files
// reached through symlinks (ConfigMap layout) are re-parsed when the link
// target changes.
func TestFileCacheSingleFileAndSymlinks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "one.hcl")
	dtWrite(t, file, dtBackendText("a", "127.0.0.1:1"))
	var c fileCache
	dtLoad(t, &c, file, 1, true)
	dtLoad(t, &c, file, 1, false)

	cm := filepath.Join(dir, "cm")
	mustDo(t, os.MkdirAll(filepath.Join(cm, "..v1"), 0o755))
	mustDo(t, os.MkdirAll(filepath.Join(cm, "..v2"), 0o755))
	dtWrite(t, filepath.Join(cm, "..v1", "x.hcl"), dtBackendText("x", "127.0.0.1:1"))
	dtWrite(t, filepath.Join(cm, "..v2", "x.hcl"), dtBackendText("x", "127.0.0.1:2"))
	mustDo(t, os.Symlink("..v1", filepath.Join(cm, "..data")))
	mustDo(t, os.Symlink("..data/x.hcl", filepath.Join(cm, "x.hcl")))
	var cc fileCache
	dtLoad(t, &cc, cm, 1, true)
	dtLoad(t, &cc, cm, 1, false)
	mustDo(t, os.Symlink("..v2", filepath.Join(cm, "..data_tmp")))
	mustDo(t, os.Rename(filepath.Join(cm, "..data_tmp"), filepath.Join(cm, "..data")))
	dtLoad(t, &cc, cm, 2, true)
}

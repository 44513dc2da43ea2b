package daemon

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproute/haproute/internal/hatest"
)

// Variable files (-var-file): watched, parsed through the file cache, part
// of the desired state's memo key, and applied live by "haproute run".

// TestWatcherVarFile: writes to a variable file in another directory wake
// the daemon (in place, by rename, removed and created again, and when its
// directory is created after start); other files there do not.
func TestWatcherVarFile(t *testing.T) {
	cfg, vdir := t.TempDir(), t.TempDir()
	dtWrite(t, filepath.Join(cfg, "r.hcl"), "# 1")
	vf := filepath.Join(vdir, "prod.vars")
	dtWrite(t, vf, "x = 1\n")
	later := filepath.Join(vdir, "sub", "dir", "later.vars")
	dw := dtWatch(t, &Watcher{Path: cfg, Extra: []string{vf, later}, Debounce: dtDebounce})
	dw.settle(t, cfg, dtDebounce)

	dtWrite(t, vf, "x = 2\n")
	dw.next(t, "writing the variable file in place")
	dw.quiet(t, 3*dtDebounce, "writing the variable file in place")

	dtWrite(t, filepath.Join(vdir, ".prod.vars.tmp"), "x = 3\n")
	mustDo(t, os.Rename(filepath.Join(vdir, ".prod.vars.tmp"), vf))
	dw.next(t, "renaming the variable file into place")
	dw.quiet(t, 3*dtDebounce, "renaming the variable file into place")

	dtWrite(t, filepath.Join(vdir, "notes.txt"), "x")
	dtWrite(t, filepath.Join(vdir, "other.vars"), "x = 1\n")
	dw.quiet(t, 4*dtDebounce, "writing other files beside the variable file")

	mustDo(t, os.Remove(vf))
	dw.next(t, "removing the variable file")
	dtWrite(t, vf, "x = 4\n")
	dw.next(t, "creating the variable file again")
	dw.quiet(t, 3*dtDebounce, "creating the variable file again")

	// The directory of a variable file is created after start.
	mustDo(t, os.MkdirAll(filepath.Dir(later), 0o755))
	dtWrite(t, later, "x = 1\n")
	dw.next(t, "creating the variable file's directory and the file")
	dw.quiet(t, 3*dtDebounce, "creating the variable file's directory")
	dtWrite(t, later, "x = 2\n")
	dw.next(t, "writing the variable file in the created directory")
}

// TestWatcherVarFilePoll: polling sees a variable file's change.
func TestWatcherVarFilePoll(t *testing.T) {
	cfg, vdir := t.TempDir(), t.TempDir()
	dtWrite(t, filepath.Join(cfg, "r.hcl"), "# 1")
	vf := filepath.Join(vdir, "prod.vars")
	dtWrite(t, vf, "x = 1\n")
	dw := dtWatch(t, &Watcher{Path: cfg, Extra: []string{vf}, Poll: 20 * time.Millisecond})
	dw.quiet(t, 150*time.Millisecond, "no change")
	dtWrite(t, vf, "x = 2\n")
	dw.next(t, "a variable file change seen by polling")
}

// TestFileCacheVarFiles: variable files keep their *lang.File while their
// content is unchanged, come back in the order given, and a missing one is
// an error diagnostic naming it.
func TestFileCacheVarFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.vars"), filepath.Join(dir, "b.vars")
	dtWrite(t, a, "x = 1\n")
	dtWrite(t, b, "x = 2\n")
	var c fileCache
	first, diags := c.loadVars([]string{b, a})
	if len(diags) != 0 || len(first) != 2 || first[0].Name != b || first[1].Name != a || c.Parsed != 2 {
		t.Fatalf("first load: %v %v, Parsed %d", first, diags, c.Parsed)
	}
	dtWrite(t, a, "x = 1\n") // same bytes
	again, _ := c.loadVars([]string{b, a})
	if !slices.Equal(first, again) || c.Parsed != 2 {
		t.Fatalf("unchanged files parsed again (Parsed %d)", c.Parsed)
	}
	dtWrite(t, a, "x = 3\n")
	third, _ := c.loadVars([]string{b, a})
	if third[0] != first[0] || third[1] == first[1] || c.Parsed != 3 {
		t.Fatalf("after editing a.vars: want b reused and a parsed anew (Parsed %d)", c.Parsed)
	}
	dtWrite(t, a, "x = = 1\n")
	_, diags = c.loadVars([]string{b, a})
	if !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Filename != a {
		t.Fatalf("syntax error: %v", diags)
	}
	mustDo(t, os.Remove(b))
	files, diags := c.loadVars([]string{b, a})
	if len(files) != 1 || files[0].Name != a || len(diags) < 1 || diags[0].Summary != "Cannot read variable file" || !strings.Contains(diags[0].Detail, b) {
		t.Fatalf("missing b.vars: %v %v", files, diags)
	}
	// Parsed-file memo and check cache are reset together by SIGHUP.
	c.reset()
	c.loadVars([]string{a})
	if c.Parsed != 5 {
		t.Fatalf("after reset: Parsed %d, want 5", c.Parsed)
	}
}

// dtVarConfig routes api.test to backend b when var.api_backend is "b",
// else to a (the default backend). Backends are {name, address} pairs.
func dtVarConfig(bind string, a, b string) string {
	return `variable "api_backend" {
  type    = string
  default = "a"
}

backend "a" {
  server "s1" {
    address = "` + a + `"
  }
}

backend "b" {
  server "s1" {
    address = "` + b + `"
  }
}

frontend "web" {
  bind            = ["` + bind + `"]
  default_backend = backend.a

  route "api" {
    host    = ["api.test"]
    backend = var.api_backend == "b" ? backend.b : backend.a
  }
}
`
}

// TestDesiredVarFiles: the desired state is memoised by the parsed files
// and variable files: an unchanged variable file (even rewritten) returns
// the same compiled configuration; a changed one a new one; a broken one
// errors at its position.
func TestDesiredVarFiles(t *testing.T) {
	dir, vdir := t.TempDir(), t.TempDir()
	dtWrite(t, filepath.Join(dir, "r.hcl"), dtVarConfig("127.0.0.1:8080", "127.0.0.1:9001", "127.0.0.1:9002"))
	vf := filepath.Join(vdir, "prod.vars")
	dtWrite(t, vf, "api_backend = \"b\"\n")
	d, err := New(Config{Path: dir, VarFiles: []string{vf}, StateDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	apiBackend := func(what string) string {
		t.Helper()
		cfg, _, diags := d.desired()
		if diags.HasErrors() || cfg == nil {
			t.Fatalf("%s: %v", what, diags)
		}
		for _, m := range cfg.Maps {
			for _, e := range m.Entries {
				if e.Key == "api.test" {
					return e.Value
				}
			}
		}
		t.Fatalf("%s: no map entry for api.test", what)
		return ""
	}
	if got := apiBackend("start"); got != "b" {
		t.Fatalf("api.test -> %s, want b", got)
	}
	cfg1, _, _ := d.desired()
	dtWrite(t, vf, "api_backend = \"b\"\n") // a save without change
	if cfg, _, _ := d.desired(); cfg != cfg1 {
		t.Errorf("an unchanged variable file made a new configuration")
	}
	dtWrite(t, vf, "api_backend = \"a\"\n")
	if got := apiBackend("edit"); got != "a" {
		t.Errorf("after editing the variable file: api.test -> %s, want a", got)
	}
	dtWrite(t, vf, "\napi_backend = [\"b\"]\n")
	cfg, _, diags := d.desired()
	if cfg != nil || !diags.HasErrors() {
		t.Fatalf("broken variable file: cfg %v, diags %v", cfg, diags)
	}
	// One error, at the value in the variable file (no cascade in r.hcl).
	if text := renderDiags(nil, diags); countErrors(diags) != 1 || !strings.Contains(text, vf+":2:15: error: Invalid value for variable api_backend") {
		t.Errorf("broken variable file: want one error at %s:2:15, got:\n%s", vf, text)
	}
	mustDo(t, os.Remove(vf))
	if _, _, diags := d.desired(); !diags.HasErrors() || !strings.Contains(renderDiags(nil, diags), "Cannot read variable file") {
		t.Errorf("missing variable file: %v", diags)
	}
	dtWrite(t, vf, "api_backend = \"b\"\n")
	if got := apiBackend("fixed"); got != "b" {
		t.Errorf("after the fix: api.test -> %s, want b", got)
	}
}

// TestRunVarFile: "haproute run DIR -var-file F" with a variable that
// selects a route's backend: editing F (by rename, as editors save)
// re-routes live without a reload; a broken F is not applied, the old
// routing keeps serving and /status shows the error at F's line; the fix
// applies.
func TestRunVarFile(t *testing.T) {
	a, b := hatest.StartBackend(t, "a"), hatest.StartBackend(t, "b")
	fe := dtFrontendAddr(t)
	dir, vdir := t.TempDir(), t.TempDir()
	dtWrite(t, filepath.Join(dir, "routes.hcl"), dtVarConfig(fe, a.Addr, b.Addr))
	vf := filepath.Join(vdir, "prod.vars")
	save := func(content string) time.Time {
		tmp := vf + ".tmp"
		dtWrite(t, tmp, content)
		t0 := time.Now()
		mustDo(t, os.Rename(tmp, vf))
		return t0
	}
	save("api_backend = \"a\"\n")
	d := dtStart(t, dir, dtOptions{Args: []string{"-var-file", vf}})
	d.WaitVersion(1, 20*time.Second)
	api := hatest.Request{Host: "api.test"}
	dtWaitRoute(t, fe, api, "a", time.Now(), 10*time.Second)
	v0 := d.WaitSettled(10 * time.Second).Version
	workers := d.Proc().Workers
	if len(workers) != 1 {
		t.Fatalf("workers = %v, want one", workers)
	}

	// Edit F: api.test moves to b, at runtime.
	t0 := save("# production\napi_backend = \"b\"\n")
	lat := dtWaitRoute(t, fe, api, "b", t0, 10*time.Second)
	st := d.WaitSettled(10 * time.Second)
	t.Logf("variable file save to live: %s (apply kind %s)", lat.Round(time.Millisecond), st.LastApplyKind)
	if st.Version <= v0 || st.LastApplyKind != "runtime" {
		t.Errorf("after the edit: version %d (was %d), last_apply_kind %q, want a runtime apply", st.Version, v0, st.LastApplyKind)
	}
	v1 := st.Version

	// A broken F: not applied; /status shows the error at F's line.
	broken := "# production\napi_backend = [\"b\"]\n"
	save(broken)
	var found *Diagnostic
	if !dtPoll(10*time.Second, func() bool {
		st = d.Status()
		for i, dg := range st.Diagnostics {
			if dg.Severity == "error" && dg.File == vf && dg.Line == 2 && dg.Column == 15 && strings.Contains(dg.Summary, "api_backend") {
				found = &st.Diagnostics[i]
				return true
			}
		}
		return false
	}) {
		t.Fatalf("/status has no error at %s:2:15: %+v", vf, st.Diagnostics)
	}
	t.Logf("/status: %s:%d:%d: %s: %s", found.File, found.Line, found.Column, found.Summary, found.Detail)
	if want := vf + ":2:15: error: Invalid value for variable api_backend"; !strings.Contains(st.DiagnosticsText, want) {
		t.Errorf("diagnostics_text lacks %q:\n%s", want, st.DiagnosticsText)
	}
	if st.Version != v1 {
		t.Errorf("version %d -> %d: a broken variable file was applied", v1, st.Version)
	}
	for host, want := range map[string]string{"api.test": "b", "x.test": "a"} {
		if got := dtRoute(fe, hatest.Request{Host: host}); got != want {
			t.Errorf("broken variable file: host %s: %s, want %s", host, got, want)
		}
	}

	// The fix applies, still without a reload.
	t0 = save("api_backend = \"a\"\n")
	dtWaitRoute(t, fe, api, "a", t0, 10*time.Second)
	st = d.WaitSettled(10 * time.Second)
	if st.Version <= v1 {
		t.Errorf("version %d after the fix, want > %d", st.Version, v1)
	}
	for _, dg := range st.Diagnostics {
		if dg.Severity == "error" {
			t.Errorf("error left after the fix: %+v", dg)
		}
	}
	if got := d.Proc().Workers; !slices.Equal(got, workers) {
		t.Errorf("workers %v -> %v: HAProxy was reloaded", workers, got)
	}
	if n := d.Metrics()["haproute_reloads_total{}"]; n != 0 {
		t.Errorf("haproute_reloads_total = %v, want 0", n)
	}
}

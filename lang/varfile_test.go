package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// varFileConfig declares a string variable host (used as a route's host),
// a number variable port (a server's port) and a list variable extra
// (more hosts of a second route).
const varFileConfig = `variable "host" {
  default = "default.test"
}

variable "port" {
  type    = number
  default = 9001
}

variable "extra" {
  type    = list(string)
  default = ["extra.test"]
}

backend "b" {
  server "s" {
    address = "127.0.0.1:${var.port}"
  }
}

frontend "f" {
  bind = ["127.0.0.1:8080"]

  route "r" {
    host    = [var.host]
    backend = backend.b
  }

  route "x" {
    host    = var.extra
    backend = backend.b
  }
}
`

// checkWithVarFiles checks varFileConfig (as main.hcl) with variable files
// given as {name, source} pairs, parsed in order.
func checkWithVarFiles(t *testing.T, opts Options, varFiles ...[2]string) (*Program, hcl.Diagnostics) {
	t.Helper()
	cfg, d := Parse([]byte(varFileConfig), "main.hcl")
	if d.HasErrors() {
		t.Fatal(d)
	}
	var diags hcl.Diagnostics
	for _, vf := range varFiles {
		f, d := Parse([]byte(vf[1]), vf[0])
		diags = append(diags, d...)
		opts.VarFiles = append(opts.VarFiles, f)
	}
	prog, d := Check([]*File{cfg}, opts)
	return prog, append(diags, d...)
}

// routeHost is the host of route r (the value of var.host).
func routeHost(t *testing.T, p *Program) string {
	t.Helper()
	hs := p.Frontend("f").Routes[0].Match.Hosts
	if len(hs) != 1 {
		t.Fatalf("route r hosts = %v", hs)
	}
	return hs[0].Name
}

// TestVarFilePrecedence: default < HAPROUTE_VAR_NAME < variable files in
// order < -var NAME=VALUE, for every combination of the four sources.
func TestVarFilePrecedence(t *testing.T) {
	for mask := range 16 {
		env, file1, file2, cli := mask&1 != 0, mask&2 != 0, mask&4 != 0, mask&8 != 0
		var opts Options
		want := "default.test"
		if env {
			opts.Env = func(k string) (string, bool) {
				if k == "HAPROUTE_VAR_host" {
					return "env.test", true
				}
				return "", false
			}
			want = "env.test"
		}
		var files [][2]string
		if file1 {
			files = append(files, [2]string{"one.vars", `host = "file1.test"`})
			want = "file1.test"
		}
		if file2 {
			files = append(files, [2]string{"two.vars", `host = "file2.test"`})
			want = "file2.test"
		}
		if cli {
			opts.Vars = map[string]string{"host": "cli.test"}
			want = "cli.test"
		}
		name := fmt.Sprintf("env=%v,file1=%v,file2=%v,var=%v", env, file1, file2, cli)
		t.Run(name, func(t *testing.T) {
			p, diags := checkWithVarFiles(t, opts, files...)
			if len(diags) != 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if got := routeHost(t, p); got != want {
				t.Errorf("host = %q, want %q", got, want)
			}
		})
	}
}

// TestVarFileOverride: a later file overrides only what it sets; values
// are converted to the declared type (a list for list(string), a string
// to a number) and may use functions.
func TestVarFileOverride(t *testing.T) {
	p, diags := checkWithVarFiles(t, Options{},
		[2]string{"common.vars", "host  = \"common.test\"\nport  = \"9100\"\nextra = [\"a.test\", \"b.test\"]\n"},
		[2]string{"prod.vars", "# prod\nhost = lower(format(\"%s.TEST\", \"PROD\"))\n"},
	)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if got := routeHost(t, p); got != "prod.test" {
		t.Errorf("host = %q, want prod.test (the later file)", got)
	}
	if got := p.Backend("b").Servers[0].Port; got != 9100 {
		t.Errorf("port = %d, want 9100 (the earlier file, converted to a number)", got)
	}
	var extra []string
	for _, h := range p.Frontend("f").Routes[1].Match.Hosts {
		extra = append(extra, h.Name)
	}
	if strings.Join(extra, ",") != "a.test,b.test" {
		t.Errorf("extra hosts = %v, want [a.test b.test]", extra)
	}
}

// wantDiag fails unless diags holds exactly one diagnostic of the severity
// whose summary is summary, at file:line:col, with detail containing
// detail; it returns it.
func wantDiag(t *testing.T, diags hcl.Diagnostics, sev hcl.DiagnosticSeverity, summary, at, detail string) *hcl.Diagnostic {
	t.Helper()
	var found *hcl.Diagnostic
	for _, d := range diags {
		if d.Severity != sev || d.Summary != summary {
			continue
		}
		if found != nil {
			t.Fatalf("two %q diagnostics: %v", summary, diags)
		}
		found = d
	}
	if found == nil {
		t.Fatalf("no %q diagnostic in %v", summary, diags)
	}
	s := found.Subject
	if s == nil {
		t.Fatalf("%q has no position", summary)
	}
	if got := fmt.Sprintf("%s:%d:%d", s.Filename, s.Start.Line, s.Start.Column); got != at {
		t.Errorf("%q at %s, want %s", summary, got, at)
	}
	if !strings.Contains(found.Detail, detail) {
		t.Errorf("%q detail %q does not contain %q", summary, found.Detail, detail)
	}
	return found
}

// TestVarFileTypeError: a value of the wrong type is an error at the value
// in the variable file, not at the variable block.
func TestVarFileTypeError(t *testing.T) {
	_, diags := checkWithVarFiles(t, Options{},
		[2]string{"bad.vars", "host = \"ok.test\"\n\nport   = \"eighty\"\nextra  = { a = [1] }\n"})
	d := wantDiag(t, diags, hcl.DiagError, "Invalid value for variable port", "bad.vars:3:10", "The value from bad.vars is not a number")
	if !strings.Contains(d.Detail, "declared at main.hcl:5") {
		t.Errorf("detail %q does not point at the declaration", d.Detail)
	}
	wantDiag(t, diags, hcl.DiagError, "Invalid value for variable extra", "bad.vars:4:10", "is not a list of string")
	for _, x := range diags {
		if x.Subject != nil && x.Subject.Filename == "main.hcl" && x.Severity == hcl.DiagError {
			t.Errorf("error in main.hcl: %v", x)
		}
	}
	// -var overrides the broken file value: no error.
	if _, diags := checkWithVarFiles(t, Options{Vars: map[string]string{"port": "80", "extra": `["e.test"]`}},
		[2]string{"bad.vars", "port = \"eighty\"\nextra = {a = [1]}\n"}); diags.HasErrors() {
		t.Errorf("-var overrides the file, yet: %v", diags)
	}
}

// TestVarFileUndeclared: a value for no declared variable is a warning at
// its name in the variable file, with a suggestion.
func TestVarFileUndeclared(t *testing.T) {
	p, diags := checkWithVarFiles(t, Options{}, [2]string{"typo.vars", "host = \"typo.test\"\n  prot = 9100\nzzz = 1\n"})
	if diags.HasErrors() {
		t.Fatalf("errors: %v", diags)
	}
	var warns []*hcl.Diagnostic
	for _, d := range diags {
		if d.Summary == "Value for undeclared variable" {
			warns = append(warns, d)
		}
	}
	if len(warns) != 2 {
		t.Fatalf("want 2 undeclared-variable warnings, got %v", diags)
	}
	wantDiag(t, warns[:1], hcl.DiagWarning, "Value for undeclared variable", "typo.vars:2:3", `Did you mean "port"?`)
	wantDiag(t, warns[1:], hcl.DiagWarning, "Value for undeclared variable", "typo.vars:3:1", `declares no variable "zzz"`)
	if strings.Contains(warns[1].Detail, "Did you mean") {
		t.Errorf("suggestion for zzz: %q", warns[1].Detail)
	}
	if got := routeHost(t, p); got != "typo.test" {
		t.Errorf("host = %q, want typo.test", got)
	}
	if got := p.Backend("b").Servers[0].Port; got != 9001 {
		t.Errorf("port = %d, want the default 9001", got)
	}
}

// TestVarFileRejects: blocks and references are errors at their place in
// the variable file, and a reference leaves no "No value" error behind.
func TestVarFileRejects(t *testing.T) {
	tests := []struct {
		name, src, summary, at, detail string
	}{
		{"block", "host = \"a.test\"\nvariable \"port\" {\n  default = 1\n}\n", "Unexpected block in a variable file", "v.vars:2:1", `a "variable" block belongs in the configuration`},
		{"var reference", "port = 80\nhost = var.port\n", "Reference in a variable file", "v.vars:2:8", "var.port cannot be used here"},
		{"local reference", "host = \"x.${local.suffix}\"\n", "Reference in a variable file", "v.vars:1:13", "local.suffix cannot be used here"},
		{"backend reference in a function", "host = lower(backend.b)\n", "Reference in a variable file", "v.vars:1:14", "backend.b cannot be used here"},
		{"unknown function", "host = nope(\"x\")\n", "Call to unknown function", "v.vars:1:8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := checkWithVarFiles(t, Options{}, [2]string{"v.vars", tt.src})
			wantDiag(t, diags, hcl.DiagError, tt.summary, tt.at, tt.detail)
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary != tt.summary {
					t.Errorf("another error: %v", d)
				}
			}
		})
	}
}

// TestLoadVarFiles: files are read in order; a missing one is an error
// naming it; a syntax error has the file's position.
func TestLoadVarFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.vars")
	b := filepath.Join(dir, "b.vars")
	missing := filepath.Join(dir, "missing.vars")
	if err := os.WriteFile(a, []byte("host = \"a.test\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("host = \"b.test\"\nport = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, diags := LoadVarFiles([]string{a, missing, b})
	if len(files) != 2 || files[0].Name != a || files[1].Name != b {
		t.Fatalf("files = %v", files)
	}
	var read, syntax bool
	for _, d := range diags {
		switch {
		case d.Summary == "Cannot read variable file" && strings.Contains(d.Detail, missing):
			read = true
		case d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Filename == b && d.Subject.Start.Line == 2:
			syntax = true
		}
	}
	if !read || !syntax {
		t.Fatalf("want a read error naming %s and a syntax error at %s:2, got %v", missing, b, diags)
	}
}

// TestVarFileCheckCache: with a CheckCache, a changed variable file
// re-checks exactly the blocks that read the variables whose values
// changed, and the result equals an uncached Check (the workspace compares
// them at every step).
func TestVarFileCheckCache(t *testing.T) {
	w := cacheWorkspace(t)
	vars := func(src string) {
		f, d := Parse([]byte(src), "prod.vars")
		if d.HasErrors() {
			t.Fatal(d)
		}
		w.opts.VarFiles = []*File{f}
	}
	w.check("initial")
	vars(`host = "file.example.com"`)
	p, _ := w.check("var file sets host")
	if w.misses != 1 || w.hits != 3 {
		t.Fatalf("var file sets host: hits %d misses %d, want 3 and 1 (only frontend one reads var.host)", w.hits, w.misses)
	}
	if h := p.Frontend("one").Routes[0].Match.Hosts[0].Name; h != "file.example.com" {
		t.Fatalf("host = %q", h)
	}
	// The same content parsed again (a new *File): nothing re-checked.
	vars(`host = "file.example.com"`)
	w.check("same content")
	if w.misses != 0 || w.hits != 4 {
		t.Fatalf("same content: hits %d misses %d, want 4 and 0", w.hits, w.misses)
	}
	// An undeclared name changes no value: nothing re-checked.
	vars("host = \"file.example.com\"\nother = 1\n")
	if _, d := w.check("undeclared"); !hasDiag(d, "Value for undeclared variable", `"other"`) {
		t.Fatalf("want an undeclared warning, got %v", d)
	}
	if w.misses != 0 || w.hits != 4 {
		t.Fatalf("undeclared: hits %d misses %d, want 4 and 0", w.hits, w.misses)
	}
	vars(`host = "x..y"`)
	if _, d := w.check("invalid host"); !hasDiag(d, "Invalid host", "") {
		t.Fatalf("want an invalid host error, got %v", d)
	}
	if w.misses != 1 {
		t.Fatalf("invalid host: misses %d, want 1", w.misses)
	}
	w.opts.VarFiles = nil
	p, _ = w.check("no var file")
	if h := p.Frontend("one").Routes[0].Match.Hosts[0].Name; h != "a.example.com" || w.misses != 1 {
		t.Fatalf("back to the default: host %q, misses %d", h, w.misses)
	}
}

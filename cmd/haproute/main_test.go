package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproute/haproute/internal/hatest"
)

// runCLI runs the CLI in-process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &env{stdout: &out, stderr: &errb, getenv: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}})
	return code, out.String(), errb.String()
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const good = `backend "a" {
  server "s1" {
    address = "127.0.0.1:9001"
  }
}

frontend "f" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.a

  route "r" {
    host    = ["x.test"]
    backend = backend.a
  }
}
`

const bad = `backend "a" {
  server "s1" {
    address = "127.0.0.1:9001"
  }
}

frontend "f" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.aa
}
`

func TestCheckExitCodesAndFormats(t *testing.T) {
	dir := t.TempDir()
	goodDir := filepath.Join(dir, "good")
	badDir := filepath.Join(dir, "bad")
	os.Mkdir(goodDir, 0o755)
	os.Mkdir(badDir, 0o755)
	write(t, goodDir, "main.hcl", good)
	badFile := write(t, badDir, "main.hcl", bad)

	if code, _, stderr := runCLI(t, nil, "check", goodDir); code != 0 {
		t.Fatalf("check good: exit %d, stderr %s", code, stderr)
	}
	code, _, stderr := runCLI(t, nil, "check", badDir)
	if code != 1 {
		t.Fatalf("check bad: exit %d, want 1", code)
	}
	// FILE:LINE:COL: error: SUMMARY, then a snippet with a caret.
	wantHead := badFile + ":9:21: error: Reference to undeclared backend"
	if !strings.Contains(stderr, wantHead) || !strings.Contains(stderr, `Did you mean "a"?`) || !strings.Contains(stderr, "^") {
		t.Fatalf("text output:\n%s\nwant it to contain %q, a suggestion and a caret", stderr, wantHead)
	}
	if code, _, _ := runCLI(t, nil, "check", "--format", "nope", goodDir); code != 2 {
		t.Fatalf("usage error: exit %d, want 2", code)
	}

	code, stdout, _ := runCLI(t, nil, "check", "--format", "json", badDir)
	if code != 1 {
		t.Fatalf("json: exit %d", code)
	}
	var diags []struct {
		Severity string
		Summary  string
		Range    struct {
			Filename string
			Start    struct{ Line, Column int }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &diags); err != nil {
		t.Fatalf("json output %q: %v", stdout, err)
	}
	// The misspelled reference is the error; backend "a" is also unused.
	found := false
	for _, d := range diags {
		if d.Severity == "error" {
			found = d.Range.Start.Line == 9 && d.Range.Start.Column == 21 && d.Summary == "Reference to undeclared backend"
		}
	}
	if !found {
		t.Fatalf("json diagnostics = %+v", diags)
	}

	_, stdout, _ = runCLI(t, nil, "check", "--format", "github", badDir)
	if !strings.Contains(stdout, "::error file="+badFile+",line=9,col=21,") {
		t.Fatalf("github output = %q", stdout)
	}
}

func TestCheckWarningsExitZero(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", good+`
backend "unused" {
  server "s" {
    address = "127.0.0.1:9002"
  }
}
`)
	code, _, stderr := runCLI(t, nil, "check", dir)
	if code != 0 || !strings.Contains(stderr, "warning: Unused backend") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
}

func TestVariablesFromFlagsAndEnv(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", `variable "port" {
  type = number
}

backend "a" {
  server "s1" {
    address = "127.0.0.1:${var.port}"
  }
}

frontend "f" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.a
}
`)
	if code, _, _ := runCLI(t, nil, "check", dir); code != 1 {
		t.Fatalf("missing variable: exit %d, want 1", code)
	}
	if code, _, stderr := runCLI(t, nil, "check", "-var", "port=9001", dir); code != 0 {
		t.Fatalf("-var: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, map[string]string{"HAPROUTE_VAR_port": "9001"}, "check", dir); code != 0 {
		t.Fatalf("env: exit %d: %s", code, stderr)
	}
	out := t.TempDir()
	if code, _, stderr := runCLI(t, nil, "build", "-var", "port=9005", dir, "-o", out); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	cfg, _ := os.ReadFile(filepath.Join(out, "haproxy.cfg"))
	if !strings.Contains(string(cfg), "server s1 127.0.0.1:9005") {
		t.Fatalf("variable not applied:\n%s", cfg)
	}
}

func TestBuildWritesValidDeterministicConfig(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", good)
	out1, out2 := filepath.Join(t.TempDir(), "o"), filepath.Join(t.TempDir(), "o")
	for _, o := range []string{out1, out2} {
		if code, _, stderr := runCLI(t, nil, "build", dir, "-o", o, "--runtime-socket", "/run/x.sock"); code != 0 {
			t.Fatalf("build: exit %d: %s", code, stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(out1, "haproxy.cfg"))
	b, _ := os.ReadFile(filepath.Join(out2, "haproxy.cfg"))
	if string(a) != strings.ReplaceAll(string(b), out2, out1) {
		t.Fatal("two builds differ")
	}
	if !strings.Contains(string(a), "stats socket /run/x.sock mode 600 level admin expose-fd listeners") {
		t.Fatalf("no stats socket line:\n%s", a)
	}
	if err := hatest.Check(t, filepath.Join(out1, "haproxy.cfg")); err != nil {
		t.Fatal(err)
	}
	// A broken configuration writes nothing.
	badDir := t.TempDir()
	write(t, badDir, "main.hcl", bad)
	out3 := filepath.Join(t.TempDir(), "o")
	if code, _, _ := runCLI(t, nil, "build", badDir, "-o", out3); code != 1 {
		t.Fatalf("build bad: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(out3, "haproxy.cfg")); err == nil {
		t.Fatal("build of a broken configuration wrote haproxy.cfg")
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	messy := "backend \"a\" {\nserver \"s1\" {\naddress=\"127.0.0.1:9001\"\n}\n}\n"
	p := write(t, dir, "main.hcl", messy)
	code, stdout, _ := runCLI(t, nil, "fmt", "-check", dir)
	if code != 1 || !strings.Contains(stdout, p) {
		t.Fatalf("fmt -check: exit %d, stdout %q", code, stdout)
	}
	if data, _ := os.ReadFile(p); string(data) != messy {
		t.Fatal("fmt -check modified the file")
	}
	code, stdout, _ = runCLI(t, nil, "fmt", "-diff", "-check", dir)
	if code != 1 || !strings.Contains(stdout, `+    address = "127.0.0.1:9001"`) {
		t.Fatalf("fmt -diff: exit %d, stdout %q", code, stdout)
	}
	if code, _, _ := runCLI(t, nil, "fmt", dir); code != 0 {
		t.Fatalf("fmt: exit %d", code)
	}
	if code, _, _ := runCLI(t, nil, "fmt", "-check", dir); code != 0 {
		t.Fatalf("fmt -check after fmt: exit %d", code)
	}
}

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", `backend "a" {
  server "s1" {
    address = "127.0.0.1:9001"
  }
}

backend "b" {
  server "s1" {
    address = "127.0.0.1:9002"
  }
}

frontend "f" {
  bind = ["127.0.0.1:8080"]

  deny "admin" {
    path_prefix = ["/admin"]
    not_src     = ["10.0.0.0/8"]
  }

  route "canary" {
    host    = ["x.test"]
    header  = { "X-Canary" = "1" }
    backend = backend.b
  }

  route "main" {
    host    = ["x.test"]
    backend = backend.a
  }
}
`)
	code, stdout, stderr := runCLI(t, nil, "explain", dir, "--host", "X.test:8080", "--path", "/")
	if code != 0 || !strings.Contains(stdout, `backend a via route "main"`) || !strings.Contains(stdout, `route "canary"`) || !strings.Contains(stdout, "header x-canary") {
		t.Fatalf("explain: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stdout, _ = runCLI(t, nil, "explain", dir, "--host", "x.test", "--header", "X-Canary=1")
	if !strings.Contains(stdout, `backend b via route "canary"`) {
		t.Fatalf("explain canary:\n%s", stdout)
	}
	_, stdout, _ = runCLI(t, nil, "explain", dir, "--host", "x.test", "--path", "/admin/x", "--src", "192.168.1.1")
	if !strings.Contains(stdout, `denied with 403 by deny "admin"`) {
		t.Fatalf("explain deny:\n%s", stdout)
	}
	_, stdout, _ = runCLI(t, nil, "explain", dir, "--host", "y.test")
	if !strings.Contains(stdout, "404") {
		t.Fatalf("explain 404:\n%s", stdout)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, cmd := range []string{"check", "fmt", "build", "explain", "plan", "apply", "run", "version"} {
		code, stdout, _ := runCLI(t, nil, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage: haproute "+cmd) {
			t.Errorf("%s --help: exit %d, %q", cmd, code, stdout)
		}
	}
	code, stdout, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "haproute ") {
		t.Fatalf("version: %d %q", code, stdout)
	}
}

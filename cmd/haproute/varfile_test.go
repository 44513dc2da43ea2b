package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// varFileConfig has a variable with no default: it must come from
// somewhere. host names the host of route "r" (to backend b); port is
// backend b's server port.
const varFileConfig = `variable "host" {
  type = string
}

variable "port" {
  type    = number
  default = 9002
}

backend "a" {
  server "s1" {
    address = "127.0.0.1:9001"
  }
}

backend "b" {
  server "s1" {
    address = "127.0.0.1:${var.port}"
  }
}

frontend "f" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.a

  route "r" {
    host    = [var.host]
    backend = backend.b
  }
}
`

// routedTo runs explain for host and returns the first line of its answer
// ("backend b via route ..." or "backend a (default_backend ...)").
func routedTo(t *testing.T, host string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, nil, append(append([]string{"explain"}, args...), "--host", host, "--path", "/")...)
	if code != 0 {
		t.Fatalf("explain %v --host %s: exit %d\n%s", args, host, code, stderr)
	}
	first, _, _ := strings.Cut(stdout, "\n")
	return first
}

// TestVarFileFlag: --var-file, -var-file and --var-file=F are accepted by
// the commands that load a configuration; files apply in order and -var
// overrides them.
func TestVarFileFlag(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	mustMkdir(t, cfg)
	write(t, cfg, "main.hcl", varFileConfig)
	one := write(t, dir, "one.vars", "host = \"one.test\"\nport = 9100\n")
	two := write(t, dir, "two.vars", "# overrides one.vars\nhost = \"two.test\"\n")

	if code, _, stderr := runCLI(t, nil, "check", cfg); code != 1 || !strings.Contains(stderr, "No value for variable host") {
		t.Fatalf("check without a value: exit %d, want 1 and 'No value for variable host':\n%s", code, stderr)
	}
	for _, args := range [][]string{
		{"check", "--var-file", one, cfg},
		{"check", "-var-file", one, cfg},
		{"check", "-var-file=" + one, cfg},
		{"check", cfg, "--var-file=" + one, "--var-file", two},
	} {
		if code, _, stderr := runCLI(t, nil, args...); code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}

	if got := routedTo(t, "one.test", cfg, "-var-file", one); !strings.HasPrefix(got, "backend b via route") {
		t.Errorf("one.vars: one.test -> %q, want backend b", got)
	}
	// A later file overrides an earlier one...
	if got := routedTo(t, "two.test", cfg, "-var-file", one, "-var-file", two); !strings.HasPrefix(got, "backend b via route") {
		t.Errorf("one.vars then two.vars: two.test -> %q, want backend b", got)
	}
	if got := routedTo(t, "one.test", cfg, "-var-file", one, "-var-file", two); !strings.HasPrefix(got, "backend a") {
		t.Errorf("one.vars then two.vars: one.test -> %q, want backend a", got)
	}
	// ...and -var overrides both, wherever it stands.
	if got := routedTo(t, "cli.test", "-var", "host=cli.test", cfg, "-var-file", one, "-var-file", two); !strings.HasPrefix(got, "backend b via route") {
		t.Errorf("-var: cli.test -> %q, want backend b", got)
	}

	// build: the host from two.vars, the port from one.vars (which
	// two.vars does not set).
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, nil, "build", cfg, "-o", out, "-var-file", one, "-var-file", two); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	if data, err := os.ReadFile(filepath.Join(out, "haproxy.cfg")); err != nil || !strings.Contains(string(data), "127.0.0.1:9100") {
		t.Errorf("haproxy.cfg lacks the port from one.vars (%v):\n%s", err, data)
	}
	maps, _ := filepath.Glob(filepath.Join(out, "*.map"))
	var all strings.Builder
	for _, m := range maps {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	if !strings.Contains(all.String(), "two.test b") {
		t.Errorf("maps lack 'two.test b':\n%s", all.String())
	}
}

// TestVarFileDiagnostics: a diagnostic in a variable file is rendered with
// the file's position and source snippet in every format.
func TestVarFileDiagnostics(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	mustMkdir(t, cfg)
	write(t, cfg, "main.hcl", varFileConfig)
	bad := write(t, dir, "bad.vars", "# line 1\nhost = [\"a.test\"]\nhots = 1\n")

	code, _, stderr := runCLI(t, nil, "check", "-var-file", bad, cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{
		bad + ":2:8: error: Invalid value for variable host: The value from bad.vars is not a string",
		"     2 | host = [\"a.test\"]\n       |        ^^^^^^^^^^\n",
		bad + ":3:1: warning: Value for undeclared variable",
		`Did you mean "host"?`,
		"     3 | hots = 1\n",
		"1 error(s), 1 warning(s)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("text output lacks %q:\n%s", want, stderr)
		}
	}

	_, stdout, _ := runCLI(t, nil, "check", "--format", "json", "--var-file", bad, cfg)
	var diags []jsonDiag
	if err := json.Unmarshal([]byte(stdout), &diags); err != nil {
		t.Fatalf("json %q: %v", stdout, err)
	}
	if len(diags) != 2 || diags[0].Range == nil || diags[0].Range.Filename != bad || diags[0].Range.Start.Line != 2 || diags[0].Range.Start.Column != 8 || diags[0].Severity != "error" {
		t.Errorf("json diagnostics = %s", stdout)
	}

	_, stdout, _ = runCLI(t, nil, "check", "--format", "github", "--var-file", bad, cfg)
	if !strings.Contains(stdout, "::error file="+bad+",line=2,col=8,") || !strings.Contains(stdout, "::warning file="+bad+",line=3,col=1,") {
		t.Errorf("github output = %q", stdout)
	}

	// A syntax error in a variable file, and a block.
	broken := write(t, dir, "broken.vars", "host = \"a.test\"\nbackend \"x\" {}\nport = \n")
	code, _, stderr = runCLI(t, nil, "check", "-var-file", broken, cfg)
	if code != 1 || !strings.Contains(stderr, broken+":3:") {
		t.Errorf("syntax error: exit %d, want 1 and an error at %s:3:\n%s", code, broken, stderr)
	}
	blk := write(t, dir, "block.vars", "host = \"a.test\"\nbackend \"x\" {}\n")
	code, _, stderr = runCLI(t, nil, "check", "-var-file", blk, cfg)
	if code != 1 || !strings.Contains(stderr, blk+":2:1: error: Unexpected block in a variable file") {
		t.Errorf("block: exit %d, want 1 and an error at %s:2:1:\n%s", code, blk, stderr)
	}
}

// TestVarFileMissing: a variable file that cannot be read is an input
// error (exit 1) naming the file, for every command that loads one.
func TestVarFileMissing(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", good)
	missing := filepath.Join(dir, "nope.vars")
	for _, args := range [][]string{
		{"check", dir},
		{"build", dir, "-o", filepath.Join(dir, "out")},
		{"explain", dir, "--host", "x.test"},
		{"plan", dir, "--config-dir", filepath.Join(dir, "live")},
		{"apply", dir, "--config-dir", filepath.Join(dir, "live")},
	} {
		code, _, stderr := runCLI(t, nil, append(args, "-var-file", missing)...)
		if code != 1 || !strings.Contains(stderr, "Cannot read variable file") || !strings.Contains(stderr, missing) {
			t.Errorf("%v: exit %d, want 1 and 'Cannot read variable file ... %s':\n%s", args, code, missing, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("build wrote files despite the error")
	}
	// run takes the flag too (its behaviour is tested in package daemon).
	if code, stdout, _ := runCLI(t, nil, "run", "--help"); code != 0 || !strings.Contains(stdout, "--var-file=FILE") {
		t.Errorf("run --help: exit %d, no --var-file:\n%s", code, stdout)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

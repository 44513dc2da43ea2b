package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// This file is the go/types-style diagnostics harness: every
// testdata/check/*.hcl file is parsed and checked, and the diagnostics must
// match the expectations written as comments on the offending lines:
//
//	host = ["a..b"]   # ERROR "Invalid host: .*empty label"
//	when = "x ||"     # ERROR@21 "Invalid when expression"
//	src  = ["10.0.0.1/8"]  # WARNING "host bits set.*10.0.0.0/8"
//
// The regexp is matched against "Summary: Detail". ERROR@COL also asserts
// the column of the diagnostic's subject. Several expectations may share a
// line; "//" works as well as "#". Matching goes both ways: every expected
// diagnostic must be produced on its line, and every produced diagnostic
// must be expected.
//
// An optional header comment on the first lines sets Options:
//
//	# VARS name=value name2=value2
//	# ENV HAPROUTE_VAR_name=value

// checkExpectation is one ERROR or WARNING comment.
type checkExpectation struct {
	line     int
	col      int // 0: any column
	severity hcl.DiagnosticSeverity
	rx       *regexp.Regexp
	text     string // as written, for messages
	matched  bool
}

var (
	checkMarkerRx    = regexp.MustCompile(`(?:#|//)\s*(?:ERROR|WARNING)\b`)
	checkDirectiveRx = regexp.MustCompile("(ERROR|WARNING)(?:@([0-9]+))?\\s+(\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`)")
	checkHeaderRx    = regexp.MustCompile(`^\s*#\s*(VARS|ENV)\s+(.*)$`)
)

// parseCheckExpectations reads the ERROR/WARNING comments of src.
func parseCheckExpectations(t *testing.T, name string, src []byte) []*checkExpectation {
	t.Helper()
	var out []*checkExpectation
	for i, line := range strings.Split(string(src), "\n") {
		loc := checkMarkerRx.FindStringIndex(line)
		if loc == nil {
			continue
		}
		rest := line[loc[0]:]
		ms := checkDirectiveRx.FindAllStringSubmatch(rest, -1)
		if len(ms) == 0 {
			t.Fatalf("%s:%d: malformed expectation %q", name, i+1, rest)
		}
		for _, m := range ms {
			e := &checkExpectation{line: i + 1, severity: hcl.DiagError, text: m[0]}
			if m[1] == "WARNING" {
				e.severity = hcl.DiagWarning
			}
			if m[2] != "" {
				e.col, _ = strconv.Atoi(m[2])
			}
			pat := m[3]
			if pat[0] == '`' {
				pat = pat[1 : len(pat)-1]
			} else {
				var err error
				if pat, err = strconv.Unquote(pat); err != nil {
					t.Fatalf("%s:%d: bad expectation string %s: %v", name, i+1, m[3], err)
				}
			}
			rx, err := regexp.Compile(pat)
			if err != nil {
				t.Fatalf("%s:%d: bad expectation regexp %q: %v", name, i+1, pat, err)
			}
			e.rx = rx
			out = append(out, e)
		}
	}
	return out
}

// parseCheckOptions reads the optional VARS / ENV header comments.
func parseCheckOptions(t *testing.T, name string, src []byte) Options {
	t.Helper()
	opts := Options{}
	env := map[string]string{}
	for i, line := range strings.Split(string(src), "\n") {
		m := checkHeaderRx.FindStringSubmatch(line)
		if m == nil {
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			break // the header ends at the first non-comment line
		}
		for _, kv := range strings.Fields(m[2]) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("%s:%d: %s entry %q is not NAME=VALUE", name, i+1, m[1], kv)
			}
			if m[1] == "VARS" {
				if opts.Vars == nil {
					opts.Vars = map[string]string{}
				}
				opts.Vars[k] = v
			} else {
				env[k] = v
			}
		}
	}
	if len(env) > 0 {
		opts.Env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	return opts
}

func diagText(d *hcl.Diagnostic) string { return d.Summary + ": " + d.Detail }

func diagPos(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	if d.Subject == nil {
		return "?:?: " + sev
	}
	return fmt.Sprintf("%s:%d:%d: %s", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, sev)
}

// checkSource parses and checks one file's source.
func checkSource(name string, src []byte, opts Options) (*Program, hcl.Diagnostics) {
	f, diags := Parse(src, name)
	prog, d := Check([]*File{f}, opts)
	return prog, append(diags, d...)
}

// matchDiagnostics compares produced diagnostics to expectations both ways
// and returns one message per mismatch.
func matchDiagnostics(name string, diags hcl.Diagnostics, exps []*checkExpectation) []string {
	var problems []string
	var rest hcl.Diagnostics
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename != name || d.Subject.Start.Line < 1 || d.Subject.Start.Column < 1 {
			problems = append(problems, fmt.Sprintf("diagnostic without a position in the file: %s %q", diagPos(d), diagText(d)))
			continue
		}
		rest = append(rest, d)
	}
	used := make([]bool, len(rest))
	// Expectations with a column first, so a column-less expectation on the
	// same line cannot take their diagnostic.
	sorted := append([]*checkExpectation(nil), exps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].col > sorted[j].col })
	for _, e := range sorted {
		for i, d := range rest {
			if used[i] || d.Subject.Start.Line != e.line || d.Severity != e.severity || !e.rx.MatchString(diagText(d)) {
				continue
			}
			if e.col != 0 && d.Subject.Start.Column != e.col {
				continue
			}
			used[i], e.matched = true, true
			break
		}
	}
	for _, e := range exps {
		if e.matched {
			continue
		}
		var onLine []string
		for _, d := range rest {
			if d.Subject.Start.Line == e.line {
				onLine = append(onLine, fmt.Sprintf("%s %q", diagPos(d), diagText(d)))
			}
		}
		msg := fmt.Sprintf("%s:%d: missing diagnostic %s", filepath.Base(name), e.line, e.text)
		if len(onLine) > 0 {
			msg += "\n\ton this line instead: " + strings.Join(onLine, "\n\t                     ")
		}
		problems = append(problems, msg)
	}
	for i, d := range rest {
		if !used[i] {
			problems = append(problems, fmt.Sprintf("%s: unexpected diagnostic %q", diagPos(d), diagText(d)))
		}
	}
	return problems
}

func TestCheckFiles(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "check", "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no testdata/check/*.hcl files")
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			exps := parseCheckExpectations(t, name, src)
			prog, diags := checkSource(name, src, parseCheckOptions(t, name, src))
			if prog == nil {
				t.Fatal("Check returned a nil Program")
			}
			for _, p := range matchDiagnostics(name, diags, exps) {
				t.Error(p)
			}
		})
	}
}

// TestCheckHarness makes sure the harness itself fails on a missing, an
// unexpected, a wrong-column and a wrong-severity diagnostic.
func TestCheckHarness(t *testing.T) {
	src := []byte(`backend "b" { # WARNING "Unused backend" WARNING "no servers"
}
`)
	_, diags := checkSource("h.hcl", src, Options{})
	if p := matchDiagnostics("h.hcl", diags, parseCheckExpectations(t, "h.hcl", src)); len(p) != 0 {
		t.Fatalf("valid expectations reported problems: %v", p)
	}
	for _, bad := range []string{
		"backend \"b\" { # WARNING \"Unused backend\"\n}\n",                                      // unexpected "no servers"
		"backend \"b\" { # WARNING \"Unused backend\" WARNING \"no servers\" WARNING \"x\"\n}\n", // missing "x"
		"backend \"b\" { # ERROR \"Unused backend\" WARNING \"no servers\"\n}\n",                 // wrong severity
		"backend \"b\" { # WARNING@2 \"Unused backend\" WARNING \"no servers\"\n}\n",             // wrong column
		"# WARNING \"Unused backend\" WARNING \"no servers\"\nbackend \"b\" {\n}\n",              // wrong line
	} {
		src := []byte(bad)
		_, diags := checkSource("h.hcl", src, Options{})
		if p := matchDiagnostics("h.hcl", diags, parseCheckExpectations(t, "h.hcl", src)); len(p) == 0 {
			t.Errorf("harness accepted wrong expectations in %q", bad)
		}
	}
}

package compiler_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// fuzzDir is the fixed absolute output directory the fuzz target renders
// for (nothing is written there).
const fuzzDir = "/etc/haproute/fuzz"

// fuzzKeywords lists, per section kind, the first words of the lines the
// renderer emits itself. Raw lines are allowed besides these only when they
// equal a raw line of the IR exactly.
var fuzzKeywords = map[string][]string{
	"global":   {"maxconn", "nbthread", "log", "stats"},
	"defaults": {"mode", "timeout", "log-format"},
	"frontend": {"mode", "maxconn", "bind", "timeout", "acl", "http-request", "tcp-request", "use_backend", "default_backend", "option"},
	"backend":  {"mode", "balance", "timeout", "option", "http-check", "server"},
}

var fuzzSectionRx = regexp.MustCompile(`^(global|defaults ` + ir.DefaultsName + `|(frontend|backend) [A-Za-z_][A-Za-z0-9_.-]{0,63} from ` + ir.DefaultsName + `)$`)

// FuzzCheckBuild feeds arbitrary bytes through the whole pipeline: Parse,
// Check and, when there are no errors, Compile and Render. Nothing may
// panic, and a rendered configuration must keep its structure whatever the
// user wrote.
func FuzzCheckBuild(f *testing.F) {
	// The golden inputs are good seeds besides testdata/fuzz/FuzzCheckBuild.
	names, _ := filepath.Glob(filepath.Join("testdata", "*.hcl"))
	for _, n := range names {
		if src, err := os.ReadFile(n); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, diags := lang.Parse(src, "fuzz.hcl")
		prog, d := lang.Check([]*lang.File{file}, lang.Options{})
		diags = append(diags, d...)
		fuzzCheckDiags(t, diags)
		if diags.HasErrors() {
			return
		}
		if path, bad := fuzzBadString(reflect.ValueOf(prog), "prog"); bad {
			t.Fatalf("check accepted a string with a newline, CR or NUL at %s", path)
		}
		cfg, d := compiler.Compile(prog, compiler.Options{})
		fuzzCheckDiags(t, d)
		if d.HasErrors() {
			return
		}
		if path, bad := fuzzBadString(reflect.ValueOf(cfg), "cfg"); bad {
			t.Fatalf("the IR holds a string with a newline, CR or NUL at %s", path)
		}
		files, err := ir.Render(cfg, fuzzDir)
		if err != nil {
			// Everything Check accepts must render, except raw lines:
			// they are HAProxy syntax that config-parser may refuse.
			if fuzzRawRefused(cfg, err) {
				return
			}
			t.Fatalf("render failed after a clean check: %v", err)
		}
		fuzzCheckConfig(t, cfg, string(files[ir.ConfigFile]))
		for name, content := range files {
			if name == ir.ConfigFile {
				continue
			}
			fuzzCheckAux(t, name, string(content), strings.HasSuffix(name, ".map"))
		}
	})
}

// fuzzRawRefused reports whether err is config-parser refusing one of the
// configuration's raw lines.
func fuzzRawRefused(cfg *ir.Config, err error) bool {
	const prefix = "render: config-parser does not keep the line "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return false
	}
	line, uerr := strconv.Unquote(msg[len(prefix):])
	if uerr != nil {
		return false
	}
	for _, l := range append(slices.Clone(cfg.Global.Raw), cfg.Defaults.Raw...) {
		if strings.Join(strings.Fields(l.Text), " ") == line {
			return true
		}
	}
	return false
}

// fuzzCheckDiags requires every diagnostic to be well formed.
func fuzzCheckDiags(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == "" {
			t.Fatalf("diagnostic without summary: %#v", d)
		}
		// An End of 0:0 is HCL's typeexpr leaving the end of a broken
		// call unset (testdata/fuzz/FuzzCheckBuild/61a27dc6b6f71bd8); the
		// text writer shows it as a point. Any other inversion is a bug.
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.End.Line != 0 && d.Subject.Start.Byte > d.Subject.End.Byte {
			t.Fatalf("diagnostic %q with an inverted range %v", d.Summary, d.Subject)
		}
	}
}

// fuzzBadString walks v and reports the path of the first string holding
// '\n', '\r' or NUL.
func fuzzBadString(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		if strings.ContainsAny(v.String(), "\n\r\x00") {
			return path, true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return fuzzBadString(v.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p, bad := fuzzBadString(v.Index(i), path+"["+strconv.Itoa(i)+"]"); bad {
				return p, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p, bad := fuzzBadString(it.Key(), path+"{key}"); bad {
				return p, true
			}
			if p, bad := fuzzBadString(it.Value(), path+"{value}"); bad {
				return p, true
			}
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(hcl.Range{}) {
			return "", false // file names come from the caller
		}
		for i := 0; i < v.NumField(); i++ {
			if p, bad := fuzzBadString(v.Field(i), path+"."+v.Type().Field(i).Name); bad {
				return p, true
			}
		}
	}
	return "", false
}

// fuzzCheckConfig checks the structure of haproxy.cfg.
func fuzzCheckConfig(t *testing.T, cfg *ir.Config, text string) {
	t.Helper()
	if strings.ContainsAny(text, "\r\x00") {
		t.Fatalf("haproxy.cfg contains CR or NUL:\n%s", text)
	}
	raw := map[string]map[string]bool{"global": {}, "defaults": {}}
	for _, l := range cfg.Global.Raw {
		raw["global"][strings.Join(strings.Fields(l.Text), " ")] = true
	}
	for _, l := range cfg.Defaults.Raw {
		raw["defaults"][strings.Join(strings.Fields(l.Text), " ")] = true
	}
	section := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line == trimmed {
			if !fuzzSectionRx.MatchString(line) {
				t.Fatalf("line %d: unexpected section line %q\n%s", i+1, line, text)
			}
			section = strings.Fields(line)[0]
			continue
		}
		if section == "" {
			t.Fatalf("line %d: %q outside any section", i+1, line)
		}
		words, quoted, comment, err := fuzzWords(trimmed)
		if err != nil {
			t.Fatalf("line %d: %q: %v\n%s", i+1, line, err, text)
		}
		if len(words) == 0 {
			t.Fatalf("line %d: %q has no words", i+1, line)
		}
		if strings.Contains(comment, "\n") {
			t.Fatalf("line %d: comment spans lines", i+1)
		}
		noComment := strings.TrimSpace(strings.TrimSuffix(trimmed, comment))
		noComment = strings.TrimSpace(strings.TrimSuffix(noComment, "#"))
		if raw[section][strings.Join(strings.Fields(noComment), " ")] {
			continue
		}
		known := false
		for _, k := range fuzzKeywords[section] {
			if words[0] == k {
				known = true
			}
		}
		if !known {
			t.Fatalf("line %d: %q does not start with a keyword the renderer emits in %s\n%s", i+1, line, section, text)
		}
		// A rule's condition is produced by the compiler: at most one
		// unquoted "if"/"unless", and only user words that are quoted.
		if words[0] == "http-request" || words[0] == "tcp-request" || words[0] == "use_backend" {
			n := 0
			for j, w := range words {
				if (w == "if" || w == "unless") && !quoted[j] {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("line %d: %q has %d if/unless words", i+1, line, n)
			}
		}
	}
}

// fuzzWords splits a configuration line into words the way HAProxy does
// (single quotes: literal; double quotes and outside: backslash escapes;
// '#' outside quotes starts a comment). It returns the comment text, from
// the '#', and an error for an unterminated quote. quoted tells which
// words held a quote or backslash.
func fuzzWords(line string) (words []string, quoted []bool, comment string, err error) {
	var cur strings.Builder
	in, q := false, false
	quote := byte(0)
	end := func() {
		words = append(words, cur.String())
		quoted = append(quoted, q)
		cur.Reset()
		in, q = false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			in, q = true, true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			in, q = true, true
		case c == '#':
			if in {
				end()
			}
			return words, quoted, line[i:], nil
		case c == ' ' || c == '\t':
			if in {
				end()
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, nil, "", errUnterminated
	}
	if in {
		end()
	}
	return words, quoted, "", nil
}

type fuzzError string

func (e fuzzError) Error() string { return string(e) }

const errUnterminated = fuzzError("unterminated quote")

// fuzzCheckAux checks a map (two words a line) or ACL file (one word).
func fuzzCheckAux(t *testing.T, name, content string, isMap bool) {
	t.Helper()
	if strings.ContainsAny(content, "\r\x00") {
		t.Fatalf("%s contains CR or NUL:\n%s", name, content)
	}
	for i, line := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		if line == "" && content == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		f := strings.Fields(line)
		want := 1
		if isMap {
			want = 2
		}
		if len(f) != want || f[0] != line[:len(f[0])] || strings.HasPrefix(f[0], "#") {
			t.Fatalf("%s line %d: %q is not %d word(s)", name, i+1, line, want)
		}
	}
}

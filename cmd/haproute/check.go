package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// LoadFlags are the flags every command that reads a configuration takes.
type LoadFlags struct {
	Path string            `arg:"" optional:"" default:"." help:"Configuration directory or .hcl file (default: current directory)." type:"path"`
	Var  map[string]string `name:"var" short:"v" help:"Set a variable: -var NAME=VALUE (repeatable)." mapsep:"none"`
	// VarFile are variable files (NAME = VALUE lines), in order.
	VarFile []string `name:"var-file" help:"Set variables from a file of NAME = VALUE lines (repeatable; a later file overrides an earlier one, -var overrides both)." sep:"none" type:"path" placeholder:"FILE"`
}

// loaded is a configuration read and checked.
type loaded struct {
	files    []*lang.File
	varFiles []*lang.File
	prog     *lang.Program
	diags    hcl.Diagnostics
}

func (l *LoadFlags) load(e *env) *loaded {
	files, diags := lang.Load(l.Path)
	varFiles, d := lang.LoadVarFiles(l.VarFile)
	diags = append(diags, d...)
	prog, d := lang.Check(files, lang.Options{Vars: l.Var, VarFiles: varFiles, Env: e.getenv})
	diags = append(diags, d...)
	return &loaded{files: files, varFiles: varFiles, prog: prog, diags: diags}
}

// sources maps file names to their bytes for snippets.
func (l *loaded) sources() map[string]*hcl.File {
	m := map[string]*hcl.File{}
	for _, f := range slices.Concat(l.varFiles, l.files) {
		m[f.Name] = &hcl.File{Bytes: f.Src}
	}
	return m
}

// CheckCmd checks a configuration.
type CheckCmd struct {
	LoadFlags
	Format string `enum:"text,json,github" default:"text" help:"Output format: text, json or github (workflow annotations)."`
}

// Run checks and prints diagnostics; exit 1 on errors.
func (c *CheckCmd) Run(e *env) error {
	l := c.load(e)
	if !l.diags.HasErrors() {
		_, d := compiler.Compile(l.prog, compiler.Options{})
		l.diags = append(l.diags, d...)
	}
	if err := printDiags(e, l, c.Format); err != nil {
		return err
	}
	if l.diags.HasErrors() {
		return exitError{1}
	}
	return nil
}

// printDiags renders diagnostics in the chosen format.
func printDiags(e *env, l *loaded, format string) error {
	switch format {
	case "json":
		return json.NewEncoder(e.stdout).Encode(jsonDiags(l.diags))
	case "github":
		for _, d := range l.diags {
			level := "error"
			if d.Severity == hcl.DiagWarning {
				level = "warning"
			}
			if d.Subject != nil {
				fmt.Fprintf(e.stdout, "::%s file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,title=%s::%s\n", level,
					ghEscape(d.Subject.Filename, true), d.Subject.Start.Line, d.Subject.Start.Column, d.Subject.End.Line, d.Subject.End.Column,
					ghEscape(d.Summary, true), ghEscape(d.Detail, false))
			} else {
				fmt.Fprintf(e.stdout, "::%s title=%s::%s\n", level, ghEscape(d.Summary, true), ghEscape(d.Detail, false))
			}
		}
		return nil
	}
	writeText(e.stderr, l)
	return nil
}

// writeText writes "FILE:LINE:COL: error|warning: SUMMARY" lines, each
// followed by the detail and a source snippet.
func writeText(w io.Writer, l *loaded) {
	src := l.sources()
	for _, d := range l.diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject == nil {
			fmt.Fprintf(w, "haproute: %s: %s\n", sev, summary(d))
			continue
		}
		s := d.Subject
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, sev, summary(d))
		if f, ok := src[s.Filename]; ok {
			writeSnippet(w, f.Bytes, s)
		}
	}
	errs, warns := 0, 0
	for _, d := range l.diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	if errs+warns > 0 {
		fmt.Fprintf(w, "%d error(s), %d warning(s)\n", errs, warns)
	}
}

func summary(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + ": " + d.Detail
}

// writeSnippet prints the subject's first line with a caret marker.
func writeSnippet(w io.Writer, src []byte, r *hcl.Range) {
	lines := strings.Split(string(src), "\n")
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return
	}
	line := strings.TrimRight(lines[r.Start.Line-1], "\r")
	fmt.Fprintf(w, "  %4d | %s\n", r.Start.Line, line)
	width := 1
	if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column {
		width = r.End.Column - r.Start.Column
	}
	pad := []rune(line)
	prefix := ""
	for i := 0; i < r.Start.Column-1 && i < len(pad); i++ {
		if pad[i] == '\t' {
			prefix += "\t"
		} else {
			prefix += " "
		}
	}
	fmt.Fprintf(w, "       | %s%s\n", prefix, strings.Repeat("^", width))
}

type jsonDiag struct {
	Severity string          `json:"severity"`
	Summary  string          `json:"summary"`
	Detail   string          `json:"detail,omitempty"`
	Range    *ir.SourceRange `json:"range,omitempty"`
}

func jsonDiags(diags hcl.Diagnostics) []jsonDiag {
	out := []jsonDiag{}
	for _, d := range diags {
		j := jsonDiag{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			j.Range = ir.NewSourceRange(*s)
		}
		out = append(out, j)
	}
	return out
}

// ghEscape escapes a GitHub workflow command value or property.
func ghEscape(s string, property bool) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	if property {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

// BuildCmd compiles a configuration into a directory.
type BuildCmd struct {
	LoadFlags
	Out           string `name:"out" short:"o" required:"" help:"Output directory (created if missing)." type:"path"`
	RuntimeSocket string `name:"runtime-socket" help:"Add 'stats socket PATH mode 600 level admin expose-fd listeners' to the global section." type:"path"`
}

// Run builds and writes the files.
func (b *BuildCmd) Run(e *env) error {
	l := b.load(e)
	files, diags := build(l, b.Out, b.RuntimeSocket)
	l.diags = append(l.diags, diags...)
	writeText(e.stderr, l)
	if l.diags.HasErrors() {
		return exitError{1}
	}
	if err := writeFiles(b.Out, files); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d files)\n", filepath.Join(b.Out, ir.ConfigFile), len(files))
	return nil
}

// build checks, compiles and renders a loaded configuration for dir.
func build(l *loaded, dir, socket string) (ir.Files, hcl.Diagnostics) {
	if l.diags.HasErrors() {
		return nil, nil
	}
	cfg, diags := compiler.Compile(l.prog, compiler.Options{StatsSocket: socket})
	if diags.HasErrors() {
		return nil, diags
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid output directory", Detail: err.Error()})
	}
	files, err := ir.Render(cfg, abs)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot render the configuration", Detail: err.Error()})
	}
	return files, diags
}

// writeFiles writes the rendered files into dir and removes stale map and
// ACL files from an earlier build.
func writeFiles(dir string, files ir.Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.map"))
	oldACL, _ := filepath.Glob(filepath.Join(dir, "*.acl"))
	for _, p := range append(old, oldACL...) {
		if _, keep := files[filepath.Base(p)]; !keep {
			_ = os.Remove(p)
		}
	}
	for _, name := range files.Names() {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, files[name], 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// FmtCmd rewrites files in canonical format.
type FmtCmd struct {
	Path  string `arg:"" optional:"" default:"." help:"Configuration directory or .hcl file." type:"path"`
	Check bool   `help:"Do not write; list the files that would change and exit 1 if any."`
	Diff  bool   `help:"Print a diff of the changes."`
}

// Run formats the files.
func (f *FmtCmd) Run(e *env) error {
	names, err := lang.Files(f.Path)
	if err != nil {
		return err
	}
	changed := 0
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		// Refuse to format a file with syntax errors: the result would be
		// meaningless.
		if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
			fmt.Fprintf(e.stderr, "%s: %s\n", name, diags.Error())
			return exitError{1}
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		changed++
		if f.Check || f.Diff {
			fmt.Fprintln(e.stdout, name)
		}
		if f.Diff {
			fmt.Fprint(e.stdout, lineDiff(name, string(src), string(out)))
		}
		if !f.Check {
			st, err := os.Stat(name)
			if err != nil {
				return err
			}
			if err := os.WriteFile(name, out, st.Mode().Perm()); err != nil {
				return err
			}
		}
	}
	if f.Check && changed > 0 {
		return exitError{1}
	}
	return nil
}

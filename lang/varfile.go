package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A variable file (-var-file FILE) sets variables with top-level
// NAME = VALUE attributes, like Terraform's .tfvars: the values are
// expressions of literals, lists, maps and the functions of Functions(),
// without references. Check evaluates the files of Options.VarFiles in
// order (a later file overrides an earlier one); their values rank above
// HAPROUTE_VAR_NAME and below -var NAME=VALUE.

// LoadVarFiles reads and parses variable files, in the order given. A file
// that cannot be read is an error diagnostic naming it and is left out;
// syntax errors are Parse's, and the file is kept.
func LoadVarFiles(paths []string) ([]*File, hcl.Diagnostics) {
	var files []*File
	var diags hcl.Diagnostics
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			diags = append(diags, VarFileReadError(err))
			continue
		}
		f, d := Parse(src, p)
		diags = append(diags, d...)
		files = append(files, f)
	}
	return files, diags
}

// VarFileReadError is the diagnostic of a variable file that cannot be
// read (err names the file, as os errors do).
func VarFileReadError(err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variable file", Detail: err.Error()}
}

// varFileValue is the value a variable file gives one variable.
type varFileValue struct {
	val  cty.Value
	expr hcl.Expression
	file string
	// bad is set when the value could not be evaluated (the error is
	// reported already); the variable is then unknown.
	bad bool
}

// varFileValues evaluates the variable files in order and returns, per
// variable name, the value of the last file that sets it. declared are the
// declared variable names: an attribute naming none of them is a warning.
func varFileValues(files []*File, declared []string) (map[string]varFileValue, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]varFileValue{}
	isDeclared := map[string]bool{}
	for _, n := range declared {
		isDeclared[n] = true
	}
	ctx := &hcl.EvalContext{Functions: Functions()}
	for _, f := range files {
		if f == nil || f.Body == nil {
			continue
		}
		for _, b := range f.Body.Blocks {
			diags = append(diags, errAt(b.DefRange(), "Unexpected block in a variable file",
				fmt.Sprintf("A variable file sets variables with NAME = VALUE lines only; a %q block belongs in the configuration.", b.Type)))
		}
		attrs := make([]*hclsyntax.Attribute, 0, len(f.Body.Attributes))
		for _, a := range f.Body.Attributes {
			attrs = append(attrs, a)
		}
		sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
		for _, a := range attrs {
			if !isDeclared[a.Name] {
				diags = append(diags, warnAt(a.NameRange, "Value for undeclared variable",
					fmt.Sprintf("%s sets %q, but the configuration declares no variable %q; the value is ignored.%s",
						filepath.Base(f.Name), a.Name, a.Name, didYouMean(a.Name, declared))))
			}
			v := varFileValue{expr: a.Expr, file: f.Name}
			if refs := a.Expr.Variables(); len(refs) > 0 {
				for _, tr := range refs {
					rng := tr.SourceRange()
					diags = append(diags, errAt(rng, "Reference in a variable file",
						fmt.Sprintf("A variable file holds values only: %s cannot be used here (variables, locals and backends are not available).", rng.SliceBytes(f.Src))))
				}
				v.bad = true
			} else {
				val, d := a.Expr.Value(ctx)
				diags = append(diags, d...)
				v.val, v.bad = val, d.HasErrors()
			}
			if isDeclared[a.Name] {
				out[a.Name] = v
			}
		}
	}
	return out, diags
}

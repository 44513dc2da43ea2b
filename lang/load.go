package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// File is one parsed .hcl file.
type File struct {
	Name string // the path as given to Load, or as passed to Parse
	Src  []byte
	Body *hclsyntax.Body
}

// Parse parses one file's source. The result is usable even with errors.
func Parse(src []byte, name string) (*File, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	file := &File{Name: name, Src: src}
	if f != nil {
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			file.Body = body
		}
	}
	if file.Body == nil {
		file.Body = &hclsyntax.Body{SrcRange: hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}}
	}
	return file, diags
}

// Load reads a configuration: every *.hcl file directly in the directory
// path (sorted by name), or the single file path.
func Load(path string) ([]*File, hcl.Diagnostics) {
	names, err := Files(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error()}}
	}
	var files []*File
	var diags hcl.Diagnostics
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: err.Error()})
			continue
		}
		f, d := Parse(src, n)
		diags = append(diags, d...)
		files = append(files, f)
	}
	return files, diags
}

// Files lists the .hcl files a configuration path names, sorted by name.
func Files(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".hcl") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		full := filepath.Join(path, e.Name())
		// Follow symlinks (ConfigMap-style layouts) but skip directories.
		if st, err := os.Stat(full); err != nil || st.IsDir() {
			continue
		}
		names = append(names, full)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("no .hcl files in %s", path)
	}
	return names, nil
}

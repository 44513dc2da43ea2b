package daemon

import (
	"crypto/sha256"
	"os"
	"sync"

	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// fileCache keeps parsed files in memory and re-parses only files whose
// content changed.
type fileCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	// vars are the variable files' entries.
	vars map[string]cacheEntry
	// Parsed counts files parsed (for tests and metrics).
	Parsed int
}

type cacheEntry struct {
	sum   [32]byte
	file  *lang.File
	diags hcl.Diagnostics
}

// reset forgets every parsed file (SIGHUP: re-read everything).
func (c *fileCache) reset() {
	c.mu.Lock()
	c.entries, c.vars = nil, nil
	c.mu.Unlock()
}

// load returns the configuration's files, parsing only changed ones, and
// whether anything changed since the last call.
func (c *fileCache) load(path string) ([]*lang.File, hcl.Diagnostics, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	names, err := lang.Files(path)
	if err != nil {
		changed := len(c.entries) > 0
		c.entries = map[string]cacheEntry{}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error()}}, changed
	}
	changed := len(names) != len(c.entries)
	next := make(map[string]cacheEntry, len(names))
	var files []*lang.File
	var diags hcl.Diagnostics
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: err.Error()})
			changed = true
			continue
		}
		e, parsed := c.parse(c.entries, n, src)
		changed = changed || parsed
		next[n] = e
		files = append(files, e.file)
		diags = append(diags, e.diags...)
	}
	c.entries = next
	return files, diags, changed
}

// parse returns old[name] when it holds src, else src parsed anew (and
// true).
func (c *fileCache) parse(old map[string]cacheEntry, name string, src []byte) (cacheEntry, bool) {
	sum := sha256.Sum256(src)
	if e, ok := old[name]; ok && e.sum == sum {
		return e, false
	}
	f, d := lang.Parse(src, name)
	c.Parsed++
	return cacheEntry{sum: sum, file: f, diags: d}, true
}

// loadVars returns the variable files (-var-file), in order, parsing only
// the ones whose content changed: an unchanged file keeps its *lang.File.
// A file that cannot be read is an error diagnostic and is left out.
func (c *fileCache) loadVars(paths []string) ([]*lang.File, hcl.Diagnostics) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]cacheEntry, len(paths))
	var files []*lang.File
	var diags hcl.Diagnostics
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			diags = append(diags, lang.VarFileReadError(err))
			continue
		}
		e, ok := next[p] // the same file given twice
		if !ok {
			e, _ = c.parse(c.vars, p, src)
			next[p] = e
		}
		files = append(files, e.file)
		diags = append(diags, e.diags...)
	}
	c.vars = next
	return files, diags
}

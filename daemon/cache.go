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
	c.entries = nil
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
		sum := sha256.Sum256(src)
		e, ok := c.entries[n]
		if !ok || e.sum != sum {
			f, d := lang.Parse(src, n)
			e = cacheEntry{sum: sum, file: f, diags: d}
			c.Parsed++
			changed = true
		}
		next[n] = e
		files = append(files, e.file)
		diags = append(diags, e.diags...)
	}
	c.entries = next
	return files, diags, changed
}

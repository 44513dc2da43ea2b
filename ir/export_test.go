package ir

// Passes is the number of config-parser runs of rd so far.
func (rd *Renderer) Passes() int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return rd.passes
}

// CachedSections is the number of sections rd keeps config-parser's
// output of.
func (rd *Renderer) CachedSections() int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return len(rd.sections)
}

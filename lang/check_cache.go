package lang

import (
	"bytes"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// CheckCache makes Check incremental across calls: pass the same cache in
// Options.Cache to every Check of a configuration that changes a file at a
// time (the daemon's loop), and keep the *File of every unchanged file (the
// same pointer) from one call to the next.
//
// It memoizes, per syntax body (pointer identity), each file's top-level
// decoding and static reference counts, and the checked form of each
// top-level backend and frontend block together with the diagnostics it
// produced (for a frontend, also those of the ambiguity and shadowing
// checks of its routes, which depend on the frontend alone). A memoized
// block is reused only when every input its checking read is unchanged:
// the values of the var, local and backend references written in it, the
// backends it looked up (name and mode), the set of backend names when it
// made a suggestion from them, the file source it read, and whether earlier
// errors existed when it met an unknown value. Everything else (duplicate
// names, binds, unused warnings, suggestions, ordering) is recomputed on
// every call, so a cached Check returns the same diagnostics and an equal
// Program as an uncached one.
//
// The zero value is ready to use. Check holds the cache's lock for the
// whole call, so one cache serves one caller at a time; concurrent Checks
// sharing a cache run one after the other. Entries of blocks and files
// absent from the latest call are dropped. Programs returned by a cached
// Check share unchanged Frontend, Server and HealthCheck values with each
// other: treat a Program as read-only (nothing in haproute writes to one).
type CheckCache struct {
	mu sync.Mutex
	// files holds what Check derives from each file body alone; blocks
	// the checked form of each backend and frontend block body.
	files  map[*hclsyntax.Body]*fileEntry
	blocks map[*hclsyntax.Body]*blockEntry
	// nextFiles and nextBlocks collect what the Check in progress uses;
	// they replace files and blocks when it ends.
	nextFiles  map[*hclsyntax.Body]*fileEntry
	nextBlocks map[*hclsyntax.Body]*blockEntry
	// static lists the variable references written in each top-level
	// block body (filled when its file is first seen).
	static map[*hclsyntax.Body][]refKey
	// gen numbers Checks; prevRoots are the evaluation context's
	// variables (var, local, backend) of the previous one, and rootSame
	// tells, per root, whether the current Check's value is the same.
	gen       int
	prevRoots map[string]cty.Value
	rootSame  map[string]bool
	// hits and misses count blocks reused and checked (for tests).
	hits, misses int
}

// fileEntry is what Check derives from one file body alone.
type fileEntry struct {
	content *hcl.BodyContent
	diags   []hcl.Diagnostic
	// refs are countRefs' counts.
	refs map[string]int
}

// refKey is a variable reference written in a block: ROOT.NAME (named) or
// any other use of ROOT.
type refKey struct {
	root, name string
	named      bool
}

// blockEntry is the memoized checking of one backend or frontend block.
type blockEntry struct {
	// gen is the last Check that recorded or reused the entry: its inputs
	// had then the values of that Check.
	gen int

	// Inputs.
	refs     []ctxDep
	backends map[string]backendDep
	// names is the sorted, NUL-joined set of backend names when the
	// block's checking read it (for a "did you mean"); "" otherwise.
	names     string
	readNames bool
	// src is the source of the block's file, which whenLocator reads
	// (frontends).
	src []byte
	// readErrs is set when the checking met an unknown value, whose
	// diagnostic depends on whether errors were reported before the block
	// (priorErrs).
	readErrs, priorErrs bool

	// Outputs.
	diags []hcl.Diagnostic // copies, taken before suggestRefs
	// topCtx[i] tells diags[i] was evaluated in the Check's own context,
	// which replay puts back (the copy holds none, so that the entry does
	// not keep old contexts alive).
	topCtx []bool
	be     *Backend // pristine (Used false); each Check gets a copy
	fe     *Frontend
	broken []*Route
	used   []string // backends whose Used the block set
	// routeDiags are checkRoutes' diagnostics for fe; routesDone tells
	// they were computed.
	routeDiags []hcl.Diagnostic
	routesDone bool
}

// ctxDep is one evaluation-context input of a block: the value of
// ROOT.NAME, or of the whole ROOT object when whole is set.
type ctxDep struct {
	root, name string
	whole      bool
	state      int // depAbsent, depPresent
	val        cty.Value
}

// backendDep is the result of one backend lookup by name.
type backendDep struct {
	present bool
	mode    string
}

// blockDeps collects the inputs a block's checking reads besides its
// syntax and the evaluation context.
type blockDeps struct {
	backends  map[string]backendDep
	readNames bool
	used      []string
}

func (cc *CheckCache) begin() {
	cc.gen++
	cc.nextFiles = make(map[*hclsyntax.Body]*fileEntry, len(cc.files))
	cc.nextBlocks = make(map[*hclsyntax.Body]*blockEntry, len(cc.blocks))
	if cc.static == nil {
		cc.static = map[*hclsyntax.Body][]refKey{}
	}
	cc.rootSame = map[string]bool{}
}

// end keeps what the Check that ends used, and its evaluator's context
// variables (ev is nil only if the Check panicked early).
func (cc *CheckCache) end(ev *evaluator) {
	cc.files, cc.blocks = cc.nextFiles, cc.nextBlocks
	cc.nextFiles, cc.nextBlocks, cc.rootSame = nil, nil, nil
	for b := range cc.static {
		if cc.blocks[b] == nil {
			delete(cc.static, b)
		}
	}
	cc.prevRoots = map[string]cty.Value{}
	if ev != nil {
		for k, v := range ev.ctx.Variables {
			cc.prevRoots[k] = v
		}
	}
}

// file returns the entry of f, computing it when f's body is new.
func (cc *CheckCache) file(f *File) *fileEntry {
	if e := cc.nextFiles[f.Body]; e != nil {
		return e
	}
	e := cc.files[f.Body]
	if e == nil {
		e = &fileEntry{refs: map[string]int{}}
		content, d := f.Body.Content(topSchema)
		e.content, e.diags = content, copyDiags(d)
		// countRefs(f.Body) part by part, keeping each block's references.
		for _, a := range f.Body.Attributes {
			_ = hclsyntax.VisitAll(a, func(n hclsyntax.Node) hcl.Diagnostics {
				if st, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
					countRef(st, e.refs)
				}
				return nil
			})
		}
		for _, b := range f.Body.Blocks {
			cc.static[b.Body] = staticRefs(b.Body, e.refs)
		}
	}
	cc.nextFiles[f.Body] = e
	return e
}

// staticRefs lists the distinct variable references written in body and,
// when refs is not nil, counts them into refs as countRefs does.
func staticRefs(body *hclsyntax.Body, refs map[string]int) []refKey {
	keys := []refKey{}
	seen := map[refKey]bool{}
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		st, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok {
			return nil
		}
		if refs != nil {
			countRef(st, refs)
		}
		k := refKey{root: st.Traversal.RootName()}
		k.name, k.named = traversalName(st.Traversal)
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
		return nil
	})
	return keys
}

// countRefs adds the static references of every file to total (countRefs
// of each file body, computed once).
func (cc *CheckCache) countRefs(files []*File, total map[string]int) {
	for _, f := range files {
		for k, n := range cc.file(f).refs {
			total[k] += n
		}
	}
}

// content is f.Body.Content(topSchema), through the cache when there is
// one.
func (c *checker) content(f *File) (*hcl.BodyContent, hcl.Diagnostics) {
	if c.cache == nil {
		return f.Body.Content(topSchema)
	}
	e := c.cache.file(f)
	var d hcl.Diagnostics
	for _, x := range e.diags {
		x := x
		d = append(d, &x)
	}
	return e.content, d
}

// rootUnchanged reports whether the context variable root has the value
// it had in the previous Check.
func (c *checker) rootUnchanged(root string) bool {
	cc := c.cache
	same, ok := cc.rootSame[root]
	if !ok {
		old, hadOld := cc.prevRoots[root]
		cur, hasCur := c.ev.ctx.Variables[root]
		same = hadOld == hasCur && (!hadOld || sameValue(old, cur))
		cc.rootSame[root] = same
	}
	return same
}

// lookupBackend returns the backend named name, or nil, recording the read
// for the block being checked.
func (c *checker) lookupBackend(name string) *Backend {
	be := c.backends[name]
	if c.deps != nil {
		if _, ok := c.deps.backends[name]; !ok {
			d := backendDep{present: be != nil}
			if be != nil {
				d.mode = be.Mode
			}
			c.deps.backends[name] = d
		}
	}
	return be
}

// noteUsed records that the block being checked marked backend name used.
func (c *checker) noteUsed(name string) {
	if c.deps != nil {
		c.deps.used = append(c.deps.used, name)
	}
}

// noteBackendNames records that the block being checked read the set of
// backend names.
func (c *checker) noteBackendNames() {
	if c.deps != nil {
		c.deps.readNames = true
	}
}

// backendNamesKey is the sorted set of backend names, computed once per
// Check.
func (c *checker) backendNamesKey() string {
	if c.namesKey == nil {
		names := make([]string, 0, len(c.prog.Backends))
		for _, b := range c.prog.Backends {
			names = append(names, b.Name)
		}
		sort.Strings(names)
		k := strings.Join(names, "\x00")
		c.namesKey = &k
	}
	return *c.namesKey
}

// lowerBackend is c.backend(b) through the cache.
func (c *checker) lowerBackend(b *hcl.Block) *Backend {
	body, ok := b.Body.(*hclsyntax.Body)
	if c.cache == nil || !ok {
		return c.backend(b)
	}
	if e := c.cache.blocks[body]; e != nil && e.be != nil && c.valid(e) {
		c.reuse(body, e)
		be := *e.be
		return &be
	}
	var be *Backend
	e := c.record(body, func() { be = c.backend(b) })
	pristine := *be
	e.be = &pristine
	return be
}

// lowerFrontend is c.frontend(b) through the cache.
func (c *checker) lowerFrontend(b *hcl.Block) *Frontend {
	body, ok := b.Body.(*hclsyntax.Body)
	if c.cache == nil || !ok {
		return c.frontend(b)
	}
	src := c.files[b.DefRange.Filename]
	if e := c.cache.blocks[body]; e != nil && e.fe != nil && bytes.Equal(e.src, src) && c.valid(e) {
		c.reuse(body, e)
		for _, r := range e.broken {
			c.broken[r] = true
		}
		c.feEntries[e.fe] = e
		return e.fe
	}
	var fe *Frontend
	e := c.record(body, func() { fe = c.frontend(b) })
	e.fe, e.src = fe, src
	for _, r := range fe.Routes {
		if c.broken[r] {
			e.broken = append(e.broken, r)
		}
	}
	c.feEntries[fe] = e
	return fe
}

// checkRoutesCached is c.checkRoutes(fe) through the cache: its
// diagnostics depend on the frontend alone.
func (c *checker) checkRoutesCached(fe *Frontend) {
	e := c.feEntries[fe]
	if e == nil {
		c.checkRoutes(fe)
		return
	}
	if e.routesDone {
		for _, d := range e.routeDiags {
			d := d
			c.add(&d)
		}
		return
	}
	start := len(c.diags)
	c.checkRoutes(fe)
	e.routeDiags = copyDiags(c.diags[start:])
	e.routesDone = true
}

// record runs lower (the checking of the block with syntax body) and
// returns a new cache entry with what it read and produced.
func (c *checker) record(body *hclsyntax.Body, lower func()) *blockEntry {
	c.cache.misses++
	start := len(c.diags)
	prior := c.diags.HasErrors()
	c.deps = &blockDeps{backends: map[string]backendDep{}}
	c.sawUnknown = false
	lower()
	deps := c.deps
	c.deps = nil
	e := &blockEntry{
		gen:       c.cache.gen,
		refs:      c.ctxDeps(body),
		backends:  deps.backends,
		readNames: deps.readNames,
		readErrs:  c.sawUnknown,
		priorErrs: prior,
		used:      deps.used,
	}
	if deps.readNames {
		e.names = c.backendNamesKey()
	}
	for _, d := range c.diags[start:] {
		x := *d
		top := x.EvalContext == c.ev.ctx
		if top {
			x.EvalContext = nil
		}
		e.diags = append(e.diags, x)
		e.topCtx = append(e.topCtx, top)
	}
	c.cache.nextBlocks[body] = e
	return e
}

// valid reports whether every input entry e recorded still has the value
// it had.
func (c *checker) valid(e *blockEntry) bool {
	if e.readErrs && e.priorErrs != c.diags.HasErrors() {
		return false
	}
	// An entry used by the previous Check held then; a context variable
	// unchanged since holds still.
	recent := e.gen == c.cache.gen-1
	for i := range e.refs {
		d := &e.refs[i]
		if recent && c.rootUnchanged(d.root) {
			continue
		}
		if !d.holds(c.ev.ctx) {
			return false
		}
	}
	for name, d := range e.backends {
		be := c.backends[name]
		if (be != nil) != d.present || be != nil && be.Mode != d.mode {
			return false
		}
	}
	if e.readNames && e.names != c.backendNamesKey() {
		return false
	}
	return true
}

// reuse adds what the block's checking produced: its diagnostics and the
// Used marks it set.
func (c *checker) reuse(body *hclsyntax.Body, e *blockEntry) {
	c.cache.hits++
	e.gen = c.cache.gen
	c.cache.nextBlocks[body] = e
	for i, d := range e.diags {
		d := d
		if e.topCtx[i] {
			d.EvalContext = c.ev.ctx
		}
		c.add(&d)
	}
	for _, name := range e.used {
		if be := c.backends[name]; be != nil {
			be.Used = true
		}
	}
}

// ctxDeps lists the evaluation-context inputs of a block: every variable
// reference written in its body, with its current value. A reference
// ROOT.NAME or ROOT["NAME"] depends on that attribute; any other use of
// ROOT (the object itself, a computed index) on the whole object. Names
// bound inside the body (for expressions, dynamic block iterators) are
// taken as references too, which only makes the key stricter.
func (c *checker) ctxDeps(body *hclsyntax.Body) []ctxDep {
	keys, ok := c.cache.static[body]
	if !ok {
		keys = staticRefs(body, nil)
	}
	type depKey struct {
		root, name string
		whole      bool
	}
	seen := map[depKey]bool{}
	var out []ctxDep
	for _, k := range keys {
		obj, present := c.ev.ctx.Variables[k.root]
		d := depKey{root: k.root}
		if k.named && present && isPlainObject(obj) {
			d.name = k.name
		} else {
			d.whole = true
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		dep := ctxDep{root: d.root, name: d.name, whole: d.whole}
		dep.state, dep.val = dep.lookup(c.ev.ctx)
		out = append(out, dep)
	}
	return out
}

// isPlainObject reports whether v is a known, unmarked, non-null object,
// whose attributes can be read one by one.
func isPlainObject(v cty.Value) bool {
	return v.Type().IsObjectType() && v.IsKnown() && !v.IsNull() && !v.IsMarked()
}

// The states of a context dependency.
const (
	depAbsent     = iota // no such root or attribute
	depPresent           // val holds its value
	depUnreadable        // a named dependency whose root is no longer a plain object
)

// lookup returns the dependency's current state and value.
func (d *ctxDep) lookup(ctx *hcl.EvalContext) (int, cty.Value) {
	obj, ok := ctx.Variables[d.root]
	switch {
	case !ok:
		return depAbsent, cty.NilVal
	case d.whole:
		return depPresent, obj
	case !isPlainObject(obj):
		return depUnreadable, cty.NilVal
	case !obj.Type().HasAttribute(d.name):
		return depAbsent, cty.NilVal
	}
	return depPresent, obj.GetAttr(d.name)
}

func (d *ctxDep) holds(ctx *hcl.EvalContext) bool {
	state, v := d.lookup(ctx)
	if state != d.state {
		return false
	}
	return state != depPresent || sameValue(v, d.val)
}

// sameValue reports whether a and b are indistinguishable to evaluation:
// cty's RawEquals (types, marks, unknowns and values) and, as RawEquals
// compares numbers by value, also the precision, rounding mode and sign of
// every number (arithmetic results and their text depend on them).
func sameValue(a, b cty.Value) bool {
	return a.RawEquals(b) && sameNumbers(a, b)
}

// sameNumbers compares the numbers of two values that RawEquals already
// found equal (so they have the same shape).
func sameNumbers(a, b cty.Value) bool {
	a, _ = a.Unmark()
	b, _ = b.Unmark()
	if !a.IsKnown() || a.IsNull() {
		return true
	}
	ty := a.Type()
	switch {
	case ty == cty.Number:
		x, y := a.AsBigFloat(), b.AsBigFloat()
		return x.Prec() == y.Prec() && x.Mode() == y.Mode() && x.Signbit() == y.Signbit() && x.Cmp(y) == 0
	case ty.IsPrimitiveType():
		return true
	case ty.IsCollectionType() || ty.IsObjectType() || ty.IsTupleType():
		if a.LengthInt() != b.LengthInt() {
			return false
		}
		ia, ib := a.ElementIterator(), b.ElementIterator()
		for ia.Next() && ib.Next() {
			ka, va := ia.Element()
			kb, vb := ib.Element()
			if !sameNumbers(ka, kb) || !sameNumbers(va, vb) {
				return false
			}
		}
	}
	return true
}

// copyDiags returns copies of diagnostics (suggestRefs later edits the
// originals in place).
func copyDiags(ds hcl.Diagnostics) []hcl.Diagnostic {
	if len(ds) == 0 {
		return nil
	}
	out := make([]hcl.Diagnostic, len(ds))
	for i, d := range ds {
		out[i] = *d
	}
	return out
}

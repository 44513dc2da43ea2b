package lang

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproute/haproute/gen"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// These tests prove that a Check with a CheckCache gives the same
// diagnostics and the same Program as an uncached Check, after sequences
// of edits that change what unchanged files mean (renamed, removed,
// duplicated and re-moded backends, changed variables and locals, Used
// flags set from other files).

// workspace holds a configuration the way the daemon's file cache does: a
// file keeps its *File (and so its syntax pointers) while its source is
// unchanged, and only changed files are parsed again.
type workspace struct {
	t      *testing.T
	src    map[string]string
	parsed map[string]*File
	// refParsed are the uncached Check's files.
	refParsed map[string]*File
	cache     CheckCache
	opts      Options
	// prevGot and prevWant are the previous step's cached and uncached
	// Programs: a later cached Check must not change prevGot.
	prevGot, prevWant *Program
	step              int
	// hits and misses are the cache counters of the last check.
	hits, misses int
	// snippets adds hcl's text rendering (source snippets) to the
	// compared diagnostics; it is slow on large files.
	snippets bool
}

func newWorkspace(t *testing.T, snippets bool, files map[string]string) *workspace {
	w := &workspace{t: t, src: map[string]string{}, parsed: map[string]*File{}, refParsed: map[string]*File{}, snippets: snippets}
	for n, s := range files {
		w.src[n] = s
	}
	return w
}

func (w *workspace) names() []string {
	var names []string
	for n := range w.src {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (w *workspace) set(name, src string) { w.src[name] = src }
func (w *workspace) remove(name string)   { delete(w.src, name) }

// edit replaces the first match of rx in file name.
func (w *workspace) edit(name, rx, repl string) {
	w.t.Helper()
	re := regexp.MustCompile(rx)
	s := w.src[name]
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		w.t.Fatalf("edit %s: no match for %q", name, rx)
	}
	w.src[name] = s[:loc[0]] + string(re.ExpandString(nil, repl, s, loc)) + s[loc[1]:]
}

// files returns the workspace's files, parsing only changed ones.
func (w *workspace) files() []*File {
	var out []*File
	for _, n := range w.names() {
		f := w.parsed[n]
		if f == nil || string(f.Src) != w.src[n] {
			f, _ = Parse([]byte(w.src[n]), n)
			w.parsed[n] = f
		}
		out = append(out, f)
	}
	for n := range w.parsed {
		if _, ok := w.src[n]; !ok {
			delete(w.parsed, n)
		}
	}
	return out
}

// check runs a cached Check and an uncached Check of freshly parsed files
// and fails the test when they differ in any way; it also makes sure the
// previous step's cached Program is unchanged. It returns the cached
// result.
func (w *workspace) check(what string) (*Program, hcl.Diagnostics) {
	w.t.Helper()
	w.step++
	files := w.files()
	opts := w.opts
	opts.Cache = &w.cache
	h0, m0 := w.cache.hits, w.cache.misses
	got, gotDiags := Check(files, opts)
	w.hits, w.misses = w.cache.hits-h0, w.cache.misses-m0

	// The uncached Check gets files parsed separately (once per source),
	// so nothing the cached Check does to its files can leak into it.
	var fresh []*File
	for _, f := range files {
		g := w.refParsed[f.Name]
		if g == nil || string(g.Src) != string(f.Src) {
			g, _ = Parse([]byte(string(f.Src)), f.Name)
			w.refParsed[f.Name] = g
		}
		fresh = append(fresh, g)
	}
	want, wantDiags := Check(fresh, w.opts)

	if g, x := renderDiags(files, gotDiags, w.snippets), renderDiags(fresh, wantDiags, w.snippets); g != x {
		w.t.Fatalf("step %d (%s): cached diagnostics differ from uncached (-uncached +cached):\n%s", w.step, what, cmp.Diff(x, g))
	}
	if !reflect.DeepEqual(want, got) {
		w.t.Fatalf("step %d (%s): cached Program differs from uncached (-uncached +cached):\n%s", w.step, what, cmp.Diff(want, got, programCmp))
	}
	if w.prevGot != nil && !reflect.DeepEqual(w.prevWant, w.prevGot) {
		w.t.Fatalf("step %d (%s): the previous step's cached Program changed (-before +after):\n%s", w.step, what, cmp.Diff(w.prevWant, w.prevGot, programCmp))
	}
	w.prevGot, w.prevWant = got, want
	return got, gotDiags
}

var programCmp = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

// renderDiags renders diagnostics completely: severity, summary, detail,
// subject and context ranges (file, line, column, byte), and the values of
// the variables the expression refers to in its evaluation context (what
// hcl's text writer shows). With snippets it adds hcl's text rendering.
func renderDiags(files []*File, ds hcl.Diagnostics, snippets bool) string {
	hf := map[string]*hcl.File{}
	for _, f := range files {
		hf[f.Name] = &hcl.File{Body: f.Body, Bytes: f.Src}
	}
	var b strings.Builder
	wr := hcl.NewDiagnosticTextWriter(&b, hf, 0, false)
	for _, d := range ds {
		fmt.Fprintf(&b, "%d %q %q subject=%s context=%s\n", d.Severity, d.Summary, d.Detail, rangeText(d.Subject), rangeText(d.Context))
		if d.Expression != nil && d.EvalContext != nil {
			for _, tr := range d.Expression.Variables() {
				if v, vd := tr.TraverseAbs(d.EvalContext); !vd.HasErrors() {
					fmt.Fprintf(&b, "  with %s = %#v\n", tr.RootName(), v)
				}
			}
		}
		if snippets {
			_ = wr.WriteDiagnostic(d)
		}
	}
	return b.String()
}

func rangeText(r *hcl.Range) string {
	if r == nil {
		return "nil"
	}
	return fmt.Sprintf("%s:%d:%d(%d)-%d:%d(%d)", r.Filename, r.Start.Line, r.Start.Column, r.Start.Byte, r.End.Line, r.End.Column, r.End.Byte)
}

func hasDiag(ds hcl.Diagnostics, summary, detail string) bool {
	for _, d := range ds {
		if strings.HasPrefix(d.Summary, summary) && strings.Contains(d.Detail, detail) {
			return true
		}
	}
	return false
}

const cacheBackends = `backend "api" {
  server "s" {
    address = "127.0.0.1:8001"
  }
}

backend "web" {
  server "s" {
    address = "127.0.0.1:8002"
  }
}
`

const cacheVars = `variable "host" {
  default = "a.example.com"
}

locals {
  prefix = "/v1/"
}
`

const cacheFE1 = `frontend "one" {
  bind = ["127.0.0.1:9001"]

  route "r1" {
    host        = [var.host]
    path_prefix = [local.prefix]
    backend     = backend.api
  }
}
`

const cacheFE2 = `frontend "two" {
  bind = ["127.0.0.1:9002"]

  route "r2" {
    host    = ["b.example.com"]
    backend = backend.web
  }
}
`

func cacheWorkspace(t *testing.T) *workspace {
	return newWorkspace(t, true, map[string]string{
		"10_backends.hcl": cacheBackends,
		"00_vars.hcl":     cacheVars,
		"20_one.hcl":      cacheFE1,
		"21_two.hcl":      cacheFE2,
	})
}

// TestCheckCacheEdits walks through the edits the daemon sees, each time
// comparing with an uncached Check and asserting the diagnostic that
// proves unchanged files were re-checked when they had to be.
func TestCheckCacheEdits(t *testing.T) {
	w := cacheWorkspace(t)
	if _, d := w.check("initial"); d.HasErrors() || len(d) != 0 {
		t.Fatalf("initial diagnostics: %v", d)
	}
	if w.misses != 4 || w.hits != 0 {
		t.Fatalf("initial: hits %d misses %d, want 0 and 4", w.hits, w.misses)
	}
	w.check("unchanged")
	if w.misses != 0 || w.hits != 4 {
		t.Fatalf("unchanged: hits %d misses %d, want 4 and 0", w.hits, w.misses)
	}

	// A route's host in one file: only that frontend is checked again.
	w.edit("21_two.hcl", `b\.example\.com`, "c.example.com")
	p, _ := w.check("route host")
	if w.misses != 1 || w.hits != 3 {
		t.Fatalf("route host: hits %d misses %d, want 3 and 1", w.hits, w.misses)
	}
	if h := p.Frontend("two").Routes[0].Match.Hosts[0].Name; h != "c.example.com" {
		t.Fatalf("host = %q", h)
	}

	// Rename a backend routes of an unchanged file refer to.
	w.edit("10_backends.hcl", `backend "api"`, `backend "apix"`)
	_, d := w.check("rename backend")
	if !hasDiag(d, "Reference to undeclared backend", `There is no backend named "api". Did you mean "apix"?`) {
		t.Fatalf("rename: want an undeclared-backend error in the unchanged file, got %v", d)
	}
	w.edit("10_backends.hcl", `backend "apix"`, `backend "api"`)
	w.check("rename back")

	// A variable and a local an unchanged file uses.
	w.edit("00_vars.hcl", `a\.example\.com`, "z.example.com")
	w.edit("00_vars.hcl", `/v1/`, "/v2/")
	p, _ = w.check("variable and local")
	r := p.Frontend("one").Routes[0]
	if r.Match.Hosts[0].Name != "z.example.com" || r.Match.PathPrefixes[0].Value != "/v2/" {
		t.Fatalf("variable/local change not seen: %+v", r.Match)
	}
	// The same through Options.Vars.
	w.opts.Vars = map[string]string{"host": "y.example.com"}
	p, _ = w.check("-var host")
	if h := p.Frontend("one").Routes[0].Match.Hosts[0].Name; h != "y.example.com" {
		t.Fatalf("-var not seen: %q", h)
	}
	w.opts.Vars = map[string]string{"host": "x..y"}
	if _, d := w.check("-var invalid host"); !hasDiag(d, "Invalid host", "") {
		t.Fatalf("want an invalid host error, got %v", d)
	}
	w.opts.Vars = nil
	w.check("no -var")

	// A backend's mode: unchanged http frontends now use a tcp backend.
	w.edit("10_backends.hcl", `(backend "api" \{\n)`, "${1}  mode = \"tcp\"\n")
	if _, d := w.check("mode tcp"); !hasDiag(d, "Incompatible backend", `backend "api" is mode tcp`) {
		t.Fatalf("mode tcp: want an incompatible-backend error, got %v", d)
	}
	w.edit("10_backends.hcl", `  mode = "tcp"\n`, "")
	w.check("mode back")

	// A duplicate backend in another file, first in file order: it wins.
	w.set("05_dup.hcl", "backend \"web\" {\n  mode = \"tcp\"\n  server \"s\" {\n    address = \"127.0.0.1:8003\"\n  }\n}\n")
	_, d = w.check("duplicate first")
	if !hasDiag(d, "Duplicate backend", "") || !hasDiag(d, "Incompatible backend", `backend "web" is mode tcp`) {
		t.Fatalf("duplicate: got %s", renderDiags(w.files(), d, true))
	}
	w.remove("05_dup.hcl")
	w.set("15_dup.hcl", "backend \"api\" {\n  server \"s\" {\n    address = \"127.0.0.1:8003\"\n  }\n}\n")
	if _, d := w.check("duplicate last"); !hasDiag(d, "Duplicate backend", "") {
		t.Fatalf("duplicate: got %v", d)
	}
	w.remove("15_dup.hcl")
	w.check("no duplicate")

	// Remove a backend: the unchanged file's reference is an error with a
	// suggestion from the remaining names.
	w.edit("10_backends.hcl", `(?s)backend "api" \{.*?\n\}\n`, "backend \"apis\" {\n  server \"s\" {\n    address = \"127.0.0.1:8001\"\n  }\n}\n")
	if _, d := w.check("remove backend"); !hasDiag(d, "Reference to undeclared backend", `Did you mean "apis"?`) {
		t.Fatalf("remove: got %v", d)
	}
	w.set("10_backends.hcl", cacheBackends)
	w.check("restore backend")

	// Used flags: the unused warning appears when the route of another file
	// stops referring to the backend, and goes when it refers again.
	w.edit("21_two.hcl", `backend\.web`, "backend.api")
	p, d = w.check("web unused")
	if !hasDiag(d, "Unused backend \"web\"", "") || p.Backend("api") == nil || !p.Backend("api").Used {
		t.Fatalf("web unused: got %v", d)
	}
	prev := p
	w.edit("21_two.hcl", `backend\.api`, "backend.web")
	p, d = w.check("web used")
	if hasDiag(d, "Unused backend \"web\"", "") || !p.Backend("web").Used {
		t.Fatalf("web used: got %v", d)
	}
	if prev.Backend("web").Used {
		t.Fatal("a later Check set Used on an earlier Program's backend")
	}
}

// TestCheckCacheSuggestionNotStale: suggestRefs appends "Did you mean" to
// diagnostics in place; a reused block's diagnostic must get the current
// suggestion, not the one of the call that recorded it.
func TestCheckCacheSuggestionNotStale(t *testing.T) {
	w := cacheWorkspace(t)
	w.edit("21_two.hcl", `(backend = backend\.web)`, "${1}\n    priority = backend.apj")
	_, d := w.check("initial")
	if !hasDiag(d, "Unsupported attribute", `Did you mean "api"?`) {
		t.Fatalf("want a suggestion of api, got %v", d)
	}
	w.edit("10_backends.hcl", `backend "api"`, `backend "apk"`)
	w.edit("20_one.hcl", `backend\.api`, "backend.apk")
	_, d = w.check("rename")
	if w.hits == 0 || !hasDiag(d, "Unsupported attribute", `Did you mean "apk"?`) || hasDiag(d, "Unsupported attribute", `"api"`) {
		t.Fatalf("want only the new suggestion (and a cache hit: %d), got %v", w.hits, d)
	}
	w.edit("10_backends.hcl", `backend "apk"`, `backend "apm"`)
	w.edit("20_one.hcl", `backend\.apk`, "backend.apm")
	_, d = w.check("rename again")
	if !hasDiag(d, "Unsupported attribute", `Did you mean "apm"?`) || hasDiag(d, "Unsupported attribute", `"apk"`) {
		t.Fatalf("want only the newest suggestion, got %v", d)
	}
}

// TestCheckCacheFileSource: a when-expression's diagnostic columns come
// from the source registered under the block's file name; a later file of
// the same name replaces it, and the unchanged block must be checked
// again.
func TestCheckCacheFileSource(t *testing.T) {
	fe, _ := Parse([]byte("backend \"b\" {\n  server \"s\" {\n    address = \"127.0.0.1:1\"\n  }\n}\nfrontend \"f\" {\n  bind = [\"127.0.0.1:2\"]\n  route {\n    when    = \"host('a.example.com') &&\"\n    backend = backend.b\n  }\n}\n"), "x.hcl")
	other, _ := Parse([]byte("locals {\n  a = 1\n}\n"), "x.hcl")
	var cache CheckCache
	for i, files := range [][]*File{{fe}, {fe, other}, {fe}} {
		_, got := Check(files, Options{Cache: &cache})
		_, want := Check(files, Options{})
		if g, w := renderDiags(files, got, false), renderDiags(files, want, false); g != w {
			t.Fatalf("step %d: cached differs from uncached:\n%s", i, cmp.Diff(w, g))
		}
	}
}

// TestCheckCacheNumberSign: 0 and -0 are equal to cty's RawEquals but
// render differently; a block using the value must be checked again.
func TestCheckCacheNumberSign(t *testing.T) {
	w := newWorkspace(t, true, map[string]string{
		"00_locals.hcl": "locals {\n  n = 0\n}\n",
		"10_be.hcl":     cacheBackends,
		"20_fe.hcl":     "frontend \"f\" {\n  bind = [\"127.0.0.1:9001\"]\n  route {\n    host    = [\"h${local.n}.example.com\"]\n    backend = backend.api\n  }\n  route {\n    host    = [\"w.example.com\"]\n    backend = backend.web\n  }\n}\n",
	})
	w.check("zero")
	w.set("00_locals.hcl", "locals {\n  n = -0\n}\n")
	p, _ := w.check("negative zero")
	if h := p.Frontends[0].Routes[0].Match.Hosts[0].Name; h != "h-0.example.com" {
		t.Fatalf("host = %q, want h-0.example.com", h)
	}
}

// TestCheckCacheUnknownValues: a variable whose value is in error is
// unknown; the blocks using it leave out "Unknown value" because an error
// came before (a dependency the cache keys on), and use it again once it
// is fixed.
func TestCheckCacheUnknownValues(t *testing.T) {
	w := newWorkspace(t, true, map[string]string{
		"00_vars.hcl": "variable \"h\" {\n  default = \"a.example.com\"\n}\n",
		"10_be.hcl":   cacheBackends,
		"20_fe.hcl":   "frontend \"f\" {\n  bind = [\"127.0.0.1:9001\"]\n  route {\n    host    = [var.h]\n    backend = backend.api\n  }\n  route {\n    host    = [\"w.example.com\"]\n    backend = backend.web\n  }\n}\n",
	})
	w.check("known")
	w.opts.Vars = map[string]string{"h": "[x"}
	w.set("00_vars.hcl", "variable \"h\" {\n  type = list(string)\n}\n")
	if _, d := w.check("unknown"); !hasDiag(d, "Invalid value for variable h", "") || hasDiag(d, "Unknown value", "") {
		t.Fatalf("got %v", d)
	}
	w.set("05_err.hcl", "backend \"bad name!\" {\n}\n")
	w.check("more errors")
	w.remove("05_err.hcl")
	w.check("fewer errors")
	w.opts.Vars = nil
	w.set("00_vars.hcl", "variable \"h\" {\n  default = \"b.example.com\"\n}\n")
	if _, d := w.check("known again"); len(d) != 0 {
		t.Fatalf("got %v", d)
	}
}

// TestCheckCacheTestdata runs every program of the diagnostics suite
// through edits that change the meaning of its unchanged blocks. Each
// top-level block goes to a file of its own so that edits leave most
// blocks' syntax unchanged.
func TestCheckCacheTestdata(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "check", "*.hcl"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	hits := 0
	for _, name := range names {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			w := newWorkspace(t, true, splitBlocks(filepath.Base(name), string(src)))
			w.opts = parseCheckOptions(t, name, src)
			// The whole file once more, unsplit, against the suite's own
			// expectations: the cached Check passes the suite too.
			one := newWorkspace(t, true, map[string]string{name: string(src)})
			one.opts = w.opts
			one.check("unsplit")
			_, d := one.check("unsplit again")
			if one.misses != 0 {
				t.Fatalf("unsplit again: %d misses", one.misses)
			}
			for _, p := range matchDiagnostics(name, d, parseCheckExpectations(t, name, src)) {
				t.Error(p)
			}
			editScenario(w, 0, 3)
			hits += w.cache.hits
		})
	}
	if hits == 0 {
		t.Fatal("no cache hit in the whole suite")
	}
}

// TestCheckCacheGenerated runs generated programs through the edit
// scenario.
func TestCheckCacheGenerated(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 40
	}
	hits := 0
	for seed := range seeds {
		g := gen.Generate(rand.New(rand.NewPCG(uint64(seed), 99)), gen.Options{})
		files := map[string]string{}
		for _, f := range g.Files {
			for n, s := range splitBlocks(f.Name, f.Src) {
				files[n] = s
			}
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newWorkspace(t, false, files)
			if _, d := w.check("initial"); d.HasErrors() {
				t.Fatalf("generated program has errors: %v", d)
			}
			editScenario(w, seed, 1)
			hits += w.cache.hits
		})
	}
	if hits == 0 {
		t.Fatal("no cache hit")
	}
}

// splitBlocks puts each top-level block of a file into a file of its own
// (named after the original so that file order is kept). Files with
// syntax errors or top-level attributes stay whole.
func splitBlocks(name, src string) map[string]string {
	base := strings.TrimSuffix(filepath.Base(name), ".hcl")
	f, d := hclsyntax.ParseConfig([]byte(src), name, hcl.InitialPos)
	body, ok := f.Body.(*hclsyntax.Body)
	if d.HasErrors() || !ok || len(body.Attributes) > 0 || len(body.Blocks) < 2 {
		return map[string]string{base + ".hcl": src}
	}
	out := map[string]string{}
	for i, b := range body.Blocks {
		r := b.Range()
		out[fmt.Sprintf("%s_%03d.hcl", base, i)] = src[r.Start.Byte:r.End.Byte] + "\n"
	}
	return out
}

// blockIndex lists the top-level blocks of the workspace by type.
type blockIndex struct {
	files     map[string][]string // block type -> files
	backends  map[string]string   // name -> file
	beNames   []string
	variables []string
	locals    []string
}

func (w *workspace) index() blockIndex {
	x := blockIndex{files: map[string][]string{}, backends: map[string]string{}}
	for _, f := range w.files() {
		for _, b := range f.Body.Blocks {
			x.files[b.Type] = append(x.files[b.Type], f.Name)
			switch {
			case b.Type == "backend" && len(b.Labels) == 1:
				if _, dup := x.backends[b.Labels[0]]; !dup {
					x.backends[b.Labels[0]] = f.Name
					x.beNames = append(x.beNames, b.Labels[0])
				}
			case b.Type == "variable" && len(b.Labels) == 1:
				x.variables = append(x.variables, b.Labels[0])
			case b.Type == "locals":
				for n := range b.Body.Attributes {
					x.locals = append(x.locals, n)
				}
			}
		}
	}
	sort.Strings(x.locals)
	return x
}

// editScenario applies the edits of the brief to any workspace, checking
// after each one: a route added and its host changed in a frontend file,
// and for (up to three) backends a rename, a mode change, a duplicate
// declared first and last, a removal and an extra frontend using it; then
// variables and locals overridden by earlier declarations and -var, and
// a frontend file removed. It edits up to limit backends, variables and
// locals, starting at the one numbered first (modulo their number).
func editScenario(w *workspace, first, limit int) {
	t := w.t
	t.Helper()
	w.check("start")
	w.check("unchanged")
	if w.misses != 0 {
		t.Fatalf("unchanged: %d misses", w.misses)
	}
	x := w.index()
	fes := x.files["frontend"]
	if len(fes) > 0 && len(x.beNames) > 0 {
		fe := fes[len(fes)-1]
		orig := w.src[fe]
		i := strings.LastIndex(orig, "}")
		if i > 0 {
			w.set(fe, orig[:i]+"\n  route \"zz_edit\" {\n    host    = [\"edit1.example.com\"]\n    backend = backend."+x.beNames[0]+"\n  }\n"+orig[i:])
			w.check("add route")
			w.edit(fe, `edit1\.example\.com`, "edit2.example.com")
			w.check("route host")
			if len(w.parsed[fe].Body.Blocks) == 1 && w.misses > 1 {
				t.Fatalf("route host: %d misses, want at most 1 (the edited frontend)", w.misses)
			}
			w.set(fe, orig)
			w.check("route removed")
		}
	}
	for _, be := range pick(x.beNames, first, limit) {
		file := w.src[x.backends[be]]
		header := `backend\s+"` + regexp.QuoteMeta(be) + `"\s*\{`
		w.edit(x.backends[be], header, `backend "`+be+`_rn" {`)
		w.check("rename " + be)
		w.set(x.backends[be], file)
		w.check("rename back " + be)

		if regexp.MustCompile(`mode\s*=\s*"http"`).MatchString(file) && strings.Count(file, "backend ") == 1 {
			w.edit(x.backends[be], `mode\s*=\s*"http"`, `mode = "tcp"`)
		} else if regexp.MustCompile(`mode\s*=\s*"tcp"`).MatchString(file) && strings.Count(file, "backend ") == 1 {
			w.edit(x.backends[be], `mode\s*=\s*"tcp"`, `mode = "http"`)
		} else {
			w.edit(x.backends[be], "("+header+")", "${1}\n  mode = \"tcp\"\n")
		}
		w.check("mode " + be)
		w.set(x.backends[be], file)
		w.check("mode back " + be)

		dup := fmt.Sprintf("backend %q {\n  mode = \"tcp\"\n  server \"s\" {\n    address = \"127.0.0.1:1\"\n  }\n}\n", be)
		w.set("000_dup.hcl", dup)
		w.check("duplicate first " + be)
		w.remove("000_dup.hcl")
		w.set("zzz_dup.hcl", dup)
		w.check("duplicate last " + be)
		w.remove("zzz_dup.hcl")
		w.check("no duplicate " + be)

		w.remove(x.backends[be])
		w.set(x.backends[be]+"_similar.hcl", fmt.Sprintf("backend %q {\n}\n", be+"x"))
		w.check("remove " + be)
		w.set(x.backends[be], file)
		w.remove(x.backends[be] + "_similar.hcl")
		w.check("restore " + be)

		w.set("zzz_user.hcl", fmt.Sprintf("frontend \"zz_user\" {\n  bind = [\"127.0.0.1:1\"]\n  route {\n    host    = [\"user.example.com\"]\n    backend = backend.%s\n  }\n}\n", be))
		w.check("extra user of " + be)
		w.remove("zzz_user.hcl")
		w.check("no extra user of " + be)
	}
	for _, v := range pick(x.variables, first, limit) {
		w.set("000_var.hcl", fmt.Sprintf("variable %q {\n  default = \"zz.example.com\"\n}\n", v))
		w.check("variable " + v)
		w.remove("000_var.hcl")
		w.opts.Vars = map[string]string{v: "zz.example.com"}
		w.check("-var " + v)
		w.opts.Vars = nil
		w.check("no -var " + v)
	}
	for _, l := range pick(x.locals, first, limit) {
		w.set("000_local.hcl", fmt.Sprintf("locals {\n  %s = [\"10.1.0.0/16\"]\n}\n", l))
		w.check("local " + l)
		w.remove("000_local.hcl")
		w.check("no local " + l)
	}
	if len(fes) > 1 {
		fe := fes[0]
		src := w.src[fe]
		w.remove(fe)
		w.check("remove frontend file")
		w.set(fe, src)
		w.check("restore frontend file")
	}
}

// pick returns up to limit elements of l from index first on, wrapping.
func pick(l []string, first, limit int) []string {
	var out []string
	for i := 0; i < min(limit, len(l)); i++ {
		out = append(out, l[(first+i)%len(l)])
	}
	return out
}

// TestCheckCacheBenchgen checks a large generated configuration: editing
// one route checks one frontend again; renaming a backend re-checks the
// frontends referring to it, which then report it.
func TestCheckCacheBenchgen(t *testing.T) {
	dir := t.TempDir()
	if _, err := benchgen.Write(dir, benchgen.Config{Routes: 2000, PerFile: 500}); err != nil {
		t.Fatal(err)
	}
	w := newWorkspace(t, false, readDir(t, dir))
	if _, d := w.check("initial"); len(d) != 0 {
		t.Fatalf("diagnostics: %v", d)
	}
	blocks := w.misses
	fe := "20_frontend_001.hcl"
	w.edit(fe, `"(h\d+)\.example\.net"`, `"${1}-edited.example.net"`)
	w.check("route host")
	if w.misses != 1 || w.hits != blocks-1 {
		t.Fatalf("route host: hits %d misses %d, want %d and 1", w.hits, w.misses, blocks-1)
	}
	// b00003 is used by route 3 of each frontend (2000 routes, 200
	// backends: route g uses backend g mod 200).
	w.edit("10_backends_000.hcl", `backend "b00003"`, `backend "b00003x"`)
	_, d := w.check("rename backend")
	if !hasDiag(d, "Reference to undeclared backend", `There is no backend named "b00003".`) {
		t.Fatalf("rename: got %v", d)
	}
	// The 200 backends of the edited file and the four frontends
	// referring to b00003.
	if w.misses != 204 {
		t.Fatalf("rename backend: %d misses, want 204", w.misses)
	}
	w.edit("10_backends_000.hcl", `backend "b00003x"`, `backend "b00003"`)
	w.check("rename back")
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// BenchmarkCheckCache measures a Check after editing one route of one
// 1000-route file in the 10k-route configuration, with and without a
// CheckCache.
func BenchmarkCheckCache(b *testing.B) {
	dir := b.TempDir()
	if _, err := benchgen.Write(dir, benchgen.Config{Routes: 10_000, PerFile: 1000}); err != nil {
		b.Fatal(err)
	}
	files, d := Load(dir)
	if d.HasErrors() {
		b.Fatal(d)
	}
	var edited *File
	idx := -1
	for i, f := range files {
		if filepath.Base(f.Name) == "20_frontend_004.hcl" {
			idx = i
			edited = f
		}
	}
	if idx < 0 {
		b.Fatal("no 20_frontend_004.hcl")
	}
	// Two versions of the edited file, one host of one route apart,
	// alternated so that every Check sees a changed file, as after a save.
	src := string(edited.Src)
	loc := regexp.MustCompile(`"h\d+\.example\.net"`).FindStringIndex(src)
	if loc == nil {
		b.Fatal("no host to edit")
	}
	versions := [2]string{src, src[:loc[0]+1] + "e" + src[loc[0]+1:]}
	run := func(b *testing.B, cache *CheckCache) {
		fs := append([]*File(nil), files...)
		if _, d := Check(fs, Options{Cache: cache}); d.HasErrors() {
			b.Fatal(d)
		}
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			fs[idx], _ = Parse([]byte(versions[(i+1)%2]), edited.Name)
			b.StartTimer()
			if _, d := Check(fs, Options{Cache: cache}); d.HasErrors() {
				b.Fatal(d)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	}
	b.Run("uncached", func(b *testing.B) { run(b, nil) })
	b.Run("cached", func(b *testing.B) { run(b, &CheckCache{}) })
}

// TestCheckCacheConcurrent: Checks sharing a cache from several goroutines
// run one at a time and each gets the uncached result (run with -race).
func TestCheckCacheConcurrent(t *testing.T) {
	w := cacheWorkspace(t)
	a := w.files()
	w.edit("21_two.hcl", `backend\.web`, "backend.api")
	b := w.files()
	_, wantA := Check(a, Options{})
	_, wantB := Check(b, Options{})
	var cache CheckCache
	errs := make(chan string, 8)
	for i := range 8 {
		go func() {
			files, want := a, wantA
			if i%2 == 1 {
				files, want = b, wantB
			}
			msg := ""
			for range 20 {
				if _, got := Check(files, Options{Cache: &cache}); renderDiags(files, got, false) != renderDiags(files, want, false) {
					msg = fmt.Sprintf("goroutine %d: cached diagnostics differ", i)
				}
			}
			errs <- msg
		}()
	}
	for range 8 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}

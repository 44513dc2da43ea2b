package ir

import (
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/options"
)

// ConfigFile is the name of the main configuration file in an output
// directory.
const ConfigFile = "haproxy.cfg"

// DefaultsName is the name of the defaults section haproute writes.
const DefaultsName = "haproute"

// Files is a rendered configuration: file name (relative to the output
// directory) to content.
type Files map[string][]byte

// Names returns the file names in sorted order.
func (f Files) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Render turns cfg into haproxy.cfg and its map and ACL files. dir is the
// absolute directory the files will live in: the configuration refers to
// auxiliary files by absolute path so it works from any working directory.
//
// The text is produced section by section and then written by
// config-parser, which fixes the canonical layout. Render fails if
// config-parser would drop any line, so everything emitted is modelled.
func Render(cfg *Config, dir string) (Files, error) {
	return (&Renderer{}).Render(cfg, dir)
}

// Renderer renders configurations and remembers config-parser results:
// when only the version line changed (a route, server or CIDR change is
// map, ACL-file or runtime data), the config-parser pass is skipped; when
// some sections changed (a server line), only those sections go through
// config-parser again. config-parser's output for a whole configuration
// is the header comments followed by each section's own output, sections
// sorted by kind and name (TestRendererSections checks it on every golden
// case and on generated configurations). The zero value is ready to use.
type Renderer struct {
	mu sync.Mutex
	// body is the last text given to config-parser without its version
	// line, and out its output without the version line.
	body, out string
	// sections maps a section's text to its config-parser output, for the
	// sections of the last render.
	sections map[string]string
	// passes counts config-parser runs (for tests).
	passes int
}

// Render is like the package-level Render.
func (rd *Renderer) Render(cfg *Config, dir string) (Files, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("render: output directory %q is not absolute", dir)
	}
	r := &renderer{dir: dir}
	r.config(cfg)
	if r.err != nil {
		return nil, r.err
	}
	text := r.buf.String()
	version, body, _ := strings.Cut(text, "\n")
	rd.mu.Lock()
	defer rd.mu.Unlock()
	var out string
	if rd.body != "" && body == rd.body {
		out = version + "\n" + rd.out
	} else {
		var err error
		if out, err = rd.normalise(text); err != nil {
			return nil, err
		}
		// config-parser keeps the leading comment line in place.
		if v, rest, ok := strings.Cut(out, "\n"); ok && v == version {
			rd.body, rd.out = body, rest
		}
	}
	files := Files{ConfigFile: []byte(out)}
	for _, m := range cfg.Maps {
		files[m.Name] = RenderMap(m)
	}
	for _, a := range cfg.ACLFiles {
		files[a.Name] = RenderACLFile(a)
	}
	return files, nil
}

// normalise is the package-level normalise (with its dropped-line guard),
// section by section through the cache.
func (rd *Renderer) normalise(text string) (string, error) {
	header, sections := splitSections(text)
	if !sectionsSorted(sections) {
		rd.sections = nil
		rd.passes++
		return guardedNormalise(text)
	}
	next := make(map[string]string, len(sections))
	var missing []string
	for _, sec := range sections {
		if o, ok := rd.sections[sec]; ok {
			next[sec] = o
		} else {
			missing = append(missing, sec)
		}
	}
	if len(missing) > 16 {
		// Many sections (a first render): one pass over the whole text,
		// split into the sections' outputs.
		rd.passes++
		out, err := guardedNormalise(text)
		if err != nil {
			return "", err
		}
		outHeader, outSections := splitOutput(out)
		// config-parser leaves out an empty global section.
		var kept []string
		for _, sec := range sections {
			if sec == "global\n" {
				next[sec] = ""
				continue
			}
			kept = append(kept, sec)
		}
		if outHeader != header || len(outSections) != len(kept) {
			rd.sections = nil
			return out, nil
		}
		for i, sec := range kept {
			next[sec] = outSections[i]
		}
		rd.sections = next
		return out, nil
	}
	for _, sec := range missing {
		rd.passes++
		o, err := guardedNormalise(sec)
		if err != nil {
			return "", err
		}
		next[sec] = o
	}
	rd.sections = next
	var b strings.Builder
	b.Grow(len(text) + len(sections))
	b.WriteString(header)
	for _, sec := range sections {
		b.WriteString(next[sec])
	}
	return b.String(), nil
}

// guardedNormalise is normalise, failing if config-parser dropped a line.
func guardedNormalise(text string) (string, error) {
	out, err := normalise(text)
	if err != nil {
		return "", err
	}
	if err := sameLines(text, out); err != nil {
		return "", err
	}
	return out, nil
}

// splitSections splits rendered text into its leading comment lines and
// its sections (each from its keyword line to the next one).
func splitSections(text string) (header string, sections []string) {
	start := -1
	for i := 0; i < len(text); {
		end := strings.IndexByte(text[i:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += i + 1
		}
		line := text[i:end]
		if line != "" && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '\n' {
			if start < 0 {
				header = text[:i]
			} else {
				sections = append(sections, text[start:i])
			}
			start = i
		}
		i = end
	}
	if start < 0 {
		return text, nil
	}
	return header, append(sections, text[start:])
}

// splitOutput splits config-parser's output the same way: header comment
// lines, then sections each starting with the blank line before it.
func splitOutput(out string) (header string, sections []string) {
	h, secs := splitSections(out)
	// The blank line config-parser puts before each section ends the
	// header or the previous section's text; move it to the section.
	h, ok := strings.CutSuffix(h, "\n")
	if !ok && len(secs) > 0 {
		return out, nil
	}
	for i := range secs {
		if i+1 < len(secs) {
			s, ok := strings.CutSuffix(secs[i], "\n")
			if !ok {
				return out, nil
			}
			secs[i] = s
		}
		secs[i] = "\n" + secs[i]
	}
	return h, secs
}

// sectionsSorted reports whether sections are in config-parser's output
// order: global, defaults, frontends, backends, each kind by name.
func sectionsSorted(sections []string) bool {
	rank := func(sec string) (int, string, bool) {
		line, _, _ := strings.Cut(sec, "\n")
		f := strings.Fields(line)
		if len(f) == 0 {
			return 0, "", false
		}
		name := ""
		if len(f) > 1 {
			name = f[1]
		}
		switch f[0] {
		case "global":
			return 0, name, true
		case "defaults":
			return 1, name, true
		case "frontend":
			return 2, name, true
		case "backend":
			return 3, name, true
		}
		return 0, "", false
	}
	pk, pn := -1, ""
	for _, sec := range sections {
		k, n, ok := rank(sec)
		if !ok || k < pk || (k == pk && n <= pn) {
			return false
		}
		pk, pn = k, n
	}
	return true
}

// parserMu serialises config-parser, whose parser.New writes the
// package-level variable DefaultSectionName (config-parser v5.1.6,
// reader.go:197): concurrent Render or Parse calls were a data race.
var parserMu sync.Mutex

// normalise runs text through config-parser and returns its canonical form.
func normalise(text string) (string, error) {
	parserMu.Lock()
	defer parserMu.Unlock()
	p, err := parser.New(options.Reader(strings.NewReader(text)))
	if err != nil {
		return "", fmt.Errorf("render: config-parser: %w", err)
	}
	return p.String(), nil
}

// RenderMap renders a map file. Keys and values never contain whitespace or
// control characters (the compiler guarantees it).
func RenderMap(m *MapFile) []byte {
	var b bytes.Buffer
	for _, e := range m.Entries {
		if e.Comment != "" {
			b.WriteString("# ")
			b.WriteString(commentText(e.Comment))
			b.WriteByte('\n')
		}
		b.WriteString(e.Key)
		b.WriteByte(' ')
		b.WriteString(e.Value)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// RenderACLFile renders an ACL pattern file.
func RenderACLFile(a *ACLFile) []byte {
	var b bytes.Buffer
	for _, e := range a.Entries {
		if e.Comment != "" {
			b.WriteString("# ")
			b.WriteString(commentText(e.Comment))
			b.WriteByte('\n')
		}
		b.WriteString(e.Pattern)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

type renderer struct {
	dir string
	buf bytes.Buffer
	err error
}

func (r *renderer) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("render: "+format, args...)
	}
}

// line writes one indented line made of words (already quoted) and an
// optional trailing comment.
func (r *renderer) line(comment string, words ...string) {
	r.buf.WriteString("  ")
	r.buf.WriteString(strings.Join(words, " "))
	if comment != "" {
		r.buf.WriteString(" # ")
		r.buf.WriteString(commentText(comment))
	}
	r.buf.WriteByte('\n')
}

func (r *renderer) path(name string) string {
	if strings.ContainsAny(name, "/\\") || name == "" || name == "." || name == ".." {
		r.fail("invalid auxiliary file name %q", name)
	}
	return Quote(filepath.Join(r.dir, name))
}

// argPath returns the absolute path of an auxiliary file for use inside a
// converter argument, where quoting is not available: the path must only
// hold characters that are never special there.
func (r *renderer) argPath(name string) string {
	p := filepath.Join(r.dir, name)
	if strings.ContainsFunc(p, func(c rune) bool { return special(c) || c == ',' }) {
		r.fail("the output directory %q holds characters HAProxy cannot read in a converter argument; use letters, digits and . _ - / + : = @ *", r.dir)
	}
	return p
}

func (r *renderer) config(cfg *Config) {
	fmt.Fprintf(&r.buf, "# _version=%d\n", cfg.Version)
	r.buf.WriteString("# generated by haproute; do not edit\n")
	r.global(&cfg.Global)
	r.defaults(&cfg.Defaults)
	for _, f := range cfg.Frontends {
		r.frontend(f)
	}
	for _, b := range cfg.Backends {
		r.backend(b)
	}
}

func (r *renderer) global(g *Global) {
	r.buf.WriteString("global\n")
	if g.Maxconn > 0 {
		r.line("", "maxconn", strconv.Itoa(g.Maxconn))
	}
	if g.Nbthread > 0 {
		r.line("", "nbthread", strconv.Itoa(g.Nbthread))
	}
	for _, l := range g.Log {
		r.line("", "log", r.raw(l))
	}
	if g.StatsSocket != "" {
		r.line("", "stats", "socket", Quote(g.StatsSocket), "mode", "600", "level", "admin", "expose-fd", "listeners")
	}
	for _, l := range g.Raw {
		r.line("", r.raw(l.Text))
	}
}

// raw checks a validated pass-through line once more: it must not be able
// to end the line or start a comment.
func (r *renderer) raw(s string) string {
	if strings.ContainsAny(s, "\r\n\x00#") {
		r.fail("raw line %q contains a newline or '#'", s)
	}
	return s
}

func (r *renderer) defaults(d *Defaults) {
	r.buf.WriteString("defaults " + DefaultsName + "\n")
	mode := d.Mode
	if mode == "" {
		mode = "http"
	}
	r.line("", "mode", mode)
	r.timeout("connect", d.TimeoutConnect)
	r.timeout("client", d.TimeoutClient)
	r.timeout("server", d.TimeoutServer)
	if d.LogFormat != "" {
		r.line("", "log-format", r.logFormat(d.LogFormat))
	}
	for _, l := range d.Raw {
		r.line("", r.raw(l.Text))
	}
}

// logFormat quotes an operator-written log-format string: it keeps its %
// expressions (that is its purpose) but cannot break out of the line.
func (r *renderer) logFormat(s string) string {
	if strings.ContainsAny(s, "\r\n\x00") {
		r.fail("log-format %q contains a control character", s)
	}
	return Quote(s)
}

func (r *renderer) timeout(name, v string) {
	if v != "" {
		r.line("", "timeout", name, v)
	}
}

func (r *renderer) frontend(f *Frontend) {
	r.buf.WriteString("\nfrontend " + name(r, f.Name) + " from " + DefaultsName + "\n")
	if f.Mode != "" {
		r.line("", "mode", f.Mode)
	}
	if f.Maxconn > 0 {
		r.line("", "maxconn", strconv.Itoa(f.Maxconn))
	}
	for _, b := range f.Binds {
		r.line("", "bind", Quote(b))
	}
	r.timeout("client", f.TimeoutClient)
	if f.IdleCloseOnResponse {
		r.line("", "option", "idle-close-on-response")
	}
	for _, a := range f.ACLs {
		r.line(a.Comment, r.aclWords(a)...)
	}
	for _, rule := range f.Rules {
		r.line(rule.Comment, r.ruleWords(f.Mode, rule)...)
	}
	for _, u := range f.UseBackends {
		r.line(u.Comment, useBackendWords(u)...)
	}
	if f.DefaultBackend != "" {
		r.line("", "default_backend", name(r, f.DefaultBackend))
	}
}

func (r *renderer) aclWords(a *ACL) []string {
	words := []string{"acl", name(r, a.Name), a.Fetch}
	if a.Match != "" {
		words = append(words, "-m", a.Match)
	}
	if a.File != "" {
		words = append(words, "-f", r.path(a.File))
	}
	if len(a.Patterns) > 0 {
		// "--" ends the flags: a pattern such as "-i" stays a pattern.
		words = append(words, "--")
	}
	for _, p := range a.Patterns {
		words = append(words, QuotePattern(p))
	}
	return words
}

func (r *renderer) ruleWords(mode string, rule *Rule) []string {
	words := []string{"http-request"}
	if mode == "tcp" {
		words = []string{"tcp-request", "content"}
	}
	switch rule.Action {
	case ActionDeny:
		if mode == "tcp" {
			words = append(words, "reject")
		} else {
			words = append(words, "deny", "deny_status", strconv.Itoa(rule.Status))
		}
	case ActionRedirect:
		words = append(words, "redirect", "location", QuoteLogFormat(rule.Location), "code", strconv.Itoa(rule.Code))
	case ActionSetHeader:
		words = append(words, "set-header", Quote(rule.Header), QuoteLogFormat(rule.Value))
	case ActionSetVar:
		expr := rule.Expr
		if rule.MapFile != "" {
			expr += "," + rule.MapConv + "(" + r.argPath(rule.MapFile) + ")"
		}
		words = append(words, "set-var("+rule.Var+")", expr)
	default:
		r.fail("unknown rule action %d", rule.Action)
	}
	return append(words, cond(rule.Cond)...)
}

func useBackendWords(u *UseBackend) []string {
	return append([]string{"use_backend", u.Backend}, cond(u.Cond)...)
}

// ACLLine renders an ACL line with auxiliary files named relative to the
// configuration directory, for display and comparison.
func ACLLine(a *ACL) string { return strings.Join((&renderer{}).aclWords(a), " ") }

// RuleLine renders a rule line of a frontend of the given mode.
func RuleLine(mode string, rule *Rule) string {
	return strings.Join((&renderer{}).ruleWords(mode, rule), " ")
}

// UseBackendLine renders a use_backend line.
func UseBackendLine(u *UseBackend) string { return strings.Join(useBackendWords(u), " ") }

// ServerLine renders a server line of backend b.
func ServerLine(b *Backend, s *Server) string {
	w, _ := serverWords(b, s)
	return strings.Join(w, " ")
}

func (r *renderer) backend(b *Backend) {
	r.buf.WriteString("\nbackend " + name(r, b.Name) + " from " + DefaultsName + "\n")
	if b.Mode != "" {
		r.line("", "mode", b.Mode)
	}
	if b.Balance != "" {
		r.line("", "balance", b.Balance)
	}
	r.timeout("connect", b.TimeoutConnect)
	r.timeout("server", b.TimeoutServer)
	r.timeout("queue", b.TimeoutQueue)
	if hc := b.HealthCheck; hc != nil {
		r.line("", "option", "httpchk")
		r.line("", "http-check", "send", "meth", hc.Method, "uri", QuotePattern(hc.Path))
		if hc.ExpectStatus != 0 {
			r.line("", "http-check", "expect", "status", strconv.Itoa(hc.ExpectStatus))
		}
	}
	for _, s := range b.Servers {
		words, comment := serverWords(b, s)
		name(r, s.Name)
		r.line(comment, words...)
	}
}

func serverWords(b *Backend, s *Server) ([]string, string) {
	addr := s.Address
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	words := []string{"server", s.Name, addr + ":" + strconv.Itoa(s.Port)}
	weight, comment := s.Weight, ""
	if s.State == "drain" {
		// HAProxy has no drain keyword for server lines; weight 0 keeps
		// the server out of rotation while letting it finish sessions,
		// and the comment keeps the real weight for Read.
		weight, comment = 0, drainComment(s.Weight)
	}
	words = append(words, "weight", strconv.Itoa(weight))
	if s.Maxconn > 0 {
		words = append(words, "maxconn", strconv.Itoa(s.Maxconn))
	}
	if s.Check {
		words = append(words, "check")
		if b.HealthCheck != nil && b.HealthCheck.Interval != "" {
			words = append(words, "inter", b.HealthCheck.Interval)
		}
	}
	if s.Backup {
		words = append(words, "backup")
	}
	if s.State == "maint" {
		words = append(words, "disabled")
	}
	if !isIP(s.Address) {
		// A DNS name that does not resolve at start-up would stop HAProxy
		// from starting: start with the server down instead.
		words = append(words, "init-addr", "last,libc,none")
	}
	return words, comment
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func name(r *renderer, n string) string {
	if n == "" || strings.ContainsFunc(n, func(c rune) bool {
		return !(c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}) {
		r.fail("invalid name %q", n)
	}
	return n
}

func cond(c Cond) []string {
	if len(c.Or) == 0 {
		return nil
	}
	words := []string{"if"}
	if c.Unless {
		words[0] = "unless"
	}
	for i, and := range c.Or {
		if i > 0 {
			words = append(words, "||")
		}
		for _, t := range and {
			w := t.ACL
			if t.Anon != "" {
				w = "{ " + t.Anon + " }"
			}
			if t.Not {
				w = "!" + w
			}
			words = append(words, w)
		}
	}
	return words
}

// commentText makes a string safe for a trailing "# ..." comment.
func commentText(s string) string {
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return ' '
		}
		return c
	}, s)
}

// sameLines returns an error when config-parser's output lost a line of the
// input: every non-comment line of in must appear in out.
func sameLines(in, out string) error {
	norm := func(s string) []string {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			l = strings.TrimSpace(l)
			// config-parser leaves out an empty global section.
			if l == "" || l == "global" || strings.HasPrefix(l, "#") {
				continue
			}
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
		sort.Strings(lines)
		return lines
	}
	a, b := norm(in), norm(out)
	if slices.Equal(a, b) {
		return nil
	}
	for _, l := range a {
		if _, found := slices.BinarySearch(b, l); !found {
			return fmt.Errorf("render: config-parser does not keep the line %q", l)
		}
	}
	for _, l := range b {
		if _, found := slices.BinarySearch(a, l); !found {
			return fmt.Errorf("render: config-parser added the line %q", l)
		}
	}
	return fmt.Errorf("render: config-parser changed the number of lines")
}

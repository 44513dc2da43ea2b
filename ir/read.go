package ir

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/options"
)

// Read reads a configuration directory written by Render back into a
// Config: haproxy.cfg through config-parser, plus the map and ACL files it
// refers to (by their names relative to dir). Source ranges are not
// recoverable; comments are kept where Render writes them.
func Read(dir string) (*Config, error) {
	src, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(src, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if err := ReadAux(cfg, dir); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ReadAux reads from dir the map and ACL files cfg refers to, replacing
// cfg.Maps and cfg.ACLFiles.
func ReadAux(cfg *Config, dir string) error {
	cfg.Maps, cfg.ACLFiles = nil, nil
	for _, name := range cfg.referencedFiles() {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".map") {
			cfg.Maps = append(cfg.Maps, ParseMap(name, data))
		} else {
			cfg.ACLFiles = append(cfg.ACLFiles, ParseACLFile(name, data))
		}
	}
	return nil
}

// referencedFiles lists the auxiliary files the configuration refers to,
// in first-reference order.
func (c *Config) referencedFiles() []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, f := range c.Frontends {
		for _, a := range f.ACLs {
			add(a.File)
		}
		for _, r := range f.Rules {
			add(r.MapFile)
		}
	}
	return out
}

// ParseMap parses map file content. Comment lines are attached to the next
// entry.
func ParseMap(name string, data []byte) *MapFile {
	m := &MapFile{Name: name}
	comment := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			comment = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		m.Entries = append(m.Entries, MapEntry{Key: k, Value: strings.TrimSpace(v), Comment: comment})
		comment = ""
	}
	return m
}

// ParseACLFile parses ACL pattern file content.
func ParseACLFile(name string, data []byte) *ACLFile {
	a := &ACLFile{Name: name}
	comment := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			comment = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		}
		a.Entries = append(a.Entries, ACLEntry{Pattern: line, Comment: comment})
		comment = ""
	}
	return a
}

// Parse parses haproxy.cfg text as written by Render. dir is the directory
// auxiliary file paths are relative to.
func Parse(src []byte, dir string) (*Config, error) {
	parserMu.Lock()
	p, err := parser.New(options.Reader(bytes.NewReader(src)))
	parserMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("config-parser: %w", err)
	}
	rd := &reader{dir: filepath.Clean(dir), cfg: &Config{}}
	for _, line := range strings.Split(p.String(), "\n") {
		if err := rd.line(line); err != nil {
			return nil, fmt.Errorf("%w (line %q)", err, strings.TrimSpace(line))
		}
	}
	return rd.cfg, nil
}

type reader struct {
	dir     string
	cfg     *Config
	section string // "global", "defaults", "frontend", "backend"
	fe      *Frontend
	be      *Backend
}

func (rd *reader) line(raw string) error {
	trimmed := strings.TrimSpace(raw)
	if v, ok := strings.CutPrefix(trimmed, "# _version="); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("invalid version %q", v)
		}
		rd.cfg.Version = n
		return nil
	}
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return nil
	}
	words, comment, err := Split(trimmed)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(raw, " ") && !strings.HasPrefix(raw, "\t") {
		return rd.header(words)
	}
	switch rd.section {
	case "global":
		return rd.global(words, trimmed)
	case "defaults":
		return rd.defaults(words, trimmed)
	case "frontend":
		return rd.frontend(words, comment)
	case "backend":
		return rd.backend(words, comment)
	}
	return fmt.Errorf("line outside a section")
}

func (rd *reader) header(w []string) error {
	rd.section = w[0]
	switch w[0] {
	case "global", "defaults":
	case "frontend":
		if len(w) < 2 {
			return fmt.Errorf("frontend without name")
		}
		rd.fe = &Frontend{Name: w[1]}
		rd.cfg.Frontends = append(rd.cfg.Frontends, rd.fe)
	case "backend":
		if len(w) < 2 {
			return fmt.Errorf("backend without name")
		}
		rd.be = &Backend{Name: w[1]}
		rd.cfg.Backends = append(rd.cfg.Backends, rd.be)
	default:
		return fmt.Errorf("unsupported section %q", w[0])
	}
	return nil
}

func atoi(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return n, nil
}

func (rd *reader) global(w []string, text string) error {
	g := &rd.cfg.Global
	var err error
	switch {
	case w[0] == "maxconn" && len(w) == 2:
		g.Maxconn, err = atoi(w[1])
	case w[0] == "nbthread" && len(w) == 2:
		g.Nbthread, err = atoi(w[1])
	case w[0] == "log":
		g.Log = append(g.Log, strings.TrimSpace(strings.TrimPrefix(text, "log")))
	case w[0] == "stats" && len(w) >= 3 && w[1] == "socket":
		g.StatsSocket = w[2]
	default:
		g.Raw = append(g.Raw, RawLine{Text: text})
	}
	return err
}

func (rd *reader) defaults(w []string, text string) error {
	d := &rd.cfg.Defaults
	switch {
	case w[0] == "mode" && len(w) == 2:
		d.Mode = w[1]
	case w[0] == "timeout" && len(w) == 3 && w[1] == "connect":
		d.TimeoutConnect = w[2]
	case w[0] == "timeout" && len(w) == 3 && w[1] == "client":
		d.TimeoutClient = w[2]
	case w[0] == "timeout" && len(w) == 3 && w[1] == "server":
		d.TimeoutServer = w[2]
	case w[0] == "log-format" && len(w) == 2:
		d.LogFormat = w[1]
	default:
		d.Raw = append(d.Raw, RawLine{Text: text})
	}
	return nil
}

// relFile turns an absolute auxiliary file path back into its name.
func (rd *reader) relFile(p string) (string, error) {
	if filepath.Dir(p) != rd.dir {
		return "", fmt.Errorf("file %q is not in %s", p, rd.dir)
	}
	return filepath.Base(p), nil
}

func (rd *reader) frontend(w []string, comment string) error {
	f := rd.fe
	var err error
	switch w[0] {
	case "mode":
		f.Mode = w[1]
	case "maxconn":
		f.Maxconn, err = atoi(w[1])
	case "bind":
		f.Binds = append(f.Binds, w[1])
	case "timeout":
		if len(w) == 3 && w[1] == "client" {
			f.TimeoutClient = w[2]
		} else {
			err = fmt.Errorf("unsupported timeout")
		}
	case "acl":
		return rd.acl(w, comment)
	case "http-request", "tcp-request":
		return rd.rule(w, comment)
	case "use_backend":
		if len(w) < 2 {
			return fmt.Errorf("use_backend without backend")
		}
		u := &UseBackend{Backend: w[1], Comment: comment}
		u.Cond, err = parseCond(w[2:])
		f.UseBackends = append(f.UseBackends, u)
	case "default_backend":
		f.DefaultBackend = w[1]
	case "option":
		if len(w) == 2 && w[1] == "idle-close-on-response" {
			f.IdleCloseOnResponse = true
		} else {
			err = fmt.Errorf("unsupported frontend option")
		}
	default:
		err = fmt.Errorf("unsupported frontend keyword %q", w[0])
	}
	return err
}

func (rd *reader) acl(w []string, comment string) error {
	if len(w) < 3 {
		return fmt.Errorf("short acl")
	}
	a := &ACL{Name: w[1], Fetch: w[2], Comment: comment}
	rest := w[3:]
	for len(rest) > 0 {
		switch rest[0] {
		case "-m":
			if len(rest) < 2 {
				return fmt.Errorf("acl: -m without method")
			}
			a.Match, rest = rest[1], rest[2:]
			continue
		case "-f":
			if len(rest) < 2 {
				return fmt.Errorf("acl: -f without file")
			}
			name, err := rd.relFile(rest[1])
			if err != nil {
				return err
			}
			a.File, rest = name, rest[2:]
			continue
		case "--":
			a.Patterns = append(a.Patterns, rest[1:]...)
			rest = nil
			continue
		}
		a.Patterns = append(a.Patterns, rest...)
		rest = nil
	}
	rd.fe.ACLs = append(rd.fe.ACLs, a)
	return nil
}

// condStart returns the index of "if"/"unless" in w, or len(w).
func condStart(w []string) int {
	for i, x := range w {
		if x == "if" || x == "unless" {
			return i
		}
	}
	return len(w)
}

func (rd *reader) rule(w []string, comment string) error {
	if w[0] == "tcp-request" {
		if len(w) < 3 || w[1] != "content" {
			return fmt.Errorf("unsupported tcp-request rule")
		}
		w = w[1:]
	}
	ci := condStart(w)
	cond, err := parseCond(w[ci:])
	if err != nil {
		return err
	}
	r := &Rule{Cond: cond, Comment: comment}
	a := w[1:ci]
	switch {
	case len(a) == 1 && a[0] == "reject":
		r.Action, r.Status = ActionDeny, 0
	case len(a) == 3 && a[0] == "deny" && a[1] == "deny_status":
		r.Action = ActionDeny
		r.Status, err = atoi(a[2])
	case len(a) == 5 && a[0] == "redirect" && a[1] == "location" && a[3] == "code":
		r.Action, r.Location = ActionRedirect, unLogFormat(a[2])
		r.Code, err = atoi(a[4])
	case len(a) == 3 && a[0] == "set-header":
		r.Action, r.Header, r.Value = ActionSetHeader, a[1], unLogFormat(a[2])
	case len(a) == 2 && strings.HasPrefix(a[0], "set-var(") && strings.HasSuffix(a[0], ")"):
		r.Action, r.Var = ActionSetVar, strings.TrimSuffix(strings.TrimPrefix(a[0], "set-var("), ")")
		r.Expr = a[1]
		// A trailing map lookup on one of our files becomes MapConv/MapFile.
		for _, conv := range []string{",map_str(", ",map_beg("} {
			if i := strings.LastIndex(r.Expr, conv); i >= 0 && strings.HasSuffix(r.Expr, ")") {
				name, ferr := rd.relFile(r.Expr[i+len(conv) : len(r.Expr)-1])
				if ferr != nil {
					return ferr
				}
				r.MapConv, r.MapFile = conv[1:len(conv)-1], name
				r.Expr = r.Expr[:i]
			}
		}
	default:
		return fmt.Errorf("unsupported rule")
	}
	rd.fe.Rules = append(rd.fe.Rules, r)
	return err
}

// unLogFormat undoes QuoteLogFormat's %-doubling.
func unLogFormat(s string) string { return strings.ReplaceAll(s, "%%", "%") }

// parseCond parses "if|unless TERMS [|| TERMS]..." words.
func parseCond(w []string) (Cond, error) {
	var c Cond
	if len(w) == 0 {
		return c, nil
	}
	switch w[0] {
	case "if":
	case "unless":
		c.Unless = true
	default:
		return c, fmt.Errorf("expected if/unless, got %q", w[0])
	}
	var cur []Term
	for i := 1; i < len(w); i++ {
		x := w[i]
		switch {
		case x == "||" || x == "or":
			c.Or = append(c.Or, cur)
			cur = nil
		case x == "{" || x == "!{":
			j := i + 1
			for j < len(w) && w[j] != "}" {
				j++
			}
			if j == len(w) {
				return c, fmt.Errorf("unterminated anonymous acl")
			}
			cur = append(cur, Term{Not: x == "!{", Anon: strings.Join(w[i+1:j], " ")})
			i = j
		case strings.HasPrefix(x, "!"):
			cur = append(cur, Term{Not: true, ACL: x[1:]})
		default:
			cur = append(cur, Term{ACL: x})
		}
	}
	c.Or = append(c.Or, cur)
	return c, nil
}

func (rd *reader) backend(w []string, comment string) error {
	b := rd.be
	switch {
	case w[0] == "mode":
		b.Mode = w[1]
	case w[0] == "balance":
		b.Balance = w[1]
	case w[0] == "timeout" && len(w) == 3:
		switch w[1] {
		case "connect":
			b.TimeoutConnect = w[2]
		case "server":
			b.TimeoutServer = w[2]
		case "queue":
			b.TimeoutQueue = w[2]
		default:
			return fmt.Errorf("unsupported timeout %q", w[1])
		}
	case w[0] == "option" && len(w) == 2 && w[1] == "httpchk":
		if b.HealthCheck == nil {
			b.HealthCheck = &HealthCheck{}
		}
	case w[0] == "http-check" && len(w) == 6 && w[1] == "send" && w[2] == "meth" && w[4] == "uri":
		if b.HealthCheck == nil {
			b.HealthCheck = &HealthCheck{}
		}
		b.HealthCheck.Method, b.HealthCheck.Path = w[3], w[5]
	case w[0] == "http-check" && len(w) == 4 && w[1] == "expect" && w[2] == "status":
		if b.HealthCheck == nil {
			b.HealthCheck = &HealthCheck{}
		}
		n, err := atoi(w[3])
		if err != nil {
			return err
		}
		b.HealthCheck.ExpectStatus = n
	case w[0] == "server":
		return rd.server(w, comment)
	default:
		return fmt.Errorf("unsupported backend keyword %q", w[0])
	}
	return nil
}

func (rd *reader) server(w []string, comment string) error {
	if len(w) < 3 {
		return fmt.Errorf("short server line")
	}
	s := &Server{Name: w[1], State: "ready"}
	i := strings.LastIndexByte(w[2], ':')
	if i < 0 {
		return fmt.Errorf("server address without port")
	}
	s.Address = strings.TrimSuffix(strings.TrimPrefix(w[2][:i], "["), "]")
	var err error
	if s.Port, err = atoi(w[2][i+1:]); err != nil {
		return err
	}
	for j := 3; j < len(w); j++ {
		switch w[j] {
		case "weight", "maxconn", "inter":
			if j+1 >= len(w) {
				return fmt.Errorf("%s without value", w[j])
			}
			if w[j] == "inter" {
				if rd.be.HealthCheck != nil {
					rd.be.HealthCheck.Interval = w[j+1]
				}
			} else {
				n, err := atoi(w[j+1])
				if err != nil {
					return err
				}
				if w[j] == "weight" {
					s.Weight = n
				} else {
					s.Maxconn = n
				}
			}
			j++
		case "init-addr":
			// Written for DNS names; implied by the address.
			j++
		case "check":
			s.Check = true
		case "backup":
			s.Backup = true
		case "disabled":
			s.State = "maint"
		default:
			return fmt.Errorf("unsupported server option %q", w[j])
		}
	}
	if st, ok := parseDrainComment(comment); ok {
		s.State, s.Weight = "drain", st
	}
	rd.be.Servers = append(rd.be.Servers, s)
	return nil
}

// drainComment is the comment Render puts on a drained server's line: the
// configuration file has no drain keyword, so the server is written with
// weight 0 and its real weight is kept here.
func drainComment(weight int) string { return "haproute:drain weight=" + strconv.Itoa(weight) }

func parseDrainComment(c string) (int, bool) {
	v, ok := strings.CutPrefix(c, "haproute:drain weight=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// Split splits one configuration line into words the way HAProxy does for
// the quoting Render produces: single quotes (literal), double quotes (with
// backslash escapes), backslash escapes outside quotes, and a '#' outside
// quotes starting a comment (returned without the '#').
func Split(line string) (words []string, comment string, err error) {
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#':
			flush()
			return words, strings.TrimSpace(line[i+1:]), nil
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, "", fmt.Errorf("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, "", fmt.Errorf("unterminated double quote")
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, "", nil
}

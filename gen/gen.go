// Package gen generates random, valid haproute programs for property tests.
//
// Program returns HCL source text together with what it used (frontends,
// binds, backends and a request vocabulary), so that tests can check the
// program, compile it, run `haproxy -c` on the result, or start a real
// haproxy and send requests built from the vocabulary (Requests).
//
// The generator keeps a model of every value it writes, so it only emits
// programs lang.Check should accept: it avoids ambiguous routes (identical
// match sets and priority), duplicate names, duplicate binds, condition
// cycles and when-expressions the compiler would reject as too complex.
// Values go right up to the edges lang/validate.go allows (label and name
// lengths, odd characters in paths and header values, regex constructs,
// CIDR forms, durations), written through every HCL form the language
// offers: literals, templates, functions, variables, locals, for
// expressions and dynamic blocks.
package gen

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Options control generation. The zero value generates a random program
// with random backends, servers and binds.
type Options struct {
	// Backends are the names of the backends to generate; nil means 2 to 6
	// random names.
	Backends []string
	// Servers gives the server addresses of a backend ("127.0.0.1:PORT");
	// a backend without an entry gets random addresses.
	Servers map[string][]string
	// Binds gives each frontend's bind addresses; nil means 1 to 3
	// frontends with random binds.
	Binds [][]string
	// Routes is the number of route blocks per http frontend; 0 means a
	// random number up to 25.
	Routes int
	// Overlap selects a small vocabulary of hosts, paths, methods, headers
	// and sources shared by every block, so that many routes compete for
	// the same requests, and keeps everything HAProxy must actually serve
	// (servers, global and defaults settings) plain: it is the mode for
	// differential tests against a running haproxy. Frontends are mode
	// http.
	Overlap bool
}

// File is one generated .hcl file.
type File struct {
	Name string
	Src  string
}

// Frontend describes a generated frontend.
type Frontend struct {
	Name  string
	Mode  string
	Binds []string
}

// Program is a generated configuration and what it used.
type Program struct {
	// Files are the .hcl files, sorted by name.
	Files     []File
	Frontends []Frontend
	// Backends are the names of all backends.
	Backends []string
	// Vocab is the request vocabulary: the values routes match on, plus
	// values that match nothing.
	Vocab Vocab
}

// Source returns the files concatenated, each preceded by a "# FILE" line.
func (p *Program) Source() string {
	var b strings.Builder
	for _, f := range p.Files {
		b.WriteString("# " + f.Name + "\n" + f.Src + "\n")
	}
	return b.String()
}

// Vocab is the vocabulary requests are built from.
type Vocab struct {
	// Hosts are Host header values: exact hosts, hosts under wildcards of
	// several depths, some in upper case, some with a port.
	Hosts []string
	// Paths are request paths (no query).
	Paths []string
	// Queries are query strings without "?"; "" means none.
	Queries []string
	Methods []string
	Headers []HeaderVocab
	// Srcs are client addresses.
	Srcs []string
}

// HeaderVocab is a header name and values routes match on.
type HeaderVocab struct {
	Name   string
	Values []string
}

// pools are the values blocks draw from.
type pools struct {
	hosts    []string // exact hosts, lower case
	wilds    []string // wildcard suffixes (the part after "*.")
	paths    []string
	prefixes []string
	regexes  []string
	methods  []string
	headers  []HeaderVocab
	queries  [][2]string
	cidrs    []string
}

type generator struct {
	rng  *rand.Rand
	opts Options
	p    pools

	vars     []string // rendered variable blocks
	locals   []string // rendered "name = expr" lines
	refNames map[string]bool

	httpBackends []string
	tcpBackends  []string
	groups       int // named regex groups so far
	tcpFrontend  bool
}

// Generate returns a random valid program.
func Generate(rng *rand.Rand, opts Options) *Program {
	g := &generator{rng: rng, opts: opts, refNames: map[string]bool{}}
	if opts.Overlap {
		g.overlapPools()
	} else {
		g.randomPools()
	}
	prog := &Program{}

	var backends []string
	beNames := opts.Backends
	if beNames == nil {
		used := map[string]bool{}
		for i := 0; i < 2+g.rng.IntN(5); i++ {
			beNames = append(beNames, g.name("be", used))
		}
	}
	nfe := len(opts.Binds)
	if opts.Binds == nil {
		nfe = 1 + g.rng.IntN(3)
	}
	// Mode tcp backends only when there will be a tcp frontend for them.
	tcpFE := -1
	if !opts.Overlap && nfe > 1 && g.chance(0.5) {
		tcpFE = g.rng.IntN(nfe)
	}
	for i, name := range beNames {
		tcp := tcpFE >= 0 && i%3 == 2
		backends = append(backends, g.backend(name, tcp))
		if tcp {
			g.tcpBackends = append(g.tcpBackends, name)
		} else {
			g.httpBackends = append(g.httpBackends, name)
		}
		prog.Backends = append(prog.Backends, name)
	}
	if len(g.httpBackends) == 0 {
		// Every frontend needs a backend of its mode.
		g.httpBackends, g.tcpBackends = g.tcpBackends, nil
		tcpFE = -1
	}
	if len(g.tcpBackends) == 0 {
		tcpFE = -1
	}

	feUsed := map[string]bool{}
	bindUsed := map[string]bool{}
	var frontends []string
	for i := 0; i < nfe; i++ {
		var binds []string
		if opts.Binds != nil {
			binds = opts.Binds[i]
		} else {
			binds = g.binds(bindUsed)
		}
		name := g.name("fe", feUsed)
		mode := "http"
		if i == tcpFE {
			mode = "tcp"
		}
		prog.Frontends = append(prog.Frontends, Frontend{Name: name, Mode: mode, Binds: binds})
		if mode == "tcp" {
			g.tcpFrontend = true
			frontends = append(frontends, g.tcpFrontendBlock(name, binds))
		} else {
			frontends = append(frontends, g.httpFrontend(name, binds))
		}
	}

	var top []string
	if g.chance(0.3) || opts.Overlap {
		top = append(top, g.global())
	}
	if g.chance(0.3) || opts.Overlap {
		top = append(top, g.defaults())
	}
	var decls []string
	decls = append(decls, g.vars...)
	if len(g.locals) > 0 {
		// Locals may refer to each other in any order.
		l := slices.Clone(g.locals)
		g.rng.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
		k := len(l)
		if len(l) > 1 && g.chance(0.5) {
			k = 1 + g.rng.IntN(len(l)-1)
		}
		decls = append(decls, "locals {\n  "+strings.Join(l[:k], "\n  ")+"\n}\n")
		if k < len(l) {
			decls = append(decls, "locals {\n  "+strings.Join(l[k:], "\n  ")+"\n}\n")
		}
	}
	if g.chance(0.5) {
		all := slices.Concat(top, decls, backends, frontends)
		prog.Files = []File{{Name: "main.hcl", Src: strings.Join(all, "\n")}}
	} else {
		// Several files; frontends last, as Load reads files by name.
		prog.Files = []File{
			{Name: "a_settings.hcl", Src: strings.Join(slices.Concat(top, decls), "\n")},
			{Name: "b_backends.hcl", Src: strings.Join(backends, "\n")},
			{Name: "c_frontends.hcl", Src: strings.Join(frontends, "\n")},
		}
	}
	prog.Vocab = g.vocab()
	return prog
}

// variable declares a variable with the given type (sometimes left out)
// and default, and returns its name.
func (g *generator) variable(typ, def string) string {
	name := g.refName("v_")
	var b strings.Builder
	b.WriteString("variable " + strconv.Quote(name) + " {\n")
	if g.chance(0.7) {
		b.WriteString("  type    = " + typ + "\n")
	}
	b.WriteString("  default = " + def + "\n")
	if g.chance(0.2) {
		b.WriteString("  description = " + g.hclQuote("generated: "+g.headerValue()) + "\n")
	}
	b.WriteString("}\n")
	g.vars = append(g.vars, b.String())
	return name
}

// local declares a local with the given expression and returns its name.
func (g *generator) local(expr string) string {
	name := g.refName("l_")
	g.locals = append(g.locals, name+" = "+expr)
	return name
}

func (g *generator) refName(prefix string) string {
	for {
		n := prefix + strconv.Itoa(len(g.refNames))
		if g.chance(0.2) {
			n += "-" + g.word(lower+digits+"_", 1+g.rng.IntN(4))
		}
		if !g.refNames[n] {
			g.refNames[n] = true
			return n
		}
	}
}

// binds returns 1-3 bind addresses not used by another frontend.
func (g *generator) binds(used map[string]bool) []string {
	var out []string
	for len(out) == 0 || (len(out) < 3 && g.chance(0.3)) {
		port := 1 + g.rng.IntN(65535)
		if g.chance(0.1) {
			port = pickOne(g, []int{1, 80, 443, 65535})
		}
		p := strconv.Itoa(port)
		var addr, canon string
		switch g.rng.IntN(6) {
		case 0:
			addr, canon = "*:"+p, "*:"+p
		case 1:
			addr, canon = ":"+p, "*:"+p
		case 2:
			addr, canon = "[::]:"+p, "[::]:"+p
		case 3:
			addr, canon = "[::1]:"+p, "[::1]:"+p
		default:
			addr, canon = "127.0.0.1:"+p, "127.0.0.1:"+p
		}
		if used[canon] {
			continue
		}
		used[canon] = true
		out = append(out, addr)
	}
	return out
}

func (g *generator) backend(name string, tcp bool) string {
	var b strings.Builder
	b.WriteString("backend " + strconv.Quote(name) + " {\n")
	if tcp {
		b.WriteString("  mode = \"tcp\"\n")
	} else if g.chance(0.1) {
		b.WriteString("  mode = \"http\"\n")
	}
	if g.chance(0.4) {
		bal := pickOne(g, []string{"roundrobin", "leastconn", "source", "first", "uri", "random"})
		if tcp && bal == "uri" {
			bal = "source"
		}
		b.WriteString("  balance = " + strconv.Quote(bal) + "\n")
	}
	if !g.opts.Overlap {
		for _, t := range []string{"timeout_connect", "timeout_server", "timeout_queue"} {
			if g.chance(0.2) {
				b.WriteString("  " + t + " = " + strconv.Quote(g.duration()) + "\n")
			}
		}
		if g.chance(0.2) {
			b.WriteString("  health_check {\n")
			if g.chance(0.5) {
				b.WriteString("    method = " + g.hclQuote(g.method()) + "\n")
			}
			if g.chance(0.5) {
				b.WriteString("    path = " + g.hclQuote(g.path()) + "\n")
			}
			if g.chance(0.5) {
				d := g.duration()
				if strings.Trim(d, "0usmhd") == "" {
					d = "1" + d // a zero interval is invalid
				}
				b.WriteString("    interval = " + strconv.Quote(d) + "\n")
			}
			if g.chance(0.5) {
				b.WriteString("    expect_status = " + strconv.Itoa(100+g.rng.IntN(500)) + "\n")
			}
			b.WriteString("  }\n")
		}
	}
	addrs, given := g.opts.Servers[name]
	if !given {
		for i := 0; i < g.rng.IntN(4); i++ {
			addrs = append(addrs, g.serverAddr())
		}
	}
	if len(addrs) > 1 && g.chance(0.3) {
		// dynamic "server" over the addresses.
		b.WriteString("  dynamic \"server\" {\n")
		b.WriteString("    for_each = " + g.listExpr(addrs, false, false) + "\n")
		b.WriteString("    labels   = [\"s${server.key}\"]\n")
		b.WriteString("    content {\n      address = server.value\n")
		if !given && g.chance(0.3) {
			b.WriteString("      weight = " + strconv.Itoa(g.rng.IntN(257)) + "\n")
		}
		b.WriteString("    }\n  }\n")
		b.WriteString("}\n")
		return b.String()
	}
	used := map[string]bool{}
	for _, a := range addrs {
		b.WriteString("  server " + strconv.Quote(g.name("s", used)) + " {\n")
		b.WriteString("    address = " + g.strExpr(a, false, false) + "\n")
		if !given {
			if g.chance(0.3) {
				b.WriteString("    weight = " + strconv.Itoa(g.rng.IntN(257)) + "\n")
			}
			if g.chance(0.2) {
				b.WriteString("    maxconn = " + strconv.Itoa(g.rng.IntN(100000)) + "\n")
			}
			if g.chance(0.2) {
				b.WriteString("    check = " + strconv.FormatBool(g.chance(0.5)) + "\n")
			}
			if g.chance(0.2) {
				b.WriteString("    backup = " + strconv.FormatBool(g.chance(0.5)) + "\n")
			}
			if g.chance(0.2) {
				b.WriteString("    state = " + strconv.Quote(pickOne(g, []string{"ready", "drain", "maint"})) + "\n")
			}
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// serverAddr returns a random server address. Host names are limited to
// "localhost": `haproxy -c` resolves server names and fails on names it
// cannot resolve, which is an environment matter, not a language one.
func (g *generator) serverAddr() string {
	port := strconv.Itoa(1 + g.rng.IntN(65535))
	switch g.rng.IntN(5) {
	case 0:
		return "[::1]:" + port
	case 1:
		return "localhost:" + port
	case 2:
		return "[2001:db8::" + strconv.Itoa(1+g.rng.IntN(99)) + "]:" + port
	case 3:
		return "10." + strconv.Itoa(g.rng.IntN(256)) + ".0." + strconv.Itoa(1+g.rng.IntN(254)) + ":" + port
	}
	return "127.0.0.1:" + port
}

func (g *generator) global() string {
	var b strings.Builder
	b.WriteString("global {\n")
	if g.opts.Overlap {
		b.WriteString("  maxconn = 1000\n}\n")
		return b.String()
	}
	if g.chance(0.5) {
		b.WriteString("  maxconn = " + strconv.Itoa(pickOne(g, []int{1, 100, 5000, 10000000})) + "\n")
	}
	if g.chance(0.5) {
		b.WriteString("  nbthread = " + strconv.Itoa(pickOne(g, []int{1, 2, 63, 64})) + "\n")
	}
	if g.chance(0.5) {
		b.WriteString("  log = [\"stdout format raw local0\"]\n")
	}
	if g.chance(0.3) {
		b.WriteString("  raw = [\"tune.bufsize 32768\", \"hard-stop-after 30s\"]\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func (g *generator) defaults() string {
	var b strings.Builder
	b.WriteString("defaults {\n")
	if g.opts.Overlap {
		b.WriteString("  timeout_connect = \"2s\"\n  timeout_client = \"10s\"\n  timeout_server = \"10s\"\n}\n")
		return b.String()
	}
	for _, t := range []string{"timeout_connect", "timeout_client", "timeout_server"} {
		if g.chance(0.5) {
			b.WriteString("  " + t + " = " + strconv.Quote(g.duration()) + "\n")
		}
	}
	if g.chance(0.3) {
		formats := []string{"%ci:%cp [%tr] %ft %b/%s %ST %B", "%{+Q}r %ST", "plain text", "%ci:%cp %ft %b/%s %B"}
		if g.tcpFrontend {
			// A defaults log-format with HTTP-only variables (%tr, %r)
			// makes haproxy -c fail for a mode tcp frontend: "format
			// variable 'tr' is reserved for HTTP mode". The checker does
			// not know HAProxy's log-format variables; see the report.
			formats = []string{"plain text", "%ci:%cp %ft %b/%s %B"}
		}
		b.WriteString("  log_format = " + g.hclQuote(pickOne(g, formats)) + "\n")
	}
	if g.chance(0.3) {
		b.WriteString("  raw = [\"option httplog\", \"retries 3\"]\n")
	}
	b.WriteString("}\n")
	return b.String()
}

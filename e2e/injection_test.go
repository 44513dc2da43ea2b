package e2e

// The injection table: adversarial strings through every string-typed
// attribute. For each (attribute, value) either lang.Check rejects it with
// an error pointing into the attribute's expression, or it compiles,
// renders, passes haproxy -c and — for set_header values, redirect targets
// and match attributes — reaches a real haproxy literally (checked with
// traffic).

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// injValue is one adversarial string.
type injValue struct {
	name string
	v    string
}

// injValues is the table of adversarial values. Some plausible values are
// mixed in so that every attribute accepts something.
func injValues() []injValue {
	return []injValue{
		// line breaks
		{"lf", "a\nb"}, {"crlf", "a\r\nb"}, {"cr", "a\rb"}, {"lf-end", "a\n"}, {"lf-start", "\na"},
		{"crlf-header", "a\r\nX-Evil: 1"}, {"lf-directive", "x\nhttp-request deny"},
		// comments and quotes
		{"hash", "#"}, {"hash-mid", "a#b"}, {"hash-spaced", "a # b"},
		{"squote", "'"}, {"squote-mid", "it's"}, {"squote-pair", "'a'"}, {"squotes-3", "'''"},
		{"dquote", `"`}, {"dquote-mid", `a"b`}, {"dquote-pair", `"a"`}, {"quotes-mixed", `'"'"`},
		// backslashes
		{"bs", `\`}, {"bs-mid", `a\b`}, {"bs-trail", `a\`}, {"bs-double-trail", `a\\`},
		{"bs-squote", `a\'b`}, {"bs-squote-trail", `a\'`}, {"bs-n", `a\nb`}, {"bs-x41", `\x41`},
		{"bs-space", `a\ b`}, {"bs-hash", `a\#b`}, {"bs-dollar", `\$HOME`},
		// whitespace
		{"sp-lead", " a"}, {"sp-trail", "a "}, {"sp-multi", "a   b"}, {"sp-only", " "}, {"sp-mid", "a b"},
		{"tab-mid", "a\tb"}, {"tab-lead", "\ta"}, {"tab-trail", "a\t"}, {"tab-only", "\t"},
		// log-format
		{"pct-src", "%[src]"}, {"pct-src-mid", "a%[src]b"}, {"pct-pct", "%%"}, {"pct-ci", "%ci"},
		{"pct-alone", "%"}, {"pct-trail", "100%"}, {"pct-flags", "%{+Q}r"}, {"pct-hdr", "%[req.hdr(host)]"},
		{"pct-hex", "%41"}, {"pct-unclosed", "%[src"}, {"pct-quote", "%['src']"}, {"pct-b", "a%bc"},
		// condition syntax
		{"braces", "{ }"}, {"brace-open", "{"}, {"brace-close", "}"}, {"if", "if"}, {"unless", "unless"},
		{"sp-if-sp", " if "}, {"sp-unless-sp", " unless "}, {"x-if-y", "x if y"}, {"or", "||"},
		{"and", "&&"}, {"bang", "!"}, {"bang-word", "!x"}, {"acl", "x if { src 0.0.0.0/0 }"},
		{"acl-unless", "x unless { always_true }"}, {"acl-or", "a || b"},
		{"quote-acl", "' if { src 0.0.0.0/0 } '"}, {"dash-acl", "-i x if { src 0.0.0.0/0 }"},
		// environment and templates
		{"env", "$HOME"}, {"env-brace", "${x}"}, {"env-brace-home", "${HOME}"}, {"hcl-directive", "%{x}"},
		{"env-dquote", `"$HOME"`},
		// unicode
		{"e-acute", "é"}, {"emoji", "😀"}, {"rtl-mark", "\u200f"}, {"zwsp", "\u200b"}, {"bom", "\ufeff"},
		{"cjk", "中文"}, {"nel", "a\u0085b"}, {"line-sep", "a\u2028b"}, {"uni-quote", "é'😀"},
		// control characters
		{"nul", "\x00"}, {"nul-mid", "a\x00b"}, {"ctl-01", "a\x01b"}, {"del", "a\x7fb"},
		{"esc", "\x1b[31m"}, {"vt", "a\vb"}, {"ff", "a\fb"},
		// sizes
		{"empty", ""}, {"long-10k", strings.Repeat("a", 10000)}, {"long-4096", strings.Repeat("b", 4096)},
		{"long-4097", strings.Repeat("c", 4097)}, {"long-mixed", strings.Repeat(`a'b\`, 2500)},
		// flags
		{"dash-i", "-i"}, {"dash-f", "-f /etc/passwd"}, {"dash-m", "-m reg"}, {"dashdash", "--"}, {"dash", "-"},
		// punctuation
		{"semicolon", "a;b"}, {"amp", "a&b"}, {"eq", "a=b"}, {"question", "a?b"}, {"comma", "a,b"},
		{"paren", "a(b)"}, {"bracket", "[x]"}, {"angle", "<x>"}, {"pipe", "a|b"}, {"backtick", "`x`"},
		{"caret", "^a$"}, {"star", "*"}, {"plus", "a+b"}, {"at", "a@b"}, {"colon", "a:b"},
		// combinations
		{"combo-all", `x # \ " ' { } $HOME %[src] y`}, {"combo-hash-nl", "#\n"}, {"combo-bs-nl", "a\\\nb"},
		// paths and URLs
		{"slash", "/"}, {"slash-dotdot", "/../etc/passwd"}, {"slash-space", "/a b"}, {"slash-hash", "/a#b"},
		{"slash-query", "/a?b=1"}, {"slash-pct-src", "/%[src]"}, {"slash-squote", "/it's"}, {"slash-bs", `/a\`},
		{"slash-e-acute", "/é"}, {"slash-pct-enc", "/caf%C3%A9"}, {"slash-pct-bad", "/a%zz"}, {"slash-if", "/a if"},
		{"double-slash", "//evil.test"}, {"url", "https://x.test/a%b?c='d'"}, {"url-js", "javascript:alert(1)"},
		{"url-crlf", "https://x.test/\r\nSet-Cookie: a=b"},
		// hosts and addresses
		{"host", "example.com"}, {"host-upper", "EXAMPLE.com"}, {"host-wild", "*.example.com"},
		{"host-port", "example.com:80"}, {"host-idn", "xn--caf-dma.test"}, {"host-dot", "example.com."},
		{"ip", "10.0.0.1"}, {"cidr", "10.0.0.0/8"}, {"cidr-all", "0.0.0.0/0"}, {"ipv6", "::1"},
		{"ip-port", "127.0.0.1:8080"}, {"ipv6-port", "[::1]:8080"}, {"bind-star", "*:80"},
		// other plausible values
		{"dur", "5s"}, {"dur-neg", "-5s"}, {"dur-space", "5 s"}, {"method", "GET"}, {"method-lower", "get"},
		{"method-custom", "PURGE"}, {"name", "ok_name"}, {"name-dots", "a.b-c"}, {"hdr-name", "X-Ok"},
		{"hdr-colon", "X-A:"}, {"log", "stdout format raw local0"}, {"log-udp", "127.0.0.1:514 local0"},
		{"raw", "tune.bufsize 32768"}, {"raw-option", "option forwardfor"}, {"regex", "^/api/[0-9]+$"},
		{"regex-bad", "(("}, {"when-call", "header('X-A', 'b')"}, {"when-ref", "office"},
	}
}

// injCtx says where an attribute's fragment goes and how fragments of many
// values are combined into one program.
type injCtx int

const (
	injInFrontend  injCtx = iota // blocks inside frontend "f"
	injTop                       // top-level blocks
	injGlobalLog                 // elements of global.log
	injGlobalRaw                 // elements of global.raw
	injDefaultsRaw               // elements of defaults.raw
	injDefaults                  // an attribute of defaults: one value per program
)

// injTraffic says how an accepted value is verified with traffic.
type injTraffic int

const (
	injNoTraffic       injTraffic = iota
	injSetHeader                  // backend receives header X-Inj-V with the value
	injRedirect                   // Location equals the value
	injMatchHeader                // header X-Inj-M: value routes to the value's backend
	injMatchWhenHeader            // header X-Inj-W: value (when header())
	injMatchPath                  // request path equal to the value
	injMatchPrefix                // request path equal to the prefix
	injMatchQuery                 // query q=value (when query())
	injMatchHost                  // Host: value
)

// injAttr is a row of the table: where a value goes.
type injAttr struct {
	name    string
	ctx     injCtx
	traffic injTraffic
	// embed turns the table value into the attribute's value.
	embed func(v string) string
	// frag writes the fragment for value index i; w.val writes the
	// value's literal and records its range.
	frag func(w *injWriter, i int, v string)
	// key deduplicates values when fragments are combined (default: v).
	key func(v string) string
	// tolerate, when set, accepts a build or haproxy -c failure of an
	// accepted value: for pass-through HAProxy syntax (raw lines, the
	// sample expressions of a log format) and DNS names this machine
	// cannot resolve. Tolerated failures are logged and counted.
	tolerate func(msg string) bool
}

// injWriter accumulates HCL text and the range of the value's literal.
type injWriter struct {
	b          strings.Builder
	start, end int
	vars       map[string]string
}

// lit returns s as an HCL quoted string literal.
func injLit(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

func (w *injWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// val writes text (the value's expression) and records its range.
func (w *injWriter) val(text string) {
	w.start = w.b.Len()
	w.b.WriteString(text)
	w.end = w.b.Len()
}

// whenArg quotes v as a when-expression string argument.
func injWhenArg(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func injID(v string) string { return v }

func injAttrs() []injAttr {
	slash := func(v string) string { return "/" + v }
	route := func(attr string) func(w *injWriter, i int, v string) {
		return func(w *injWriter, i int, v string) {
			w.printf("  route \"r%d\" {\n    %s = [", i, attr)
			w.val(injLit(v))
			w.printf("]\n    backend = backend.b%d\n  }\n", i)
		}
	}
	when := func(call func(arg string) string) func(w *injWriter, i int, v string) {
		return func(w *injWriter, i int, v string) {
			w.printf("  route \"r%d\" {\n    when = ", i)
			w.val(injLit(call(injWhenArg(v))))
			w.printf("\n    backend = backend.b%d\n  }\n", i)
		}
	}
	redirect := func(w *injWriter, i int, v string) {
		w.printf("  redirect \"rd%d\" {\n    path = [\"/rd/%d\"]\n    to = ", i, i)
		w.val(injLit(v))
		w.printf("\n  }\n")
	}
	lower := strings.ToLower
	return []injAttr{
		{name: "host", traffic: injMatchHost, frag: route("host"), key: lower},
		{name: "host (x.v.test)", embed: func(v string) string { return "x" + v + ".test" }, traffic: injMatchHost, frag: route("host"), key: lower},
		{name: "path", traffic: injMatchPath, frag: route("path")},
		{name: "path (/v)", embed: slash, traffic: injMatchPath, frag: route("path")},
		// With a method the route is not a map lookup: the path is an ACL
		// pattern quoted by ir.QuotePattern.
		{name: "path (/v) + method", embed: slash, traffic: injMatchPath, frag: func(w *injWriter, i int, v string) {
			w.printf("  route \"r%d\" {\n    method = [\"GET\"]\n    path = [", i)
			w.val(injLit(v))
			w.printf("]\n    backend = backend.b%d\n  }\n", i)
		}},
		{name: "path_prefix", traffic: injMatchPrefix, frag: route("path_prefix")},
		{name: "path_prefix (/v)", embed: slash, traffic: injMatchPrefix, frag: route("path_prefix")},
		{name: "path_regex", frag: route("path_regex")},
		{name: "method", frag: route("method")},
		{name: "header key", frag: func(w *injWriter, i int, v string) {
			w.printf("  route \"r%d\" {\n    header = { ", i)
			w.val(injLit(v))
			w.printf(" = \"1\" }\n    backend = backend.b%d\n  }\n", i)
		}, key: lower},
		{name: "header value", traffic: injMatchHeader, frag: func(w *injWriter, i int, v string) {
			w.printf("  route \"r%d\" {\n    header = { \"X-Inj-M\" = ", i)
			w.val(injLit(v))
			w.printf(" }\n    backend = backend.b%d\n  }\n", i)
		}},
		{name: "src", frag: route("src")},
		{name: "not_src", frag: route("not_src")},
		{name: "when", frag: func(w *injWriter, i int, v string) {
			w.printf("  route \"r%d\" {\n    when = ", i)
			w.val(injLit(v))
			w.printf("\n    backend = backend.b%d\n  }\n", i)
		}},
		{name: "when host()", frag: when(func(a string) string { return "host(" + a + ")" }), key: lower},
		{name: "when path()", frag: when(func(a string) string { return "path(" + a + ")" })},
		{name: "when path_prefix()", frag: when(func(a string) string { return "path_prefix(" + a + ")" })},
		{name: "when path_regex()", frag: when(func(a string) string { return "path_regex(" + a + ")" })},
		{name: "when method()", frag: when(func(a string) string { return "method(" + a + ")" })},
		{name: "when src()", frag: when(func(a string) string { return "src(" + a + ")" })},
		{name: "when header() name", frag: when(func(a string) string { return "header(" + a + ", 'x')" }), key: lower},
		{name: "when header() value", traffic: injMatchWhenHeader, frag: when(func(a string) string { return "header('X-Inj-W', " + a + ")" })},
		{name: "when header_present()", frag: when(func(a string) string { return "header_present(" + a + ")" }), key: lower},
		{name: "when query() name", frag: when(func(a string) string { return "query(" + a + ", 'x')" })},
		{name: "when query() value", traffic: injMatchQuery, frag: when(func(a string) string { return "query('q', " + a + ")" })},
		{name: "redirect to", traffic: injRedirect, frag: redirect},
		{name: "redirect to (/v)", embed: slash, traffic: injRedirect, frag: redirect},
		{name: "redirect to (https://x.test/v)", embed: func(v string) string { return "https://x.test/" + v }, traffic: injRedirect, frag: redirect},
		{name: "set_header header", frag: func(w *injWriter, i int, v string) {
			w.printf("  set_header \"sh%d\" {\n    header = ", i)
			w.val(injLit(v))
			w.printf("\n    value = \"1\"\n  }\n")
		}, key: lower},
		{name: "set_header value", traffic: injSetHeader, frag: func(w *injWriter, i int, v string) {
			w.printf("  set_header \"sh%d\" {\n    path = [\"/sh/%d\"]\n    header = \"X-Inj-V\"\n    value = ", i, i)
			w.val(injLit(v))
			w.printf("\n  }\n")
		}},
		{name: "set_header value (no condition)", frag: func(w *injWriter, i int, v string) {
			w.printf("  set_header \"sh%d\" {\n    header = \"X-Inj-U%d\"\n    value = ", i, i)
			w.val(injLit(v))
			w.printf("\n  }\n")
		}},
		{name: "-var set_header value", traffic: injSetHeader, frag: func(w *injWriter, i int, v string) {
			name := "inj" + strconv.Itoa(i)
			w.vars[name] = v
			w.printf("  set_header \"sh%d\" {\n    path = [\"/sh/%d\"]\n    header = \"X-Inj-V\"\n    value = ", i, i)
			w.val("var." + name)
			w.printf("\n  }\n")
		}},
		{name: "-var host", traffic: injMatchHost, frag: func(w *injWriter, i int, v string) {
			name := "inj" + strconv.Itoa(i)
			w.vars[name] = v
			w.printf("  route \"r%d\" {\n    host = [", i)
			w.val("var." + name)
			w.printf("]\n    backend = backend.b%d\n  }\n", i)
		}, key: lower},
		{name: "route label", frag: func(w *injWriter, i int, v string) {
			w.printf("  route ")
			w.val(injLit(v))
			w.printf(" {\n    path = [\"/l/%d\"]\n    backend = backend.b%d\n  }\n", i, i)
		}},
		{name: "set_header label", frag: func(w *injWriter, i int, v string) {
			w.printf("  set_header ")
			w.val(injLit(v))
			w.printf(" {\n    header = \"X-L%d\"\n    value = \"1\"\n  }\n", i)
		}},
		{name: "condition label", frag: func(w *injWriter, i int, v string) {
			w.printf("  condition ")
			w.val(injLit(v))
			w.printf(" {\n    path = [\"/c/%d\"]\n  }\n", i)
		}},
		{name: "backend label", ctx: injTop, frag: func(w *injWriter, i int, v string) {
			w.printf("backend ")
			w.val(injLit(v))
			w.printf(" {\n  server \"s\" { address = \"127.0.0.1:1\" }\n}\n")
		}},
		{name: "frontend label", ctx: injTop, frag: func(w *injWriter, i int, v string) {
			w.printf("frontend ")
			w.val(injLit(v))
			w.printf(" {\n  bind = [\"127.0.0.1:%d\"]\n  default_backend = backend.hit\n}\n", 20000+i)
		}},
		{name: "server label", ctx: injTop, frag: func(w *injWriter, i int, v string) {
			w.printf("backend \"bx%d\" {\n  server ", i)
			w.val(injLit(v))
			w.printf(" { address = \"127.0.0.1:1\" }\n}\n")
		}},
		{name: "server address", ctx: injTop, tolerate: injUnresolved, frag: injServerAddr},
		{name: "server address (v:8080)", ctx: injTop, tolerate: injUnresolved, embed: func(v string) string { return v + ":8080" }, frag: injServerAddr},
		{name: "bind", ctx: injTop, frag: injBind},
		{name: "bind (127.0.0.1:v)", ctx: injTop, embed: func(v string) string { return "127.0.0.1:" + v }, frag: injBind},
		{name: "backend timeout_server", ctx: injTop, frag: func(w *injWriter, i int, v string) {
			w.printf("backend \"bx%d\" {\n  timeout_server = ", i)
			w.val(injLit(v))
			w.printf("\n  server \"s\" { address = \"127.0.0.1:1\" }\n}\n")
		}},
		{name: "frontend timeout_client", ctx: injTop, frag: func(w *injWriter, i int, v string) {
			w.printf("frontend \"ft%d\" {\n  bind = [\"127.0.0.1:%d\"]\n  default_backend = backend.hit\n  timeout_client = ", i, 20000+i)
			w.val(injLit(v))
			w.printf("\n}\n")
		}},
		{name: "health_check path", ctx: injTop, frag: injHealthCheck("path")},
		{name: "health_check method", ctx: injTop, frag: injHealthCheck("method")},
		{name: "health_check interval", ctx: injTop, frag: injHealthCheck("interval")},
		{name: "global log", ctx: injGlobalLog, tolerate: injUnresolved, frag: injElem},
		{name: "global log (v local0)", ctx: injGlobalLog, tolerate: injUnresolved, embed: func(v string) string { return v + " local0" }, frag: injElem},
		{name: "global raw", ctx: injGlobalRaw, tolerate: injRawSyntax, frag: injElem},
		{name: "global raw (log-tag v)", ctx: injGlobalRaw, tolerate: injRawSyntax, embed: func(v string) string { return "log-tag " + v }, frag: injElem},
		{name: "defaults raw", ctx: injDefaultsRaw, tolerate: injRawSyntax, frag: injElem},
		{name: "defaults raw (retries v)", ctx: injDefaultsRaw, tolerate: injRawSyntax, embed: func(v string) string { return "retries " + v }, frag: injElem},
		{name: "defaults log_format", ctx: injDefaults, tolerate: injSampleExpr, frag: func(w *injWriter, i int, v string) {
			w.printf("  log_format = ")
			w.val(injLit(v))
			w.printf("\n")
		}},
		{name: "defaults timeout_connect", ctx: injDefaults, frag: func(w *injWriter, i int, v string) {
			w.printf("  timeout_connect = ")
			w.val(injLit(v))
			w.printf("\n")
		}},
	}
}

// injUnresolved tolerates a DNS name haproxy -c cannot resolve here (no
// network): it resolves server and log addresses at startup.
func injUnresolved(msg string) bool {
	return strings.Contains(msg, "could not resolve address") || strings.Contains(msg, ": log : invalid address: '")
}

// injRawSyntax tolerates HAProxy refusing the arguments of a raw line, or
// config-parser not keeping it; never a quoting problem.
func injRawSyntax(msg string) bool {
	return !strings.Contains(msg, "quote") && (strings.Contains(msg, "' cannot handle unexpected argument") ||
		strings.Contains(msg, "' expects ") || strings.Contains(msg, "config-parser does not keep the line"))
}

// injSampleExpr tolerates HAProxy refusing what a %[...] sample expression
// of a log format holds.
func injSampleExpr(msg string) bool {
	return strings.Contains(msg, "failed to parse log-format : sample fetch <") ||
		strings.Contains(msg, "failed to parse log-format : failed to parse sample expression")
}

func injServerAddr(w *injWriter, i int, v string) {
	w.printf("backend \"bx%d\" {\n  server \"s\" { address = ", i)
	w.val(injLit(v))
	w.printf(" }\n}\n")
}

func injBind(w *injWriter, i int, v string) {
	w.printf("frontend \"fb%d\" {\n  bind = [", i)
	w.val(injLit(v))
	w.printf("]\n  default_backend = backend.hit\n}\n")
}

func injHealthCheck(attr string) func(w *injWriter, i int, v string) {
	return func(w *injWriter, i int, v string) {
		w.printf("backend \"bx%d\" {\n  health_check {\n    %s = ", i, attr)
		w.val(injLit(v))
		w.printf("\n  }\n  server \"s\" { address = \"127.0.0.1:1\" }\n}\n")
	}
}

// injElem writes one list element (global/defaults log and raw lists).
func injElem(w *injWriter, i int, v string) {
	w.printf("    ")
	w.val(injLit(v))
	w.printf(",\n")
}

// injProgram is a generated program and the range of the value's literal
// (of the last fragment written).
type injProgram struct {
	src        string
	vars       map[string]string
	start, end int
}

// injEnvAddrs are the addresses a program refers to: the frontend "f" bind
// and the backend servers (hit and b0..bN).
type injEnvAddrs struct {
	bind string
	hit  string
	b    []string // by value index; "" for unused
}

// injBuild writes the program holding the fragments of values (index ->
// value) of attribute a.
func injBuild(a injAttr, values map[int]string, addrs injEnvAddrs) injProgram {
	w := &injWriter{vars: map[string]string{}}
	idx := make([]int, 0, len(values))
	for i := range values {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	frags := func() {
		for _, i := range idx {
			a.frag(w, i, values[i])
		}
	}
	switch a.ctx {
	case injGlobalLog:
		w.printf("global {\n  log = [\n")
		frags()
		w.printf("  ]\n}\n")
	case injGlobalRaw:
		w.printf("global {\n  raw = [\n")
		frags()
		w.printf("  ]\n}\n")
	case injDefaultsRaw:
		w.printf("defaults {\n  raw = [\n")
		frags()
		w.printf("  ]\n}\n")
	case injDefaults:
		w.printf("defaults {\n")
		frags()
		w.printf("}\n")
	}
	w.printf("backend \"hit\" {\n  server \"s\" { address = %q }\n}\n", addrs.hit)
	if a.ctx == injInFrontend {
		for _, i := range idx {
			addr := "127.0.0.1:1"
			if i < len(addrs.b) && addrs.b[i] != "" {
				addr = addrs.b[i]
			}
			w.printf("backend \"b%d\" {\n  server \"s\" { address = %q }\n}\n", i, addr)
		}
	}
	w.printf("frontend \"f\" {\n  bind = [%q]\n  default_backend = backend.hit\n", addrs.bind)
	if a.ctx == injInFrontend {
		frags()
	}
	w.printf("}\n")
	if a.ctx == injTop {
		frags()
	}
	// Variable declarations go last so they do not move the recorded range.
	names := make([]string, 0, len(w.vars))
	for n := range w.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w.printf("variable %q {\n  type = string\n}\n", n)
	}
	return injProgram{src: w.b.String(), vars: w.vars, start: w.start, end: w.end}
}

const injFile = "inj.hcl"

// injCheck parses and checks a program.
func injCheck(p injProgram) (*lang.Program, hcl.Diagnostics) {
	f, diags := lang.Parse([]byte(p.src), injFile)
	prog, d := lang.Check([]*lang.File{f}, lang.Options{Vars: p.vars})
	return prog, append(diags, d...)
}

// injCompile compiles and renders a checked program into dir.
func injCompile(prog *lang.Program, dir string) (ir.Files, error) {
	cfg, diags := compiler.Compile(prog, compiler.Options{})
	if diags.HasErrors() {
		return nil, fmt.Errorf("compile: %s", injDiagText(diags))
	}
	return ir.Render(cfg, dir)
}

func injDiagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			b.WriteString(d.Error())
			b.WriteString("; ")
		}
	}
	return b.String()
}

// injDir returns a fresh absolute directory whose path only holds
// characters the renderer accepts in converter arguments.
func injDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "inj")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// injWrite writes rendered files into dir and returns the config path.
func injWrite(t *testing.T, dir string, files ir.Files) string {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, ir.ConfigFile)
}

// injShow abbreviates a value for messages.
func injShow(v string) string {
	if len(v) > 40 {
		return fmt.Sprintf("%q...(%d bytes)", v[:40], len(v))
	}
	return fmt.Sprintf("%q", v)
}

// injStat counts the outcome per attribute.
type injStat struct {
	accepted, rejected, tolerated int
	acceptedNames                 []string
}

func TestInjectionTable(t *testing.T) {
	hatest.Binary(t)
	values := injValues()
	if len(values) < 100 {
		t.Fatalf("only %d values in the table", len(values))
	}
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v.name] {
			t.Fatalf("duplicate value name %q", v.name)
		}
		seen[v.name] = true
	}
	stats := map[string]*injStat{}
	attrs := injAttrs()
	for _, a := range attrs {
		st := &injStat{}
		stats[a.name] = st
		t.Run(a.name, func(t *testing.T) {
			accepted := injCheckEach(t, a, values, st)
			injVerify(t, a, accepted, st)
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d values x %d attributes\n", len(values), len(attrs))
	fmt.Fprintf(&b, "%-34s %8s %8s %9s  accepted values\n", "attribute", "accepted", "rejected", "tolerated")
	for _, a := range attrs {
		st := stats[a.name]
		names := strings.Join(st.acceptedNames, " ")
		if len(names) > 150 {
			names = names[:150] + "..."
		}
		fmt.Fprintf(&b, "%-34s %8d %8d %9d  %s\n", a.name, st.accepted, st.rejected, st.tolerated, names)
	}
	t.Log("\n" + b.String())
}

// injCheckEach checks every value on its own: rejected with an error
// inside the value's expression, or accepted, compiled and rendered. It
// returns the accepted values by index.
func injCheckEach(t *testing.T, a injAttr, values []injValue, st *injStat) map[int]string {
	t.Helper()
	embed := a.embed
	if embed == nil {
		embed = injID
	}
	addrs := injEnvAddrs{bind: "127.0.0.1:1", hit: "127.0.0.1:1"}
	accepted := map[int]string{}
	for i, val := range values {
		v := embed(val.v)
		p := injBuild(a, map[int]string{i: v}, addrs)
		prog, diags := injCheck(p)
		if diags.HasErrors() {
			st.rejected++
			if !injErrorInRange(diags, p.start, p.end) {
				t.Errorf("%s %s: rejected, but no error lies in the value's range %d-%d (%q): %s",
					val.name, injShow(v), p.start, p.end, injExcerpt(p.src, p.start, p.end), injDiagText(diags))
			}
			continue
		}
		st.accepted++
		st.acceptedNames = append(st.acceptedNames, val.name)
		if _, err := injCompile(prog, "/etc/haproute/inj"); err != nil {
			if a.tolerate != nil && a.tolerate(err.Error()) {
				st.tolerated++
				t.Logf("tolerated: %s %s: %v", val.name, injShow(v), err)
			} else {
				t.Errorf("%s %s: accepted by check, but: %v", val.name, injShow(v), err)
			}
			continue
		}
		accepted[i] = v
	}
	return accepted
}

func injExcerpt(src string, start, end int) string {
	if end-start > 60 {
		return src[start:start+60] + "..."
	}
	return src[start:end]
}

// injErrorInRange reports whether an error diagnostic's subject overlaps
// [start, end) of the generated file.
func injErrorInRange(diags hcl.Diagnostics, start, end int) bool {
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Subject == nil || d.Subject.Filename != injFile {
			continue
		}
		if d.Subject.Start.Byte < end && d.Subject.End.Byte > start {
			return true
		}
	}
	return false
}

// injVerify puts all accepted values of one attribute into one program,
// requires haproxy -c to accept it and, for traffic attributes, checks with
// a real haproxy that every value reaches it literally.
func injVerify(t *testing.T, a injAttr, accepted map[int]string, st *injStat) {
	t.Helper()
	if len(accepted) == 0 {
		return
	}
	// Values that normalise to the same key would make duplicate or
	// ambiguous blocks; keep the first.
	key := a.key
	if key == nil {
		key = injID
	}
	groups := []map[int]string{{}}
	seenKey := map[string]bool{}
	idx := make([]int, 0, len(accepted))
	for i := range accepted {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		k := key(accepted[i])
		if seenKey[k] {
			continue
		}
		seenKey[k] = true
		if a.ctx == injDefaults {
			// One defaults block per program.
			groups = append(groups, map[int]string{i: accepted[i]})
			continue
		}
		groups[0][i] = accepted[i]
	}
	if a.ctx == injDefaults {
		groups = groups[1:]
	}
	for _, g := range groups {
		injVerifyGroup(t, a, g, st)
	}
}

func injVerifyGroup(t *testing.T, a injAttr, values map[int]string, st *injStat) {
	t.Helper()
	max := 0
	for i := range values {
		if i > max {
			max = i
		}
	}
	addrs := injEnvAddrs{hit: "127.0.0.1:1"}
	if a.traffic != injNoTraffic {
		// Servers first: a port FreePort returns is free only until the
		// next listener.
		srv := injStartServers(t, max+2)
		addrs.hit = srv.addrs[max+1]
		addrs.b = srv.addrs[:max+1]
	}
	addrs.bind = fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t))
	p := injBuild(a, values, addrs)
	prog, diags := injCheck(p)
	if diags.HasErrors() {
		t.Fatalf("the combined program of %d accepted values has errors: %s", len(values), injDiagText(diags))
	}
	dir := injDir(t)
	files, err := injCompile(prog, dir)
	if err != nil {
		t.Fatalf("combined program: %v", err)
	}
	cfgPath := injWrite(t, dir, files)
	if err := hatest.Check(t, cfgPath); err != nil {
		if !injHAProxyPerValue(t, a, values, st) {
			t.Errorf("haproxy -c rejects the combined program, but no value alone: %v", err)
		}
		return
	}
	if a.traffic == injNoTraffic {
		return
	}
	hatest.StartProxy(t, cfgPath, addrs.bind)
	for i, v := range values {
		injTrafficCheck(t, a, addrs.bind, i, v)
	}
}

// injHAProxyPerValue runs haproxy -c on each value alone and reports the
// ones it rejects. It returns true when it found at least one.
func injHAProxyPerValue(t *testing.T, a injAttr, values map[int]string, st *injStat) bool {
	t.Helper()
	found := false
	for i, v := range values {
		p := injBuild(a, map[int]string{i: v}, injEnvAddrs{bind: fmt.Sprintf("127.0.0.1:%d", hatest.FreePort(t)), hit: "127.0.0.1:1"})
		prog, diags := injCheck(p)
		if diags.HasErrors() {
			continue
		}
		dir := injDir(t)
		files, err := injCompile(prog, dir)
		if err != nil {
			continue
		}
		if err := hatest.Check(t, injWrite(t, dir, files)); err != nil {
			found = true
			if alert := injFirstAlert(err); a.tolerate != nil && a.tolerate(alert) {
				st.tolerated++
				t.Logf("tolerated: value %s: haproxy -c: %s", injShow(v), alert)
			} else {
				t.Errorf("value %s: accepted by check but haproxy -c rejects it: %v", injShow(v), alert)
			}
		}
	}
	return found
}

func injFirstAlert(err error) string {
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.Contains(l, "ALERT") {
			return l
		}
	}
	return err.Error()
}

// injTrafficCheck sends the requests that prove value v (index i) reached
// haproxy literally.
func injTrafficCheck(t *testing.T, a injAttr, addr string, i int, v string) {
	t.Helper()
	be := "b" + strconv.Itoa(i)
	do := func(req hatest.Request) *hatest.Response {
		t.Helper()
		if req.Host == "" {
			req.Host = "inj.test"
		}
		r, err := hatest.Do(addr, req)
		if err != nil {
			t.Fatalf("value %s: request %q: %v", injShow(v), req.Path, err)
		}
		return r
	}
	match := func(what string, hit, miss hatest.Request, checkMiss bool) {
		t.Helper()
		if r := do(hit); r.Backend != be {
			t.Errorf("value %s: a request with %s equal to the value went to %q (status %d), want %q", injShow(v), what, r.Backend, r.Status, be)
		}
		if !checkMiss {
			return
		}
		if r := do(miss); r.Backend == be {
			t.Errorf("value %s: a request with a slightly different %s also went to %q", injShow(v), what, be)
		}
	}
	switch a.traffic {
	case injSetHeader:
		r := do(hatest.Request{Path: "/sh/" + strconv.Itoa(i)})
		got, n := injHeaderIn(r.Body, "x-inj-v")
		if n != 1 || got != v {
			t.Errorf("value %s: backend received x-inj-v %s (%d times), want it byte for byte\nrequest head:\n%s", injShow(v), injShow(got), n, r.Body)
		}
	case injRedirect:
		r := do(hatest.Request{Path: "/rd/" + strconv.Itoa(i)})
		if r.Status != 302 || r.Location != v {
			t.Errorf("value %s: got status %d Location %s, want 302 and the value byte for byte", injShow(v), r.Status, injShow(r.Location))
		}
	case injMatchHeader:
		match("header X-Inj-M", hatest.Request{Header: [][2]string{{"X-Inj-M", v}}}, hatest.Request{Header: [][2]string{{"X-Inj-M", v + "x"}}}, true)
	case injMatchWhenHeader:
		match("header X-Inj-W", hatest.Request{Header: [][2]string{{"X-Inj-W", v}}}, hatest.Request{Header: [][2]string{{"X-Inj-W", v + "x"}}}, true)
	case injMatchPath:
		match("path", hatest.Request{Path: v}, hatest.Request{Path: v + "x"}, true)
	case injMatchPrefix:
		match("path", hatest.Request{Path: v}, hatest.Request{Path: v[:len(v)-1]}, len(v) > 1)
	case injMatchQuery:
		match("query parameter q", hatest.Request{Path: "/?q=" + v}, hatest.Request{Path: "/?q=" + v + "x"}, true)
	case injMatchHost:
		host, other := v, "x"+v
		if strings.HasPrefix(v, "*.") {
			host, other = "w"+v[1:], v[2:]
		}
		match("Host", hatest.Request{Host: host}, hatest.Request{Host: other}, true)
	}
}

// injHeaderIn finds header name (lower case) in a raw request head and
// returns its value exactly as sent (after "name: ") and how many times it
// occurs.
func injHeaderIn(head []byte, name string) (string, int) {
	var val string
	n := 0
	for _, line := range strings.Split(string(head), "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(k, name) {
			continue
		}
		n++
		val = strings.TrimPrefix(v, " ")
	}
	return val, n
}

// injServers are raw HTTP servers, one per address, that answer every
// request with "X-Backend: bN" and the request head exactly as received as
// the body. Unlike net/http they accept any bytes haproxy forwards, so a
// value reaches the test unaltered.
type injServers struct {
	addrs []string
}

func injStartServers(t *testing.T, n int) *injServers {
	t.Helper()
	s := &injServers{}
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		s.addrs = append(s.addrs, l.Addr().String())
		name := "b" + strconv.Itoa(i)
		if i == n-1 {
			name = "hit"
		}
		go injServe(l, name)
	}
	return s
}

func injServe(l net.Listener, name string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReaderSize(c, 1<<16)
			for {
				var head bytes.Buffer
				for {
					line, err := r.ReadString('\n')
					head.WriteString(line)
					if err != nil {
						return
					}
					if line == "\r\n" || line == "\n" {
						break
					}
				}
				resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nX-Backend: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", name, head.Len())
				if _, err := c.Write(append([]byte(resp), head.Bytes()...)); err != nil {
					return
				}
			}
		}()
	}
}

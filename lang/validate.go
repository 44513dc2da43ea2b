package lang

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

var nameRx = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

// validName reports whether s is a valid block label.
func validName(s string) bool { return nameRx.MatchString(s) }

// parseHost validates a host pattern: LDH labels (punycode for IDN) with an
// optional single leading "*.". It returns the lower-cased pattern.
func parseHost(s string) (Host, error) {
	h := Host{}
	name := strings.ToLower(s)
	if strings.HasPrefix(name, "*.") {
		h.Wildcard = true
		name = name[2:]
	}
	if name == "" {
		return h, fmt.Errorf("%q is not a host name", s)
	}
	if len(name) > 253 {
		return h, fmt.Errorf("host %q is longer than 253 characters", s)
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return h, fmt.Errorf("invalid host %q: %v", s, err)
		}
	}
	h.Name = name
	h.Labels = len(labels)
	return h, nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return fmt.Errorf("empty label")
	case l == "*":
		return fmt.Errorf("a wildcard is only allowed as the whole first label (\"*.example.com\")")
	case len(l) > 63:
		return fmt.Errorf("label %q is longer than 63 characters", l)
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with '-'", l)
	}
	for _, c := range l {
		if c >= 0x80 {
			return fmt.Errorf("non-ASCII label %q: write internationalised names in punycode (xn--...)", l)
		}
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("character %q is not allowed (letters, digits and '-' only)", c)
		}
	}
	return nil
}

// checkPath validates a path or path prefix.
func checkPath(s string) error {
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("a path must start with '/', got %q", s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("path %q is not valid UTF-8", s)
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("path %q contains whitespace or a control character", s)
		}
		// HAProxy answers 400 to a request line holding these bytes, so
		// such a path could never match.
		if c > 0x7f {
			return fmt.Errorf("path %q contains the non-ASCII character %q: write it percent-encoded (e.g. %%C3%%A9 for é), as clients send it", s, c)
		}
	}
	if strings.Contains(s, "#") {
		return fmt.Errorf("path %q contains '#': clients never send the fragment, and HAProxy rejects it in a request line", s)
	}
	if strings.Contains(s, "?") {
		return fmt.Errorf("path %q contains '?': paths are matched without the query string", s)
	}
	if len(s) > 1024 {
		return fmt.Errorf("path is longer than 1024 characters")
	}
	return nil
}

// checkRegex validates a regex: RE2 syntax (Go's regexp), printable, and
// without the few RE2 constructs PCRE reads differently.
func checkRegex(s string) error {
	if s == "" {
		return fmt.Errorf("empty regex")
	}
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return fmt.Errorf("regex contains a control character")
		}
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("regex is not valid UTF-8")
	}
	re, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		return fmt.Errorf("invalid regex %q: %v", s, err)
	}
	// RE2 accepts \C, \z as in PCRE; \Q..\E is fine. PCRE differs on
	// (?U) (ungreedy) and \pN forms without braces are fine in both.
	if strings.Contains(s, `\C`) {
		return fmt.Errorf("regex %q uses \\C, which HAProxy's PCRE reads differently", s)
	}
	if err := checkPCRE(s, re); err != nil {
		return fmt.Errorf("regex %q: %v", s, err)
	}
	if len(s) > 1024 {
		return fmt.Errorf("regex is longer than 1024 characters")
	}
	return nil
}

// checkPCRE rejects what RE2 accepts but HAProxy 2.6's PCRE2 (compiled
// without UTF mode, so it matches bytes) refuses or reads differently:
// a repeated assertion ("quantifier does not follow a repeatable item"),
// two groups with the same name, and \x escapes of characters above
// 0x7f (a byte to PCRE, a UTF-8 character to RE2; above 0xff PCRE fails
// with "character code point value in \x{} ... is too large"). re is s
// parsed; the rest needs the source text, because RE2's tree no longer
// tells "\b*" from "(?:\b)*", which PCRE accepts.
func checkPCRE(s string, re *syntax.Regexp) error {
	names := map[string]bool{}
	var dup string
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		if r.Op == syntax.OpCapture && r.Name != "" {
			if names[r.Name] {
				dup = r.Name
			}
			names[r.Name] = true
		}
		for _, sub := range r.Sub {
			walk(sub)
		}
	}
	walk(re)
	if dup != "" {
		return fmt.Errorf("two groups are named %q, which PCRE does not allow", dup)
	}
	assertion := false // the previous item is ^, $, \b, \B, \A or \z
	for i := 0; i < len(s); i++ {
		c := s[i]
		wasAssertion := assertion
		assertion = false
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch n := s[i]; n {
			case 'Q':
				end := strings.Index(s[i:], `\E`)
				if end < 0 {
					return nil
				}
				i += end + 1
			case 'b', 'B', 'A', 'z':
				assertion = true
			case 'x':
				hex := ""
				if i+1 < len(s) && s[i+1] == '{' {
					end := strings.IndexByte(s[i:], '}')
					hex, i = s[i+2:i+end], i+end
				} else if i+2 < len(s) {
					hex, i = s[i+1:i+3], i+2
				}
				if v, err := strconv.ParseUint(hex, 16, 32); err == nil && v > 0x7f {
					return fmt.Errorf(`\x escape of %#x: HAProxy's PCRE matches bytes, not UTF-8 characters; write the character itself`, v)
				}
			case 'p', 'P':
				if i+1 < len(s) && s[i+1] == '{' {
					i += strings.IndexByte(s[i:], '}')
				} else {
					i++
				}
			}
		case c == '[':
			// Skip the class: a leading ^ and ], [:name:] and escapes.
			i++
			if i < len(s) && s[i] == '^' {
				i++
			}
			if i < len(s) && s[i] == ']' {
				i++
			}
			for ; i < len(s) && s[i] != ']'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && s[i+1] == 'x':
					hex := ""
					if i+2 < len(s) && s[i+2] == '{' {
						end := strings.IndexByte(s[i:], '}')
						hex, i = s[i+3:i+end], i+end
					} else if i+3 < len(s) {
						hex, i = s[i+2:i+4], i+3
					}
					if v, err := strconv.ParseUint(hex, 16, 32); err == nil && v > 0x7f {
						return fmt.Errorf(`\x escape of %#x: HAProxy's PCRE matches bytes, not UTF-8 characters; write the character itself`, v)
					}
				case s[i] == '\\':
					i++
				case strings.HasPrefix(s[i:], "[:"):
					if end := strings.Index(s[i:], ":]"); end >= 0 {
						i += end + 1
					}
				}
			}
		case c == '^' || c == '$':
			assertion = true
		case c == '*' || c == '+' || c == '?' || c == '{' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			if wasAssertion {
				return fmt.Errorf("the quantifier %q follows an assertion (^, $, \\b, \\B, \\A or \\z), which PCRE cannot repeat", c)
			}
		case c == '(' && strings.HasPrefix(s[i:], "(?"):
			i++ // the '?' of a group header is not a quantifier
		}
	}
	return nil
}

// parseCIDR validates an IP or CIDR. It returns the prefix and, when host
// bits are set, the canonical form to suggest.
func parseCIDR(s string) (netip.Prefix, string, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, "", fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), "", nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, "", fmt.Errorf("%q is not a valid CIDR", s)
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		if p.Bits() < 0 {
			return netip.Prefix{}, "", fmt.Errorf("%q is not a valid CIDR", s)
		}
	}
	if m := p.Masked(); m != p {
		return m, m.String(), nil
	}
	return p, "", nil
}

// parseAddress validates "host:port" where host is IPv4, [IPv6] or a DNS
// name.
func parseAddress(s string) (host string, port int, err error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("%q has no port (want host:port)", s)
	}
	host, ps := s[:i], s[i+1:]
	port, perr := strconv.Atoi(ps)
	if perr != nil || port < 1 || port > 65535 || strings.HasPrefix(ps, "+") {
		return "", 0, fmt.Errorf("invalid port %q in %q (1-65535)", ps, s)
	}
	switch {
	case strings.HasPrefix(host, "["):
		if !strings.HasSuffix(host, "]") {
			return "", 0, fmt.Errorf("invalid IPv6 address in %q", s)
		}
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", 0, fmt.Errorf("invalid IPv6 address in %q", s)
		}
		return a.String(), port, nil
	case strings.Contains(host, ":"):
		return "", 0, fmt.Errorf("IPv6 addresses must be in brackets: %q", s)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String(), port, nil
	}
	if looksNumeric(host) {
		return "", 0, fmt.Errorf("invalid IPv4 address in %q", s)
	}
	h, err := parseHost(host)
	if err != nil || h.Wildcard {
		return "", 0, fmt.Errorf("invalid host in %q", s)
	}
	return h.Name, port, nil
}

func looksNumeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.") == ""
}

// parseBind validates a bind address "addr:port" where addr is "*", empty,
// an IPv4 address or [IPv6]. It returns the canonical form.
func parseBind(s string) (string, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", fmt.Errorf("%q has no port (want addr:port, e.g. \"*:80\")", s)
	}
	host, ps := s[:i], s[i+1:]
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 || strings.HasPrefix(ps, "+") {
		return "", fmt.Errorf("invalid port %q in %q", ps, s)
	}
	switch {
	case host == "*" || host == "":
		return "*:" + strconv.Itoa(port), nil
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", fmt.Errorf("invalid IPv6 address in %q", s)
		}
		return "[" + a.String() + "]:" + strconv.Itoa(port), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return "", fmt.Errorf("invalid bind address %q (want *, an IPv4 address or [IPv6])", host)
	}
	return a.String() + ":" + strconv.Itoa(port), nil
}

var durationRx = regexp.MustCompile(`^([0-9]{1,9})(us|ms|s|m|h|d)?$`)

// maxDurationMS is the longest timer HAProxy accepts: "timer overflow
// ... maximum value is 2147483647 ms (~24.8 days)".
const maxDurationMS = 1<<31 - 1

// durationUnitUS is the length of each duration unit in microseconds; a
// bare number is milliseconds.
var durationUnitUS = map[string]int64{"us": 1, "": 1000, "ms": 1000, "s": 1e6, "m": 60e6, "h": 3600e6, "d": 86400e6}

// checkDuration validates an HAProxy duration ("500ms", "5s", "1m").
func checkDuration(s string) error {
	m := durationRx.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not a duration (a number followed by us, ms, s, m, h or d, e.g. \"500ms\", \"5s\")", s)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	if n*durationUnitUS[m[2]] > maxDurationMS*1000 {
		return fmt.Errorf("duration %q is too long: HAProxy's timers hold at most 2147483647ms (about 24.8 days)", s)
	}
	return nil
}

var tokenRx = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// checkHeaderName validates a header name. HTTP allows a few more token
// characters; haproute accepts the ones that are safe in every HAProxy
// context (letters, digits, '.', '_' and '-').
func checkHeaderName(s string) error {
	if !tokenRx.MatchString(s) {
		return fmt.Errorf("invalid header name %q: use letters, digits, '-', '_' and '.'", s)
	}
	return nil
}

// checkHeaderValue validates a header value: no control characters (HTTP
// forbids them), valid UTF-8, at most 4096 bytes, not empty and without
// leading or trailing blanks (HTTP strips them, so such a value could
// neither be sent nor matched as written; HAProxy drops an empty word).
func checkHeaderValue(s string) error {
	if s == "" {
		return fmt.Errorf("empty header value")
	}
	if strings.TrimLeft(s, " \t") != s || strings.TrimRight(s, " \t") != s {
		return fmt.Errorf("header value %q starts or ends with a blank, which HTTP strips", s)
	}
	return checkText(s)
}

// checkText validates a one-line text value: no control characters, valid
// UTF-8, and at most 4096 bytes.
func checkText(s string) error {
	for _, c := range s {
		if c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("header value contains a control character")
		}
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("header value is not valid UTF-8")
	}
	if len(s) > 4096 {
		return fmt.Errorf("header value is longer than 4096 bytes")
	}
	return nil
}

// logFormatVars are HAProxy 2.6's log-format variables ("%ci", "%Tq", ...).
var logFormatVars = []string{"o", "B", "CC", "CS", "H", "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "ST", "T", "Ta",
	"Tc", "Td", "Th", "Ti", "Tl", "Tq", "TR", "Tr", "Ts", "Tt", "Tu", "Tw", "U", "ac", "b", "bc", "bi", "bp", "bq",
	"ci", "cp", "f", "fc", "fi", "fp", "ft", "hr", "hrl", "hs", "hsl", "lc", "ms", "pid", "r", "rc", "rt", "s", "sc",
	"si", "sp", "sq", "sslc", "sslv", "t", "tr", "trg", "trl", "ts", "tsc"}

// httpOnlyLogVars are the log-format variables HAProxy 2.6 reserves for
// HTTP mode, and httpOnlyFetches the sample fetches it refuses in a tcp
// proxy's log-format ("needs 'HTTP request headers'"). Both were read from
// haproxy -c of a tcp frontend; internal/hatest's facts test checks them.
var (
	httpOnlyLogVars = []string{"CC", "CS", "HM", "HP", "HPO", "HQ", "HU", "HV", "Ta", "Ti", "Tq", "TR", "Tr", "r", "tr", "trg", "trl"}
	httpOnlyFetches = []string{"base", "base32", "base32+src", "cook", "cook_cnt", "cook_val", "hdr", "hdr_cnt", "hdr_ip", "hdr_val",
		"http_auth_type", "path", "pathq", "query", "req.body", "req.body_len", "req.body_param", "req.body_size", "req.cook",
		"req.cook_cnt", "req.cook_val", "req.fhdr", "req.hdr", "req.hdr_cnt", "req.hdr_ip", "req.hdr_val", "req.hdrs",
		"req.hdrs_bin", "req.ver", "res.body", "res.cook", "res.cook_cnt", "res.cook_val", "res.fhdr", "res.fhdr_cnt", "res.hdr",
		"res.hdr_cnt", "res.hdr_ip", "res.hdr_val", "res.hdrs", "res.ver", "scook", "shdr", "url", "url32", "url_ip",
		"url_param", "url_port", "urlp"}
)

// HTTPOnlyLogItems returns the lists above (for the facts test).
func HTTPOnlyLogItems() (vars, fetches []string) { return httpOnlyLogVars, httpOnlyFetches }

// LogFormatVars returns the log-format variables the checker accepts.
func LogFormatVars() []string { return logFormatVars }

// httpOnlyLogItems lists what a valid log-format string uses that HAProxy
// has in HTTP mode only ("%r", "%[req.hdr(host)]"), in order, once each.
func httpOnlyLogItems(s string) []string {
	var out []string
	items, _ := logFormatItems(s)
	for _, it := range items {
		var bad bool
		if it.sample {
			name := it.text
			if j := strings.IndexAny(name, "(,"); j >= 0 {
				name = name[:j]
			}
			bad = contains(httpOnlyFetches, strings.TrimSpace(name))
		} else {
			bad = contains(httpOnlyLogVars, it.text)
		}
		if bad && !contains(out, it.String()) {
			out = append(out, it.String())
		}
	}
	return out
}

// logItem is one '%' expression of a log-format string: a variable
// ("%ci": text "ci") or a sample expression ("%[src]": text "src").
type logItem struct {
	text   string
	sample bool
}

func (it logItem) String() string {
	if it.sample {
		return "%[" + it.text + "]"
	}
	return "%" + it.text
}

// logFormatItems splits a log-format string into its '%' expressions
// ("%%", "%VAR", "%{FLAGS}VAR", "%[SAMPLE]", "%{FLAGS}[SAMPLE]"; flags
// are skipped), failing on a malformed one.
func logFormatItems(s string) ([]logItem, error) {
	var items []logItem
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		rest := s[i+1:]
		if strings.HasPrefix(rest, "%") {
			i++
			continue
		}
		if strings.HasPrefix(rest, "{") {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return items, fmt.Errorf("unterminated %%{ in log format %q", s)
			}
			rest = rest[end+1:]
		}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 2 {
				return items, fmt.Errorf("unterminated or empty %%[...] in log format %q (write %%%% for a literal %%)", s)
			}
			items = append(items, logItem{text: rest[1:end], sample: true})
			i = len(s) - len(rest) + end
			continue
		}
		n := 0
		for n < len(rest) && (rest[n] >= 'a' && rest[n] <= 'z' || rest[n] >= 'A' && rest[n] <= 'Z') {
			n++
		}
		items = append(items, logItem{text: rest[:n]})
		i = len(s) - len(rest) + n - 1
	}
	return items, nil
}

// checkLogFormat validates a log-format string given by the operator: a
// one-line text whose '%' sequences are well formed ("%%", "%VAR",
// "%{FLAGS}VAR", "%[SAMPLE]", "%{FLAGS}[SAMPLE]"). What a sample
// expression holds is left to HAProxy.
func checkLogFormat(s string) error {
	if err := checkText(s); err != nil {
		return err
	}
	items, err := logFormatItems(s)
	if err != nil {
		return err
	}
	for _, it := range items {
		if !it.sample && !contains(logFormatVars, it.text) {
			return fmt.Errorf("unknown log-format variable %%%s in %q (write %%%% for a literal %%)", it.text, s)
		}
	}
	return nil
}

var methodRx = regexp.MustCompile(`^[A-Z][A-Z-]{0,31}$`)

// checkMethod validates an HTTP method (upper case token).
func checkMethod(s string) error {
	if !methodRx.MatchString(s) {
		return fmt.Errorf("invalid HTTP method %q: write it in upper case (GET, POST, ...)", s)
	}
	return nil
}

// checkRedirect validates a redirect target: an absolute http(s) URL or a
// path, printable, without whitespace.
func checkRedirect(s string) error {
	if s == "" {
		return fmt.Errorf("empty redirect target")
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("redirect target %q contains whitespace or a control character", s)
		}
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("redirect target is not valid UTF-8")
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return nil
	}
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		if len(s) > len("https://") {
			return nil
		}
	}
	return fmt.Errorf("redirect target %q must be a path (/...) or an http:// or https:// URL", s)
}

// rawGlobalKeywords and rawDefaultsKeywords are the keywords accepted in
// raw lines.
var rawGlobalKeywords = map[string]bool{
	"tune.bufsize": true, "tune.maxrewrite": true, "tune.http.maxhdr": true, "tune.ssl.default-dh-param": true,
	"ssl-default-bind-ciphers": true, "ssl-default-bind-options": true, "ssl-default-bind-ciphersuites": true,
	"hard-stop-after": true, "spread-checks": true, "max-spread-checks": true, "pidfile": true,
	"ulimit-n": true, "user": true, "group": true, "chroot": true, "daemon": true, "insecure-fork-wanted": true,
	"log-send-hostname": true, "log-tag": true, "server-state-file": true, "server-state-base": true,
	"tune.h2.max-concurrent-streams": true, "tune.http.logurilen": true, "tune.idletimer": true,
	"busy-polling": true, "localpeer": true, "setenv": true, "presetenv": true, "unsetenv": true,
	"stats": true, "maxconnrate": true, "maxsessrate": true, "maxsslconn": true, "noreuseport": true,
}

var rawDefaultsKeywords = map[string]bool{
	"option": true, "no": true, "retries": true, "timeout": true, "balance": true,
	"maxconn": true, "log": true, "errorfile": true, "default-server": true, "http-reuse": true,
	"compression": true, "load-server-state-from-file": true, "fullconn": true, "backlog": true,
	"hash-type": true, "http-check": true, "retry-on": true,
}

// checkRaw validates a raw pass-through line for global or defaults.
func checkRaw(s string, allowed map[string]bool) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return fmt.Errorf("a raw line must be a single line")
	}
	for _, c := range s {
		if c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("raw line contains a control character")
		}
	}
	if strings.Contains(s, "#") {
		return fmt.Errorf("a raw line must not contain '#'")
	}
	if err := checkQuotes(s); err != nil {
		return err
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		return fmt.Errorf("empty raw line")
	}
	if !allowed[f[0]] {
		var kws []string
		for k := range allowed {
			kws = append(kws, k)
		}
		return fmt.Errorf("keyword %q is not accepted in raw lines.%s", f[0], didYouMean(f[0], kws))
	}
	return nil
}

// checkQuotes reports a quote that HAProxy would find unterminated, or a
// line ending in a lone backslash.
func checkQuotes(s string) error {
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			if i+1 == len(s) {
				return fmt.Errorf("a raw line must not end with a backslash")
			}
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		}
	}
	if quote != 0 {
		return fmt.Errorf("unterminated %c quote in raw line", quote)
	}
	return nil
}

var (
	logFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
		"ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	logLevels  = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	logFormats = []string{"local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"}
	// logAddrRx is the address of a log target: stdout, stderr, fd@N,
	// ring@NAME, a unix socket path, or [udp@|udp4@|udp6@]host[:port].
	// Only characters HAProxy reads literally in an unquoted word.
	logAddrRx   = regexp.MustCompile(`^(stdout|stderr|fd@[0-9]+|ring@[A-Za-z0-9_.-]+|(unix@)?/[A-Za-z0-9_./+=,@:-]*|((udp|udp4|udp6)@)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?)$`)
	logSampleRx = regexp.MustCompile(`^[0-9][0-9,-]*:[0-9]+$`)
)

// logHostOK checks the host of a [udp@]host[:port] log address (other
// forms pass): an IP address or a valid DNS name.
func logHostOK(addr string) bool {
	if addr == "stdout" || addr == "stderr" || strings.Contains(addr, "/") ||
		strings.HasPrefix(addr, "fd@") || strings.HasPrefix(addr, "ring@") {
		return true
	}
	if i := strings.IndexByte(addr, '@'); i >= 0 {
		addr = addr[i+1:]
	}
	if strings.HasPrefix(addr, "[") {
		end := strings.IndexByte(addr, ']')
		a, err := netip.ParseAddr(addr[1:end])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	host, _, _ := strings.Cut(addr, ":")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	h, err := parseHost(host)
	return err == nil && !h.Wildcard && !looksNumeric(host)
}

// checkLogTarget validates a global log target: "ADDRESS [len N]
// [format FORMAT] [sample RANGES:SIZE] FACILITY [LEVEL [MINLEVEL]]", the
// form HAProxy 2.6 reads. The line is passed through unquoted, so only
// this grammar (no quotes, '$', '\\' or '#') is accepted.
func checkLogTarget(s string) error {
	f := strings.Fields(s)
	if len(f) == 0 {
		return fmt.Errorf("empty log target")
	}
	if strings.ContainsAny(s, "\r\n\x00#") || !logAddrRx.MatchString(f[0]) || !logHostOK(f[0]) {
		return fmt.Errorf("invalid log address %q: use stdout, stderr, fd@N, ring@NAME, a socket path or host[:port]", f[0])
	}
	f = f[1:]
	for _, opt := range []string{"len", "format", "sample"} {
		if len(f) < 2 || f[0] != opt {
			continue
		}
		var err error
		switch opt {
		case "len":
			if n, e := strconv.Atoi(f[1]); e != nil || n < 80 || n > 65535 {
				err = fmt.Errorf("invalid log length %q: 80 to 65535", f[1])
			}
		case "format":
			if !contains(logFormats, f[1]) {
				err = fmt.Errorf("unknown log format %q.%s", f[1], didYouMean(f[1], logFormats))
			}
		case "sample":
			if !logSampleRx.MatchString(f[1]) {
				err = fmt.Errorf("invalid log sample %q (want RANGES:SIZE, e.g. 1-3:5)", f[1])
			}
		}
		if err != nil {
			return err
		}
		f = f[2:]
	}
	if len(f) == 0 {
		return fmt.Errorf("missing log facility (e.g. local0) after %q", s)
	}
	if !contains(logFacilities, f[0]) {
		return fmt.Errorf("unknown log facility %q.%s", f[0], didYouMean(f[0], logFacilities))
	}
	if len(f) > 3 {
		return fmt.Errorf("unexpected %q after the log levels", f[3])
	}
	for _, l := range f[1:] {
		if !contains(logLevels, l) {
			return fmt.Errorf("unknown log level %q.%s", l, didYouMean(l, logLevels))
		}
	}
	return nil
}

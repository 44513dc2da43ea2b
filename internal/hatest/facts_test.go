package hatest

// Regression checks for HAProxy behaviours the config generator relies on.
// Each fact is verified with real traffic through a real haproxy (or with
// `haproxy -c` where only acceptance matters). The assertions pin the
// behaviour observed with HAProxy 2.6.12.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// factEnv is one running haproxy with backends b1 and b2.
type factEnv struct {
	Addr   string
	Dir    string
	B1, B2 *Backend
	Proxy  *Proxy
}

// factConfig renders a complete config whose frontend "fe" contains the
// given lines (one per line, indented by the caller's text as-is).
func factConfig(addr, b1, b2, frontend string) string {
	return fmt.Sprintf(`defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s

frontend fe
    bind %s
%s
    default_backend b1

backend b1
    server s1 %s

backend b2
    server s1 %s
`, addr, frontend, b1, b2)
}

// startFact writes extra files into a fresh directory (name -> content; the
// placeholder DIR in frontend is replaced by that directory), checks the
// config and starts haproxy.
func startFact(t *testing.T, frontend string, files map[string]string) *factEnv {
	t.Helper()
	e := &factEnv{Dir: SocketDir(t), B1: StartBackend(t, "b1"), B2: StartBackend(t, "b2")}
	for name, content := range files {
		WriteFile(t, filepath.Join(e.Dir, name), content)
	}
	e.Addr = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	frontend = strings.ReplaceAll(frontend, "DIR", e.Dir)
	cfg := WriteFile(t, filepath.Join(e.Dir, "haproxy.cfg"), factConfig(e.Addr, e.B1.Addr, e.B2.Addr, frontend))
	if err := Check(t, cfg); err != nil {
		t.Fatal(err)
	}
	e.Proxy = StartProxy(t, cfg, e.Addr)
	return e
}

func (e *factEnv) do(t *testing.T, req Request) *Response {
	t.Helper()
	resp, err := Do(e.Addr, req)
	if err != nil {
		t.Fatalf("request %+v: %v\nhaproxy output:\n%s", req, err, e.Proxy.Output())
	}
	return resp
}

// checkOnly writes a config with the given frontend lines and returns the
// result of `haproxy -c`.
func checkOnly(t *testing.T, frontend string) error {
	t.Helper()
	dir := t.TempDir()
	cfg := WriteFile(t, filepath.Join(dir, "haproxy.cfg"),
		factConfig(fmt.Sprintf("127.0.0.1:%d", FreePort(t)), "127.0.0.1:1", "127.0.0.1:2", frontend))
	return Check(t, cfg)
}

func TestHAProxyFacts(t *testing.T) {
	Binary(t)

	// Fact 1: quoting and %-escaping in set-header values (log-format strings).
	t.Run("1_set_header_quoting", func(t *testing.T) {
		e := startFact(t, `    http-request set-header X-Pct 'a b %% c'
    http-request set-header X-Src-Lit '%%[src]'
    http-request set-header X-Src '%[src]'
    http-request set-header X-Quote 'it'\''s'
    http-request set-header X-Hash 'a#b'
    http-request set-header X-Bs 'a\b'
    http-request set-header X-Bs2 'a\\b'
    http-request set-header X-Dq 'a"b'
    http-request set-header X-Braces '{a}'
    http-request set-header X-Env '$HOME'
    http-request set-header X-Env2 '${HOME}'
    http-request set-header X-All 'x # \ " { } $HOME y'`, nil)
		h := e.do(t, Request{Host: "a.test"}).Echo.Headers
		for _, c := range []struct{ hdr, want string }{
			{"x-pct", "a b % c"},
			{"x-src-lit", "%[src]"},
			{"x-src", "127.0.0.1"},
			{"x-quote", "it's"},
			{"x-hash", "a#b"},
			{"x-bs", `a\b`},
			{"x-bs2", `a\\b`},
			{"x-dq", `a"b`},
			{"x-braces", "{a}"},
			{"x-env", "$HOME"},
			{"x-env2", "${HOME}"},
			{"x-all", `x # \ " { } $HOME y`},
		} {
			got, ok := h[c.hdr]
			t.Logf("%s: got %q (present=%v)", c.hdr, got, ok)
			if got != c.want {
				t.Errorf("%s = %q, want %q", c.hdr, got, c.want)
			}
		}
	})

	// Fact 1b (extra): quoting pitfalls next to fact 1.
	t.Run("1b_quoting_pitfalls", func(t *testing.T) {
		// A lone % followed by a letter is a log-format alias, not literal:
		// '%b' is the backend name, which during frontend http-request
		// processing is still the frontend ("fe"), so 'a%b' yields "afe".
		// Double quotes expand environment variables; single quotes do not.
		e := startFact(t, `    http-request set-header X-PctB 'a%b'
    http-request set-header X-Dq-Env "a $HOME b"
    http-request set-header X-Pct2 '%%'`, nil)
		h := e.do(t, Request{Host: "a.test"}).Echo.Headers
		t.Logf("'a%%b' -> %q; \"a $HOME b\" -> %q; '%%%%' -> %q", h["x-pctb"], h["x-dq-env"], h["x-pct2"])
		if h["x-pctb"] != "afe" {
			t.Errorf("'a%%b' -> %q, want %q", h["x-pctb"], "afe")
		}
		if want := "a " + os.Getenv("HOME") + " b"; h["x-dq-env"] != want {
			t.Errorf("double-quoted $HOME: got %q, want %q", h["x-dq-env"], want)
		}
		if h["x-pct2"] != "%" {
			t.Errorf("'%%%%' -> %q, want %%", h["x-pct2"])
		}
		// Rejected by haproxy -c.
		for _, c := range []struct{ line, errPart string }{
			{`http-request set-header X-T '100%'`, "truncated line after '%'"},
			{`http-request set-header X-T 'a %[src'`, "missing ']'"},
			{`http-request set-header X-T 'a\'b'`, "unmatched quote"},
			// An empty quoted word is dropped, so an empty value cannot be
			// written as '' or "".
			{`http-request set-header X-T ''`, "expects exactly 2 arguments"},
			{`http-request set-header X-T ""`, "expects exactly 2 arguments"},
		} {
			err := checkOnly(t, "    "+c.line)
			t.Logf("%s -> %v", c.line, firstAlert(err))
			if err == nil || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("%s: want error containing %q, got %v", c.line, c.errPart, err)
			}
		}
	})

	// Fact 2: %% in a redirect location is a literal %.
	t.Run("2_redirect_location_percent", func(t *testing.T) {
		e := startFact(t, `    http-request redirect location 'https://x.test/a%%b' code 301`, nil)
		r := e.do(t, Request{Host: "a.test", Path: "/anything"})
		t.Logf("status %d Location %q", r.Status, r.Location)
		if r.Status != 301 || r.Location != "https://x.test/a%b" {
			t.Errorf("got %d %q, want 301 %q", r.Status, r.Location, "https://x.test/a%b")
		}
		if e.B1.Count() != 0 {
			t.Errorf("backend was reached")
		}
	})

	// Fact 3: a regex with a space inside single quotes is one pattern.
	t.Run("3_regex_in_single_quotes", func(t *testing.T) {
		if err := checkOnly(t, `    acl a path -m reg '^/a b'
    http-request deny if a`); err != nil {
			t.Fatalf("haproxy -c rejected it: %v", err)
		}
		// Prove the space is part of the regex (a request path cannot
		// contain a raw space, so use a header sample instead).
		e := startFact(t, `    acl a req.hdr(x-t) -m reg '^/a b'
    http-request deny deny_status 403 if a`, nil)
		for _, c := range []struct {
			val  string
			want int
		}{{"/a b", 403}, {"/a bc", 403}, {"/a", 200}, {"/ab", 200}, {"b", 200}} {
			r := e.do(t, Request{Host: "a.test", Header: [][2]string{{"X-T", c.val}}})
			t.Logf("x-t %q -> %d", c.val, r.Status)
			if r.Status != c.want {
				t.Errorf("x-t %q: status %d, want %d", c.val, r.Status, c.want)
			}
		}
	})

	// Facts 4, 5, 6: field() with negative index and count, concat() with a
	// variable, map_str on a missing key and dynamic use_backend.
	varsFrontend := `    http-request set-var(txn.hh) req.hdr(host),field(1,:),lower
    http-request set-var(txn.k) var(txn.hh),field(-1,.,2)
    http-request set-var(txn.path) path
    http-request set-var(txn.hp) var(txn.hh),concat(,txn.path)
    http-request set-var(txn.be) var(txn.hp),map_str(DIR/hosts.map)
    http-request set-header X-HH %[var(txn.hh)]
    http-request set-header X-K %[var(txn.k)]
    http-request set-header X-HP %[var(txn.hp)]
    http-request set-header X-BE-Found yes if { var(txn.be) -m found }
    http-request set-header X-BE-Missing yes if !{ var(txn.be) -m found }
    use_backend %[var(txn.be)] if { var(txn.be) -m found }`
	varsFiles := map[string]string{"hosts.map": "z.q.a.test/x b2\nz.q.a.test/y b1\n"}

	t.Run("4_field_negative_index_count", func(t *testing.T) {
		e := startFact(t, varsFrontend, varsFiles)
		h := e.do(t, Request{Host: "Z.Q.a.test:8080", Path: "/nomatch"}).Echo.Headers
		t.Logf("txn.hh=%q txn.k=%q", h["x-hh"], h["x-k"])
		if h["x-hh"] != "z.q.a.test" {
			t.Errorf("txn.hh = %q, want %q", h["x-hh"], "z.q.a.test")
		}
		if h["x-k"] != "a.test" {
			t.Errorf("txn.k = %q, want %q", h["x-k"], "a.test")
		}
	})

	t.Run("5_concat_var", func(t *testing.T) {
		e := startFact(t, varsFrontend, varsFiles)
		h := e.do(t, Request{Host: "Z.Q.a.test:8080", Path: "/some/path?q=1"}).Echo.Headers
		t.Logf("txn.hp=%q", h["x-hp"])
		if h["x-hp"] != "z.q.a.test/some/path" {
			t.Errorf("txn.hp = %q, want %q", h["x-hp"], "z.q.a.test/some/path")
		}
	})

	t.Run("6_map_miss_leaves_var_unset", func(t *testing.T) {
		e := startFact(t, varsFrontend, varsFiles)
		// Key absent: variable not set, default_backend b1 is used.
		r := e.do(t, Request{Host: "Z.Q.a.test:8080", Path: "/nomatch"})
		t.Logf("miss: backend=%q found=%q missing=%q", r.Backend, r.Echo.Headers["x-be-found"], r.Echo.Headers["x-be-missing"])
		if r.Backend != "b1" || r.Echo.Headers["x-be-found"] != "" || r.Echo.Headers["x-be-missing"] != "yes" {
			t.Errorf("miss: backend %q, headers %v", r.Backend, r.Echo.Headers)
		}
		// Key present: routed to the backend named by the map value.
		r = e.do(t, Request{Host: "Z.Q.a.test:8080", Path: "/x"})
		t.Logf("hit /x: backend=%q found=%q", r.Backend, r.Echo.Headers["x-be-found"])
		if r.Backend != "b2" || r.Echo.Headers["x-be-found"] != "yes" || r.Echo.Headers["x-be-missing"] != "" {
			t.Errorf("hit /x: backend %q, headers %v", r.Backend, r.Echo.Headers)
		}
		r = e.do(t, Request{Host: "z.q.a.test", Path: "/y"})
		t.Logf("hit /y: backend=%q found=%q", r.Backend, r.Echo.Headers["x-be-found"])
		if r.Backend != "b1" || r.Echo.Headers["x-be-found"] != "yes" {
			t.Errorf("hit /y: backend %q, headers %v", r.Backend, r.Echo.Headers)
		}
		if e.B2.Count() != 1 || e.B1.Count() != 2 {
			t.Errorf("counts b1=%d b2=%d, want 2 and 1", e.B1.Count(), e.B2.Count())
		}
	})

	// Fact 7: `src -f FILE` with IPv4 CIDRs and IPv6 entries mixed.
	t.Run("7_src_acl_file_mixed_families", func(t *testing.T) {
		e := startFact(t, `    http-request set-header X-A yes if { src -f DIR/a.lst }
    http-request set-header X-B yes if { src -f DIR/b.lst }
    http-request set-header X-C yes if { src -f DIR/c.lst }
    http-request deny deny_status 403 if { src -f DIR/deny.lst }`, map[string]string{
			// exact /32 among IPv6 entries and comments
			"a.lst": "# mixed list\n2001:db8::/32\n10.0.0.0/8\n::1\n127.0.0.2/32\nfe80::1\n192.168.0.0/16\n",
			// IPv6 entries first, then a /31 covering 127.0.0.2 and 127.0.0.3
			"b.lst": "2001:db8::1\n::/128\n127.0.0.2/31\n",
			// IPv4-mapped IPv6 entry only
			"c.lst": "::ffff:127.0.0.4\n",
			// the spec case: deny 127.0.0.2 via a mixed list
			"deny.lst": "2001:db8::/32\n10.0.0.0/8\n::1\n127.0.0.2\n",
		})
		for _, c := range []struct {
			src      string
			status   int
			a, b, cc string
		}{
			{"127.0.0.1", 200, "", "", ""},
			{"127.0.0.2", 403, "", "", ""},
			{"127.0.0.3", 200, "", "yes", ""},
			{"127.0.0.4", 200, "", "", "yes"},
		} {
			r := e.do(t, Request{Host: "a.test", Src: c.src})
			h := r.Echo.Headers
			t.Logf("src %s: status %d a=%q b=%q c=%q", c.src, r.Status, h["x-a"], h["x-b"], h["x-c"])
			if r.Status != c.status || h["x-a"] != c.a || h["x-b"] != c.b || h["x-c"] != c.cc {
				t.Errorf("src %s: status %d a=%q b=%q c=%q; want %d %q %q %q",
					c.src, r.Status, h["x-a"], h["x-b"], h["x-c"], c.status, c.a, c.b, c.cc)
			}
		}
		// 127.0.0.2 is denied before reaching the backend, so check lists a
		// and b for it with a deny-free proxy.
		e2 := startFact(t, `    http-request set-header X-A yes if { src -f DIR/a.lst }
    http-request set-header X-B yes if { src -f DIR/b.lst }`, map[string]string{
			"a.lst": "# mixed list\n2001:db8::/32\n10.0.0.0/8\n::1\n127.0.0.2/32\nfe80::1\n192.168.0.0/16\n",
			"b.lst": "2001:db8::1\n::/128\n127.0.0.2/31\n",
		})
		h := e2.do(t, Request{Host: "a.test", Src: "127.0.0.2"}).Echo.Headers
		t.Logf("src 127.0.0.2 (no deny): a=%q b=%q", h["x-a"], h["x-b"])
		if h["x-a"] != "yes" || h["x-b"] != "yes" {
			t.Errorf("src 127.0.0.2: a=%q b=%q, want yes yes", h["x-a"], h["x-b"])
		}
	})
}

// firstAlert returns the first [ALERT] line of a Check error (or "<nil>").
func firstAlert(err error) string {
	if err == nil {
		return "<nil>"
	}
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.Contains(l, "[ALERT]") {
			return strings.TrimSpace(l)
		}
	}
	return err.Error()
}

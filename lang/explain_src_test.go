package lang_test

import (
	"net/netip"
	"testing"

	"github.com/haproute/haproute/lang"
)

// TestExplainSrcIPv4InIPv6 pins down how Explain matches an IPv4 client
// against IPv6 CIDRs: like HAProxy's "src -m ip", which also compares an
// IPv4 client as ::ffff:a.b.c.d, so "::/0" matches every IPv4 client. The
// differential test in gen/ found the difference against a real haproxy.
func TestExplainSrcIPv4InIPv6(t *testing.T) {
	src := `
backend "v6" {
  server "s" { address = "127.0.0.1:9001" }
}
backend "other" {
  server "s" { address = "127.0.0.1:9002" }
}
frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.other
  route "any6" {
    host    = ["a.test"]
    src     = ["::/0"]
    backend = backend.v6
  }
  route "doc6" {
    host    = ["b.test"]
    src     = ["2001:db8::/32"]
    backend = backend.v6
  }
  route "mapped" {
    host    = ["c.test"]
    not_src = ["::ffff:0:0/96"]
    backend = backend.v6
  }
  route "when6" {
    host    = ["d.test"]
    when    = "src('::/1')"
    backend = backend.v6
  }
}
`
	f, diags := lang.Parse([]byte(src), "t.hcl")
	prog, d := lang.Check([]*lang.File{f}, lang.Options{})
	if diags = append(diags, d...); diags.HasErrors() {
		t.Fatal(diags)
	}
	fe := prog.Frontend("main")
	for _, tc := range []struct {
		host, src, want string
	}{
		{"a.test", "127.0.0.1", "v6"},    // ::/0 holds ::ffff:127.0.0.1
		{"a.test", "2001:db8::1", "v6"},  // and every IPv6 client
		{"b.test", "127.0.0.1", "other"}, // 2001:db8::/32 holds no IPv4 client
		{"b.test", "2001:db8::1", "v6"},
		{"c.test", "10.0.0.1", "other"}, // ::ffff:0:0/96 is 0.0.0.0/0
		{"c.test", "::1", "v6"},
		{"d.test", "192.0.2.1", "v6"}, // ::/1 holds ::ffff:0:0/96
	} {
		ex := lang.Explain(fe, lang.Request{Method: "GET", Host: tc.host, Target: "/", Src: netip.MustParseAddr(tc.src)})
		if ex.Backend != tc.want {
			t.Errorf("%s from %s: backend %q, want %q", tc.host, tc.src, ex.Backend, tc.want)
		}
	}
}

package lang_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/lang"
)

// TestHTTPOnlyLogItemsFacts checks the checker's lists of what HAProxy
// refuses in a mode tcp proxy's log-format against the real haproxy: every
// listed variable and fetch is refused for that reason, and every other
// log-format variable is accepted.
func TestHTTPOnlyLogItemsFacts(t *testing.T) {
	bin := hatest.Binary(t)
	dir := t.TempDir()
	check := func(item string) string {
		cfg := filepath.Join(dir, "haproxy.cfg")
		hatest.WriteFile(t, cfg, fmt.Sprintf(`global
  log stdout local0
defaults
  mode tcp
  log global
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend f
  bind 127.0.0.1:%d
  log-format "%s"
  default_backend b
backend b
  server s 127.0.0.1:9
`, hatest.FreePort(t), item))
		out, err := exec.Command(bin, "-c", "-f", cfg).CombinedOutput()
		if err == nil {
			return ""
		}
		return string(out)
	}
	vars, fetches := lang.HTTPOnlyLogItems()
	for _, v := range lang.LogFormatVars() {
		out := check("%" + v)
		switch {
		case slices.Contains(vars, v) && !strings.Contains(out, "reserved for HTTP mode"):
			t.Errorf("%%%s: listed as HTTP-only, but haproxy -c in tcp mode says: %q", v, out)
		case !slices.Contains(vars, v) && out != "":
			t.Errorf("%%%s: not listed as HTTP-only, but haproxy -c in tcp mode refuses it: %q", v, out)
		}
	}
	for _, f := range fetches {
		expr := f
		switch f {
		case "cook", "cook_val", "hdr", "hdr_ip", "hdr_val", "req.body_param", "req.cook", "req.cook_val", "req.fhdr", "req.hdr",
			"req.hdr_ip", "req.hdr_val", "res.cook", "res.cook_val", "res.fhdr", "res.hdr", "res.hdr_ip", "res.hdr_val", "scook",
			"shdr", "url_param", "urlp":
			expr += "(a)"
		}
		if out := check("%[" + expr + "]"); !strings.Contains(out, "needs 'HTTP") {
			t.Errorf("%%[%s]: listed as HTTP-only, but haproxy -c in tcp mode says: %q", expr, out)
		}
	}
	// Fetches that work in both modes are not flagged.
	for _, f := range []string{"src", "fe_name", "method", "status", "ssl_fc"} {
		if out := check("%[" + f + "]"); out != "" {
			t.Errorf("%%[%s]: haproxy -c in tcp mode refuses it: %q", f, out)
		}
	}
}

package gen_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/gen"
	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// EnvConfigs raises the number of configurations TestDifferential
// generates (seeds 1..N).
const EnvConfigs = "HAPROUTE_GEN_CONFIGS"

const (
	differentialConfigs  = 5
	differentialRoutes   = 50
	differentialRequests = 400
)

func configCount(t *testing.T) int {
	n := differentialConfigs
	if s := os.Getenv(EnvConfigs); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("%s=%q is not a positive number", EnvConfigs, s)
		}
		n = v
	}
	return n
}

// TestDifferential generates configurations in which many routes compete
// for a small vocabulary of hosts, paths, methods, headers and client
// addresses (gen.Options.Overlap), serves each with a real haproxy in
// front of real backends, and sends generated requests. For every request
// the answer lang.Explain predicts must be what haproxy did: the backend
// (X-Backend), the 404 of "no route and no default_backend", the deny
// status, or the redirect status and Location; and a request that reached
// a backend must carry the headers the set_header blocks Explain applied.
func TestDifferential(t *testing.T) {
	hatest.Binary(t)
	names := []string{"be_a", "be_b", "be_c", "be_d", "be_e", "be_f"}
	servers := map[string][]string{}
	for _, n := range names {
		servers[n] = []string{hatest.StartBackend(t, n).Addr}
	}
	total, routes, configs := 0, 0, configCount(t)
	for seed := uint64(1); seed <= uint64(configs); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			n, r := differential(t, seed, names, servers)
			total += n
			routes += r
		})
	}
	t.Logf("configurations: %d; routes: %d; requests compared: %d", configs, routes, total)
}

// differential runs one configuration; it returns the number of requests
// compared and of routes.
func differential(t *testing.T, seed uint64, names []string, servers map[string][]string) (int, int) {
	addr := listenAddr(t)
	p := gen.Generate(rand.New(rand.NewPCG(seed, 0)), gen.Options{
		Overlap:  true,
		Backends: names,
		Servers:  servers,
		Binds:    [][]string{{addr}},
		Routes:   differentialRoutes,
	})
	var files []*lang.File
	var diags hcl.Diagnostics
	for _, f := range p.Files {
		lf, d := lang.Parse([]byte(f.Src), f.Name)
		diags = append(diags, d...)
		files = append(files, lf)
	}
	prog, d := lang.Check(files, lang.Options{})
	diags = append(diags, d...)
	if diags.HasErrors() {
		t.Fatalf("check:\n%s\n%s", diagText(diags), p.Source())
	}
	cfg, d := compiler.Compile(prog, compiler.Options{})
	if d.HasErrors() {
		t.Fatalf("compile:\n%s", diagText(d))
	}
	dir := hatest.SocketDir(t)
	rendered, err := ir.Render(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range rendered {
		hatest.WriteFile(t, filepath.Join(dir, name), string(content))
	}
	cfgPath := filepath.Join(dir, ir.ConfigFile)
	if err := hatest.Check(t, cfgPath); err != nil {
		t.Fatal(err)
	}
	hatest.StartProxy(t, cfgPath, addr)

	fe := prog.Frontend(p.Frontends[0].Name)
	if len(fe.Routes) < 40 {
		t.Fatalf("only %d routes generated", len(fe.Routes))
	}
	reqs := gen.Requests(rand.New(rand.NewPCG(seed, 1)), p.Vocab, differentialRequests)
	outcomes := map[lang.Outcome]int{}
	winners := map[string]int{}
	mismatches := 0
	for i, r := range reqs {
		ex := lang.Explain(fe, lang.Request{Method: r.Method, Host: r.Host, Target: r.Target, Header: r.Header, Src: netip.MustParseAddr(r.Src)})
		resp, err := hatest.Do(addr, hatest.Request{Method: r.Method, Host: r.Host, Path: r.Target, Header: r.Header, Src: r.Src})
		if err != nil {
			t.Fatalf("request %d %+v: %v", i, r, err)
		}
		outcomes[ex.Outcome]++
		if ex.Route != nil {
			winners[ex.Route.Label()]++
		}
		if diff := compare(ex, r.Method, resp); diff != "" {
			mismatches++
			if mismatches <= 5 {
				t.Errorf("request %d: %s %s Host: %q headers %q from %s\n  explain: %s\n  haproxy: %d X-Backend=%q Location=%q\n  %s",
					i, r.Method, r.Target, r.Host, r.Header, r.Src, describe(ex), resp.Status, resp.Backend, resp.Location, diff)
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d requests differ; configuration:\n%s\n--- haproxy.cfg ---\n%s", mismatches, len(reqs), p.Source(), rendered[ir.ConfigFile])
		dump := filepath.Join(os.TempDir(), fmt.Sprintf("haproute-differential-%d", seed))
		if os.MkdirAll(dump, 0o755) == nil {
			for _, f := range p.Files {
				_ = os.WriteFile(filepath.Join(dump, f.Name), []byte(f.Src), 0o644)
			}
			for name, content := range rendered {
				_ = os.WriteFile(filepath.Join(dump, name+".out"), content, 0o644)
			}
			t.Logf("configuration written to %s", dump)
		}
	}
	t.Logf("routes: %d, rules: %d, conditions: %d; requests: %d (routed %d by %d distinct routes, default %d, 404 %d, deny %d, redirect %d); mismatches: %d",
		len(fe.Routes), len(fe.Rules), len(fe.Conditions), len(reqs), outcomes[lang.OutcomeRoute], len(winners), outcomes[lang.OutcomeDefault],
		outcomes[lang.OutcomeNotFound], outcomes[lang.OutcomeDeny], outcomes[lang.OutcomeRedirect], mismatches)
	// The vocabulary must make routes compete, not just fall through.
	if outcomes[lang.OutcomeRoute] < len(reqs)/4 || len(winners) < 10 {
		t.Errorf("too few requests routed (%d, by %d routes: %v): the generated vocabulary does not exercise the routes", outcomes[lang.OutcomeRoute], len(winners), winners)
	}
	return len(reqs), len(fe.Routes)
}

// listenAddr returns a free address for the proxy. The port is taken
// below the kernel's ephemeral range (hatest.FreePort's), where the many
// client connections of this and concurrent tests cannot be holding it by
// the time haproxy binds.
func listenAddr(t *testing.T) string {
	for i := 0; i < 100; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free port in 20000-31999")
	return ""
}

// compare returns "" when haproxy's response is what ex predicts.
func compare(ex *lang.Explanation, method string, resp *hatest.Response) string {
	switch ex.Outcome {
	case lang.OutcomeRoute, lang.OutcomeDefault:
		if resp.Status != 200 || resp.Backend != ex.Backend {
			return fmt.Sprintf("want backend %s", ex.Backend)
		}
		// The set_header blocks that applied, the last one per header
		// winning, must have reached the backend.
		want := map[string]string{}
		for _, r := range ex.SetHeaders {
			want[strings.ToLower(r.Header)] = r.Value
		}
		if method == "HEAD" {
			return "" // no body: no echo of the headers
		}
		for name, value := range want {
			if got := resp.Echo.Headers[name]; got != value {
				return fmt.Sprintf("header %s: backend saw %q, want %q", name, got, value)
			}
		}
	case lang.OutcomeNotFound:
		if resp.Status != 404 || resp.Backend != "" {
			return "want 404"
		}
	case lang.OutcomeDeny:
		if resp.Status != ex.Status || resp.Backend != "" {
			return fmt.Sprintf("want deny %d", ex.Status)
		}
	case lang.OutcomeRedirect:
		if resp.Status != ex.Status || resp.Location != ex.Location {
			return fmt.Sprintf("want redirect %d %s", ex.Status, ex.Location)
		}
	}
	return ""
}

func describe(ex *lang.Explanation) string {
	var b strings.Builder
	switch ex.Outcome {
	case lang.OutcomeRoute:
		fmt.Fprintf(&b, "backend %s by %s (%s)", ex.Backend, ex.Route.Label(), lang.ShortPos(ex.Route.Range))
	case lang.OutcomeDefault:
		fmt.Fprintf(&b, "default backend %s", ex.Backend)
	case lang.OutcomeNotFound:
		b.WriteString("404")
	case lang.OutcomeDeny:
		fmt.Fprintf(&b, "deny %d by %s", ex.Status, ex.Rule.Label())
	case lang.OutcomeRedirect:
		fmt.Fprintf(&b, "redirect %d %s by %s", ex.Status, ex.Location, ex.Rule.Label())
	}
	for _, r := range ex.SetHeaders {
		fmt.Fprintf(&b, "; set %s: %q by %s", r.Header, r.Value, r.Label())
	}
	for i, rj := range ex.Rejected {
		if i == 3 {
			fmt.Fprintf(&b, "; ... %d more rejected", len(ex.Rejected)-3)
			break
		}
		fmt.Fprintf(&b, "; rejected %s: %s", rj.Candidate.Route.Label(), rj.Reason)
	}
	return b.String()
}

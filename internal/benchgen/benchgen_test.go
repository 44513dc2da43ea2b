package benchgen_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/internal/benchgen"
	"github.com/haproute/haproute/lang"
)

// TestWrite checks that generated configurations are clean (zero
// diagnostics), have the promised shape and route the summary's request to
// the summary's backend.
func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       benchgen.Config
		frontends int
	}{
		{"mix", benchgen.Config{Routes: 2500}, 3},
		{"host-only", benchgen.Config{Routes: 1200, PerFile: 5000, HostOnly: true, Server: "127.0.0.1:9999", LastServer: "127.0.0.1:9998"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := benchgen.Write(dir, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Frontends != tc.frontends || s.Backends != tc.cfg.Routes/10 || s.Routes != tc.cfg.Routes {
				t.Errorf("summary %+v", s)
			}
			files, diags := lang.Load(dir)
			if len(files) != s.Files {
				t.Errorf("loaded %d files, summary says %d", len(files), s.Files)
			}
			prog, d := lang.Check(files, lang.Options{})
			diags = append(diags, d...)
			if len(diags) > 0 {
				t.Fatalf("%d diagnostics, first: %s", len(diags), diags[0].Error())
			}
			routes, perKind := 0, map[string]int{}
			for _, fe := range prog.Frontends {
				routes += len(fe.Routes)
				for _, r := range fe.Routes {
					m := &r.Match
					switch {
					case m.Others() > 0:
						perKind["cond"]++
					case len(m.Hosts) > 0 && m.Hosts[0].Wildcard:
						perKind["wild"]++
					case m.PathKind() == lang.PathPrefix:
						perKind["prefix"]++
					default:
						perKind["host"]++
					}
				}
			}
			if routes != tc.cfg.Routes {
				t.Errorf("checked %d routes, want %d", routes, tc.cfg.Routes)
			}
			if tc.cfg.HostOnly {
				if perKind["host"] != routes {
					t.Errorf("host-only mix %v", perKind)
				}
			} else if perKind["cond"] != routes/20 || perKind["wild"] != routes/10 {
				t.Errorf("mix %v: want 5%% conditions, 10%% wildcards", perKind)
			}
			last := prog.Frontends[len(prog.Frontends)-1]
			ex := lang.Explain(last, lang.Request{Method: "GET", Host: s.LastHost, Target: s.LastPath})
			if ex.Outcome != lang.OutcomeRoute || ex.Backend != s.LastBackend {
				t.Errorf("last request %s%s: outcome %v backend %q, want route to %q", s.LastHost, s.LastPath, ex.Outcome, ex.Backend, s.LastBackend)
			}
			if _, d := compiler.Compile(prog, compiler.Options{}); d.HasErrors() {
				t.Fatal(d.Error())
			}
			if tc.cfg.Server != "" {
				for _, be := range prog.Backends {
					want := tc.cfg.Server
					if be.Name == s.LastBackend {
						want = tc.cfg.LastServer
					}
					if len(be.Servers) != 1 || net.JoinHostPort(be.Servers[0].Host, strconv.Itoa(be.Servers[0].Port)) != want {
						t.Errorf("backend %s: servers %+v, want one at %s", be.Name, be.Servers, want)
					}
				}
			}
		})
	}
}

// Package benchgen writes large, valid haproute configurations for
// benchmarks: N routes, about N/10 backends with one server each, split
// into files of at most PerFile routes.
//
// A frontend block cannot span files, so each routes file holds one
// frontend of its own (its own bind port). With PerFile >= Routes the
// whole configuration has a single frontend.
//
// The default mix, by route index i within a frontend (i mod 100):
//
//	 0..1   host + path_prefix + method     (5% with method, header or src)
//	 2..3   host + header
//	 4      host + src
//	 5..14  wildcard host *.tN.example.com, every other one with a prefix
//	15..54  exact host (every fifth with a second "www." host)
//	55..99  host + path_prefix (four prefixes per host)
//
// Every generated configuration checks with zero diagnostics: names and
// match sets are distinct, every backend is used and has a server.
package benchgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Config describes a configuration to generate.
type Config struct {
	// Routes is the total number of route blocks.
	Routes int
	// PerFile is the most routes one file (one frontend) holds; 0 means
	// 1000.
	PerFile int
	// HostOnly generates only exact-host routes with no other match
	// attribute (the request-throughput configuration).
	HostOnly bool
	// Server is the address of every server; "" gives each server its
	// own 127.0.0.1 port (nothing needs to listen for check and build).
	Server string
	// LastServer, when set, is the server address of the backend the last
	// route uses, so a test can tell that a request reached that route.
	LastServer string
	// BasePort is the bind port of the first frontend (127.0.0.1); the
	// next frontends bind the following ports. 0 means 20000.
	BasePort int
}

// Summary describes what Write generated.
type Summary struct {
	Files, Frontends, Backends, Servers, Routes int
	// LastHost is a Host header that only the last route of the last
	// frontend matches (together with LastPath).
	LastHost, LastPath string
	// LastBackend is the backend that request is routed to.
	LastBackend string
}

// Write generates the configuration into dir (which must exist) and returns
// what it wrote.
func Write(dir string, c Config) (Summary, error) {
	if c.Routes < 1 {
		return Summary{}, fmt.Errorf("benchgen: Routes must be positive")
	}
	if c.PerFile <= 0 {
		c.PerFile = 1000
	}
	if c.BasePort == 0 {
		c.BasePort = 20000
	}
	nb := max(1, c.Routes/10)
	lastBackend := (c.Routes - 1) % nb
	s := Summary{Backends: nb, Servers: nb, Routes: c.Routes}
	write := func(name string, b *bytes.Buffer) error {
		s.Files++
		return os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
	}

	var b bytes.Buffer
	b.WriteString("global {\n  maxconn = 4096\n}\n\ndefaults {\n  timeout_connect = \"2s\"\n  timeout_client  = \"30s\"\n  timeout_server  = \"30s\"\n}\n")
	if err := write("00_global.hcl", &b); err != nil {
		return s, err
	}

	// Backends, 1000 to a file.
	for first := 0; first < nb; first += 1000 {
		b.Reset()
		for i := first; i < min(nb, first+1000); i++ {
			server := c.Server
			if i == lastBackend && c.LastServer != "" {
				server = c.LastServer
			}
			backend(&b, i, server)
		}
		if err := write(fmt.Sprintf("10_backends_%03d.hcl", first/1000), &b); err != nil {
			return s, err
		}
	}

	// Routes: global route number g in 0..Routes-1 uses backend g mod nb,
	// so every backend is used.
	for fe, first := 0, 0; first < c.Routes; fe, first = fe+1, first+c.PerFile {
		n := min(c.PerFile, c.Routes-first)
		b.Reset()
		fmt.Fprintf(&b, "frontend \"fe%03d\" {\n  bind            = [\"127.0.0.1:%d\"]\n", fe, c.BasePort+fe)
		if fe%2 == 0 {
			// Half the frontends fall back to a backend; the others 404.
			fmt.Fprintf(&b, "  default_backend = backend.b%05d\n", first%nb)
		}
		for i := range n {
			g := first + i
			host, path := route(&b, fe, i, fmt.Sprintf("b%05d", g%nb), c.HostOnly)
			s.LastHost, s.LastPath, s.LastBackend = host, path, fmt.Sprintf("b%05d", g%nb)
		}
		b.WriteString("}\n")
		s.Frontends++
		if err := write(fmt.Sprintf("20_frontend_%03d.hcl", fe), &b); err != nil {
			return s, err
		}
	}
	return s, nil
}

func backend(b *bytes.Buffer, i int, server string) {
	fmt.Fprintf(b, "backend \"b%05d\" {\n", i)
	switch i % 4 {
	case 1:
		b.WriteString("  balance = \"leastconn\"\n")
	case 2:
		b.WriteString("  timeout_server = \"10s\"\n")
	case 3:
		b.WriteString("  health_check {\n    path     = \"/healthz\"\n    interval = \"5s\"\n  }\n")
	}
	addr := server
	if addr == "" {
		addr = "127.0.0.1:" + strconv.Itoa(30000+i%30000)
	}
	fmt.Fprintf(b, "  server \"s%d\" {\n    address = %q\n", i, addr)
	if i%5 == 0 {
		b.WriteString("    weight  = 50\n")
	}
	b.WriteString("  }\n}\n")
}

// route writes route number i of frontend fe and returns a host and path
// that select it.
func route(b *bytes.Buffer, fe, i int, be string, hostOnly bool) (host, path string) {
	// Hosts are made distinct across frontends too (not required, but
	// realistic: a host is served by one frontend).
	id := fe*1_000_000 + i
	fmt.Fprintf(b, "\n  route \"r%d\" {\n", i)
	kind := i % 100
	if hostOnly {
		kind = 15
	}
	switch {
	case kind < 5:
		// Conditions on top of a host that the plain prefix tiers also
		// serve (see the last case), under /admin/: a distinct host per
		// condition route of this hundred.
		host = fmt.Sprintf("svc%d.example.org", (id-kind)/4+14+kind)
		path = "/admin/"
		fmt.Fprintf(b, "    host        = [%q]\n    path_prefix = [%q]\n", host, path)
		switch kind {
		case 0, 1:
			b.WriteString("    method      = [\"POST\", \"PUT\", \"DELETE\"]\n")
		case 2, 3:
			fmt.Fprintf(b, "    header      = { \"X-Tenant\" = \"t%d\" }\n", id%97)
		case 4:
			fmt.Fprintf(b, "    src         = [\"10.%d.0.0/16\", \"192.168.%d.0/24\"]\n", id%250, id%250)
		}
	case kind < 15:
		host = fmt.Sprintf("*.t%d.example.com", id)
		fmt.Fprintf(b, "    host        = [%q]\n", host)
		if kind%2 == 0 {
			path = "/app/"
			fmt.Fprintf(b, "    path_prefix = [%q]\n", path)
		}
		host = "x" + host[1:]
	case kind < 55:
		host = fmt.Sprintf("h%d.example.net", id)
		if kind%5 == 0 && !hostOnly {
			fmt.Fprintf(b, "    host        = [%q, %q]\n", host, "www."+host)
		} else {
			fmt.Fprintf(b, "    host        = [%q]\n", host)
		}
	default:
		host = fmt.Sprintf("svc%d.example.org", id/4)
		path = fmt.Sprintf("/p%d/", id%4)
		fmt.Fprintf(b, "    host        = [%q]\n    path_prefix = [%q]\n", host, path)
	}
	if path == "" {
		path = "/"
	}
	fmt.Fprintf(b, "    backend     = backend.%s\n  }\n", be)
	return host, path
}

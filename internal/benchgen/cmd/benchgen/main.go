// Command benchgen writes a large haproute configuration for benchmarks
// (see package benchgen) and prints what it wrote as KEY=VALUE lines for
// shell scripts:
//
//	benchgen -routes 10000 -per-file 10000 -host-only -server 127.0.0.1:9000 -port 8400 -o DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/haproute/haproute/internal/benchgen"
)

func main() {
	var c benchgen.Config
	flag.IntVar(&c.Routes, "routes", 1000, "number of routes")
	flag.IntVar(&c.PerFile, "per-file", 1000, "most routes per file (one frontend per file)")
	flag.BoolVar(&c.HostOnly, "host-only", false, "only exact-host routes")
	flag.StringVar(&c.Server, "server", "", "address of every server (default: distinct 127.0.0.1 ports)")
	flag.StringVar(&c.LastServer, "last-server", "", "address of the server of the last route's backend (default: -server)")
	flag.IntVar(&c.BasePort, "port", 20000, "bind port of the first frontend")
	out := flag.String("o", "", "output directory (created; must be empty or absent)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
	s, err := benchgen.Write(*out, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("files=%d\nfrontends=%d\nbackends=%d\nservers=%d\nroutes=%d\nlast_host=%s\nlast_path=%s\nlast_backend=%s\n",
		s.Files, s.Frontends, s.Backends, s.Servers, s.Routes, s.LastHost, s.LastPath, s.LastBackend)
}

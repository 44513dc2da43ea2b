// Command demo-backends starts small HTTP servers on 127.0.0.1 that answer
// every request with their own name, for trying haproute locally.
//
//	demo-backends app=9001 api=9002
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: demo-backends NAME=PORT ...")
		os.Exit(2)
	}
	errs := make(chan error)
	for _, arg := range os.Args[1:] {
		name, port, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "demo-backends: %q: want NAME=PORT\n", arg)
			os.Exit(2)
		}
		addr := "127.0.0.1:" + port
		srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Backend", name)
			fmt.Fprintf(w, "%s answered %s %s (Host: %s)\n", name, r.Method, r.URL.RequestURI(), r.Host)
		})}
		log.Printf("backend %s on http://%s", name, addr)
		go func() { errs <- srv.ListenAndServe() }()
	}
	log.Fatal(<-errs)
}

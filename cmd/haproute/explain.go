package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/haproute/haproute/lang"
)

// ExplainCmd shows how a request would be routed.
type ExplainCmd struct {
	LoadFlags
	Frontend string   `help:"Frontend to evaluate (default: the only one, or the first http frontend by name)."`
	Host     string   `help:"Host header (may include a port)."`
	Path     string   `default:"/" help:"Request target: path and optional ?query."`
	Method   string   `default:"GET" help:"HTTP method."`
	Header   []string `short:"H" help:"Request header K=V (repeatable)."`
	Src      string   `help:"Client IP address."`
	All      bool     `help:"List every higher-ranked route that did not match (default: the first 20)."`
}

// Run evaluates the request and prints the outcome.
func (x *ExplainCmd) Run(e *env) error {
	l := x.load(e)
	if l.diags.HasErrors() {
		writeText(e.stderr, l)
		return exitError{1}
	}
	fe, err := x.pick(l.prog)
	if err != nil {
		return err
	}
	req := lang.Request{Method: x.Method, Host: x.Host, Target: x.Path}
	for _, h := range x.Header {
		k, v, ok := strings.Cut(h, "=")
		if !ok {
			return fmt.Errorf("--header %q: want NAME=VALUE", h)
		}
		req.Header = append(req.Header, [2]string{k, v})
	}
	if x.Src != "" {
		a, err := netip.ParseAddr(x.Src)
		if err != nil {
			return fmt.Errorf("--src %q: %v", x.Src, err)
		}
		req.Src = a
	}
	ex := lang.Explain(fe, req)
	w := e.stdout
	for _, r := range ex.SetHeaders {
		fmt.Fprintf(w, "set_header: %s (%s) sets %s: %s\n", r.Label(), lang.ShortPos(r.Range), r.Header, r.Value)
	}
	switch ex.Outcome {
	case lang.OutcomeDeny:
		fmt.Fprintf(w, "denied with %d by %s (%s)\n", ex.Status, ex.Rule.Label(), lang.ShortPos(ex.Rule.Range))
		return nil
	case lang.OutcomeRedirect:
		fmt.Fprintf(w, "redirected (%d) to %s by %s (%s)\n", ex.Status, ex.Location, ex.Rule.Label(), lang.ShortPos(ex.Rule.Range))
		return nil
	case lang.OutcomeRoute:
		fmt.Fprintf(w, "backend %s via %s (%s)%s\n", ex.Backend, ex.Route.Label(), lang.ShortPos(ex.Route.Range), elem(ex.Candidate))
	case lang.OutcomeDefault:
		fmt.Fprintf(w, "backend %s (default_backend: no route matched)\n", ex.Backend)
	case lang.OutcomeNotFound:
		fmt.Fprintln(w, "404: no route matched and the frontend has no default_backend")
	}
	if len(ex.Rejected) > 0 {
		fmt.Fprintln(w, "higher-ranked routes that did not match:")
	}
	for i, r := range ex.Rejected {
		if i == 20 && !x.All {
			fmt.Fprintf(w, "  ... %d more (use --all)\n", len(ex.Rejected)-i)
			break
		}
		fmt.Fprintf(w, "  %s (%s)%s: %s\n", r.Candidate.Route.Label(), lang.ShortPos(r.Candidate.Route.Range), elem(r.Candidate), r.Reason)
	}
	return nil
}

// elem names the host/path element of a candidate when the route has
// several.
func elem(c lang.Candidate) string {
	var parts []string
	if c.Host != nil && len(c.Route.Match.Hosts) > 1 {
		parts = append(parts, "host "+c.Host.Pattern())
	}
	if c.Path != nil && len(c.Route.Match.PathElems()) > 1 {
		parts = append(parts, "path "+c.Path.Value)
	}
	if len(parts) == 0 {
		return ""
	}
	return " [" + strings.Join(parts, ", ") + "]"
}

func (x *ExplainCmd) pick(p *lang.Program) (*lang.Frontend, error) {
	if x.Frontend != "" {
		if fe := p.Frontend(x.Frontend); fe != nil {
			return fe, nil
		}
		return nil, fmt.Errorf("no frontend named %q", x.Frontend)
	}
	var best *lang.Frontend
	for _, fe := range p.Frontends {
		if fe.Mode == "http" && (best == nil || fe.Name < best.Name) {
			best = fe
		}
	}
	if best == nil {
		return nil, fmt.Errorf("the configuration has no http frontend")
	}
	return best, nil
}

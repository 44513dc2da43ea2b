package daemon

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (d *Daemon) httpServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, d.Status())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /plan", d.handlePlan)
	var h http.Handler = mux
	if d.cfg.AdminToken != "" {
		h = requireToken(d.cfg.AdminToken, mux)
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
}

func requireToken(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="haproute"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Status returns a snapshot of the daemon's status.
func (d *Daemon) Status() Status {
	d.mu.Lock()
	st, sup := d.status, d.sup
	d.mu.Unlock()
	if sup != nil {
		pid, started := sup.PID()
		st.HAProxyPID = pid
		if pid != 0 {
			st.HAProxyUptime = time.Since(started).Seconds()
		}
	} else if live, err := (&applier.Master{Path: d.cfg.MasterSocket, Timeout: time.Second}).ShowProc(context.Background()); err == nil {
		st.HAProxyPID = live.MasterPID
	}
	return st
}

// handlePlan computes the plan that would be applied now.
func (d *Daemon) handlePlan(w http.ResponseWriter, r *http.Request) {
	cfg, files, diags := d.desired()
	if diags.HasErrors() {
		w.WriteHeader(http.StatusUnprocessableEntity)
		writeJSON(w, map[string]any{"error": "the configuration has errors", "diagnostics": renderDiags(files, diags)})
		return
	}
	live, err := d.driver.Live(r.Context())
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		writeJSON(w, map[string]any{"error": err.Error()})
		return
	}
	plan := applier.PlanFor(cfg, live)
	writeJSON(w, plan)
}

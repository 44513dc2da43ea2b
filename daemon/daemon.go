package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// Config is the daemon's configuration (the flags of "haproute run").
type Config struct {
	// Path is the directory (or file) of .hcl files.
	Path string
	Vars map[string]string
	// VarFiles are variable files (-var-file), in order; they are
	// watched like the configuration.
	VarFiles []string
	Env      func(string) (string, bool)

	// Attach manages an HAProxy someone else started; otherwise the daemon
	// starts and supervises its own in StateDir.
	Attach        bool
	StateDir      string
	ConfigDir     string
	RuntimeSocket string
	MasterSocket  string
	HaproxyBin    string

	Debounce time.Duration
	Poll     time.Duration
	// Listen is the status/metrics address; AdminToken is required as a
	// bearer token when it is not a loopback address.
	Listen     string
	AdminToken string
	// DrainTimeout bounds server removal.
	DrainTimeout time.Duration
	Log          *slog.Logger
	// OnListen, when set, is called with the status listener's address.
	OnListen func(addr string)
}

// Daemon is a running "haproute run".
type Daemon struct {
	cfg   Config
	log   *slog.Logger
	cache fileCache
	// checks keeps the checker's per-block results between syncs (only
	// blocks whose inputs changed are checked again).
	checks  *lang.CheckCache
	driver  *applier.Local
	sup     *Supervisor
	metrics *metrics

	// desiredMu serialises desired(); memo is its last result, reused
	// while the files and the variable files are the same (the same parsed
	// *lang.File values).
	desiredMu sync.Mutex
	memo      struct {
		files     []*lang.File
		varFiles  []*lang.File
		loadDiags int
		cfg       *ir.Config
		diags     hcl.Diagnostics
	}
	// prepMu guards prepared, the apply prepared while the debounce runs
	// (held while preparing, so a sync waits for a preparation under way).
	prepMu   sync.Mutex
	prepared *applier.Prepared

	mu     sync.Mutex
	status Status
	// lastDesired is the last configuration applied successfully.
	lastDesired *ir.Config
	sources     map[string]*hcl.File
}

// Status is what /status reports.
type Status struct {
	Version         int          `json:"config_version"`
	LastApply       time.Time    `json:"last_apply,omitempty"`
	LastApplyMillis float64      `json:"last_apply_duration_ms"`
	LastApplyKind   string       `json:"last_apply_kind,omitempty"` // runtime, reload, none
	LastError       string       `json:"last_error,omitempty"`
	Diagnostics     []Diagnostic `json:"diagnostics"`
	DiagnosticsText string       `json:"diagnostics_text,omitempty"`
	HAProxyPID      int          `json:"haproxy_pid"`
	HAProxyUptime   float64      `json:"haproxy_uptime_seconds"`
	Applies         int          `json:"applies"`
	Mode            string       `json:"mode"` // embedded or attach
}

// Diagnostic is one diagnostic in /status.
type Diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
}

// New validates the configuration and prepares a daemon.
func New(c Config) (*Daemon, error) {
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if c.Debounce <= 0 {
		c.Debounce = 200 * time.Millisecond
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.HaproxyBin == "" {
		c.HaproxyBin = "haproxy"
	}
	if c.Listen != "" {
		if err := checkListen(c.Listen, c.AdminToken); err != nil {
			return nil, err
		}
	}
	d := &Daemon{cfg: c, log: c.Log, metrics: newMetrics(), checks: &lang.CheckCache{}}
	if c.Attach {
		if c.ConfigDir == "" || c.RuntimeSocket == "" || c.MasterSocket == "" {
			return nil, errors.New("--attach needs --config-dir, --runtime-socket and --master-socket")
		}
		d.status.Mode = "attach"
	} else {
		if c.StateDir == "" {
			c.StateDir = ".haproute"
		}
		abs, err := filepath.Abs(c.StateDir)
		if err != nil {
			return nil, err
		}
		d.cfg.StateDir = abs
		d.cfg.ConfigDir = abs
		d.cfg.RuntimeSocket = filepath.Join(abs, "stats.sock")
		d.cfg.MasterSocket = filepath.Join(abs, "master.sock")
		d.status.Mode = "embedded"
	}
	d.driver = &applier.Local{Dir: d.cfg.ConfigDir, RuntimeSocket: d.cfg.RuntimeSocket, MasterSocket: d.cfg.MasterSocket, Haproxy: c.HaproxyBin}
	return d, nil
}

// checkListen refuses a non-loopback status address without a token.
func checkListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && token == "" {
		return fmt.Errorf("--listen %s is not a loopback address: set --admin-token to expose the status endpoint", addr)
	}
	return nil
}

// Run runs until ctx is done (or SIGTERM/SIGINT), then stops HAProxy
// gracefully in embedded mode.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if d.cfg.Listen != "" {
		ln, err := net.Listen("tcp", d.cfg.Listen)
		if err != nil {
			return fmt.Errorf("status listener: %w", err)
		}
		srv := d.httpServer()
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		d.log.Info("status endpoint", "addr", "http://"+ln.Addr().String())
		if d.cfg.OnListen != nil {
			d.cfg.OnListen(ln.Addr().String())
		}
	}

	wake, early := make(chan struct{}, 1), make(chan struct{}, 1)
	w := &Watcher{Path: d.cfg.Path, Extra: d.cfg.VarFiles, Debounce: d.cfg.Debounce, Poll: d.cfg.Poll, Early: early, Log: d.log}
	go func() {
		if err := w.Run(ctx, wake); err != nil {
			d.log.Error("watcher stopped", "err", err)
		}
	}()
	go d.prepareLoop(ctx, early)

	supCtx, supCancel := context.WithCancel(context.Background())
	defer func() {
		supCancel()
		if d.sup != nil {
			d.sup.Wait()
		}
	}()
	if !d.cfg.Attach {
		if err := os.MkdirAll(d.cfg.StateDir, 0o755); err != nil {
			return err
		}
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := 500 * time.Millisecond
	sync := func(reason string) {
		retryable := d.sync(ctx, supCtx, reason)
		if retryable {
			retry.Reset(backoff)
			d.log.Warn("apply failed; will retry", "in", backoff)
			backoff = min(backoff*2, 30*time.Second)
		} else {
			backoff = 500 * time.Millisecond
		}
	}
	sync("start")
	for {
		select {
		case <-ctx.Done():
			d.log.Info("stopping")
			return nil
		case <-wake:
			sync("files changed")
		case <-hup:
			d.desiredMu.Lock()
			d.cache.reset()
			d.checks = &lang.CheckCache{}
			d.desiredMu.Unlock()
			sync("SIGHUP")
		case <-retry.C:
			sync("retry")
		}
	}
}

// desired loads (through the parse cache), checks and compiles the
// configuration; cfg is nil when diags has errors. While the files are
// unchanged it returns the same result (the same *ir.Config).
func (d *Daemon) desired() (cfg *ir.Config, files []*lang.File, diags hcl.Diagnostics) {
	d.desiredMu.Lock()
	defer d.desiredMu.Unlock()
	files, diags, _ = d.cache.load(d.cfg.Path)
	varFiles, vd := d.cache.loadVars(d.cfg.VarFiles)
	diags = append(diags, vd...)
	// Unchanged files keep their *lang.File, and load's diagnostics are
	// theirs (plus unreadable files, which change the list).
	if d.memo.files != nil && slices.Equal(files, d.memo.files) && slices.Equal(varFiles, d.memo.varFiles) && len(diags) == d.memo.loadDiags {
		return d.memo.cfg, files, d.memo.diags
	}
	n := len(diags)
	cfg, diags = d.checkCompile(files, varFiles, diags)
	d.memo.files, d.memo.varFiles, d.memo.loadDiags, d.memo.cfg, d.memo.diags = files, varFiles, n, cfg, diags
	return cfg, files, diags
}

// checkCompile checks and compiles loaded files.
func (d *Daemon) checkCompile(files, varFiles []*lang.File, diags hcl.Diagnostics) (*ir.Config, hcl.Diagnostics) {
	prog, cd := lang.Check(files, lang.Options{Vars: d.cfg.Vars, VarFiles: varFiles, Env: d.cfg.Env, Cache: d.checks})
	diags = append(diags, cd...)
	if diags.HasErrors() {
		return nil, diags
	}
	cfg, cmp := compiler.Compile(prog, compiler.Options{StatsSocket: d.cfg.RuntimeSocket})
	diags = append(diags, cmp...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// prepareLoop prepares the apply of the files' current content as soon as
// they change (after a short quiet time, so a save being written is not
// read half-way), while the debounce runs: when the debounce ends, the
// sync finds the configuration checked, compiled, planned against the live
// state and validated, and only commits it (see applier.Prepared: the
// commit re-checks that the live state is still the one planned against).
// Nothing here is reported: diagnostics and errors are the sync's.
func (d *Daemon) prepareLoop(ctx context.Context, early <-chan struct{}) {
	const settle = 10 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-early:
		}
		// Wait for the events of one save to pass.
		for quiet := false; !quiet; {
			select {
			case <-ctx.Done():
				return
			case <-early:
			case <-time.After(settle):
				quiet = true
			}
		}
		d.mu.Lock()
		ready := d.lastDesired != nil // HAProxy is up and was applied to
		d.mu.Unlock()
		if ready {
			d.prepare(ctx)
		}
	}
}

// prepare reads the live state (on the other core, as it mostly waits
// for HAProxy) while it loads, checks and compiles the files, then plans
// and validates. It holds prepMu throughout, so a sync that starts in the
// meantime waits for the result instead of doing the same work again.
func (d *Daemon) prepare(ctx context.Context) {
	d.prepMu.Lock()
	defer d.prepMu.Unlock()
	t0 := time.Now()
	var tLive time.Duration
	reads := make(chan *applier.LiveRead, 1)
	go func() {
		r, err := d.driver.ReadLive(ctx)
		tLive = time.Since(t0)
		if err != nil {
			d.log.Debug("reading the live state ahead failed; the sync will do it", "err", err)
		}
		reads <- r
	}()
	cfg, _, diags := d.desired()
	tDesired := time.Since(t0)
	r := <-reads
	if diags.HasErrors() || r == nil || (d.prepared != nil && d.prepared.Desired() == cfg) {
		return
	}
	p, err := d.driver.PrepareFrom(ctx, cfg, r)
	if err != nil {
		d.log.Debug("preparing the apply failed; the sync will do it", "err", err)
		p = nil
	}
	d.prepared = p
	if p != nil {
		d.log.Debug("prepared", "desired", tDesired, "live", tLive, "duration", time.Since(t0), "changes", len(p.Plan().Changes))
	}
}

// sync is one level-triggered pass: read the desired state, read the live
// state, apply the difference. It returns true when a retry may help.
func (d *Daemon) sync(ctx, supCtx context.Context, reason string) bool {
	start := time.Now()
	cfg, files, diags := d.desired()
	d.setDiagnostics(files, diags)
	if diags.HasErrors() {
		d.metrics.configErrors.Set(float64(countErrors(diags)))
		d.log.Error("configuration has errors; the last good configuration keeps serving", "errors", countErrors(diags), "diagnostics", renderDiags(files, diags))
		d.metrics.applies.WithLabelValues("invalid", "none").Inc()
		return false
	}
	d.metrics.configErrors.Set(0)

	if !d.cfg.Attach && (d.sup == nil) {
		if err := d.startHAProxy(ctx, supCtx, cfg); err != nil {
			d.fail(err)
			return true
		}
	}
	d.prepMu.Lock() // waits for a preparation under way
	p := d.prepared
	d.prepared = nil
	d.prepMu.Unlock()
	opts := applier.ApplyOptions{DrainTimeout: d.cfg.DrainTimeout}
	var res *applier.Result
	var err error
	if p != nil && p.Desired() == cfg {
		res, err = d.driver.ApplyPrepared(ctx, p, opts)
		if res != nil {
			outcome := "stale"
			if res.Prepared {
				outcome = "committed"
			}
			d.metrics.prepared.WithLabelValues(outcome).Inc()
		}
	} else {
		res, err = d.driver.Apply(ctx, cfg, nil, opts)
	}
	dur := time.Since(start)
	if err != nil {
		if d.sup != nil {
			if alerts := d.sup.Alerts(); len(alerts) > 0 {
				err = fmt.Errorf("%w\nHAProxy said:\n  %s", err, strings.Join(alerts, "\n  "))
			}
		}
		d.fail(err)
		d.metrics.applies.WithLabelValues("failure", "unknown").Inc()
		return retryable(err)
	}
	kind := "none"
	switch {
	case res.Unchanged:
		d.metrics.applies.WithLabelValues("noop", "none").Inc()
	case res.Reloaded:
		kind = "reload"
		d.metrics.reloads.Inc()
	default:
		kind = "runtime"
	}
	if res.Plan != nil {
		for _, c := range res.Plan.Changes {
			if c.Drift {
				d.metrics.drift.Inc()
			}
		}
	}
	if !res.Unchanged {
		d.metrics.applies.WithLabelValues("success", kind).Inc()
		d.metrics.commands.Add(float64(len(res.Commands)))
		d.metrics.duration.Observe(dur.Seconds())
		d.metrics.lastSuccess.SetToCurrentTime()
		d.log.Info("applied", "reason", reason, "version", res.Version, "kind", kind, "commands", len(res.Commands), "duration", dur, "prepared", res.Prepared)
	}
	d.mu.Lock()
	d.status.Version = res.Version
	d.status.LastError = ""
	if !res.Unchanged {
		d.status.LastApply = time.Now()
		d.status.LastApplyMillis = float64(dur.Microseconds()) / 1000
		d.status.LastApplyKind = kind
		d.status.Applies++
	}
	d.lastDesired = cfg
	d.mu.Unlock()
	return false
}

// startHAProxy writes the first configuration and starts the supervised
// HAProxy.
func (d *Daemon) startHAProxy(ctx, supCtx context.Context, cfg *ir.Config) error {
	first := *cfg
	live, err := ir.Read(d.cfg.StateDir)
	if err == nil {
		first.Version = live.Version + 1
	} else {
		first.Version = 1
	}
	files, err := ir.Render(&first, d.cfg.StateDir)
	if err != nil {
		return err
	}
	if err := d.driver.Validate(ctx, &first); err != nil {
		return err
	}
	if err := applier.WriteFiles(d.cfg.StateDir, files); err != nil {
		return err
	}
	sup := &Supervisor{
		Bin:          d.cfg.HaproxyBin,
		ConfigFile:   filepath.Join(d.cfg.StateDir, ir.ConfigFile),
		MasterSocket: d.cfg.MasterSocket,
		Log:          d.log.With("component", "haproxy"),
		OnRestart: func(reason string) {
			d.metrics.restarts.Inc()
			d.log.Warn("haproxy restarted with the current configuration", "reason", reason)
		},
	}
	if err := sup.Start(supCtx); err != nil {
		return err
	}
	d.mu.Lock() // Status reads d.sup from the HTTP handlers
	d.sup = sup
	d.mu.Unlock()
	// Wait until the master answers and the stats socket is up.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		m := &applier.Master{Path: d.cfg.MasterSocket, Timeout: time.Second}
		if p, err := m.ShowProc(ctx); err == nil && len(p.Workers) > 0 {
			if rt, err := applier.DialRuntime(ctx, d.cfg.RuntimeSocket, time.Second); err == nil {
				rt.Close()
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("haproxy did not come up within 15s: " + strings.Join(sup.Alerts(), "; "))
}

func (d *Daemon) fail(err error) {
	d.log.Error("apply failed; the previous configuration keeps serving", "err", err)
	d.mu.Lock()
	d.status.LastError = err.Error()
	d.mu.Unlock()
}

// retryable reports errors a later attempt may not hit (socket timeouts,
// HAProxy not up yet), as opposed to a configuration HAProxy refuses.
func retryable(err error) bool {
	var conflict *applier.ConflictError
	var refused *applier.CommandError
	switch {
	case errors.As(err, &conflict), errors.As(err, &refused):
		return false
	case errors.Is(err, applier.ErrTimeout), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT):
		return true
	}
	s := err.Error()
	return strings.Contains(s, "lock") || strings.Contains(s, "no new worker")
}

func countErrors(d hcl.Diagnostics) int {
	n := 0
	for _, x := range d {
		if x.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}

func (d *Daemon) setDiagnostics(files []*lang.File, diags hcl.Diagnostics) {
	out := []Diagnostic{}
	for _, x := range diags {
		dg := Diagnostic{Severity: "error", Summary: x.Summary, Detail: x.Detail}
		if x.Severity == hcl.DiagWarning {
			dg.Severity = "warning"
		}
		if x.Subject != nil {
			dg.File, dg.Line, dg.Column = x.Subject.Filename, x.Subject.Start.Line, x.Subject.Start.Column
		}
		out = append(out, dg)
	}
	d.mu.Lock()
	d.status.Diagnostics = out
	d.status.DiagnosticsText = renderDiags(files, diags)
	d.mu.Unlock()
}

// renderDiags renders diagnostics as "FILE:LINE:COL: error: ..." lines,
// like haproute check.
func renderDiags(files []*lang.File, diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, x := range diags {
		sev := "error"
		if x.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		msg := x.Summary
		if x.Detail != "" {
			msg += ": " + x.Detail
		}
		if s := x.Subject; s != nil {
			fmt.Fprintf(&b, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, sev, msg)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", sev, msg)
		}
	}
	return b.String()
}

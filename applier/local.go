package applier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/renameio/v2"
	"github.com/haproute/haproute/ir"
)

// Local drives an HAProxy on this machine: its configuration directory,
// its stats socket (Runtime API) and its master socket (reloads).
type Local struct {
	// Dir is the configuration directory (haproxy.cfg, maps, ACL files).
	Dir string
	// RuntimeSocket and MasterSocket are the stats and master socket paths.
	RuntimeSocket string
	MasterSocket  string
	// Haproxy is the binary used for "haproxy -c" (default "haproxy").
	Haproxy string
	// Timeout bounds each socket command (default DefaultTimeout).
	Timeout time.Duration
	// ReloadTimeout bounds the wait for a new worker (default 30s).
	ReloadTimeout time.Duration

	// renderer skips config-parser when only the version line changes.
	renderer ir.Renderer
	// parsed is the last haproxy.cfg parsed by readFiles: its directory,
	// its text without the version line, and the result (never handed out
	// itself, only copies).
	parsed struct {
		mu   sync.Mutex
		dir  string
		body []byte
		cfg  *ir.Config
	}
}

var _ Driver = (*Local)(nil)

// LastGoodDir is where the previous generation of files is kept.
const LastGoodDir = ".last-good"

// Live reads the files and, when HAProxy answers, the runtime state.
func (l *Local) Live(ctx context.Context) (*Live, error) {
	files, err := l.readFiles()
	if err != nil {
		return nil, err
	}
	return l.liveFrom(ctx, files)
}

// liveFrom completes the live state of the configuration files read from
// disk with the master's process list and the runtime state.
func (l *Local) liveFrom(ctx context.Context, files *ir.Config) (*Live, error) {
	live := &Live{Files: files}
	if l.MasterSocket != "" {
		m := &Master{Path: l.MasterSocket, Timeout: l.Timeout}
		if p, err := m.ShowProc(ctx); err == nil {
			live.Proc = p
		}
	}
	if l.RuntimeSocket == "" {
		return live, nil
	}
	rt, err := DialRuntime(ctx, l.RuntimeSocket, l.Timeout)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	// The runtime view starts as a copy of the files' configuration:
	// reading and parsing the files a second time cost as much as the
	// rest of Live on large configurations.
	view := runtimeCopy(files)
	if err := readRuntime(rt, view, l.absDir()); err != nil {
		return nil, err
	}
	live.Runtime = view
	return live, nil
}

// readFiles reads the configuration on disk; a directory without one
// reads as an empty configuration (version 0).
//
// Parsing haproxy.cfg through config-parser is most of the cost of a read of
// a large configuration, and between runtime-class applies only its version
// line changes: when the rest of the text equals the last text parsed, that
// parse is reused (copied) and only the version, the map and the ACL files
// are read again.
func (l *Local) readFiles() (*ir.Config, error) {
	dir := l.absDir()
	src, err := os.ReadFile(filepath.Join(dir, ir.ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return &ir.Config{}, nil
	}
	if err != nil {
		return nil, err
	}
	first, body, _ := bytes.Cut(src, []byte("\n"))
	version, isVersion := bytes.CutPrefix(first, []byte("# _version="))
	n, verr := strconv.Atoi(string(bytes.TrimSpace(version)))
	l.parsed.mu.Lock()
	prev := l.parsed.cfg
	if !isVersion || verr != nil || l.parsed.dir != dir || !bytes.Equal(l.parsed.body, body) {
		prev = nil
	}
	l.parsed.mu.Unlock()
	if prev == nil {
		cfg, err := ir.Read(dir)
		if err != nil {
			return nil, err
		}
		l.parsed.mu.Lock()
		l.parsed.dir, l.parsed.body, l.parsed.cfg = dir, body, runtimeCopy(cfg)
		l.parsed.mu.Unlock()
		return cfg, nil
	}
	files := runtimeCopy(prev)
	files.Version = n
	if err := ir.ReadAux(files, dir); err != nil {
		return nil, err
	}
	return files, nil
}

// remember records want as the parse of the haproxy.cfg text just
// rendered from it and written, so the next read does not parse it again
// (ir.Read is the inverse of ir.Render, ranges and comments aside; the
// round trip is tested on every golden case and example).
func (l *Local) remember(text []byte, want *ir.Config) {
	if text == nil {
		return
	}
	_, body, _ := bytes.Cut(text, []byte("\n"))
	cfg := runtimeCopy(want)
	l.parsed.mu.Lock()
	l.parsed.dir, l.parsed.body, l.parsed.cfg = l.absDir(), body, cfg
	l.parsed.mu.Unlock()
}

func (l *Local) absDir() string {
	d, err := filepath.Abs(l.Dir)
	if err != nil {
		return l.Dir
	}
	return d
}

func (l *Local) haproxy() string {
	if l.Haproxy != "" {
		return l.Haproxy
	}
	return "haproxy"
}

// Lock takes the apply lock of the configuration directory: applies to one
// directory are serialised. It waits up to timeout.
func (l *Local) Lock(timeout time.Duration) (unlock func(), err error) {
	if err := os.MkdirAll(l.absDir(), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(l.absDir(), ".haproute.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another apply holds the lock on %s: %w", l.absDir(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Validate renders cfg into a scratch directory next to Dir and runs
// "haproxy -c" on it.
func (l *Local) Validate(ctx context.Context, cfg *ir.Config) error {
	scratch, err := os.MkdirTemp(l.absDir(), ".candidate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	files, err := ir.Render(cfg, scratch)
	if err != nil {
		return err
	}
	// A scratch copy for "haproxy -c" only: no atomic replace and no
	// fsync (writeAll syncs every file, which costs seconds for the ~170
	// files of a large configuration on a busy disk).
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(scratch, name), data, 0o644); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, l.haproxy(), "-c", "-q", "-f", filepath.Join(scratch, ir.ConfigFile))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("haproxy -c rejected the candidate configuration: %s", strings.TrimSpace(strings.ReplaceAll(string(out), scratch, l.absDir())))
	}
	return nil
}

// writeAll writes files atomically into dir (maps and ACL files first,
// haproxy.cfg last) and removes map and ACL files no longer used.
func writeAll(dir string, files ir.Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := files.Names()
	for _, n := range names {
		if n == ir.ConfigFile {
			continue
		}
		// Unchanged files are left alone: a route edit changes one map
		// of many, and each write costs an fsync.
		if cur, err := os.ReadFile(filepath.Join(dir, n)); err == nil && bytes.Equal(cur, files[n]) {
			continue
		}
		if err := renameio.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			return err
		}
	}
	if data, ok := files[ir.ConfigFile]; ok {
		if err := renameio.WriteFile(filepath.Join(dir, ir.ConfigFile), data, 0o644); err != nil {
			return err
		}
	}
	for _, pattern := range []string{"*.map", "*.acl"} {
		old, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range old {
			if _, keep := files[filepath.Base(p)]; !keep {
				_ = os.Remove(p)
			}
		}
	}
	return nil
}

// WriteFiles writes a rendered configuration into dir the way apply does.
func WriteFiles(dir string, files ir.Files) error { return writeAll(dir, files) }

// snapshot hard-links the current files into the last-good directory
// and returns their names (nil when there are none). Files are only ever
// replaced by rename (writeAll), never written in place, so the links
// keep the previous generation without reading or copying it.
func (l *Local) snapshot() ([]string, error) {
	dir := l.absDir()
	var names []string
	for _, pattern := range []string{ir.ConfigFile, "*.map", "*.acl"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	lg := filepath.Join(dir, LastGoodDir)
	_ = os.RemoveAll(lg)
	if err := os.MkdirAll(lg, 0o755); err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := os.Link(filepath.Join(dir, name), filepath.Join(lg, name)); err != nil {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(lg, name), data, 0o644); err != nil {
				return nil, err
			}
		}
	}
	return names, nil
}

// restore puts the snapshot back.
func (l *Local) restore(snap []string) error {
	if snap == nil {
		return nil
	}
	files := ir.Files{}
	for _, name := range snap {
		data, err := os.ReadFile(filepath.Join(l.absDir(), LastGoodDir, name))
		if err != nil {
			return err
		}
		files[name] = data
	}
	return writeAll(l.absDir(), files)
}

// Apply applies plan: it validates the candidate, writes the files, then
// either sends runtime commands or reloads once, rolls back on failure,
// and finally re-reads the live state and requires it to match desired.
func (l *Local) Apply(ctx context.Context, desired *ir.Config, plan *Plan, opts ApplyOptions) (res *Result, err error) {
	start := time.Now()
	obs := observer(opts)
	unlock, err := l.Lock(10 * time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// The plan is recomputed under the lock: the caller's plan may be
	// stale, and only the fresh one is safe to execute.
	p, err := l.prepare(ctx, desired, obs)
	if err != nil {
		return nil, err
	}
	if opts.ExpectVersion != 0 && p.live.Files.Version != opts.ExpectVersion {
		return nil, &ConflictError{Expected: opts.ExpectVersion, Live: p.live.Files.Version}
	}
	return l.commit(ctx, p, opts, start)
}

// Prepared is an apply computed ahead of time: the live state read, the plan, the rendered files and, when the candidate
// haproxy.cfg differs from the running one, its haproxy -c validation.
// ApplyPrepared executes it if nothing changed on disk or in the master's
// process list since; otherwise it prepares again under the lock.
//
// The daemon prepares while it waits out the debounce, so that when the
// files have been quiet long enough only the commit is left to do.
type Prepared struct {
	desired *ir.Config
	live    *Live
	plan    *Plan
	want    ir.Config
	files   ir.Files
	// same: the rendered files equal the ones on disk (version aside);
	// validated: want passed haproxy -c (or needs no check).
	same, validated bool
	// stamp is the directory's state before the live state was read.
	stamp string
}

// Desired is the configuration p was prepared for.
func (p *Prepared) Desired() *ir.Config { return p.desired }

// Plan is the plan p would execute.
func (p *Prepared) Plan() *Plan { return p.plan }

// Prepare reads the live state, plans, renders and validates desired. It
// changes nothing; it holds the lock while it reads, so that it never
// sees another apply half done.
func (l *Local) Prepare(ctx context.Context, desired *ir.Config) (*Prepared, error) {
	unlock, err := l.Lock(10 * time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return l.prepare(ctx, desired, func(string) {})
}

// ApplyPrepared is Apply for a Prepared: under the lock, it checks that
// the configuration directory and HAProxy's processes are as they were
// when p was prepared, and commits p; otherwise it prepares again.
func (l *Local) ApplyPrepared(ctx context.Context, p *Prepared, opts ApplyOptions) (*Result, error) {
	start := time.Now()
	obs := observer(opts)
	unlock, err := l.Lock(10 * time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	fresh := l.current(ctx, p)
	if !fresh {
		obs("the live state changed since the apply was prepared: preparing again")
		if p, err = l.prepare(ctx, p.desired, obs); err != nil {
			return nil, err
		}
	}
	res, err := l.commit(ctx, p, opts, start)
	if res != nil {
		res.Prepared = fresh
	}
	return res, err
}

func observer(opts ApplyOptions) func(string) {
	if opts.Observe == nil {
		return func(string) {}
	}
	return opts.Observe
}

// prepare does the reading and planning half of an apply.
func (l *Local) prepare(ctx context.Context, desired *ir.Config, obs func(string)) (*Prepared, error) {
	r, err := l.readLive(ctx)
	if err != nil {
		return nil, err
	}
	obs(fmt.Sprintf("read the live state (version %d)", r.live.Files.Version))
	return l.prepareFrom(ctx, desired, r, obs)
}

// LiveRead is the live state read for a later PrepareFrom, with the stamp
// of the configuration directory taken before reading it.
type LiveRead struct {
	live  *Live
	stamp string
}

// ReadLive reads the live state for PrepareFrom, holding the lock while
// it reads. The daemon reads it while it checks and compiles the files.
func (l *Local) ReadLive(ctx context.Context) (*LiveRead, error) {
	unlock, err := l.Lock(10 * time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return l.readLive(ctx)
}

func (l *Local) readLive(ctx context.Context) (*LiveRead, error) {
	stamp, err := l.stamp()
	if err != nil {
		return nil, err
	}
	live, err := l.Live(ctx)
	if err != nil {
		return nil, err
	}
	return &LiveRead{live: live, stamp: stamp}, nil
}

// PrepareFrom is Prepare against a live state read earlier with ReadLive
// (ApplyPrepared prepares again if it is no longer current).
func (l *Local) PrepareFrom(ctx context.Context, desired *ir.Config, r *LiveRead) (*Prepared, error) {
	return l.prepareFrom(ctx, desired, r, func(string) {})
}

func (l *Local) prepareFrom(ctx context.Context, desired *ir.Config, r *LiveRead, obs func(string)) (*Prepared, error) {
	var err error
	live := r.live
	p := &Prepared{desired: desired, live: live, stamp: r.stamp}
	p.plan = PlanFor(desired, live)
	p.want = *desired
	p.want.Version = live.Files.Version + 1
	if p.files, err = l.renderer.Render(&p.want, l.absDir()); err != nil {
		return nil, err
	}
	obs(fmt.Sprintf("planned %d changes and rendered %d files", len(p.plan.Changes), len(p.files)))
	if p.same, err = sameFiles(l.absDir(), p.files, live.Files.Version); err != nil {
		return nil, err
	}
	if p.plan.Empty() && p.same {
		return p, nil
	}
	// haproxy -c validates every candidate whose haproxy.cfg differs from
	// the running one. When only map or ACL entries change, the text is
	// the running (already validated) configuration and the entries are
	// data the checker validated, so the ~50-150 ms of haproxy -c is
	// skipped to keep runtime changes fast.
	//
	// When the plan changes servers at runtime (and map or ACL entries),
	// haproxy.cfg differs from the running one in the server lines of
	// those backends only: any other difference would be a reload-class
	// change. haproxy -c then checks a candidate made of the global and
	// defaults sections and those backends, which gives the same verdict
	// on the lines that changed in a fraction of the time of the whole
	// configuration (the rest is the running, validated text).
	cfgSame, cfgErr := sameConfigText(l.absDir(), p.files)
	if cfgErr != nil || !cfgSame || !entriesOnly(p.plan) {
		cand, what := &p.want, "candidate configuration"
		if sub := serverCandidate(&p.want, p.plan); sub != nil && cfgErr == nil {
			cand, what = sub, fmt.Sprintf("the %d changed backends with global and defaults", len(sub.Backends))
		}
		if err := l.Validate(ctx, cand); err != nil {
			return nil, err
		}
		obs("haproxy -c: " + what + " valid")
	}
	p.validated = true
	return p, nil
}

// stamp describes the configuration directory's files (name, size,
// modification time, inode): every writer replaces files by rename or
// rewrites them, which changes it.
func (l *Local) stamp() (string, error) {
	entries, err := os.ReadDir(l.absDir())
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		name := e.Name()
		if name != ir.ConfigFile && !strings.HasSuffix(name, ".map") && !strings.HasSuffix(name, ".acl") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return "", err
		}
		var ino uint64
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = st.Ino
		}
		fmt.Fprintf(&b, "%s %d %d %d\n", name, fi.Size(), fi.ModTime().UnixNano(), ino)
	}
	return b.String(), nil
}

// current reports whether p still describes the live state: the files
// are the same and HAProxy runs the same worker (a reload or restart
// resets the runtime state to the files). Runtime-API changes made by
// hand in between are not seen here; the verification of what the plan
// touches and the next sync catch them.
func (l *Local) current(ctx context.Context, p *Prepared) bool {
	if stamp, err := l.stamp(); err != nil || stamp != p.stamp {
		return false
	}
	if l.MasterSocket == "" {
		return true
	}
	m := &Master{Path: l.MasterSocket, Timeout: l.Timeout}
	proc, err := m.ShowProc(ctx)
	if err != nil || p.live.Proc == nil {
		return false
	}
	return slices.Equal(proc.Workers, p.live.Proc.Workers)
}

// commit does the writing and executing half of an apply, under the lock.
func (l *Local) commit(ctx context.Context, p *Prepared, opts ApplyOptions, start time.Time) (res *Result, err error) {
	obs := observer(opts)
	plan, live, want, files := p.plan, p.live, &p.want, p.files
	if plan.Empty() && p.same {
		return &Result{Version: live.Files.Version, Unchanged: true, Duration: time.Since(start), Plan: plan}, nil
	}
	if !p.validated {
		return nil, errors.New("internal error: the candidate configuration was not validated")
	}
	snap, err := l.snapshot()
	if err != nil {
		return nil, err
	}
	obs("kept the last-good files")
	if err := writeAll(l.absDir(), files); err != nil {
		_ = l.restore(snap)
		return nil, err
	}
	obs(fmt.Sprintf("wrote %d files (version %d)", len(files), want.Version))
	l.remember(files[ir.ConfigFile], want)
	res = &Result{Version: want.Version, Plan: plan}

	if plan.Reload() {
		if err := l.reload(ctx, obs); err != nil {
			if rerr := l.restore(snap); rerr != nil {
				err = fmt.Errorf("%w; restoring the last-good files also failed: %v", err, rerr)
			}
			return nil, err
		}
		res.Reloaded = true
	} else if len(plan.Changes) > 0 {
		rt, err := DialRuntime(ctx, l.RuntimeSocket, l.Timeout)
		if err != nil {
			_ = l.restore(snap)
			return nil, err
		}
		ex := &executor{rt: rt, dir: l.absDir(), obs: obs, drainTimeout: opts.DrainTimeout}
		err = ex.run(plan)
		res.Commands = ex.sent
		if err != nil {
			rbErr := ex.rollback()
			if rerr := l.restore(snap); rerr != nil {
				rbErr = errors.Join(rbErr, rerr)
			}
			rt.Close()
			if rbErr != nil {
				return res, fmt.Errorf("%w; rollback incomplete: %v", err, rbErr)
			}
			return res, fmt.Errorf("%w (rolled back: runtime state and files are as before)", err)
		}
		// Verify what the plan touched: everything else was already
		// equal to desired in the live state just read, and runtime
		// commands change nothing else.
		err = verifyTouched(rt, p.desired, live, plan, l.absDir())
		rt.Close()
		if err != nil {
			return res, err
		}
		obs(fmt.Sprintf("sent %d runtime commands; verified what they changed", len(ex.sent)))
		res.Duration = time.Since(start)
		return res, nil
	}
	// Verify: the live state must now equal desired. (readFiles reuses
	// the earlier parse when haproxy.cfg only changed its version line.)
	after, err := l.Live(ctx)
	if err != nil {
		return res, fmt.Errorf("applied, but re-reading the live state failed: %w", err)
	}
	if rest := Diff(p.desired, after.Effective()); !rest.Empty() {
		return res, &VerifyError{Remaining: rest.Changes}
	}
	obs("verified: the live state equals the desired one")
	res.Duration = time.Since(start)
	return res, nil
}

// VerifyError lists what still differs after an apply.
type VerifyError struct{ Remaining []Change }

func (e *VerifyError) Error() string {
	var b strings.Builder
	b.WriteString("after apply the live state still differs from the desired one:")
	for _, c := range e.Remaining {
		fmt.Fprintf(&b, "\n  %s %s %s/%s: %q -> %q", c.Action, c.Kind, c.Section, c.Name, c.Before, c.After)
	}
	return b.String()
}

// sameFiles reports whether the files on disk equal files, ignoring the
// version line (which always changes).
func sameFiles(dir string, files ir.Files, liveVersion int) (bool, error) {
	for name, data := range files {
		cur, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if name == ir.ConfigFile {
			cur = dropVersion(cur)
			data = dropVersion(data)
		}
		if string(cur) != string(data) {
			return false, nil
		}
	}
	for _, pattern := range []string{"*.map", "*.acl"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range m {
			if _, ok := files[filepath.Base(p)]; !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// sameConfigText reports whether haproxy.cfg on disk equals the rendered
// one apart from the version line.
func sameConfigText(dir string, files ir.Files) (bool, error) {
	cur, err := os.ReadFile(filepath.Join(dir, ir.ConfigFile))
	if err != nil {
		return false, err
	}
	return string(dropVersion(cur)) == string(dropVersion(files[ir.ConfigFile])), nil
}

// serverCandidate returns the global and defaults sections of want with
// the backends p changes servers of, when p only changes servers and map
// or ACL entries at runtime; nil otherwise.
func serverCandidate(want *ir.Config, p *Plan) *ir.Config {
	names := map[string]bool{}
	for _, c := range p.Changes {
		if c.Via != Runtime {
			return nil
		}
		switch c.Kind {
		case KindServer:
			names[c.Section] = true
		case KindMapEntry, KindACLEntry:
		default:
			return nil
		}
	}
	if len(names) == 0 {
		return nil
	}
	sub := &ir.Config{Version: want.Version, Global: want.Global, Defaults: want.Defaults}
	for _, b := range want.Backends {
		if names[b.Name] {
			sub.Backends = append(sub.Backends, b)
		}
	}
	return sub
}

// entriesOnly reports whether every change is a map or ACL entry applied
// at runtime.
func entriesOnly(p *Plan) bool {
	for _, c := range p.Changes {
		if c.Via != Runtime || (c.Kind != KindMapEntry && c.Kind != KindACLEntry) {
			return false
		}
	}
	return true
}

func dropVersion(b []byte) []byte {
	s := string(b)
	if strings.HasPrefix(s, "# _version=") {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return []byte(s)
}

// reload asks the master to reload and waits for a new worker; a failed
// reload (the old worker keeps serving) is an error.
func (l *Local) reload(ctx context.Context, obs func(string)) error {
	if l.MasterSocket == "" {
		return errors.New("this change needs a reload, but no master socket is configured (--master-socket)")
	}
	m := &Master{Path: l.MasterSocket, Timeout: l.Timeout}
	before, err := m.ShowProc(ctx)
	if err != nil {
		return err
	}
	if _, err := m.Do(ctx, "reload"); err != nil {
		return err
	}
	obs("reload requested")
	timeout := l.ReloadTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	old := map[int]bool{}
	for _, p := range before.Workers {
		old[p] = true
	}
	for time.Now().Before(deadline) {
		p, err := m.ShowProc(ctx)
		if err == nil {
			if p.Failed > before.Failed {
				return fmt.Errorf("HAProxy refused the new configuration on reload (show proc reports a failed reload; the old worker keeps serving and the last-good files were restored). The master logs the reason on its standard error")
			}
			for _, w := range p.Workers {
				if !old[w] {
					obs(fmt.Sprintf("reloaded: new worker %d", w))
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("no new worker %s after the reload", timeout)
}

package applier

// An apply in two halves: prepare (read the live state, plan, render,
// validate) and commit (snapshot, write, runtime commands or reload,
// verify). Apply does both under the lock; Prepare and ApplyPrepared let
// the daemon do the first half while it waits out its debounce.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/haproute/haproute/ir"
)

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

// Prepared is an apply computed ahead of time: the live state read, the
// plan, the rendered files and, when the candidate haproxy.cfg differs
// from the running one, its haproxy -c validation (a Prepared exists only
// once its candidate passed).
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
	// same: the rendered files equal the ones on disk (version aside).
	same bool
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
	var cfgSame bool
	if p.same, cfgSame, err = sameFiles(l.absDir(), p.files); err != nil {
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
	if !cfgSame || !entriesOnly(p.plan) {
		cand, what := &p.want, "candidate configuration"
		if sub := serverCandidate(&p.want, p.plan); sub != nil {
			cand, what = sub, fmt.Sprintf("the %d changed backends with global and defaults", len(sub.Backends))
		}
		if err := l.Validate(ctx, cand); err != nil {
			return nil, err
		}
		obs("haproxy -c: " + what + " valid")
	}
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
	// the configuration just written as the parse of its haproxy.cfg.)
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

// sameFiles compares rendered files with the ones in dir, ignoring
// haproxy.cfg's version line (which always changes): all reports whether
// every file is the same and no other map or ACL file is there, cfg
// whether haproxy.cfg is the same.
func sameFiles(dir string, files ir.Files) (all, cfg bool, err error) {
	cur, err := os.ReadFile(filepath.Join(dir, ir.ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if string(dropVersion(cur)) != string(dropVersion(files[ir.ConfigFile])) {
		return false, false, nil
	}
	for name, data := range files {
		if name == ir.ConfigFile {
			continue
		}
		cur, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return false, true, nil
		}
		if err != nil {
			return false, true, err
		}
		if string(cur) != string(data) {
			return false, true, nil
		}
	}
	for _, pattern := range []string{"*.map", "*.acl"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range m {
			if _, ok := files[filepath.Base(p)]; !ok {
				return false, true, nil
			}
		}
	}
	return true, true, nil
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

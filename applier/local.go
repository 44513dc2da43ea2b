package applier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

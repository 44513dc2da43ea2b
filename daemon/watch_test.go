package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// dtWatcher runs a Watcher and timestamps its wake-ups.
type dtWatcher struct {
	wakes chan time.Time
}

// dtWatch runs w until the test ends. Wake-ups are read at once, as the
// daemon's loop does, and queued with their time.
func dtWatch(t *testing.T, w *Watcher) *dtWatcher {
	t.Helper()
	if w.Log == nil {
		w.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	wake := make(chan struct{}, 1)
	dw := &dtWatcher{wakes: make(chan time.Time, 1000)}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, wake) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				dw.wakes <- time.Now()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	})
	return dw
}

// next waits for a wake-up.
func (dw *dtWatcher) next(t *testing.T, what string) time.Time {
	t.Helper()
	select {
	case at := <-dw.wakes:
		return at
	case <-time.After(5 * time.Second):
		t.Fatalf("no wake-up after %s", what)
		return time.Time{}
	}
}

// quiet asserts that no wake-up comes for d (the absence of an event can
// only be observed over a bounded time).
func (dw *dtWatcher) quiet(t *testing.T, d time.Duration, what string) {
	t.Helper()
	select {
	case at := <-dw.wakes:
		t.Fatalf("unexpected wake-up at %s after %s", at.Format("15:04:05.000"), what)
	case <-time.After(d):
	}
}

// settle waits for Run to have set up its watches (an event before that
// would be lost): it writes a canary .hcl file into dir until a wake-up
// comes, removes it, and drains.
func (dw *dtWatcher) settle(t *testing.T, dir string, debounce time.Duration) {
	t.Helper()
	canary := filepath.Join(dir, "zz-canary.hcl")
	deadline := time.Now().Add(5 * time.Second)
	for {
		dtWrite(t, canary, time.Now().String())
		select {
		case <-dw.wakes:
			mustDo(t, os.Remove(canary))
			dw.next(t, "removing the canary")
			dw.quiet(t, 3*debounce, "settling")
			return
		case <-time.After(3 * debounce):
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher never woke up")
		}
	}
}

const dtDebounce = 50 * time.Millisecond

// TestWatcherDebouncesABurst: a burst of writes wakes the daemon once,
// after the files have been quiet for the debounce time. (On a loaded
// machine the burst itself may pause longer than that; each pause may then
// add one wake-up, never more.)
func TestWatcherDebouncesABurst(t *testing.T) {
	const debounce = 100 * time.Millisecond
	dir := t.TempDir()
	file := filepath.Join(dir, "r.hcl")
	dtWrite(t, file, "# 0")
	dw := dtWatch(t, &Watcher{Path: dir, Debounce: debounce})
	dw.settle(t, dir, debounce)

	var writes []time.Time
	for range 50 {
		dtWrite(t, file, "# "+time.Now().String())
		writes = append(writes, time.Now())
		time.Sleep(5 * time.Millisecond) // pacing the burst, not waiting
	}
	pauses := 0
	for i := 1; i < len(writes); i++ {
		if writes[i].Sub(writes[i-1]) >= debounce {
			pauses++
		}
	}
	last := writes[len(writes)-1]
	var wakes []time.Time
	for {
		at := dw.next(t, "a burst")
		wakes = append(wakes, at)
		if at.After(last) {
			break
		}
	}
	dw.quiet(t, 4*debounce, "the burst's last wake-up")
	for _, at := range wakes {
		// The write before the wake-up is at least debounce earlier.
		var before time.Time
		for _, w := range writes {
			if w.Before(at) {
				before = w
			}
		}
		if gap := at.Sub(before); gap < debounce {
			t.Errorf("woke %s after a write, before the debounce of %s", gap, debounce)
		}
	}
	if len(wakes) > 1+pauses {
		t.Errorf("%d wake-ups for %d writes with %d pauses >= debounce", len(wakes), len(writes), pauses)
	}
	t.Logf("%d writes in %s: %d wake-up(s), %d pause(s) >= debounce in the burst", len(writes), last.Sub(writes[0]).Round(time.Millisecond), len(wakes), pauses)
}

func TestWatcherIgnoresOtherFiles(t *testing.T) {
	dir := t.TempDir()
	dw := dtWatch(t, &Watcher{Path: dir, Debounce: dtDebounce})
	dw.settle(t, dir, dtDebounce)
	dtWrite(t, filepath.Join(dir, "notes.txt"), "x")
	dtWrite(t, filepath.Join(dir, "r.hcl.swp"), "x")
	dw.quiet(t, 4*dtDebounce, "writing non-.hcl files")
	dtWrite(t, filepath.Join(dir, "r.hcl"), "x")
	dw.next(t, "writing r.hcl")
}

func TestWatcherRenameAndConfigMap(t *testing.T) {
	dir := t.TempDir()
	dtWrite(t, filepath.Join(dir, "r.hcl"), "# 1")
	mustDo(t, os.Mkdir(filepath.Join(dir, "..v1"), 0o755))
	dtWrite(t, filepath.Join(dir, "..v1", "cm.hcl"), "# 1")
	mustDo(t, os.Symlink("..v1", filepath.Join(dir, "..data")))
	mustDo(t, os.Symlink("..data/cm.hcl", filepath.Join(dir, "cm.hcl")))
	dw := dtWatch(t, &Watcher{Path: dir, Debounce: dtDebounce})
	dw.settle(t, dir, dtDebounce)

	// An editor's save: write elsewhere, rename over the file.
	dtWrite(t, filepath.Join(dir, ".r.hcl.tmp"), "# 2")
	mustDo(t, os.Rename(filepath.Join(dir, ".r.hcl.tmp"), filepath.Join(dir, "r.hcl")))
	dw.next(t, "rename into place")
	dw.quiet(t, 3*dtDebounce, "rename into place")

	// The kubelet's swap.
	mustDo(t, os.Mkdir(filepath.Join(dir, "..v2"), 0o755))
	dtWrite(t, filepath.Join(dir, "..v2", "cm.hcl"), "# 2")
	mustDo(t, os.Symlink("..v2", filepath.Join(dir, "..data_tmp")))
	mustDo(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	dw.next(t, "the ..data swap")
}

func TestWatcherSingleFileReplacedByRename(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "only.hcl")
	dtWrite(t, file, "# 1")
	dw := dtWatch(t, &Watcher{Path: file, Debounce: dtDebounce})
	dw.settle(t, dir, dtDebounce)
	for range 3 {
		dtWrite(t, file+".new", "# "+time.Now().String())
		mustDo(t, os.Rename(file+".new", file))
		dw.next(t, "replacing the file by rename")
		dw.quiet(t, 3*dtDebounce, "replacing the file by rename")
	}
}

// TestWatcherDirectoryCreatedLater: the configuration directory (two
// levels of it) does not exist at start; it is picked up when created,
// and again after being removed and created anew.
func TestWatcherDirectoryCreatedLater(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "cfg")
	dw := dtWatch(t, &Watcher{Path: dir, Debounce: dtDebounce})
	dw.settle(t, base, dtDebounce) // base, the nearest existing parent, is watched
	mustDo(t, os.MkdirAll(dir, 0o755))
	dtWrite(t, filepath.Join(dir, "r.hcl"), "# 1")
	dw.next(t, "creating the directory and a file")
	dw.quiet(t, 3*dtDebounce, "creating the directory")
	// The new directory itself is watched now.
	dtWrite(t, filepath.Join(dir, "r.hcl"), "# 2")
	dw.next(t, "writing into the created directory")
	dw.quiet(t, 3*dtDebounce, "writing into the created directory")

	mustDo(t, os.RemoveAll(filepath.Join(base, "a")))
	dw.next(t, "removing the directory")
	dw.quiet(t, 3*dtDebounce, "removing the directory")
	mustDo(t, os.MkdirAll(dir, 0o755))
	dw.next(t, "creating the directory again")
	dw.quiet(t, 3*dtDebounce, "creating the directory again")
	dtWrite(t, filepath.Join(dir, "r.hcl"), "# 3")
	dw.next(t, "writing into the re-created directory")
}

func TestWatcherPoll(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.hcl")
	dtWrite(t, file, "# 1")
	dw := dtWatch(t, &Watcher{Path: dir, Poll: 20 * time.Millisecond})
	// Polling compares with the state at start: nothing changed yet.
	dw.quiet(t, 150*time.Millisecond, "no change")
	dtWrite(t, file, "# 2")
	dw.next(t, "a change seen by polling")
	dw.quiet(t, 150*time.Millisecond, "one change")
	dtWrite(t, filepath.Join(dir, "notes.txt"), "x")
	dw.quiet(t, 150*time.Millisecond, "writing a non-.hcl file")
	dtWrite(t, filepath.Join(dir, "new.hcl"), "x")
	dw.next(t, "a new file seen by polling")
}

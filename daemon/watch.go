package daemon

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher turns file-system activity on a configuration path into
// debounced wake-ups. It is level-triggered: a wake-up only says "look
// again"; nothing about the events is kept.
type Watcher struct {
	// Path is the configuration directory or file.
	Path string
	// Extra are more files to watch (e.g. variable files).
	Extra []string
	// Debounce is the quiet time after the last event before waking up.
	Debounce time.Duration
	// Poll, when non-zero, checks the files this often instead of using
	// inotify (for file systems without it).
	Poll time.Duration
	// Early, when set, gets a (non-blocking) send on every relevant event,
	// before the debounce: the daemon starts preparing the apply while it
	// waits for the files to be quiet.
	Early chan<- struct{}
	Log   *slog.Logger
}

// Run sends on wake after each burst of changes until ctx is done.
func (w *Watcher) Run(ctx context.Context, wake chan<- struct{}) error {
	if w.Poll > 0 {
		return w.poll(ctx, wake)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		w.Log.Warn("inotify unavailable; polling every second", "err", err)
		w.Poll = time.Second
		return w.poll(ctx, wake)
	}
	defer fw.Close()
	watched := map[string]bool{}
	// (Re)establish watches: the directory itself when it exists, else the
	// nearest existing parent (the directory may be created later), and the
	// parents of single files (editors replace files by rename).
	rewatch := func() {
		// Until nothing new is watched: a directory created below a new
		// watch before it was added sends no event of its own.
		for added := true; added; {
			added = false
			for _, p := range w.watchDirs() {
				if watched[p] {
					continue
				}
				if err := fw.Add(p); err == nil {
					watched[p] = true
					added = true
				}
			}
		}
	}
	rewatch()
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return nil
			}
			if !w.relevant(ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				// The kernel drops the watch of a removed directory; a
				// directory created again under that name is watched anew.
				if !ev.Has(fsnotify.Create) {
					delete(watched, ev.Name)
				}
				rewatch()
			}
			if w.Early != nil {
				notify(w.Early)
			}
			if timer == nil {
				timer = time.NewTimer(w.Debounce)
			} else {
				timer.Reset(w.Debounce)
			}
			fire = timer.C
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			w.Log.Warn("watch error", "err", err)
		case <-fire:
			fire = nil
			notify(wake)
		}
	}
}

// notify sends on ch unless a signal is already pending there: a signal
// only says "look again" (level-triggered), so one pending is enough.
func notify(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// watchDirs lists the directories to watch.
func (w *Watcher) watchDirs() []string {
	var out []string
	add := func(p string) {
		for {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				out = append(out, p)
				return
			}
			parent := filepath.Dir(p)
			if parent == p {
				return
			}
			p = parent
		}
	}
	abs, _ := filepath.Abs(w.Path)
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		add(filepath.Dir(abs))
	} else {
		add(abs)
		add(filepath.Dir(abs))
	}
	for _, e := range w.Extra {
		a, _ := filepath.Abs(e)
		add(filepath.Dir(a))
	}
	return out
}

// relevant filters events to the configuration: .hcl files, the
// ConfigMap "..data" symlink swap, the directory itself and extra files.
func (w *Watcher) relevant(name string) bool {
	abs, _ := filepath.Abs(w.Path)
	base := filepath.Base(name)
	switch {
	// "..data", "..data_tmp" and "..2024_..." are a ConfigMap's atomic
	// symlink swap.
	case name == abs, strings.HasSuffix(base, ".hcl"), strings.HasPrefix(base, ".."):
		return true
	// A missing ancestor of the configuration directory was created (or
	// removed): the watches move down (or up) the path.
	case strings.HasPrefix(abs, name+string(filepath.Separator)):
		return true
	}
	for _, e := range w.Extra {
		// The file, or a missing ancestor of it created (or removed).
		if a, _ := filepath.Abs(e); a == name || strings.HasPrefix(a, name+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// poll compares a fingerprint of the files every w.Poll.
func (w *Watcher) poll(ctx context.Context, wake chan<- struct{}) error {
	last := w.fingerprint()
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			fp := w.fingerprint()
			if fp != last {
				last = fp
				notify(wake)
			}
		}
	}
}

// fingerprint hashes names and contents of the configuration files.
func (w *Watcher) fingerprint() [32]byte {
	h := sha256.New()
	var files []string
	if st, err := os.Stat(w.Path); err == nil && !st.IsDir() {
		files = []string{w.Path}
	} else {
		m, _ := filepath.Glob(filepath.Join(w.Path, "*.hcl"))
		files = m
	}
	files = append(files, w.Extra...)
	sort.Strings(files)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		h.Write([]byte(f))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

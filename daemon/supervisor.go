// Package daemon is haproute's main job: it watches the .hcl files,
// hot-applies every change through the applier, supervises its own HAProxy
// (or attaches to one started by someone else), and serves status and
// metrics on a loopback listener.
package daemon

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Supervisor runs one HAProxy in master-worker mode and restarts it with
// backoff when it dies.
type Supervisor struct {
	Bin          string
	ConfigFile   string
	MasterSocket string
	Log          *slog.Logger
	// OnRestart is called after HAProxy died and was started again.
	OnRestart func(reason string)
	// StopTimeout bounds a graceful stop before SIGKILL (default 10s).
	StopTimeout time.Duration

	mu       sync.Mutex
	cmd      *exec.Cmd
	started  time.Time
	exited   chan struct{}
	alerts   []string
	stopping bool
	done     chan struct{}
}

// Start starts HAProxy and the supervision loop. It returns once the
// first HAProxy process is running (or failed to start).
func (s *Supervisor) Start(ctx context.Context) error {
	if s.StopTimeout <= 0 {
		s.StopTimeout = 10 * time.Second
	}
	s.done = make(chan struct{})
	if err := s.spawn(); err != nil {
		close(s.done)
		return err
	}
	go s.loop(ctx)
	return nil
}

func (s *Supervisor) spawn() error {
	_ = os.Remove(s.MasterSocket)
	cmd := exec.Command(s.Bin, "-W", "-db", "-S", s.MasterSocket+",mode,600", "-f", s.ConfigFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.Bin, err)
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.started, s.exited = cmd, time.Now(), exited
	s.mu.Unlock()
	go s.readLog(stderr)
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.Log.Info("haproxy started", "pid", cmd.Process.Pid, "config", s.ConfigFile)
	return nil
}

// readLog forwards HAProxy's output to the log and keeps recent alerts.
func (s *Supervisor) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "[ALERT]"):
			s.Log.Error("haproxy", "line", line)
			s.mu.Lock()
			s.alerts = append(s.alerts, line)
			if len(s.alerts) > 50 {
				s.alerts = s.alerts[len(s.alerts)-50:]
			}
			s.mu.Unlock()
		case strings.Contains(line, "[WARNING]"):
			s.Log.Warn("haproxy", "line", line)
		default:
			s.Log.Debug("haproxy", "line", line)
		}
	}
}

// Alerts returns and clears HAProxy's recent [ALERT] lines (the reasons of
// a failed reload are only printed there).
func (s *Supervisor) Alerts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alerts
	s.alerts = nil
	return a
}

func (s *Supervisor) loop(ctx context.Context) {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	for {
		s.mu.Lock()
		exited, cmd, started := s.exited, s.cmd, s.started
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			s.stop(cmd, exited)
			return
		case <-exited:
		}
		s.mu.Lock()
		stopping := s.stopping
		s.mu.Unlock()
		if stopping {
			return
		}
		reason := "exited"
		if st := cmd.ProcessState; st != nil {
			reason = st.String()
		}
		if time.Since(started) > 30*time.Second {
			backoff = 100 * time.Millisecond
		}
		s.Log.Error("haproxy died; restarting", "pid", cmd.Process.Pid, "reason", reason, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
		if err := s.spawn(); err != nil {
			s.Log.Error("haproxy restart failed", "err", err)
			// Keep trying: a fake exited channel re-enters the backoff.
			ch := make(chan struct{})
			close(ch)
			s.mu.Lock()
			s.exited, s.started = ch, time.Now()
			s.mu.Unlock()
			continue
		}
		if s.OnRestart != nil {
			s.OnRestart(reason)
		}
	}
}

// stop stops HAProxy gracefully: SIGUSR1 (soft stop: finish sessions),
// then SIGTERM, then SIGKILL of the process group.
func (s *Supervisor) stop(cmd *exec.Cmd, exited chan struct{}) {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Signal(syscall.SIGUSR1)
	select {
	case <-exited:
		s.Log.Info("haproxy stopped", "pid", pid)
		return
	case <-time.After(s.StopTimeout):
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return
	case <-time.After(2 * time.Second):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-exited
}

// Wait blocks until the supervision loop has ended (after the context
// given to Start is done and HAProxy has stopped).
func (s *Supervisor) Wait() { <-s.done }

// PID returns the master's PID and start time, or 0 when not running.
func (s *Supervisor) PID() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, time.Time{}
	}
	select {
	case <-s.exited:
		return 0, time.Time{}
	default:
	}
	return s.cmd.Process.Pid, s.started
}

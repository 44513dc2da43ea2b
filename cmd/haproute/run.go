package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/haproute/haproute/daemon"
)

// RunCmd is the daemon.
type RunCmd struct {
	LoadFlags
	StateDir      string        `name:"state-dir" default:".haproute" help:"Where the embedded HAProxy's files and sockets live." type:"path"`
	Attach        bool          `help:"Manage an HAProxy started by someone else (systemd, a container) instead of starting one."`
	ConfigDir     string        `name:"config-dir" help:"With --attach: the directory that HAProxy reads." type:"path"`
	RuntimeSocket string        `name:"runtime-socket" help:"With --attach: the stats socket (level admin)." type:"path"`
	MasterSocket  string        `name:"master-socket" help:"With --attach: the master CLI socket." type:"path"`
	HaproxyBin    string        `name:"haproxy-bin" default:"haproxy" help:"HAProxy binary (found on PATH by default)."`
	Debounce      time.Duration `default:"200ms" help:"Quiet time after the last file change before applying."`
	Poll          time.Duration `help:"Poll the files this often instead of using inotify (0: inotify)."`
	Listen        string        `default:"127.0.0.1:9180" help:"Status and metrics listener (/healthz, /status, /metrics, /plan); empty to disable."`
	AdminToken    string        `name:"admin-token" env:"HAPROUTE_ADMIN_TOKEN" help:"Bearer token required on the listener (mandatory for a non-loopback address)."`
	LogFormat     string        `name:"log-format" enum:"text,json" default:"text" help:"Log format: text or json."`
	LogLevel      string        `name:"log-level" enum:"debug,info,warn,error" default:"info" help:"Log level."`
	DrainTimeout  time.Duration `name:"drain-timeout" default:"10s" help:"How long a removed server may keep connections."`
}

// Run runs the daemon until SIGTERM/SIGINT.
func (r *RunCmd) Run(e *env) error {
	var level slog.Level
	_ = level.UnmarshalText([]byte(r.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(e.stderr, opts)
	if r.LogFormat == "json" {
		h = slog.NewJSONHandler(e.stderr, opts)
	}
	d, err := daemon.New(daemon.Config{
		Path: r.Path, Vars: r.Var, VarFiles: r.VarFile, Env: e.getenv,
		Attach: r.Attach, StateDir: r.StateDir, ConfigDir: r.ConfigDir,
		RuntimeSocket: r.RuntimeSocket, MasterSocket: r.MasterSocket, HaproxyBin: r.HaproxyBin,
		Debounce: r.Debounce, Poll: r.Poll, Listen: r.Listen, AdminToken: r.AdminToken,
		DrainTimeout: r.DrainTimeout, Log: slog.New(h),
	})
	if err != nil {
		return err
	}
	if _, err := os.Stat(r.Path); err != nil {
		fmt.Fprintf(e.stderr, "haproute: %s does not exist yet; waiting for it\n", r.Path)
	}
	return d.Run(context.Background())
}

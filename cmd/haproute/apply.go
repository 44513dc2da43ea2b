package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/compiler"
	"github.com/haproute/haproute/ir"
)

// TargetFlags name the live HAProxy to plan or apply against.
type TargetFlags struct {
	ConfigDir     string        `name:"config-dir" required:"" help:"Directory HAProxy reads (haproxy.cfg, maps, ACL files)." type:"path"`
	RuntimeSocket string        `name:"runtime-socket" help:"Stats socket (Runtime API), level admin." type:"path"`
	MasterSocket  string        `name:"master-socket" help:"Master CLI socket (haproxy -W -S), for reloads." type:"path"`
	Haproxy       string        `name:"haproxy-bin" default:"haproxy" help:"haproxy binary used for 'haproxy -c'."`
	Timeout       time.Duration `default:"5s" help:"Timeout of each socket command."`
}

func (t *TargetFlags) driver() *applier.Local {
	return &applier.Local{Dir: t.ConfigDir, RuntimeSocket: t.RuntimeSocket, MasterSocket: t.MasterSocket, Haproxy: t.Haproxy, Timeout: t.Timeout}
}

// desired loads, checks and compiles the configuration for the target.
func desired(e *env, l *LoadFlags, t *TargetFlags) (*ir.Config, error) {
	ld := l.load(e)
	if ld.diags.HasErrors() {
		writeText(e.stderr, ld)
		return nil, exitError{1}
	}
	socket := t.RuntimeSocket
	if socket != "" {
		if abs, err := filepath.Abs(socket); err == nil {
			socket = abs
		}
	}
	cfg, diags := compiler.Compile(ld.prog, compiler.Options{StatsSocket: socket})
	ld.diags = append(ld.diags, diags...)
	writeText(e.stderr, ld)
	if diags.HasErrors() {
		return nil, exitError{1}
	}
	return cfg, nil
}

// PlanCmd previews the changes apply would make.
type PlanCmd struct {
	LoadFlags
	TargetFlags
	Format   string `enum:"text,json" default:"text" help:"Output format: text or json."`
	Commands bool   `help:"Also list the runtime commands apply would send."`
}

// Run prints the plan; exit 0 = no changes, 2 = changes, 1 = error.
func (p *PlanCmd) Run(e *env) error {
	want, err := desired(e, &p.LoadFlags, &p.TargetFlags)
	if err != nil {
		return err
	}
	drv := &applier.DryRun{Inner: p.driver()}
	res, err := drv.Apply(context.Background(), want, nil, applier.ApplyOptions{})
	if err != nil {
		return err
	}
	plan := res.Plan
	if p.Format == "json" {
		if err := applier.WriteJSON(e.stdout, plan); err != nil {
			return err
		}
	} else {
		applier.WriteText(e.stdout, plan)
		if p.Commands {
			for _, c := range res.Commands {
				fmt.Fprintln(e.stdout, "  runtime: "+c)
			}
		}
	}
	if !plan.Empty() {
		return exitError{2}
	}
	return nil
}

// ApplyCmd applies the configuration to a live HAProxy.
type ApplyCmd struct {
	LoadFlags
	TargetFlags
	ExpectVersion int           `name:"version" help:"Fail with a conflict unless the live configuration version is this one."`
	DrainTimeout  time.Duration `name:"drain-timeout" default:"10s" help:"How long a removed server may keep connections before apply gives up."`
}

// Run applies and reports what it did.
func (a *ApplyCmd) Run(e *env) error {
	start := time.Now()
	want, err := desired(e, &a.LoadFlags, &a.TargetFlags)
	if err != nil {
		return err
	}
	ctx := context.Background()
	drv := a.driver()
	res, err := drv.Apply(ctx, want, nil, applier.ApplyOptions{
		ExpectVersion: a.ExpectVersion,
		DrainTimeout:  a.DrainTimeout,
		Observe:       func(s string) { fmt.Fprintln(e.stdout, "  "+s) },
	})
	if res != nil {
		for _, c := range res.Commands {
			fmt.Fprintln(e.stdout, "  runtime: "+c)
		}
	}
	if err != nil {
		var conflict *applier.ConflictError
		if errors.As(err, &conflict) {
			fmt.Fprintln(e.stderr, "haproute: "+err.Error())
			return exitError{3}
		}
		return err
	}
	if res.Unchanged {
		fmt.Fprintf(e.stdout, "No changes (version %d).\n", res.Version)
		return nil
	}
	reload := "no reload"
	if res.Reloaded {
		reload = "1 reload"
	}
	fmt.Fprintf(e.stdout, "Applied version %d: %d runtime command(s), %s, in %s.\n", res.Version, len(res.Commands), reload, time.Since(start).Round(time.Millisecond))
	return nil
}

package applier

import (
	"context"
	"time"

	"github.com/haproute/haproute/ir"
)

// DryRun is a Driver that reads the live state through Inner but changes
// nothing: Apply returns the runtime commands it would send and whether it
// would reload. "haproute plan" uses it.
type DryRun struct {
	Inner Driver
}

var _ Driver = (*DryRun)(nil)

// Live reads the live state through the inner driver.
func (d *DryRun) Live(ctx context.Context) (*Live, error) { return d.Inner.Live(ctx) }

// Apply computes what an apply would do, without doing it.
func (d *DryRun) Apply(ctx context.Context, desired *ir.Config, plan *Plan, opts ApplyOptions) (*Result, error) {
	start := time.Now()
	if plan == nil {
		live, err := d.Inner.Live(ctx)
		if err != nil {
			return nil, err
		}
		plan = PlanFor(desired, live)
		plan.Version = live.Files.Version + 1
	}
	res := &Result{Version: plan.Version, Plan: plan, Unchanged: plan.Empty()}
	if plan.Reload() {
		res.Reloaded = true
	} else if !plan.Empty() {
		ex := &executor{rt: recorder{}, obs: func(string) {}}
		if err := ex.run(plan); err != nil {
			return nil, err
		}
		res.Commands = ex.sent
	}
	res.Duration = time.Since(start)
	return res, nil
}

package applier

import (
	"context"
	"strconv"
	"time"

	"github.com/haproute/haproute/ir"
)

// Driver reads and changes one live HAProxy. Diff never depends on a
// driver, so another one (e.g. the Data Plane API) can be added without
// touching it.
type Driver interface {
	// Live reads the configuration and runtime state.
	Live(ctx context.Context) (*Live, error)
	// Apply brings HAProxy to desired. plan must come from
	// PlanFor(desired, live) on the same driver; opts bound the apply.
	Apply(ctx context.Context, desired *ir.Config, plan *Plan, opts ApplyOptions) (*Result, error)
}

// ApplyOptions control one apply.
type ApplyOptions struct {
	// ExpectVersion, when non-zero, makes the apply fail with a
	// ConflictError unless the live version equals it.
	ExpectVersion int
	// DrainTimeout bounds the wait for a removed server's connections.
	DrainTimeout time.Duration
	// Observe, when set, receives one line per step.
	Observe func(step string)
}

// Result is what an apply did.
type Result struct {
	Version  int
	Reloaded bool
	// Commands are the runtime commands sent, in order.
	Commands []string
	Duration time.Duration
	// Unchanged is true when nothing had to be done.
	Unchanged bool
	// Plan is the plan that was executed (computed under the lock).
	Plan *Plan
	// Prepared is true when ApplyPrepared committed its preparation as
	// it was (false when it had to prepare again, and for Apply).
	Prepared bool
}

// ConflictError is returned when the live version is not the expected one.
type ConflictError struct {
	Expected, Live int
}

func (e *ConflictError) Error() string {
	return "version conflict: expected live version " + itoa(e.Expected) + ", found " + itoa(e.Live) + " (someone else applied a change; plan again)"
}

func itoa(n int) string { return strconv.Itoa(n) }

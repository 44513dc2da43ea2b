package applier_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproute/haproute/applier"
	"github.com/haproute/haproute/internal/hatest"
)

// TestITPrepared covers Prepare + ApplyPrepared, the daemon's way of
// applying: the plan is made ahead of time and committed later, only if
// the files and HAProxy's worker are still the ones it was made against.
func TestITPrepared(t *testing.T) {
	hatest.Binary(t)
	t.Parallel()
	routeA := `  route "a" {
    host    = ["a.test"]
    backend = backend.b2
  }
`
	routeC := `  route "c" {
    host    = ["c.test"]
    backend = backend.b3
  }
`
	a := hatest.Request{Host: "a.test"}
	c := hatest.Request{Host: "c.test"}
	ctx := context.Background()
	opts := func(log *[]string) applier.ApplyOptions {
		return applier.ApplyOptions{DrainTimeout: 5 * time.Second, Observe: func(s string) { *log = append(*log, s) }}
	}
	reprepared := func(log []string) bool {
		return slices.ContainsFunc(log, func(s string) bool { return strings.Contains(s, "preparing again") })
	}

	// commitStale commits p, which must be found stale and prepared again.
	commitStale := func(t *testing.T, e *itEnv, p *applier.Prepared) {
		t.Helper()
		var log []string
		res, err := e.drv.ApplyPrepared(ctx, p, opts(&log))
		if err != nil {
			t.Fatal(err)
		}
		if !reprepared(log) || res.Prepared {
			t.Fatalf("the stale preparation was committed: %q", log)
		}
	}

	t.Run("commit", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, routeA))
		before := e.workers()
		want := e.compile(itConf(itS1, routeA+routeC))
		p, err := e.drv.Prepare(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Plan().Changes) != 1 || p.Plan().Reload() {
			t.Fatalf("want one runtime change, got %s", itChanges(p.Plan().Changes))
		}
		e.only(c, 3, "s1") // preparing changed nothing
		var log []string
		res, err := e.drv.ApplyPrepared(ctx, p, opts(&log))
		if err != nil {
			t.Fatal(err)
		}
		if res.Reloaded || len(res.Commands) == 0 || reprepared(log) || !res.Prepared {
			t.Fatalf("want the prepared runtime apply, got reloaded=%v commands=%q log=%q", res.Reloaded, res.Commands, log)
		}
		if after := e.workers(); !slices.Equal(before, after) {
			t.Fatalf("worker changed: %v -> %v", before, after)
		}
		e.only(c, 3, "u1")
		e.converged(want)
		e.reloadAndCheck(want, func() { e.only(c, 3, "u1"); e.only(a, 3, "t1") })
	})

	t.Run("server weight", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		// The weight is in haproxy.cfg: the candidate is validated by
		// haproxy -c while preparing, the commit only sends commands.
		want := e.compile(itConf(`  server "s1" {
    address = "@s1@"
    weight  = 0
  }
`+itS2, ""))
		p, err := e.drv.Prepare(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		res, err := e.drv.ApplyPrepared(ctx, p, opts(&log))
		if err != nil {
			t.Fatal(err)
		}
		if res.Reloaded || len(res.Commands) == 0 || slices.ContainsFunc(log, func(s string) bool { return strings.Contains(s, "haproxy -c") }) {
			t.Fatalf("want runtime commands and no haproxy -c in the commit, got reloaded=%v commands=%q log=%q", res.Reloaded, res.Commands, log)
		}
		e.only(hatest.Request{Host: "x.test"}, 6, "s2")
		e.converged(want)

		// Apply validates the same kind of change with a candidate made of
		// global, defaults and the changed backend only.
		log = nil
		want = e.compile(itConf(itS1+itS2+`  server "s3" { address = "@t1@" }
`, ""))
		if _, err := e.drv.Apply(ctx, want, nil, opts(&log)); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(log, "haproxy -c: the 1 changed backends with global and defaults valid") {
			t.Fatalf("want the reduced haproxy -c candidate, got %q", log)
		}
		e.converged(want)
		e.reloadAndCheck(want, func() { e.count(e.addr, hatest.Request{Host: "x.test"}, 6) })
	})

	t.Run("files changed in between", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, routeA))
		want := e.compile(itConf(itS1, routeA+routeC))
		p, err := e.drv.Prepare(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		// Someone else applies first (a new version on disk).
		if _, _, err := e.apply(itConf(itS1, ""), applier.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		e.only(a, 3, "s1")
		commitStale(t, e, p)
		e.only(a, 3, "t1")
		e.only(c, 3, "u1")
		e.converged(want)
	})

	t.Run("worker replaced in between", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1, routeA))
		// Runtime state the files do not have, then a reload (as a
		// restart would): the runtime state is back to the files, and the
		// preparation, made against the runtime state, is stale.
		first := e.compile(itConf(itS1, routeA+routeC))
		if _, err := e.drv.Apply(ctx, first, nil, applier.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		want := e.compile(itConf(itS1, routeC))
		p, err := e.drv.Prepare(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		e.proxy.Reload(t)
		commitStale(t, e, p)
		e.only(a, 3, "s1")
		e.only(c, 3, "u1")
		e.converged(want)
	})

	t.Run("verification of what changed", func(t *testing.T) {
		t.Parallel()
		e := itStart(t, itConf(itS1+itS2, ""))
		want := e.compile(itConf(`  server "s1" {
    address = "@s1@"
    weight  = 50
  }
`+itS2, ""))
		p, err := e.drv.Prepare(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		// A hand-made runtime change to the backend the plan touches,
		// after the preparation: the plan only sets the weight, and the
		// read-back of that backend must see the server in maintenance.
		rt, err := applier.DialRuntime(ctx, e.sock, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Do("set server b1/s1 state maint"); err != nil {
			t.Fatal(err)
		}
		rt.Close()
		_, err = e.drv.ApplyPrepared(ctx, p, applier.ApplyOptions{})
		var ve *applier.VerifyError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "s1") {
			t.Fatalf("want a VerifyError about s1, got %v", err)
		}
		// The next apply (a sync) corrects it.
		var log []string
		if _, err := e.drv.Apply(ctx, want, nil, opts(&log)); err != nil {
			t.Fatal(err)
		}
		e.converged(want)
	})
}

package applier

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/haproute/haproute/ir"
)

// Live is the state of a running HAProxy as haproute sees it.
type Live struct {
	// Files is the configuration on disk.
	Files *ir.Config
	// Runtime is Files with the runtime state laid over it (servers, map
	// and ACL entries, frontend maxconn); nil when HAProxy is not
	// reachable.
	Runtime *ir.Config
	// Proc is the master's process list; nil without a master socket.
	Proc *Proc
}

// Effective returns the configuration HAProxy is actually using: the
// runtime view when known, else the files.
func (l *Live) Effective() *ir.Config {
	if l.Runtime != nil {
		return l.Runtime
	}
	return l.Files
}

// PlanFor diffs desired against the live state and marks drift: changes
// needed because the runtime state differs from the files on disk.
func PlanFor(desired *ir.Config, live *Live) *Plan {
	p := Diff(desired, live.Effective())
	p.LiveVersion = live.Files.Version
	if live.Runtime != nil && len(p.Changes) > 0 {
		// Runtime state differs from the files only in what runtime
		// commands change (servers, frontend maxconn, map and ACL
		// entries), so the parts the plan touches are all that can
		// drift under its changes.
		t := touchedBy(p)
		drift := map[string]bool{}
		for _, c := range Diff(t.restrict(live.Files), t.restrict(live.Runtime)).Changes {
			drift[changeKey(c)] = true
		}
		for i := range p.Changes {
			if drift[changeKey(p.Changes[i])] {
				p.Changes[i].Drift = true
			}
		}
	}
	return p
}

func changeKey(c Change) string { return string(c.Kind) + "\x00" + c.Section + "\x00" + c.Name }

// runtimeCopy copies cfg deeply enough for readRuntime to change the copy
// without touching cfg: the backends and their servers, the frontends and
// the map and ACL files (whose entries readRuntime replaces).
func runtimeCopy(cfg *ir.Config) *ir.Config {
	v := *cfg
	v.Backends = copyAll(cfg.Backends, func(b *ir.Backend) {
		b.Servers = copyAll(b.Servers, func(*ir.Server) {})
	})
	v.Frontends = copyAll(cfg.Frontends, func(*ir.Frontend) {})
	v.Maps = copyAll(cfg.Maps, func(*ir.MapFile) {})
	v.ACLFiles = copyAll(cfg.ACLFiles, func(*ir.ACLFile) {})
	return &v
}

// copyAll returns a slice of copies of the elements of l (nil for nil),
// each passed to deeper, which copies what it must.
func copyAll[T any](l []*T, deeper func(*T)) []*T {
	if l == nil {
		return nil
	}
	out := make([]*T, len(l))
	for i, e := range l {
		c := *e
		deeper(&c)
		out[i] = &c
	}
	return out
}

// Admin state bits of "show servers state" (HAProxy 2.6 SRV_ADMF_*).
const (
	admForcedMaint  = 0x01
	admInheritMaint = 0x02
	admForcedDrain  = 0x08
	admInheritDrain = 0x10
	// admResolverMaint (0x20, DNS resolution failed) is not an
	// administrative state: it is not read as "maint".
)

// adminState reads the administrative state of "show servers state".
func adminState(admin int) string {
	switch {
	case admin&(admForcedMaint|admInheritMaint) != 0:
		return "maint"
	case admin&(admForcedDrain|admInheritDrain) != 0:
		return "drain"
	}
	return "ready"
}

// readRuntime lays the runtime state read through rt over cfg (a fresh
// copy of the files' configuration) in place.
func readRuntime(rt *RuntimeAPI, cfg *ir.Config, dir string) error {
	return readRuntimeOf(rt, cfg, dir, nil)
}

// touched names the parts of a configuration a runtime plan changes.
type touched struct {
	backends, frontends, maps, acls map[string]bool
	limits                          bool
}

func touchedBy(p *Plan) *touched {
	t := &touched{backends: map[string]bool{}, frontends: map[string]bool{}, maps: map[string]bool{}, acls: map[string]bool{}}
	for _, c := range p.Changes {
		switch c.Kind {
		case KindServer:
			t.backends[c.Section] = true
			t.limits = true
		case KindFrontendMaxconn:
			t.frontends[c.Section] = true
			t.limits = true
		case KindMapEntry:
			t.maps[c.Section] = true
		case KindACLEntry:
			t.acls[c.Section] = true
		}
	}
	return t
}

// verifyTouched checks, after a runtime plan ran, that what the plan
// touched now reads back from HAProxy as desired. The rest of the live
// state was read just before and equalled desired already (the plan
// listed no change there), and runtime commands change nothing else.
// The touched backends are read over desired's (the files just written
// describe them), the rest keeps its pre-apply runtime view.
func verifyTouched(rt *RuntimeAPI, desired *ir.Config, live *Live, plan *Plan, dir string) error {
	t := touchedBy(plan)
	want, view := t.restrict(desired), runtimeCopy(t.restrict(live.Effective()))
	// The touched backends are read over desired's (the files just
	// written): servers added at runtime are then known from the files.
	for i, b := range view.Backends {
		if db := want.FindBackend(b.Name); db != nil {
			view.Backends[i] = runtimeCopy(&ir.Config{Backends: []*ir.Backend{db}}).Backends[0]
		}
	}
	if err := readRuntimeOf(rt, view, dir, t); err != nil {
		return fmt.Errorf("applied, but reading back what changed failed: %w", err)
	}
	if rest := Diff(want, view); !rest.Empty() {
		return &VerifyError{Remaining: rest.Changes}
	}
	return nil
}

// restrict returns cfg with only the touched backends, frontends, maps
// and ACL files (shared, not copied). Diff of two restricted
// configurations lists the changes of the touched parts only.
func (t *touched) restrict(cfg *ir.Config) *ir.Config {
	out := &ir.Config{Version: cfg.Version, Global: cfg.Global, Defaults: cfg.Defaults}
	for _, b := range cfg.Backends {
		if t.backends[b.Name] {
			out.Backends = append(out.Backends, b)
		}
	}
	for _, f := range cfg.Frontends {
		if t.frontends[f.Name] {
			out.Frontends = append(out.Frontends, f)
		}
	}
	for _, m := range cfg.Maps {
		if t.maps[m.Name] {
			out.Maps = append(out.Maps, m)
		}
	}
	for _, a := range cfg.ACLFiles {
		if t.acls[a.Name] {
			out.ACLFiles = append(out.ACLFiles, a)
		}
	}
	return out
}

// readRuntimeOf is readRuntime limited to what only names (all of it
// when only is nil).
func readRuntimeOf(rt *RuntimeAPI, cfg *ir.Config, dir string, only *touched) error {
	var limits map[string]int
	if only == nil {
		var err error
		if limits, err = readLimits(rt, "show stat"); err != nil {
			return err
		}
	} else if only.limits {
		// Only the touched proxies: "show stat <proxy> <type> -1", type
		// 1 for the frontend line, 4 for the servers.
		var cmds []string
		for _, f := range sortedKeys(only.frontends) {
			cmds = append(cmds, "show stat "+Arg(f)+" 1 -1")
		}
		for _, b := range sortedKeys(only.backends) {
			cmds = append(cmds, "show stat "+Arg(b)+" 4 -1")
		}
		var err error
		if limits, err = readLimits(rt, cmds...); err != nil {
			return err
		}
	}
	if only == nil || len(only.backends) > 0 {
		if err := readServers(rt, cfg, limits, only); err != nil {
			return err
		}
	}
	for _, f := range cfg.Frontends {
		if only != nil && !only.frontends[f.Name] {
			continue
		}
		// Without a configured limit HAProxy reports its derived default.
		if m, ok := limits[f.Name+"/FRONTEND"]; ok && f.Maxconn > 0 {
			f.Maxconn = m
		}
	}
	for _, m := range cfg.Maps {
		if only != nil && !only.maps[m.Name] {
			continue
		}
		entries, err := showEntries(rt, "map", dir, m.Name)
		if err != nil {
			return err
		}
		m.Entries = nil
		for _, e := range entries {
			m.Entries = append(m.Entries, ir.MapEntry{Key: e[0], Value: e[1]})
		}
	}
	for _, a := range cfg.ACLFiles {
		if only != nil && !only.acls[a.Name] {
			continue
		}
		entries, err := showEntries(rt, "acl", dir, a.Name)
		if err != nil {
			return err
		}
		a.Entries = nil
		for _, e := range entries {
			a.Entries = append(a.Entries, ir.ACLEntry{Pattern: e[0]})
		}
	}
	return nil
}

// readServers lays "show servers state" over the backends of cfg (those
// only names, when only is not nil).
func readServers(rt *RuntimeAPI, cfg *ir.Config, limits map[string]int, only *touched) error {
	var out string
	if only == nil {
		var err error
		if out, err = rt.Do("show servers state"); err != nil {
			return err
		}
	} else {
		for _, b := range sortedKeys(only.backends) {
			o, err := rt.Do("show servers state " + Arg(b))
			if err != nil {
				return err
			}
			out += o + "\n"
		}
	}
	type srvState struct {
		addr   string
		port   int
		admin  int
		weight int
	}
	states := map[string]map[string]srvState{} // backend -> server -> state
	var order = map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 19 || strings.HasPrefix(line, "#") {
			continue
		}
		if only != nil && !only.backends[f[1]] {
			continue
		}
		admin, err1 := strconv.Atoi(f[6])
		weight, err2 := strconv.Atoi(f[7])
		port, err3 := strconv.Atoi(f[18])
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("unexpected 'show servers state' line %q", line)
		}
		if states[f[1]] == nil {
			states[f[1]] = map[string]srvState{}
		}
		states[f[1]][f[3]] = srvState{addr: f[4], port: port, admin: admin, weight: weight}
		order[f[1]] = append(order[f[1]], f[3])
	}
	for _, b := range cfg.Backends {
		if only != nil && !only.backends[b.Name] {
			continue
		}
		st := states[b.Name]
		var servers []*ir.Server
		for _, s := range b.Servers {
			ss, ok := st[s.Name]
			if !ok {
				continue // deleted at runtime
			}
			fileDrain := s.State == "drain"
			// A DNS name shows up resolved (or unresolved) at runtime;
			// haproute never changes it at runtime, so keep the name.
			if isIP(s.Address) {
				s.Address = ss.addr
			}
			s.Port = ss.port
			// The file form of drain (weight 0, real weight in a comment)
			// as loaded by a reload is still drained.
			if st := adminState(ss.admin); st != "ready" || !fileDrain || ss.weight != 0 {
				s.State, s.Weight = st, ss.weight
			}
			if m, ok := limits[b.Name+"/"+s.Name]; ok {
				s.Maxconn = m
			}
			servers = append(servers, s)
		}
		// Servers added at runtime.
		for _, name := range order[b.Name] {
			if findServer(b, name) != nil {
				continue
			}
			ss := st[name]
			s := &ir.Server{Name: name, Address: ss.addr, Port: ss.port, Weight: ss.weight, State: adminState(ss.admin)}
			s.Maxconn = limits[b.Name+"/"+name]
			// Runtime-added servers inherit check from how haproute adds
			// them: with check when the backend has a health check.
			s.Check = b.HealthCheck != nil
			servers = append(servers, s)
		}
		b.Servers = servers
	}
	return nil
}

// showEntries runs "show map" or "show acl" (what) on the file name in dir
// and parses the entries.
func showEntries(rt *RuntimeAPI, what, dir, name string) ([][2]string, error) {
	out, err := rt.Do("show " + what + " " + Arg(filepath.Join(dir, name)))
	if err != nil {
		return nil, err
	}
	entries, err := parseShowEntries(out, what == "map")
	if err != nil {
		return nil, fmt.Errorf("show %s %s: %w", what, name, err)
	}
	return entries, nil
}

// parseShowEntries parses "show map"/"show acl" output: "0xID key [value]".
func parseShowEntries(out string, withValue bool) ([][2]string, error) {
	var res [][2]string
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		id, rest, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(id, "0x") {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		if withValue {
			k, v, _ := strings.Cut(rest, " ")
			res = append(res, [2]string{k, v})
		} else {
			res = append(res, [2]string{rest, ""})
		}
	}
	return res, nil
}

// readLimits returns maxconn of frontends ("NAME/FRONTEND") and servers
// ("BACKEND/SERVER") from "show stat" commands; servers without a limit
// are absent.
func readLimits(rt *RuntimeAPI, cmds ...string) (map[string]int, error) {
	out2 := map[string]int{}
	for _, cmd := range cmds {
		out, err := rt.Do(cmd)
		if err != nil {
			return nil, err
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# ")))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil || len(recs) == 0 {
			return nil, fmt.Errorf("unexpected '%s' answer: %v %q", cmd, err, firstLine(out))
		}
		slim := -1
		for i, h := range recs[0] {
			if h == "slim" {
				slim = i
			}
		}
		if slim < 0 {
			return nil, fmt.Errorf("'%s' has no slim column: %q", cmd, firstLine(out))
		}
		for _, rec := range recs[1:] {
			if len(rec) <= slim || rec[1] == "BACKEND" || rec[slim] == "" {
				continue
			}
			n, err := strconv.Atoi(rec[slim])
			if err != nil {
				continue
			}
			out2[rec[0]+"/"+rec[1]] = n
		}
	}
	return out2, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

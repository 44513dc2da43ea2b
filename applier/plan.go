// Package applier computes the smallest change from a live HAProxy
// configuration to a desired one (Diff -> Plan, a pure function) and applies
// it through a Driver: at runtime through the Runtime API where HAProxy
// allows it, otherwise by writing files and reloading once.
package applier

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/haproute/haproute/ir"
	"github.com/hashicorp/hcl/v2"
)

// Action is what a change does.
type Action int

// The actions, shown as + ~ - like Terraform.
const (
	Create Action = iota
	Update
	Delete
)

func (a Action) String() string { return [...]string{"+", "~", "-"}[a] }

// MarshalText renders the action symbol in JSON.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Via tells how a change is applied.
type Via int

// Runtime changes go through the Runtime API without a reload; Reload
// changes need new files and one reload.
const (
	Runtime Via = iota
	Reload
)

func (v Via) String() string { return [...]string{"runtime", "reload"}[v] }

// MarshalText renders "runtime" or "reload" in JSON.
func (v Via) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Kind is the kind of element a change is about.
type Kind string

// The kinds of element.
const (
	KindGlobal          Kind = "global"
	KindDefaults        Kind = "defaults"
	KindFrontend        Kind = "frontend"
	KindBackend         Kind = "backend"
	KindBind            Kind = "bind"
	KindACL             Kind = "acl"
	KindRule            Kind = "rule"
	KindServer          Kind = "server"
	KindMapEntry        Kind = "map-entry"
	KindACLEntry        Kind = "acl-entry"
	KindFrontendMaxconn Kind = "frontend-maxconn"
)

// Change is one element of a plan.
type Change struct {
	Action Action `json:"action"`
	Kind   Kind   `json:"kind"`
	// Section is the frontend, backend or file the element belongs to.
	Section string `json:"section,omitempty"`
	// Name identifies the element within its section (server name, map
	// key, setting name, line).
	Name   string `json:"name"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	Via    Via    `json:"via"`
	// Reason explains why a change needs a reload.
	Reason string `json:"reason,omitempty"`
	// Drift marks runtime state that differs from the files on disk.
	Drift bool `json:"drift,omitempty"`
	// Range is the HCL source of the desired element, when known.
	Range *hcl.Range `json:"source,omitempty"`

	// What the executor needs (not shown).
	server, oldServer *ir.Server
	backend           *ir.Backend
	value, oldValue   string
}

// Plan is the list of changes from live to desired.
type Plan struct {
	Changes []Change `json:"changes"`
	// LiveVersion and Version are the configuration versions before and
	// after the apply.
	LiveVersion int `json:"live_version"`
	Version     int `json:"version"`
	// FilesChanged is true when the files on disk differ from the desired
	// ones even where no change is listed (e.g. comments).
	FilesChanged bool `json:"files_changed"`
}

// Reload reports whether the plan needs a reload.
func (p *Plan) Reload() bool {
	for _, c := range p.Changes {
		if c.Via == Reload {
			return true
		}
	}
	return false
}

// Empty reports whether nothing needs to change.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// dynamicBalance lists the algorithms for which HAProxy accepts
// "add server" at runtime.
var dynamicBalance = map[string]bool{"roundrobin": true, "leastconn": true, "first": true, "random": true, "": true}

// Diff computes the changes that turn live into desired. It is pure and
// deterministic: changes are ordered by section kind, then name.
func Diff(desired, live *ir.Config) *Plan {
	d := &differ{}
	d.global(&desired.Global, &live.Global)
	d.defaults(&desired.Defaults, &live.Defaults)
	d.backends(desired, live)
	d.frontends(desired, live)
	d.maps(desired, live)
	d.aclFiles(desired, live)
	return &Plan{Changes: d.changes, LiveVersion: live.Version, Version: desired.Version}
}

type differ struct {
	changes []Change
}

func (d *differ) add(c Change) { d.changes = append(d.changes, c) }

func rangeOf(r hcl.Range) *hcl.Range {
	if r.Filename == "" {
		return nil
	}
	return &r
}

// setting compares one scalar setting and records a reload change.
func (d *differ) setting(kind Kind, section, name, want, have string, rng hcl.Range) {
	if want == have {
		return
	}
	act := Update
	switch {
	case have == "":
		act = Create
	case want == "":
		act = Delete
	}
	d.add(Change{Action: act, Kind: kind, Section: section, Name: name, Before: have, After: want, Via: Reload, Reason: name + " is read at start-up", Range: rangeOf(rng)})
}

// onOff shows a flag as a setting: "on", or absent.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return ""
}

func itoa0(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// lines compares two line lists as multisets and records one change per
// added or removed line; a reordering of the lines present on both sides
// is one more change.
func (d *differ) lines(kind Kind, section string, want, have []string, ranges map[string]hcl.Range, reason string) {
	count := map[string]int{}
	for _, l := range have {
		count[l]++
	}
	var kept []string // lines of want also in have, in want's order
	for _, l := range want {
		if count[l] > 0 {
			count[l]--
			kept = append(kept, l)
			continue
		}
		d.add(Change{Action: Create, Kind: kind, Section: section, Name: l, After: l, Via: Reload, Reason: reason, Range: rangeOf(ranges[l])})
	}
	var gone, stay []string
	for _, l := range have {
		if count[l] > 0 {
			count[l]--
			gone = append(gone, l)
			continue
		}
		stay = append(stay, l)
	}
	for _, l := range gone {
		d.add(Change{Action: Delete, Kind: kind, Section: section, Name: l, Before: l, Via: Reload, Reason: reason})
	}
	if !slices.Equal(kept, stay) {
		d.add(Change{Action: Update, Kind: kind, Section: section, Name: "order", Before: strings.Join(stay, "\n"), After: strings.Join(kept, "\n"), Via: Reload, Reason: "rule order changed"})
	}
}

func rawTexts(l []ir.RawLine) []string {
	var out []string
	for _, r := range l {
		out = append(out, strings.Join(strings.Fields(r.Text), " "))
	}
	sort.Strings(out)
	return out
}

func (d *differ) global(want, have *ir.Global) {
	d.setting(KindGlobal, "global", "maxconn", itoa0(want.Maxconn), itoa0(have.Maxconn), hcl.Range{})
	d.setting(KindGlobal, "global", "nbthread", itoa0(want.Nbthread), itoa0(have.Nbthread), hcl.Range{})
	d.setting(KindGlobal, "global", "stats socket", want.StatsSocket, have.StatsSocket, hcl.Range{})
	norm := func(l []string) []string {
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = strings.Join(strings.Fields(s), " ")
		}
		return out
	}
	d.lines(KindGlobal, "global", norm(want.Log), norm(have.Log), nil, "log targets are read at start-up")
	d.lines(KindGlobal, "global", rawTexts(want.Raw), rawTexts(have.Raw), nil, "global settings are read at start-up")
}

func (d *differ) defaults(want, have *ir.Defaults) {
	d.setting(KindDefaults, "defaults", "mode", want.Mode, have.Mode, hcl.Range{})
	d.setting(KindDefaults, "defaults", "timeout connect", want.TimeoutConnect, have.TimeoutConnect, hcl.Range{})
	d.setting(KindDefaults, "defaults", "timeout client", want.TimeoutClient, have.TimeoutClient, hcl.Range{})
	d.setting(KindDefaults, "defaults", "timeout server", want.TimeoutServer, have.TimeoutServer, hcl.Range{})
	d.setting(KindDefaults, "defaults", "log-format", want.LogFormat, have.LogFormat, hcl.Range{})
	d.lines(KindDefaults, "defaults", rawTexts(want.Raw), rawTexts(have.Raw), nil, "defaults are read at start-up")
}

func (d *differ) backends(desired, live *ir.Config) {
	// By name: FindBackend is a linear search, and configurations have
	// thousands of backends.
	liveByName := make(map[string]*ir.Backend, len(live.Backends))
	for _, b := range live.Backends {
		if _, dup := liveByName[b.Name]; !dup {
			liveByName[b.Name] = b
		}
	}
	wanted := make(map[string]bool, len(desired.Backends))
	for _, b := range desired.Backends {
		wanted[b.Name] = true
	}
	for _, b := range desired.Backends {
		lb := liveByName[b.Name]
		if lb == nil {
			d.add(Change{Action: Create, Kind: KindBackend, Name: b.Name, After: b.Name, Via: Reload, Reason: "backends cannot be added at runtime", Range: rangeOf(b.Range)})
			continue
		}
		d.backend(b, lb)
	}
	for _, lb := range byName(live.Backends, func(b *ir.Backend) string { return b.Name }) {
		if !wanted[lb.Name] {
			d.add(Change{Action: Delete, Kind: KindBackend, Name: lb.Name, Before: lb.Name, Via: Reload, Reason: "backends cannot be removed at runtime"})
		}
	}
}

func hcText(h *ir.HealthCheck) string {
	if h == nil {
		return ""
	}
	return fmt.Sprintf("%s %s interval=%s expect=%d", h.Method, h.Path, h.Interval, h.ExpectStatus)
}

func (d *differ) backend(b, lb *ir.Backend) {
	s := b.Name
	d.setting(KindBackend, s, "mode", b.Mode, lb.Mode, b.Range)
	d.setting(KindBackend, s, "balance", b.Balance, lb.Balance, b.Range)
	d.setting(KindBackend, s, "timeout connect", b.TimeoutConnect, lb.TimeoutConnect, b.Range)
	d.setting(KindBackend, s, "timeout server", b.TimeoutServer, lb.TimeoutServer, b.Range)
	d.setting(KindBackend, s, "timeout queue", b.TimeoutQueue, lb.TimeoutQueue, b.Range)
	d.setting(KindBackend, s, "health_check", hcText(b.HealthCheck), hcText(lb.HealthCheck), b.Range)
	dynamic := dynamicBalance[b.Balance] && b.Balance == lb.Balance
	for _, srv := range b.Servers {
		ls := findServer(lb, srv.Name)
		if ls == nil {
			c := Change{Action: Create, Kind: KindServer, Section: s, Name: srv.Name, After: ir.ServerLine(b, srv), Via: Runtime, Range: rangeOf(srv.Range), server: srv, backend: b}
			switch {
			case !dynamic:
				c.Via, c.Reason = Reload, "balance "+b.Balance+" does not allow adding servers at runtime"
			case !isIP(srv.Address):
				c.Via, c.Reason = Reload, "a DNS name is not resolved for servers added at runtime"
			}
			d.add(c)
			continue
		}
		d.server(b, srv, ls)
	}
	for _, ls := range byName(lb.Servers, func(s *ir.Server) string { return s.Name }) {
		if findServer(b, ls.Name) == nil {
			d.add(Change{Action: Delete, Kind: KindServer, Section: s, Name: ls.Name, Before: ir.ServerLine(lb, ls), Via: Runtime, oldServer: ls, backend: b})
		}
	}
}

// byName returns l sorted by name, so that removals are listed in the
// same order whatever the order of the live configuration.
func byName[T any](l []T, name func(T) string) []T {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b T) int { return strings.Compare(name(a), name(b)) })
	return out
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func findServer(b *ir.Backend, name string) *ir.Server {
	for _, s := range b.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// server compares one server. Address, port, weight, state and maxconn
// change at runtime; check and backup need a reload.
func (d *differ) server(b *ir.Backend, want, have *ir.Server) {
	if ir.ServerLine(b, want) == ir.ServerLine(b, have) && want.State == have.State && want.Weight == have.Weight {
		return
	}
	c := Change{Action: Update, Kind: KindServer, Section: b.Name, Name: want.Name, Before: serverText(have), After: serverText(want), Via: Runtime, Range: rangeOf(want.Range), server: want, oldServer: have, backend: b}
	switch {
	case want.Check != have.Check:
		c.Via, c.Reason = Reload, "health checks of an existing server change with a reload"
	case want.Backup != have.Backup:
		c.Via, c.Reason = Reload, "backup changes with a reload"
	case want.Maxconn == 0 && have.Maxconn != 0:
		c.Via, c.Reason = Reload, "maxconn cannot be unset at runtime"
	case (want.Address != have.Address || want.Port != have.Port) && !isIP(want.Address):
		c.Via, c.Reason = Reload, "a DNS name is not resolved at runtime"
	}
	d.add(c)
}

func serverText(s *ir.Server) string {
	addr := s.Address
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	out := fmt.Sprintf("%s:%d weight %d state %s", addr, s.Port, s.Weight, s.State)
	if s.Maxconn > 0 {
		out += " maxconn " + strconv.Itoa(s.Maxconn)
	}
	if s.Check {
		out += " check"
	}
	if s.Backup {
		out += " backup"
	}
	return out
}

func (d *differ) frontends(desired, live *ir.Config) {
	for _, f := range desired.Frontends {
		lf := live.FindFrontend(f.Name)
		if lf == nil {
			d.add(Change{Action: Create, Kind: KindFrontend, Name: f.Name, After: f.Name, Via: Reload, Reason: "frontends cannot be added at runtime", Range: rangeOf(f.Range)})
			continue
		}
		d.frontend(f, lf)
	}
	for _, lf := range byName(live.Frontends, func(f *ir.Frontend) string { return f.Name }) {
		if desired.FindFrontend(lf.Name) == nil {
			d.add(Change{Action: Delete, Kind: KindFrontend, Name: lf.Name, Before: lf.Name, Via: Reload, Reason: "frontends cannot be removed at runtime"})
		}
	}
}

func (d *differ) frontend(f, lf *ir.Frontend) {
	s := f.Name
	d.setting(KindFrontend, s, "mode", f.Mode, lf.Mode, f.Range)
	d.setting(KindFrontend, s, "timeout client", f.TimeoutClient, lf.TimeoutClient, f.Range)
	d.setting(KindFrontend, s, "default_backend", f.DefaultBackend, lf.DefaultBackend, f.Range)
	d.setting(KindFrontend, s, "option idle-close-on-response", onOff(f.IdleCloseOnResponse), onOff(lf.IdleCloseOnResponse), f.Range)
	if f.Maxconn != lf.Maxconn {
		c := Change{Action: Update, Kind: KindFrontendMaxconn, Section: s, Name: "maxconn", Before: itoa0(lf.Maxconn), After: itoa0(f.Maxconn), Via: Runtime, Range: rangeOf(f.Range), value: strconv.Itoa(f.Maxconn), oldValue: strconv.Itoa(lf.Maxconn)}
		if f.Maxconn == 0 || lf.Maxconn == 0 {
			c.Via, c.Reason = Reload, "the limit can only be changed, not set or removed, at runtime"
		}
		d.add(c)
	}
	d.lines(KindBind, s, f.Binds, lf.Binds, nil, "listening addresses change with a reload")
	ranges := map[string]hcl.Range{}
	var want, have []string
	for _, a := range f.ACLs {
		l := ir.ACLLine(a)
		want = append(want, l)
		ranges[l] = a.Range
	}
	for _, a := range lf.ACLs {
		have = append(have, ir.ACLLine(a))
	}
	d.lines(KindACL, s, want, have, ranges, "ACL definitions change with a reload")
	want, have = nil, nil
	for _, r := range f.Rules {
		l := ir.RuleLine(f.Mode, r)
		want = append(want, l)
		ranges[l] = r.Range
	}
	for _, r := range lf.Rules {
		have = append(have, ir.RuleLine(lf.Mode, r))
	}
	for _, u := range f.UseBackends {
		l := ir.UseBackendLine(u)
		want = append(want, l)
		ranges[l] = u.Range
	}
	for _, u := range lf.UseBackends {
		have = append(have, ir.UseBackendLine(u))
	}
	d.lines(KindRule, s, want, have, ranges, "rules change with a reload")
}

// maps compares map files present on both sides entry by entry (runtime);
// files that appear or disappear come with rule changes (reload).
func (d *differ) maps(desired, live *ir.Config) {
	liveMaps := map[string]*ir.MapFile{}
	for _, m := range live.Maps {
		liveMaps[m.Name] = m
	}
	for _, m := range desired.Maps {
		lm, ok := liveMaps[m.Name]
		via := Runtime
		if !ok {
			via = Reload
			lm = &ir.MapFile{Name: m.Name}
		}
		d.mapEntries(m, lm, via)
	}
	for _, lm := range byName(live.Maps, func(m *ir.MapFile) string { return m.Name }) {
		found := false
		for _, m := range desired.Maps {
			found = found || m.Name == lm.Name
		}
		if !found {
			d.mapEntries(&ir.MapFile{Name: lm.Name}, lm, Reload)
		}
	}
}

// firstByKey keeps the first entry of each key (HAProxy's lookup result):
// key -> index in m.Entries, and the keys in file order.
func firstByKey(m *ir.MapFile) (map[string]int, []string) {
	out := make(map[string]int, len(m.Entries))
	keys := make([]string, 0, len(m.Entries))
	for i, e := range m.Entries {
		if _, dup := out[e.Key]; !dup {
			out[e.Key] = i
			keys = append(keys, e.Key)
		}
	}
	return out, keys
}

// mapEntries lists creations and updates, then deletions, each by key.
// Only the changes are sorted, not the keys: maps have 10k entries and a
// change touches a few.
func (d *differ) mapEntries(want, have *ir.MapFile, via Via) {
	w, wkeys := firstByKey(want)
	h, hkeys := firstByKey(have)
	reason := ""
	if via == Reload {
		reason = "the map file itself is added or removed"
	}
	var set, del []Change
	for _, k := range wkeys {
		e := want.Entries[w[k]]
		hi, ok := h[k]
		switch {
		case !ok:
			set = append(set, Change{Action: Create, Kind: KindMapEntry, Section: want.Name, Name: k, After: e.Value, Via: via, Reason: reason, Range: rangeOf(e.Range), value: e.Value})
		case have.Entries[hi].Value != e.Value:
			he := have.Entries[hi]
			set = append(set, Change{Action: Update, Kind: KindMapEntry, Section: want.Name, Name: k, Before: he.Value, After: e.Value, Via: via, Reason: reason, Range: rangeOf(e.Range), value: e.Value, oldValue: he.Value})
		}
	}
	for _, k := range hkeys {
		if _, ok := w[k]; !ok {
			v := have.Entries[h[k]].Value
			del = append(del, Change{Action: Delete, Kind: KindMapEntry, Section: have.Name, Name: k, Before: v, Via: via, Reason: reason, oldValue: v})
		}
	}
	byKey := func(a, b Change) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(set, byKey)
	slices.SortFunc(del, byKey)
	d.changes = append(append(d.changes, set...), del...)
}

func (d *differ) aclFiles(desired, live *ir.Config) {
	liveFiles := map[string]*ir.ACLFile{}
	for _, a := range live.ACLFiles {
		liveFiles[a.Name] = a
	}
	wantFiles := map[string]bool{}
	for _, a := range desired.ACLFiles {
		wantFiles[a.Name] = true
		la, ok := liveFiles[a.Name]
		via := Runtime
		if !ok {
			via = Reload
			la = &ir.ACLFile{Name: a.Name}
		}
		d.aclEntries(a, la, via)
	}
	for _, la := range byName(live.ACLFiles, func(a *ir.ACLFile) string { return a.Name }) {
		if !wantFiles[la.Name] {
			d.aclEntries(&ir.ACLFile{Name: la.Name}, la, Reload)
		}
	}
}

func (d *differ) aclEntries(want, have *ir.ACLFile, via Via) {
	reason := ""
	if via == Reload {
		reason = "the ACL file itself is added or removed"
	}
	w := map[string]ir.ACLEntry{}
	for _, e := range want.Entries {
		w[e.Pattern] = e
	}
	h := map[string]bool{}
	for _, e := range have.Entries {
		h[e.Pattern] = true
	}
	var add, del []string
	for p := range w {
		if !h[p] {
			add = append(add, p)
		}
	}
	for p := range h {
		if _, ok := w[p]; !ok {
			del = append(del, p)
		}
	}
	sort.Strings(add)
	sort.Strings(del)
	for _, p := range add {
		d.add(Change{Action: Create, Kind: KindACLEntry, Section: want.Name, Name: p, After: p, Via: via, Reason: reason, Range: rangeOf(w[p].Range), value: p})
	}
	for _, p := range del {
		d.add(Change{Action: Delete, Kind: KindACLEntry, Section: have.Name, Name: p, Before: p, Via: via, Reason: reason, oldValue: p})
	}
}

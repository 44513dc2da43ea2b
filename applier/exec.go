package applier

import (
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/haproute/haproute/ir"
)

// bulkThreshold is the number of changed entries of one map file from
// which the whole map is replaced atomically (prepare/commit) instead of
// entry by entry.
const bulkThreshold = 64

// payloadLimit keeps each "add map @VER" payload under HAProxy's buffer
// size (16 KiB by default); larger payloads are silently ignored.
const payloadLimit = 12 * 1024

// executor sends the runtime commands of a plan and remembers how to undo
// each one.
type executor struct {
	rt           cli
	dir          string
	obs          func(string)
	drainTimeout time.Duration
	sent         []string
	undo         [][]string // per step, the commands that revert it
}

// cli is the part of the Runtime API the executor uses; the dry-run
// driver records instead of sending.
type cli interface {
	Do(cmd string) (string, error)
	Exec(cmd string) error
}

// recorder is a cli that sends nothing: every command succeeds, servers
// have no connections and maps read as empty.
type recorder struct{}

func (recorder) Exec(string) error { return nil }

func (recorder) Do(cmd string) (string, error) {
	switch {
	case strings.HasPrefix(cmd, "show servers conn"):
		return "# bkname/svname bkid/svid addr port - purge_delay used_cur", nil
	case strings.HasPrefix(cmd, "prepare map"):
		return "New version created: 1", nil
	}
	return "", nil
}

func (ex *executor) exec(cmd string, undo ...string) error {
	ex.sent = append(ex.sent, cmd)
	if err := ex.rt.Exec(cmd); err != nil {
		return err
	}
	if len(undo) > 0 {
		ex.undo = append(ex.undo, undo)
	}
	return nil
}

func (ex *executor) path(name string) string { return Arg(filepath.Join(ex.dir, name)) }

// run executes the runtime changes: servers first (so nothing routes to a
// missing server), then map and ACL entries, server removals last.
func (ex *executor) run(p *Plan) error {
	var adds, updates, removes []Change
	maps := map[string][]Change{}
	for _, c := range p.Changes {
		switch {
		case c.Kind == KindServer && c.Action == Create:
			adds = append(adds, c)
		case c.Kind == KindServer && c.Action == Update:
			updates = append(updates, c)
		case c.Kind == KindServer && c.Action == Delete:
			removes = append(removes, c)
		case c.Kind == KindMapEntry:
			maps[c.Section] = append(maps[c.Section], c)
		}
	}
	for _, c := range adds {
		if err := ex.addServer(c.backend, c.server); err != nil {
			return err
		}
	}
	for _, c := range updates {
		if err := ex.updateServer(c.backend.Name, c.server, c.oldServer); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(maps))
	for n := range maps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ex.mapChanges(n, maps[n]); err != nil {
			return err
		}
	}
	for _, c := range p.Changes {
		switch c.Kind {
		case KindACLEntry:
			if c.Action == Create {
				if err := ex.exec("add acl "+ex.path(c.Section)+" "+Arg(c.value), "del acl "+ex.path(c.Section)+" "+Arg(c.value)); err != nil {
					return err
				}
			} else {
				if err := ex.exec("del acl "+ex.path(c.Section)+" "+Arg(c.oldValue), "add acl "+ex.path(c.Section)+" "+Arg(c.oldValue)); err != nil {
					return err
				}
			}
		case KindFrontendMaxconn:
			if err := ex.notFull(c.Section, c.value, c.oldValue); err != nil {
				return err
			}
			if err := ex.exec("set maxconn frontend "+Arg(c.Section)+" "+c.value, "set maxconn frontend "+Arg(c.Section)+" "+c.oldValue); err != nil {
				return err
			}
		}
	}
	for _, c := range removes {
		if err := ex.removeServer(c.backend.Name, c.oldServer, c.backend); err != nil {
			return err
		}
	}
	return nil
}

// notFull refuses to raise the limit of a frontend that is at its limit:
// its listeners may then be queued, and HAProxy 2.6 deadlocks the worker
// when "set maxconn frontend" resumes them (haproxy/haproxy#2726).
func (ex *executor) notFull(fe, value, old string) error {
	n, _ := strconv.Atoi(value)
	o, _ := strconv.Atoi(old)
	if n <= o {
		return nil
	}
	out, err := ex.rt.Do("show stat")
	if err != nil {
		return err
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# ")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		return fmt.Errorf("unexpected 'show stat' answer: %v", err)
	}
	scur := slices.Index(recs[0], "scur")
	for _, rec := range recs[1:] {
		if scur < 0 || len(rec) <= scur || rec[0] != fe || rec[1] != "FRONTEND" {
			continue
		}
		if cur, _ := strconv.Atoi(rec[scur]); cur >= o {
			return fmt.Errorf("frontend %s is at its connection limit (%d of %d): raising the limit at runtime now would deadlock HAProxy 2.6 (haproxy/haproxy#2726); apply again once it is below the limit", fe, cur, o)
		}
	}
	return nil
}

// addServerCmd is the "add server" command for s in backend b.
func addServerCmd(b *ir.Backend, s *ir.Server) string {
	addr := s.Address
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	cmd := fmt.Sprintf("add server %s/%s %s:%d weight %d", b.Name, s.Name, addr, s.Port, s.Weight)
	if s.Maxconn > 0 {
		cmd += " maxconn " + strconv.Itoa(s.Maxconn)
	}
	if s.Backup {
		cmd += " backup"
	}
	if s.Check {
		cmd += " check"
		if b.HealthCheck != nil && b.HealthCheck.Interval != "" {
			cmd += " inter " + b.HealthCheck.Interval
		}
	}
	return cmd
}

// addServer adds a server; it starts in maintenance, and is then enabled:
// with health checks it starts DOWN and goes UP after passing them.
func (ex *executor) addServer(b *ir.Backend, s *ir.Server) error {
	id := b.Name + "/" + s.Name
	if err := ex.exec(addServerCmd(b, s), "set server "+id+" state maint", "del server "+id); err != nil {
		return err
	}
	if s.State == "maint" {
		return nil
	}
	if s.Check {
		if err := ex.exec("enable health " + id); err != nil {
			return err
		}
		if err := ex.exec("enable server " + id + ";set server " + id + " health down"); err != nil {
			return err
		}
	} else if err := ex.exec("enable server " + id); err != nil {
		return err
	}
	if s.State == "drain" {
		return ex.exec("set server " + id + " state drain")
	}
	ex.obs("added server " + id)
	return nil
}

func (ex *executor) updateServer(be string, want, have *ir.Server) error {
	id := be + "/" + want.Name
	if want.Address != have.Address || want.Port != have.Port {
		if err := ex.exec(fmt.Sprintf("set server %s addr %s port %d", id, want.Address, want.Port),
			fmt.Sprintf("set server %s addr %s port %d", id, have.Address, have.Port)); err != nil {
			return err
		}
	}
	haveState, haveWeight := have.State, have.Weight
	if have.State == "drain" && (want.State != "drain" || want.Weight != have.Weight) {
		// A drain loaded from the files is weight 0 without HAProxy's
		// drain flag (the live view shows the weight of the comment):
		// leaving it must restore the weight, and changing the weight
		// must keep it drained.
		cur, err := ex.weight(id)
		if err != nil {
			return err
		}
		if cur != have.Weight {
			haveState, haveWeight = "ready", cur
			if want.State == "drain" {
				if err := ex.exec("set server "+id+" state drain", "set server "+id+" state ready"); err != nil {
					return err
				}
				haveState = "drain"
			}
		}
	}
	if want.Weight != haveWeight {
		if err := ex.exec(fmt.Sprintf("set weight %s %d", id, want.Weight), fmt.Sprintf("set weight %s %d", id, haveWeight)); err != nil {
			return err
		}
	}
	if want.Maxconn != have.Maxconn && want.Maxconn > 0 {
		if err := ex.exec(fmt.Sprintf("set maxconn server %s %d", id, want.Maxconn), fmt.Sprintf("set maxconn server %s %d", id, have.Maxconn)); err != nil {
			return err
		}
	}
	if want.State != haveState {
		if err := ex.exec("set server "+id+" state "+want.State, "set server "+id+" state "+haveState); err != nil {
			return err
		}
	}
	return nil
}

// weight returns the server's current weight ("get weight").
func (ex *executor) weight(id string) (int, error) {
	out, err := ex.rt.Do("get weight " + id)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return 0, &CommandError{Command: "get weight " + id, Answer: out}
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, &CommandError{Command: "get weight " + id, Answer: out}
	}
	return n, nil
}

// removeServer drains the server, waits (bounded) for its connections to
// end, puts it in maintenance and deletes it.
func (ex *executor) removeServer(be string, s *ir.Server, b *ir.Backend) error {
	id := be + "/" + s.Name
	old := *s
	if err := ex.exec("set server "+id+" state drain", "set server "+id+" state "+old.State); err != nil {
		return err
	}
	timeout := ex.drainTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		n, err := ex.serverConns(be, s.Name)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server %s still has %d connection(s) after %s of drain; not removed", id, n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := ex.exec("set server " + id + " state maint"); err != nil {
		return err
	}
	// Undo of a delete re-adds the server as it was.
	re := []string{addServerCmd(b, &old)}
	if old.State != "maint" {
		re = append(re, "enable server "+id)
	}
	// Idle keep-alive connections to the server also block the delete;
	// HAProxy closes them after the switch to maintenance, asynchronously.
	idle := time.Now().Add(2 * time.Second)
	for {
		err := ex.exec("del server "+id, re...)
		if err == nil {
			break
		}
		var ce *CommandError
		if !errors.As(err, &ce) || !strings.Contains(ce.Answer, "still has connections") || time.Now().After(idle) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	ex.obs("removed server " + id)
	return nil
}

// serverConns returns the server's current connections ("show servers
// conn" column "used_cur").
func (ex *executor) serverConns(be, srv string) (int, error) {
	out, err := ex.rt.Do("show servers conn " + Arg(be))
	if err != nil {
		return 0, err
	}
	lines := strings.Split(out, "\n")
	col := -1
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 1 && f[0] == "#" {
			for i, h := range f[1:] {
				if h == "used_cur" {
					col = i
				}
			}
			continue
		}
		if col < 0 || len(f) <= col {
			continue
		}
		if f[0] == be+"/"+srv {
			return strconv.Atoi(f[col])
		}
	}
	if col < 0 {
		return 0, fmt.Errorf("unexpected 'show servers conn' answer: %q", out)
	}
	return 0, nil
}

// mapChanges applies the entry changes of one map file: one command per
// entry, or an atomic replacement when many entries change.
func (ex *executor) mapChanges(name string, changes []Change) error {
	file := ex.path(name)
	if len(changes) < bulkThreshold {
		for _, c := range changes {
			k := Arg(c.Name)
			var err error
			switch c.Action {
			case Create:
				err = ex.exec("add map "+file+" "+k+" "+Arg(c.value), "del map "+file+" "+k)
			case Update:
				err = ex.exec("set map "+file+" "+k+" "+Arg(c.value), "set map "+file+" "+k+" "+Arg(c.oldValue))
			case Delete:
				err = ex.exec("del map "+file+" "+k, "add map "+file+" "+k+" "+Arg(c.oldValue))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	// Bulk: read the current entries, compute the new content and replace
	// the map atomically; the undo replaces it with the old content.
	out, err := ex.rt.Do("show map " + file)
	if err != nil {
		return err
	}
	cur, err := parseShowEntries(out, true)
	if err != nil {
		return err
	}
	next := map[string]string{}
	var order []string
	for _, e := range cur {
		if _, dup := next[e[0]]; !dup {
			order = append(order, e[0])
		}
		next[e[0]] = e[1]
	}
	for _, c := range changes {
		switch c.Action {
		case Create, Update:
			if _, ok := next[c.Name]; !ok {
				order = append(order, c.Name)
			}
			next[c.Name] = c.value
		case Delete:
			delete(next, c.Name)
		}
	}
	var entries [][2]string
	for _, k := range order {
		if v, ok := next[k]; ok {
			entries = append(entries, [2]string{k, v})
		}
	}
	if err := ex.replaceMap(file, entries); err != nil {
		return err
	}
	ex.undo = append(ex.undo, []string{"\x00replace " + file + "\x00" + encodeEntries(cur)})
	return nil
}

func encodeEntries(e [][2]string) string {
	var b strings.Builder
	for _, kv := range e {
		b.WriteString(kv[0] + " " + kv[1] + "\n")
	}
	return b.String()
}

// replaceMap replaces a map's content atomically: prepare a new version,
// fill it in payload chunks, commit it.
func (ex *executor) replaceMap(file string, entries [][2]string) error {
	out, err := ex.rt.Do("prepare map " + file)
	ex.sent = append(ex.sent, "prepare map "+file)
	if err != nil {
		return err
	}
	ver := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "New version created:"))
	if _, err := strconv.Atoi(ver); err != nil {
		return &CommandError{Command: "prepare map " + file, Answer: out}
	}
	var chunk strings.Builder
	flush := func() error {
		if chunk.Len() == 0 {
			return nil
		}
		cmd := "add map @" + ver + " " + file + " <<\n" + chunk.String()
		chunk.Reset()
		return ex.exec(cmd)
	}
	for _, e := range entries {
		line := e[0] + " " + e[1] + "\n"
		if chunk.Len()+len(line) > payloadLimit {
			if err := flush(); err != nil {
				return err
			}
		}
		chunk.WriteString(line)
	}
	if err := flush(); err != nil {
		return err
	}
	return ex.exec("commit map @" + ver + " " + file)
}

// rollback reverts the executed steps in reverse order.
func (ex *executor) rollback() error {
	var errs []error
	for i := len(ex.undo) - 1; i >= 0; i-- {
		for _, cmd := range ex.undo[i] {
			if rest, ok := strings.CutPrefix(cmd, "\x00replace "); ok {
				file, content, _ := strings.Cut(rest, "\x00")
				var entries [][2]string
				for _, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
					if k, v, ok := strings.Cut(l, " "); ok {
						entries = append(entries, [2]string{k, v})
					}
				}
				if err := ex.replaceMap(file, entries); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			ex.sent = append(ex.sent, cmd)
			if err := ex.rt.Exec(cmd); err != nil {
				errs = append(errs, err)
			}
		}
	}
	ex.undo = nil
	return errors.Join(errs...)
}

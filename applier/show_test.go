package applier_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproute/haproute/applier"
)

func init() {
	// Another test file of the package may define the same flag.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

// uUpdating reports whether the test runs with -update.
func uUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// uPlans are the representative plans rendered to testdata/NAME.plan.golden.
func uPlans(t *testing.T) map[string]*applier.Plan {
	t.Helper()
	base := ucompile(t, ubase)

	// Only runtime changes: servers, map and ACL entries, frontend maxconn.
	rt := uAddServer(t, "  server \"s3\" {\n    address = \"127.0.0.1:9003\"\n  }\n")
	rt = urep(t, rt, uS1, uS1+"    weight  = 50\n    state   = \"drain\"\n")
	rt = urep(t, rt, uS2, "    address = \"127.0.0.1:9002\"\n    maxconn = 80\n")
	rt = urep(t, rt, "[\"api.test\"]\n    backend = backend.api", "[\"api.test\"]\n    backend = backend.web")
	rt = urep(t, rt, `host    = ["sticky.test"]`, `host    = ["sticky.test", "sticky2.test"]`)
	rt = urep(t, rt, uOffice, `src     = ["192.168.0.0/16"]`)
	rt = urep(t, rt, uMaxconn, "  maxconn         = 2000\n")
	rt = urep(t, rt, "  server \"a1\" {\n    address = \"127.0.0.1:9101\"\n  }\n", "")

	// Changes that need a reload, each with its reason, and one runtime
	// change that rides along.
	rl := urep(t, ubase, `backend "api" {`, "backend \"extra\" {\n  server \"e1\" {\n    address = \"127.0.0.1:9301\"\n  }\n}\n\nbackend \"api\" {")
	rl = urep(t, rl, "127.0.0.1:9201\"\n  }\n", "127.0.0.1:9201\"\n  }\n  server \"t2\" {\n    address = \"127.0.0.1:9202\"\n  }\n")
	rl = urep(t, rl, uS1, uS1+"    check   = true\n")
	rl = urep(t, rl, uBind, `bind            = ["127.0.0.1:8080", "127.0.0.1:8443"]`)
	rl = urep(t, rl, uVia, uVia+"  deny \"trace\" {\n    method = [\"TRACE\"]\n    status = 405\n  }\n")
	rl = urep(t, rl, "  maxconn = 4096\n", "  maxconn = 8192\n  log     = [\"stdout format raw local0\"]\n")
	rl = uAddToFrontend(t, rl, "  route \"p5\" {\n    host     = [\"p5.test\"]\n    priority = 5\n    backend  = backend.extra\n  }\n")
	rl = urep(t, rl, uMaxconn, "")
	rl = urep(t, rl, uProto+uVia, uVia+uProto)
	rl = urep(t, rl, "  server \"s2\" {\n"+uS2+"  }\n", "")

	files := ucompile(t, ubase)
	runtime := ucompile(t, ubase)
	runtime.FindBackend("web").Servers[0].State = "maint"
	for _, m := range runtime.Maps {
		if m.Name == uHostMap {
			m.Entries = m.Entries[:1] // sticky.test deleted by hand
		}
	}

	changed := applier.Diff(base, base)
	changed.FilesChanged = true
	return map[string]*applier.Plan{
		"runtime": applier.Diff(ucompile(t, rt), base),
		"reload":  applier.Diff(ucompile(t, rl), base),
		"drift":   applier.PlanFor(ucompile(t, urep(t, ubase, uMaxconn, "  maxconn         = 2000\n")), &applier.Live{Files: files, Runtime: runtime}),
		"empty":   applier.Diff(base, base),
		"rewrite": changed,
	}
}

// TestWriteTextGolden renders representative plans and compares them with
// testdata/NAME.plan.golden (go test ./applier -run TestWriteTextGolden -update
// rewrites them).
func TestWriteTextGolden(t *testing.T) {
	for name, plan := range uPlans(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			applier.WriteText(&b, plan)
			golden := filepath.Join("testdata", name+".plan.golden")
			if uUpdating() {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./applier -run TestWriteTextGolden -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("WriteText differs from %s (run with -update and review the diff)\n--- want\n%s--- got\n%s", golden, want, got)
			}
		})
	}
}

// TestWriteJSON checks the machine-readable plan: actions as + ~ -, via as
// runtime or reload, drift and the HCL source where known.
func TestWriteJSON(t *testing.T) {
	plans := uPlans(t)
	var all []applier.Change
	for _, name := range []string{"runtime", "reload", "drift"} {
		all = append(all, plans[name].Changes...)
	}
	var b bytes.Buffer
	if err := applier.WriteJSON(&b, &applier.Plan{Changes: all, LiveVersion: 4, Version: 5}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Changes []struct {
			Action string          `json:"action"`
			Kind   string          `json:"kind"`
			Name   string          `json:"name"`
			Via    string          `json:"via"`
			Reason string          `json:"reason"`
			Drift  bool            `json:"drift"`
			Source json.RawMessage `json:"source"`
		} `json:"changes"`
		LiveVersion int `json:"live_version"`
		Version     int `json:"version"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got.Changes) != len(all) || got.LiveVersion != 4 || got.Version != 5 {
		t.Fatalf("decoded %d changes, versions %d/%d; want %d, 4/5", len(got.Changes), got.LiveVersion, got.Version, len(all))
	}
	seen := map[string]bool{}
	for i, c := range got.Changes {
		want := all[i]
		if c.Action != want.Action.String() || c.Via != want.Via.String() || c.Kind != string(want.Kind) || c.Name != want.Name || c.Drift != want.Drift || c.Reason != want.Reason {
			t.Errorf("change %d: JSON %+v, want %+v", i, c, want)
		}
		switch {
		case want.Range == nil && c.Source != nil:
			t.Errorf("change %d (%s): source %s, want none", i, want.Name, c.Source)
		case want.Range != nil:
			var src struct {
				Filename string `json:"filename"`
				Start    struct {
					Line   int `json:"line"`
					Column int `json:"column"`
				} `json:"start"`
			}
			if err := json.Unmarshal(c.Source, &src); err != nil || src.Filename != want.Range.Filename || src.Start.Line != want.Range.Start.Line || src.Start.Column != want.Range.Start.Column {
				t.Errorf("change %d (%s): source %s (%v), want %v", i, want.Name, c.Source, err, want.Range)
			}
		}
		seen[c.Action] = true
		seen[c.Via] = true
	}
	for _, s := range []string{"+", "~", "-", "runtime", "reload"} {
		if !seen[s] {
			t.Errorf("no change with action or via %q in\n%s", s, b.String())
		}
	}
	for _, s := range []string{`"action": "+"`, `"action": "~"`, `"action": "-"`, `"via": "runtime"`, `"via": "reload"`, `"drift": true`, `"filename": "test.hcl"`} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("JSON lacks %s", s)
		}
	}
	// An empty plan is an empty list, not null.
	b.Reset()
	if err := applier.WriteJSON(&b, applier.Diff(ucompile(t, ubase), ucompile(t, ubase))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"changes": []`) {
		t.Errorf("empty plan: %s", b.String())
	}
}

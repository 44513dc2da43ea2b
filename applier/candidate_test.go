package applier

import (
	"testing"

	"github.com/haproute/haproute/ir"
)

func TestServerCandidate(t *testing.T) {
	want := &ir.Config{Version: 7, Global: ir.Global{Maxconn: 100}, Backends: []*ir.Backend{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
	server := func(be string) Change { return Change{Kind: KindServer, Section: be, Via: Runtime} }
	entry := Change{Kind: KindMapEntry, Section: "hosts.map", Via: Runtime}
	cases := []struct {
		name    string
		changes []Change
		want    []string // backends of the reduced candidate; nil: none
	}{
		{"servers of two backends", []Change{server("c"), server("a"), entry}, []string{"a", "c"}},
		{"entries only", []Change{entry}, nil},
		{"a reload-class change", []Change{server("a"), {Kind: KindServer, Section: "b", Via: Reload}}, nil},
		{"frontend maxconn", []Change{server("a"), {Kind: KindFrontendMaxconn, Section: "fe", Via: Runtime}}, nil},
	}
	for _, c := range cases {
		sub := serverCandidate(want, &Plan{Changes: c.changes})
		var got []string
		if sub != nil {
			for _, b := range sub.Backends {
				got = append(got, b.Name)
			}
			if sub.Version != 7 || sub.Global.Maxconn != 100 || len(sub.Frontends) != 0 || len(sub.Maps) != 0 {
				t.Errorf("%s: the candidate is not global+defaults+backends: %+v", c.name, sub)
			}
		}
		if len(got) != len(c.want) || (sub == nil) != (c.want == nil) {
			t.Errorf("%s: backends %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: backends %v, want %v", c.name, got, c.want)
			}
		}
	}
}

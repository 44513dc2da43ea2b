package applier

import (
	"encoding/json"
	"fmt"
	"github.com/haproute/haproute/ir"
	"io"
	"path/filepath"
	"strings"
)

// WriteText renders the plan for people, Terraform style: one line per
// change with + ~ -, how it applies, and the HCL source.
func WriteText(w io.Writer, p *Plan) {
	if p.Empty() {
		if p.FilesChanged {
			fmt.Fprintln(w, "No changes to routing. The files on disk will be rewritten (formatting or comments differ).")
			return
		}
		fmt.Fprintln(w, "No changes. HAProxy matches the configuration.")
		return
	}
	var add, change, del, runtime, reload, drift int
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			add++
		case Update:
			change++
		case Delete:
			del++
		}
		if c.Via == Runtime {
			runtime++
		} else {
			reload++
		}
		if c.Drift {
			drift++
		}
	}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %s %s\n", c.Action, describe(c))
	}
	fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to remove; %d at runtime, %d needing a reload", add, change, del, runtime, reload)
	if drift > 0 {
		fmt.Fprintf(w, "; %d reconcile drift", drift)
	}
	fmt.Fprintln(w, ".")
	if reload > 0 {
		fmt.Fprintln(w, "Apply will write the files and reload HAProxy once.")
	} else {
		fmt.Fprintln(w, "Apply will change HAProxy at runtime, without a reload.")
	}
}

func describe(c Change) string {
	var b strings.Builder
	b.WriteString(string(c.Kind))
	if c.Section != "" && c.Section != string(c.Kind) {
		b.WriteString(" " + c.Section)
	}
	switch {
	case c.Kind == KindMapEntry || c.Kind == KindACLEntry:
		b.WriteString(": " + c.Name)
	case c.Name != "":
		// Create and Delete show After or Before only when it differs
		// from the name, so the name is always written here.
		b.WriteString(" " + c.Name)
	}
	switch c.Action {
	case Create:
		if c.After != "" && c.After != c.Name {
			b.WriteString(" = " + c.After)
		}
	case Update:
		b.WriteString(": " + oneLine(c.Before) + " -> " + oneLine(c.After))
	case Delete:
		if c.Before != "" && c.Before != c.Name {
			b.WriteString(" (was " + oneLine(c.Before) + ")")
		}
	}
	b.WriteString("  [" + c.Via.String())
	if c.Via == Reload && c.Reason != "" {
		b.WriteString(": " + c.Reason)
	}
	b.WriteString("]")
	if c.Drift {
		b.WriteString(" (drift)")
	}
	if c.Range != nil {
		fmt.Fprintf(&b, "  %s:%d", filepath.Base(c.Range.Filename), c.Range.Start.Line)
	}
	return b.String()
}

func oneLine(s string) string {
	if strings.Contains(s, "\n") {
		return "[" + strings.ReplaceAll(s, "\n", " | ") + "]"
	}
	if s == "" {
		return "(none)"
	}
	return s
}

// WriteJSON renders the plan as JSON.
func WriteJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if p.Changes == nil {
		// An empty plan has "changes": [], not null.
		q := *p
		q.Changes = []Change{}
		p = &q
	}
	return enc.Encode(p)
}

// MarshalJSON renders a change with its source range as
// {"filename", "start": {"line", "column", "byte"}, "end"}.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change // without this method
	out := struct {
		plain
		Source *ir.SourceRange `json:"source,omitempty"` // shadows plain's Range
	}{plain: plain(c)}
	if r := c.Range; r != nil {
		out.Source = ir.NewSourceRange(*r)
	}
	return json.Marshal(out)
}

package lang

import (
	"reflect"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestLiteralStrList checks that strList's literal fast path gives exactly
// what the general path (evaluate, convert to list(string)) gives, and that
// it declines everything that is not a list of plain quoted strings.
func TestLiteralStrList(t *testing.T) {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"local": cty.ObjectVal(map[string]cty.Value{"h": cty.StringVal("b.test")}),
	}}
	for _, tc := range []struct {
		src  string
		fast bool // the fast path applies
	}{
		{`["a.test", "*.b.test"]`, true},
		{`[]`, true},
		{`["/p/"]`, true},
		{`["caf\u00e9", "cafe\u0301"]`, true}, // NFC normalisation
		{`["$${x}", "%%{y}", "a\tb", "\"q\""]`, true},
		{`["x", local.h]`, false},
		{`["x-${local.h}"]`, false},
		{`[""]`, true},
		{`["a", null]`, false},
		{`["a", 1]`, false},
		{`"a"`, false},
		{`local.h`, false},
		{`[for h in ["a", "b"] : h]`, false},
	} {
		f, diags := hclsyntax.ParseConfig([]byte("x = "+tc.src+"\n"), "t.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tc.src, diags.Error())
		}
		m, _ := f.Body.JustAttributes()
		var d1, d2 hcl.Diagnostics
		a := &attrs{m: m, ctx: ctx, diags: &d1}
		fast, ok := a.literalStrList("x")
		if ok != tc.fast {
			t.Errorf("%s: fast path applies = %v, want %v", tc.src, ok, tc.fast)
		}
		if !ok {
			continue
		}
		// The general path, as strList takes it without the fast path.
		b := &attrs{m: m, ctx: ctx, diags: &d2}
		v, vok := b.value("x", cty.List(cty.String), "a list of strings")
		if !vok {
			t.Fatalf("%s: general path failed: %s", tc.src, d2.Error())
		}
		var slow []Str
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			slow = append(slow, Str{Value: e.AsString(), Range: elemRange(m["x"].Expr, i)})
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast path %+v, general path %+v", tc.src, fast, slow)
		}
		if len(d1)+len(d2) > 0 {
			t.Errorf("%s: diagnostics %v %v", tc.src, d1, d2)
		}
	}
}

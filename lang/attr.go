package lang

import (
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// attrs evaluates the attributes of one block and records diagnostics.
type attrs struct {
	m     hcl.Attributes
	ctx   *hcl.EvalContext
	diags *hcl.Diagnostics
	// blockRange is used for "missing attribute" errors.
	blockRange hcl.Range
	// sawUnknown, when set, is set to true when value meets an unknown
	// value: its diagnostic depends on earlier errors (see CheckCache).
	sawUnknown *bool
}

func (a *attrs) has(name string) bool { _, ok := a.m[name]; return ok }

func (a *attrs) rng(name string) hcl.Range {
	if at, ok := a.m[name]; ok {
		return at.Expr.Range()
	}
	return a.blockRange
}

// value evaluates the attribute and converts it to typ; ok is false when
// the attribute is absent or invalid (a diagnostic was recorded then).
func (a *attrs) value(name string, typ cty.Type, what string) (cty.Value, bool) {
	at, ok := a.m[name]
	if !ok {
		return cty.NilVal, false
	}
	v, d := at.Expr.Value(a.ctx)
	*a.diags = append(*a.diags, d...)
	if d.HasErrors() {
		return cty.NilVal, false
	}
	// Deep: a backend reference inside a list or map is marked too.
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		if a.sawUnknown != nil {
			*a.sawUnknown = true
		}
		// Unknown values come from variables and locals whose errors were
		// already reported; report only when there is no such error.
		if !a.diags.HasErrors() {
			*a.diags = append(*a.diags, errAt(at.Expr.Range(), "Unknown value", fmt.Sprintf("The value of %s cannot be known here.", name)))
		}
		return cty.NilVal, false
	}
	if v.IsNull() {
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, typ)
	if err != nil {
		*a.diags = append(*a.diags, errAt(at.Expr.Range(), "Invalid "+name, fmt.Sprintf("%s must be %s.", name, what)))
		return cty.NilVal, false
	}
	return cv, true
}

func (a *attrs) str(name string) (string, bool) {
	v, ok := a.value(name, cty.String, "a string")
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (a *attrs) boolean(name string) (bool, bool) {
	v, ok := a.value(name, cty.Bool, "true or false")
	if !ok {
		return false, false
	}
	return v.True(), true
}

// integer reads a whole number in [lo, hi].
func (a *attrs) integer(name string, lo, hi int64) (int, bool) {
	v, ok := a.value(name, cty.Number, "a number")
	if !ok {
		return 0, false
	}
	i, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || i < lo || i > hi {
		*a.diags = append(*a.diags, errAt(a.rng(name), "Invalid "+name, fmt.Sprintf("%s must be a whole number from %d to %d.", name, lo, hi)))
		return 0, false
	}
	return int(i), true
}

// strList reads a list of strings with the range of each element.
func (a *attrs) strList(name string) ([]Str, bool) {
	if out, ok := a.literalStrList(name); ok {
		return out, true
	}
	v, ok := a.value(name, cty.List(cty.String), "a list of strings")
	if !ok {
		return nil, false
	}
	at := a.m[name]
	var out []Str
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		if e.IsNull() {
			*a.diags = append(*a.diags, errAt(elemRange(at.Expr, i), "Invalid "+name, "List elements must not be null."))
			continue
		}
		out = append(out, Str{Value: e.AsString(), Range: elemRange(at.Expr, i)})
	}
	return out, true
}

// literalStrList is strList's fast path for the common case, a list of
// quoted strings without interpolation: it gives the result evaluating and
// converting the expression gives, without going through cty (a third of
// the checker's time on large configurations). ok is false when the
// attribute is anything else; strList then takes the general path.
func (a *attrs) literalStrList(name string) (out []Str, ok bool) {
	at, found := a.m[name]
	if !found {
		return nil, false
	}
	t, isTuple := at.Expr.(*hclsyntax.TupleConsExpr)
	if !isTuple {
		return nil, false
	}
	for _, e := range t.Exprs {
		tmpl, isTmpl := e.(*hclsyntax.TemplateExpr)
		if !isTmpl || !tmpl.IsStringLiteral() {
			return nil, false
		}
		v := tmpl.Parts[0].(*hclsyntax.LiteralValueExpr).Val
		if v.Type() != cty.String || !v.IsKnown() || v.IsNull() || v.IsMarked() {
			return nil, false
		}
		out = append(out, Str{Value: v.AsString(), Range: e.Range()})
	}
	return out, true
}

// strMap reads a map of strings, with the range of each key.
func (a *attrs) strMap(name string) ([]Header, bool) {
	v, ok := a.value(name, cty.Map(cty.String), "a map of strings")
	if !ok {
		return nil, false
	}
	at := a.m[name]
	var out []Header
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			continue
		}
		out = append(out, Header{Name: k.AsString(), Value: e.AsString(), Range: keyRange(at.Expr, k.AsString())})
	}
	return out, true
}

// elemRange returns the range of element i of a list expression, or the
// whole expression's range when it is not a literal list.
func elemRange(e hcl.Expression, i int) hcl.Range {
	if t, ok := unwrap(e).(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return e.Range()
}

func keyRange(e hcl.Expression, key string) hcl.Range {
	if o, ok := unwrap(e).(*hclsyntax.ObjectConsExpr); ok {
		for _, it := range o.Items {
			if k, d := it.KeyExpr.Value(nil); !d.HasErrors() && k.Type() == cty.String && k.AsString() == key {
				return it.KeyExpr.Range()
			}
		}
	}
	return e.Range()
}

// valueRange returns the range of the value of key in an object
// expression, or the whole expression's range.
func valueRange(e hcl.Expression, key string) hcl.Range {
	if o, ok := unwrap(e).(*hclsyntax.ObjectConsExpr); ok {
		for _, it := range o.Items {
			if k, d := it.KeyExpr.Value(nil); !d.HasErrors() && k.Type() == cty.String && k.AsString() == key {
				return it.ValueExpr.Range()
			}
		}
	}
	return e.Range()
}

// unwrap returns the hclsyntax expression behind e (dynblock wraps
// expressions of generated blocks).
func unwrap(e hcl.Expression) hcl.Expression {
	if u, ok := e.(interface{ UnwrapExpression() hcl.Expression }); ok {
		return u.UnwrapExpression()
	}
	return e
}

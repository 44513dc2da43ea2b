package lang

import (
	"fmt"
	"math/big"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Options are the inputs of Check besides the files.
type Options struct {
	// Vars are values given with -var NAME=VALUE.
	Vars map[string]string
	// VarFiles are variable files (-var-file FILE, read with
	// LoadVarFiles or Parse), in command-line order: a later file
	// overrides an earlier one. Their values rank above Env and below
	// Vars.
	VarFiles []*File
	// Env looks up environment variables (HAPROUTE_VAR_NAME); nil means
	// no environment.
	Env func(string) (string, bool)
	// Cache, when set, makes Check reuse the work of earlier calls for
	// unchanged files and blocks (see CheckCache); the result is the same
	// as without it. nil checks everything.
	Cache *CheckCache
}

// backendMark marks the string values produced by backend.NAME references,
// so a route's backend can only come from a reference.
type backendMark struct{}

// Functions returns the functions available in expressions.
func Functions() map[string]function.Function {
	return map[string]function.Function{
		"concat":     stdlib.ConcatFunc,
		"contains":   stdlib.ContainsFunc,
		"distinct":   stdlib.DistinctFunc,
		"flatten":    stdlib.FlattenFunc,
		"format":     stdlib.FormatFunc,
		"join":       stdlib.JoinFunc,
		"length":     stdlib.LengthFunc,
		"lower":      stdlib.LowerFunc,
		"merge":      stdlib.MergeFunc,
		"range":      stdlib.RangeFunc,
		"split":      stdlib.SplitFunc,
		"upper":      stdlib.UpperFunc,
		"cidrsubnet": cidrSubnetFunc,
		"cidrhost":   cidrHostFunc,
	}
}

var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "invalid CIDR: %s", err)
		}
		var newbits, netnum int64
		if err := gocvt(args[1], &newbits); err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(1, err)
		}
		if err := gocvt(args[2], &netnum); err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(2, err)
		}
		bits := p.Bits() + int(newbits)
		if newbits < 0 || bits > p.Addr().BitLen() {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "prefix extension of %d bits does not fit", newbits)
		}
		if netnum < 0 || (newbits < 63 && netnum >= int64(1)<<newbits) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(2, "netnum %d does not fit in %d bits", netnum, newbits)
		}
		base := addrInt(p.Masked().Addr())
		base.Add(base, new(big.Int).Lsh(big.NewInt(netnum), uint(p.Addr().BitLen()-bits)))
		return cty.StringVal(netip.PrefixFrom(intAddr(base, p.Addr().Is4()), bits).String()), nil
	},
})

var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "invalid CIDR: %s", err)
		}
		var hostnum int64
		if err := gocvt(args[1], &hostnum); err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(1, err)
		}
		hostbits := p.Addr().BitLen() - p.Bits()
		size := new(big.Int).Lsh(big.NewInt(1), uint(hostbits))
		n := big.NewInt(hostnum)
		if hostnum < 0 {
			n.Add(n, size)
		}
		if n.Sign() < 0 || n.Cmp(size) >= 0 {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(1, "host number %d does not fit in %s", hostnum, p)
		}
		base := addrInt(p.Masked().Addr())
		base.Add(base, n)
		return cty.StringVal(intAddr(base, p.Addr().Is4()).String()), nil
	},
})

func gocvt(v cty.Value, out *int64) error {
	if v.IsNull() || !v.IsKnown() {
		return fmt.Errorf("a number is required")
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if acc != big.Exact {
		return fmt.Errorf("a whole number is required")
	}
	*out = i
	return nil
}

func addrInt(a netip.Addr) *big.Int {
	b := a.AsSlice()
	return new(big.Int).SetBytes(b)
}

func intAddr(i *big.Int, v4 bool) netip.Addr {
	n := 16
	if v4 {
		n = 4
	}
	buf := make([]byte, n)
	i.FillBytes(buf)
	a, _ := netip.AddrFromSlice(buf)
	return a
}

// evaluator holds the evaluation context built from variables and locals.
type evaluator struct {
	ctx *hcl.EvalContext
	// refs counts references to var.X, local.X and backend.X found
	// statically in the source.
	refs map[string]int
}

type variableDecl struct {
	name  string
	typ   cty.Type
	def   *hcl.Attribute
	rng   hcl.Range
	label hcl.Range
}

// evalVariables evaluates variable blocks and locals into an EvalContext.
func evalVariables(files []*File, vars []*hcl.Block, locals []*hcl.Attribute, backends []string, opts Options) (*evaluator, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	ev := &evaluator{refs: map[string]int{}}
	if opts.Cache != nil {
		opts.Cache.countRefs(files, ev.refs)
	} else {
		for _, f := range files {
			countRefs(f.Body, ev.refs)
		}
	}
	backendObj := map[string]cty.Value{}
	for _, b := range backends {
		backendObj[b] = cty.StringVal(b).Mark(backendMark{})
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"backend": cty.ObjectVal(backendObj),
		},
		Functions: Functions(),
	}
	ev.ctx = ctx

	declared := make([]string, 0, len(vars))
	for _, blk := range vars {
		declared = append(declared, blk.Labels[0])
	}
	fileVals, d := varFileValues(opts.VarFiles, declared)
	diags = append(diags, d...)

	varVals := map[string]cty.Value{}
	seen := map[string]hcl.Range{}
	for _, blk := range vars {
		name := blk.Labels[0]
		if prev, dup := seen[name]; dup {
			diags = append(diags, dupDiag("variable", name, blk.LabelRanges[0], prev))
			continue
		}
		seen[name] = blk.LabelRanges[0]
		content, d := blk.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "default"}, {Name: "type"}, {Name: "description"},
		}})
		diags = append(diags, d...)
		typ := cty.DynamicPseudoType
		if a, ok := content.Attributes["type"]; ok {
			t, d := typeexpr.TypeConstraint(a.Expr)
			diags = append(diags, d...)
			if !d.HasErrors() {
				typ = t
			}
		}
		if a, ok := content.Attributes["description"]; ok {
			v, d := a.Expr.Value(nil)
			diags = append(diags, d...)
			if !d.HasErrors() && (v.IsNull() || v.Type() != cty.String) {
				diags = append(diags, errAt(a.Expr.Range(), "Invalid description", "A variable description must be a string."))
			}
		}
		fv, inFile := fileVals[name]
		var fromFile *varFileValue
		if inFile {
			fromFile = &fv
		}
		val, d := variableValue(name, typ, content.Attributes["default"], blk.DefRange, fromFile, opts)
		diags = append(diags, d...)
		varVals[name] = val
	}
	ctx.Variables["var"] = cty.ObjectVal(varVals)

	// Locals may refer to each other: evaluate in dependency order by
	// repeatedly evaluating the ones whose local references are ready.
	localVals := map[string]cty.Value{}
	pending := map[string]*hcl.Attribute{}
	var order []string
	for _, a := range locals {
		if prev, dup := pending[a.Name]; dup {
			diags = append(diags, dupDiag("local", a.Name, a.NameRange, prev.NameRange))
			continue
		}
		pending[a.Name] = a
		order = append(order, a.Name)
	}
	for len(pending) > 0 {
		progress := false
		for _, name := range order {
			a, ok := pending[name]
			if !ok {
				continue
			}
			ready := true
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				if name, ok := traversalName(tr); ok {
					if _, waiting := pending[name]; waiting {
						ready = false
					}
				}
			}
			if !ready {
				continue
			}
			ctx.Variables["local"] = cty.ObjectVal(localVals)
			v, d := a.Expr.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			localVals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			// Report the locals that are in a cycle and give them an
			// unknown value; the locals that merely depend on a cycle are
			// then evaluated (to unknown values) on the next round.
			cycles := localCycles(pending)
			if len(cycles) == 0 {
				break // cannot happen: no progress implies a cycle
			}
			for _, n := range order {
				if scc, ok := cycles[n]; ok {
					diags = append(diags, errAt(pending[n].NameRange, "Cycle in locals", fmt.Sprintf("local.%s depends on itself (through %s).", n, strings.Join(scc, ", "))))
					localVals[n] = cty.DynamicVal
					delete(pending, n)
				}
			}
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(localVals)
	return ev, diags
}

// variableValue picks -var, then the last variable file that sets it
// (file, nil when none does), then HAPROUTE_VAR_NAME, then the default.
func variableValue(name string, typ cty.Type, def *hcl.Attribute, rng hcl.Range, file *varFileValue, opts Options) (cty.Value, hcl.Diagnostics) {
	var raw string
	var from string
	if v, ok := opts.Vars[name]; ok {
		raw, from = v, "-var "+name
	} else if file != nil {
		if file.bad {
			return cty.DynamicVal, nil // reported by varFileValues
		}
		cv, err := convert.Convert(file.val, typ)
		if err != nil {
			return cty.DynamicVal, hcl.Diagnostics{errAt(file.expr.Range(), "Invalid value for variable "+name,
				fmt.Sprintf("The value from %s is not a %s: %s (variable %q is declared at %s).", filepath.Base(file.file), typ.FriendlyName(), err, name, shortPos(rng)))}
		}
		return cv, nil
	} else if opts.Env != nil {
		if v, ok := opts.Env("HAPROUTE_VAR_" + name); ok {
			raw, from = v, "HAPROUTE_VAR_"+name
		}
	}
	if from != "" {
		var val cty.Value
		if typ == cty.String || typ == cty.DynamicPseudoType {
			val = cty.StringVal(raw)
		} else {
			expr, d := hclsyntax.ParseExpression([]byte(raw), from, hcl.InitialPos)
			if d.HasErrors() {
				return cty.DynamicVal, hcl.Diagnostics{errAt(rng, "Invalid value for variable "+name, fmt.Sprintf("The value from %s is not a valid HCL expression: %s", from, d.Error()))}
			}
			v, d := expr.Value(&hcl.EvalContext{Functions: Functions()})
			if d.HasErrors() {
				return cty.DynamicVal, hcl.Diagnostics{errAt(rng, "Invalid value for variable "+name, fmt.Sprintf("The value from %s cannot be evaluated: %s", from, d.Error()))}
			}
			val = v
		}
		cv, err := convert.Convert(val, typ)
		if err != nil {
			return cty.DynamicVal, hcl.Diagnostics{errAt(rng, "Invalid value for variable "+name, fmt.Sprintf("The value from %s is not a %s: %s", from, typ.FriendlyName(), err))}
		}
		return cv, nil
	}
	if def == nil {
		return cty.DynamicVal, hcl.Diagnostics{errAt(rng, "No value for variable "+name,
			fmt.Sprintf("Set it with -var %s=VALUE, in a -var-file or with the environment variable HAPROUTE_VAR_%s, or give it a default.", name, name))}
	}
	v, d := def.Expr.Value(nil)
	if d.HasErrors() {
		return cty.DynamicVal, d
	}
	cv, err := convert.Convert(v, typ)
	if err != nil {
		return cty.DynamicVal, hcl.Diagnostics{errAt(def.Expr.Range(), "Invalid default value", fmt.Sprintf("The default is not a %s: %s", typ.FriendlyName(), err))}
	}
	return cv, nil
}

// countRefs records static references var.X, local.X and backend.X.
func countRefs(body *hclsyntax.Body, refs map[string]int) {
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		if e, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
			countRef(e, refs)
		}
		return nil
	})
}

// countRef records one reference for countRefs.
func countRef(e *hclsyntax.ScopeTraversalExpr, refs map[string]int) {
	if len(e.Traversal) < 2 {
		return
	}
	if name, ok := traversalName(e.Traversal); ok {
		refs[e.Traversal.RootName()+"."+name]++
	}
}

// traversalName returns NAME in ROOT.NAME and in ROOT["NAME"].
func traversalName(tr hcl.Traversal) (string, bool) {
	if len(tr) < 2 {
		return "", false
	}
	switch t := tr[1].(type) {
	case hcl.TraverseAttr:
		return t.Name, true
	case hcl.TraverseIndex:
		if t.Key.Type() == cty.String && t.Key.IsKnown() && !t.Key.IsNull() {
			return t.Key.AsString(), true
		}
	}
	return "", false
}

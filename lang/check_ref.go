package lang

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// suggestRefs adds a "did you mean" sentence to HCL's "Unsupported
// attribute" errors for var.NAME, local.NAME and backend.NAME references to
// undeclared names (HCL itself suggests nothing for object attributes).
func suggestRefs(diags hcl.Diagnostics, ctx *hcl.EvalContext) {
	for _, d := range diags {
		if d.Summary != "Unsupported attribute" || strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		st, ok := d.Expression.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(st.Traversal) < 2 {
			continue
		}
		attr, ok := st.Traversal[1].(hcl.TraverseAttr)
		root := st.Traversal.RootName()
		obj, declared := ctx.Variables[root]
		if !ok || !declared || (root != "var" && root != "local" && root != "backend") || !obj.Type().IsObjectType() {
			continue
		}
		var names []string
		for n := range obj.Type().AttributeTypes() {
			names = append(names, n)
		}
		d.Detail += didYouMean(attr.Name, names)
	}
}

package compiler

import (
	"strconv"

	"github.com/haproute/haproute/ir"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// when compiles a when-expression to a DNF, pushing negations down to the
// leaves. neg asks for the negation of e.
func (fc *feCompiler) when(prefix string, e lang.WhenExpr, neg bool, comment string, rng hcl.Range) dnf {
	switch e := e.(type) {
	case *lang.WhenNot:
		return fc.when(prefix, e.X, !neg, comment, rng)
	case *lang.WhenOr, *lang.WhenAnd:
		var terms []lang.WhenExpr
		isOr := false
		if o, ok := e.(*lang.WhenOr); ok {
			terms, isOr = o.Terms, true
		} else {
			terms = e.(*lang.WhenAnd).Terms
		}
		// De Morgan: a negated OR is an AND of negations and vice versa.
		union := isOr != neg
		var out dnf
		for i, t := range terms {
			d := fc.when(prefix, t, neg, comment, rng)
			if union {
				out = append(out, d...)
				if len(out) > maxAlternatives {
					fc.tooComplex(rng)
					return nil
				}
				continue
			}
			if i == 0 {
				out = d
				continue
			}
			var ok bool
			if out, ok = and(out, d); !ok {
				fc.tooComplex(rng)
				return nil
			}
		}
		return out
	case *lang.WhenRef:
		d := fc.condition(e.Name)
		if !neg {
			return d
		}
		return negate(d, func() { fc.tooComplex(rng) })
	case *lang.WhenCall:
		name := fc.callACL(prefix, e, comment, rng)
		return dnf{{{ACL: name, Not: neg}}}
	}
	return nil
}

// negate returns the DNF of the negation of d.
func negate(d dnf, tooBig func()) dnf {
	out := alwaysTrue
	for _, conj := range d {
		// not(a and b) = not a or not b
		var alt dnf
		for _, t := range conj {
			t.Not = !t.Not
			alt = append(alt, []ir.Term{t})
		}
		if len(conj) == 0 {
			return dnf{} // not(true) = false
		}
		var ok bool
		if out, ok = and(out, alt); !ok {
			tooBig()
			return nil
		}
	}
	return out
}

// condition compiles a named condition once.
func (fc *feCompiler) condition(name string) dnf {
	if d, ok := fc.conds[name]; ok {
		return d
	}
	cd := fc.fe.Condition(name)
	if cd == nil {
		return nil
	}
	d := fc.match("c_"+name, &cd.Match, nil, nil, cd.Range, "condition \""+name+"\"")
	fc.conds[name] = d
	return d
}

// callACL emits the ACL for one when-call and returns its name.
func (fc *feCompiler) callACL(prefix string, call *lang.WhenCall, comment string, rng hcl.Range) string {
	// Numbered within the block, so editing another block never renames
	// this block's ACLs.
	n := 0
	for fc.acls[prefix+strconv.Itoa(n)] {
		n++
	}
	name := prefix + strconv.Itoa(n)
	a := &ir.ACL{Name: name, Comment: comment, Range: call.Range}
	arg := call.Args[0]
	switch call.Func {
	case "host":
		a.Fetch, a.Match = hostFetch, "str"
		if len(arg) > 2 && arg[:2] == "*." {
			a.Match, arg = "end", arg[1:]
		}
		a.Patterns = []string{lowerASCII(arg)}
	case "path":
		a.Fetch, a.Match, a.Patterns = "path", "str", []string{arg}
	case "path_prefix":
		a.Fetch, a.Match, a.Patterns = "path", "beg", []string{arg}
	case "path_regex":
		a.Fetch, a.Match, a.Patterns = "path", "reg", []string{arg}
	case "method":
		a.Fetch, a.Match, a.Patterns = "method", "str", []string{arg}
	case "src":
		a.Fetch, a.Match, a.Patterns = "src", "ip", []string{arg}
	case "header":
		a.Fetch, a.Match, a.Patterns = "req.fhdr("+lowerASCII(arg)+")", "str", []string{call.Args[1]}
	case "header_present":
		a.Fetch, a.Match = "req.fhdr("+lowerASCII(arg)+")", "found"
	case "query":
		a.Fetch, a.Match, a.Patterns = "urlp("+arg+")", "str", []string{call.Args[1]}
	}
	fc.acl(a)
	return name
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

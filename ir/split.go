package ir

import "strings"

// MaxLineWords is the most words haproute puts on one configuration line.
// HAProxy 2.6 reads at most 64 words (MAX_LINE_ARGS), and a trailing
// "# comment" takes one of them; beyond that haproxy -c fails with "too
// many words, truncating after word 64".
const MaxLineWords = 63

// SplitLongLines rewrites the frontends of cfg so that every ACL, rule and
// use_backend line fits in MaxLineWords words, without changing what the
// configuration does:
//
//   - an ACL with too many patterns becomes several ACLs of the same name,
//     which HAProxy ORs;
//   - a rule or use_backend whose "if A || B || ..." is too long is
//     repeated, each copy with some of the alternatives. That is
//     equivalent for the rules haproute writes: deny, redirect and
//     use_backend stop at the first match, route rules are guarded by "no
//     backend chosen yet", and set-header sets the same value again.
//
// A single alternative that is too long by itself, or a long "unless"
// condition, is left as it is. The compiler calls SplitLongLines, so the
// configuration Read returns from rendered files has the same lines.
func SplitLongLines(cfg *Config) {
	r := &renderer{dir: "/"}
	for _, f := range cfg.Frontends {
		var acls []*ACL
		for _, a := range f.ACLs {
			acls = append(acls, r.splitACL(a)...)
		}
		f.ACLs = acls
		var rules []*Rule
		for _, rule := range f.Rules {
			bare := *rule
			bare.Cond = Cond{}
			for _, c := range splitCond(len(r.ruleWords(f.Mode, &bare)), rule.Cond) {
				part := *rule
				part.Cond = c
				rules = append(rules, &part)
			}
		}
		f.Rules = rules
		var ubs []*UseBackend
		for _, u := range f.UseBackends {
			bare := *u
			bare.Cond = Cond{}
			for _, c := range splitCond(len(useBackendWords(&bare)), u.Cond) {
				part := *u
				part.Cond = c
				ubs = append(ubs, &part)
			}
		}
		f.UseBackends = ubs
	}
}

// splitACL splits an ACL whose patterns do not fit on one line.
func (r *renderer) splitACL(a *ACL) []*ACL {
	head := len(r.aclWords(&ACL{Name: a.Name, Fetch: a.Fetch, Match: a.Match, File: a.File})) + 1 // "--"
	per := MaxLineWords - head
	if len(a.Patterns) <= per || per < 1 {
		return []*ACL{a}
	}
	var out []*ACL
	for i := 0; i < len(a.Patterns); i += per {
		part := *a
		part.Patterns = a.Patterns[i:min(i+per, len(a.Patterns))]
		out = append(out, &part)
	}
	return out
}

// termWords is the number of words a condition term renders to.
func termWords(t Term) int {
	if t.Anon != "" {
		return 2 + len(strings.Fields(t.Anon)) // "{" or "!{", the body, "}"
	}
	return 1
}

func andWords(and []Term) int {
	n := 0
	for _, t := range and {
		n += termWords(t)
	}
	return n
}

// splitCond splits a condition that does not fit on a line after head
// words into conditions that do, each holding some of the alternatives.
func splitCond(head int, c Cond) []Cond {
	budget := MaxLineWords - head - 1 // "if"
	total := len(c.Or) - 1            // "||"
	for _, and := range c.Or {
		total += andWords(and)
	}
	if total <= budget || c.Unless {
		return []Cond{c}
	}
	var out []Cond
	cur, used := Cond{}, 0
	for _, and := range c.Or {
		n := andWords(and)
		if len(cur.Or) > 0 && used+1+n > budget {
			out = append(out, cur)
			cur, used = Cond{}, 0
		}
		if len(cur.Or) > 0 {
			used++
		}
		cur.Or = append(cur.Or, and)
		used += n
	}
	return append(out, cur)
}

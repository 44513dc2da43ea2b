// Package e2e sends real traffic through a real haproxy running the
// configuration haproute compiles, and checks that requests are routed
// exactly as LANGUAGE.md's "Request processing semantics" say. Every
// request is also run through lang.Explain, which must agree with haproxy.
package e2e

import (
	"strings"
	"testing"

	"github.com/haproute/haproute/internal/hatest"
	"github.com/haproute/haproute/lang"
	"github.com/hashicorp/hcl/v2"
)

// get is a GET request for host and target.
func get(host, target string) hatest.Request {
	return hatest.Request{Host: host, Path: target}
}

// TestRules covers step 1: deny, redirect and set_header in declaration
// order; the first matching deny or redirect ends processing; set_header
// changes what later blocks and routes see.
func TestRules(t *testing.T) {
	t.Parallel()
	e := start(t, setup{
		backends: []string{"dflt", "canary", "internal"},
		files: map[string]string{"rules.hcl": `
frontend "fe" {
  bind            = ["@BIND_fe@"]
  default_backend = backend.dflt

  set_header "canary_on" {
    when   = "header('X-Beta', 'on')"
    header = "X-Canary"
    value  = "yes"
  }
  set_header "canary_off" {
    path_prefix = ["/nocanary"]
    header      = "X-Canary"
    value       = "no"
  }
  set_header "rehost" {
    path_prefix = ["/rehost"]
    header      = "Host"
    value       = "Internal.TEST:8443"
  }
  set_header "literal" {
    path   = ["/literal"]
    header = "X-Literal"
    value  = "100% 'q' %[src] \\"
  }
  redirect "beta_redirect" {
    path = ["/beta-redirect"]
    when = "header('X-Canary', 'yes')"
    to   = "/beta/"
  }
  deny "late_header" {
    header = { "X-Late" = "1" }
    status = 410
  }
  set_header "late" {
    path   = ["/late"]
    header = "X-Late"
    value  = "1"
  }
  set_header "mark_block" {
    path   = ["/mark-block"]
    header = "X-Block"
    value  = "yes"
  }
  deny "blocked" {
    header = { "X-Block" = "yes" }
    status = 429
  }
  redirect "old" {
    path_prefix = ["/old"]
    to          = "https://new.example.com/landing?x=1&y=%41&z='q'#top"
    code        = 301
  }
  deny "old_too" {
    path_prefix = ["/old"]
  }
  deny "both" {
    path = ["/both"]
  }
  redirect "both_redirect" {
    path = ["/both"]
    to   = "/elsewhere"
  }
  redirect "r302" {
    path = ["/r302"]
    to   = "/to/302?q=%[src]"
  }
  redirect "r303" {
    path = ["/r303"]
    to   = "http://a.test:8080/x"
    code = 303
  }
  redirect "r307" {
    path = ["/r307"]
    to   = "/x%2Fy"
    code = 307
  }
  redirect "r308" {
    path = ["/r308"]
    to   = "https://b.test/"
    code = 308
  }
  deny "trace" {
    method = ["TRACE"]
    status = 405
  }

  route "canary" {
    header  = { "X-Canary" = "yes" }
    backend = backend.canary
  }
  route "internal" {
    host    = ["internal.test"]
    backend = backend.internal
  }
}
`},
	})
	e.run(t, []tc{
		{name: "no_rule_matches", req: get("www.test", "/x"), want: want{backend: "dflt", seen: hdr("x-canary", absent)}},
		{name: "set_header_feeds_route", req: hatest.Request{Host: "www.test", Path: "/x", Header: hdr("X-Beta", "on")},
			want: want{backend: "canary", seen: hdr("x-canary", "yes")}},
		{name: "client_header_matches_route_case_insensitive_name", req: hatest.Request{Host: "www.test", Path: "/x", Header: hdr("x-canary", "yes")},
			want: want{backend: "canary"}},
		{name: "later_set_header_overrides_client_header", req: hatest.Request{Host: "www.test", Path: "/nocanary", Header: hdr("X-Canary", "yes")},
			want: want{backend: "dflt", seen: hdr("x-canary", "no")}},
		{name: "later_set_header_overrides_earlier_set_header", req: hatest.Request{Host: "www.test", Path: "/nocanary/a", Header: hdr("X-Beta", "on")},
			want: want{backend: "dflt", seen: hdr("x-canary", "no")}},
		{name: "set_header_host_feeds_host_route", req: get("public.test", "/rehost/a"),
			want: want{backend: "internal", seen: hdr("host", "Internal.TEST:8443")}},
		{name: "set_header_value_literal", req: get("www.test", "/literal"), want: want{backend: "dflt", seen: hdr("x-literal", `100% 'q' %[src] \`)}},
		{name: "set_header_feeds_redirect", req: hatest.Request{Host: "www.test", Path: "/beta-redirect", Header: hdr("X-Beta", "on")},
			want: want{status: 302, location: "/beta/"}},
		{name: "redirect_not_matching_without_set_header", req: get("www.test", "/beta-redirect"), want: want{backend: "dflt"}},
		{name: "deny_before_set_header_does_not_see_it", req: get("www.test", "/late"), want: want{backend: "dflt", seen: hdr("x-late", "1")}},
		{name: "deny_custom_status_410", req: hatest.Request{Host: "www.test", Path: "/x", Header: hdr("X-Late", "1")}, want: want{status: 410}},
		{name: "set_header_before_deny_triggers_it", req: get("www.test", "/mark-block"), want: want{status: 429}},
		{name: "deny_on_client_header", req: hatest.Request{Host: "www.test", Path: "/x", Header: hdr("X-Block", "yes")}, want: want{status: 429}},
		{name: "deny_header_other_value", req: hatest.Request{Host: "www.test", Path: "/x", Header: hdr("X-Block", "no")}, want: want{backend: "dflt"}},
		{name: "redirect_301_ends_processing_before_deny", req: get("www.test", "/old/page"),
			want: want{status: 301, location: "https://new.example.com/landing?x=1&y=%41&z='q'#top"}},
		{name: "deny_403_ends_processing_before_redirect", req: get("www.test", "/both"), want: want{status: 403}},
		{name: "redirect_302_default_code_percent_literal", req: get("www.test", "/r302"), want: want{status: 302, location: "/to/302?q=%[src]"}},
		{name: "redirect_303", req: get("www.test", "/r303"), want: want{status: 303, location: "http://a.test:8080/x"}},
		{name: "redirect_307", req: get("www.test", "/r307"), want: want{status: 307, location: "/x%2Fy"}},
		{name: "redirect_308", req: get("www.test", "/r308"), want: want{status: 308, location: "https://b.test/"}},
		{name: "redirect_path_exact_only", req: get("www.test", "/r308/"), want: want{backend: "dflt"}},
		{name: "deny_method_405", req: hatest.Request{Method: "TRACE", Host: "www.test", Path: "/x"}, want: want{status: 405}},
		{name: "deny_then_set_header_order_with_redirect", req: hatest.Request{Host: "www.test", Path: "/old", Header: hdr("X-Block", "yes")}, want: want{status: 429}},
	})
}

// TestRankPriorityAndHost covers rank criteria 1 and 2 and the rule that
// the matching element of a multi-host route decides its rank.
func TestRankPriorityAndHost(t *testing.T) {
	t.Parallel()
	e := start(t, setup{
		backends: []string{"nohost", "wild2", "wild3", "exact", "urgent", "urgent_hdr", "low", "multi", "x_exact"},
		files: map[string]string{"hosts.hcl": `
frontend "fe" {
  bind = ["@BIND_fe@"]

  route "catchall" {
    path_prefix = ["/"]
    backend     = backend.nohost
  }
  route "wild2" {
    host    = ["*.example.com"]
    backend = backend.wild2
  }
  route "wild3" {
    host    = ["*.eu.example.com"]
    backend = backend.wild3
  }
  route "exact" {
    host    = ["www.example.com", "api.example.com"]
    backend = backend.exact
  }
  route "urgent" {
    path_prefix = ["/urgent"]
    priority    = 10
    backend     = backend.urgent
  }
  route "urgent_hdr" {
    header   = { "X-Urgent" = "1" }
    priority = 5
    backend  = backend.urgent_hdr
  }
  route "low" {
    host     = ["low.test"]
    priority = -1
    backend  = backend.low
  }
  route "multi" {
    host    = ["m.test", "*.multi.test"]
    backend = backend.multi
  }
  route "x_exact" {
    host    = ["x.multi.test"]
    backend = backend.x_exact
  }
}
`},
	})
	e.run(t, []tc{
		{name: "exact_host", req: get("www.example.com", "/"), want: want{backend: "exact"}},
		{name: "exact_host_second_element", req: get("api.example.com", "/a"), want: want{backend: "exact"}},
		{name: "host_case_insensitive_port_stripped", req: get("API.Example.COM:8080", "/"), want: want{backend: "exact"}},
		{name: "priority_beats_exact_host", req: get("www.example.com", "/urgent/x"), want: want{backend: "urgent"}},
		{name: "priority_beats_wildcard", req: get("a.eu.example.com", "/urgent"), want: want{backend: "urgent"}},
		{name: "priority_complex_beats_exact_host", req: hatest.Request{Host: "www.example.com", Path: "/", Header: hdr("X-Urgent", "1")}, want: want{backend: "urgent_hdr"}},
		{name: "higher_priority_plain_beats_lower_complex", req: hatest.Request{Host: "www.example.com", Path: "/urgent", Header: hdr("X-Urgent", "1")}, want: want{backend: "urgent"}},
		{name: "negative_priority_loses_to_no_host", req: get("low.test", "/"), want: want{backend: "nohost"}},
		{name: "wildcard_more_labels_wins", req: get("x.eu.example.com", "/"), want: want{backend: "wild3"}},
		{name: "wildcard_matches_several_labels", req: get("a.b.eu.example.com", "/"), want: want{backend: "wild3"}},
		{name: "wildcard_fewer_labels", req: get("x.example.com", "/"), want: want{backend: "wild2"}},
		{name: "wildcard_fewer_labels_several_in_front", req: get("a.b.c.example.com", "/"), want: want{backend: "wild2"}},
		{name: "wildcard_not_bare_domain_falls_to_shorter", req: get("eu.example.com", "/"), want: want{backend: "wild2"}},
		{name: "wildcard_not_bare_domain", req: get("example.com", "/"), want: want{backend: "nohost"}},
		{name: "wildcard_case_and_port", req: get("X.EU.Example.Com:81", "/"), want: want{backend: "wild3"}},
		{name: "suffix_without_dot_boundary", req: get("notexample.com", "/"), want: want{backend: "nohost"}},
		{name: "no_host_route", req: get("other.test", "/"), want: want{backend: "nohost"}},
		{name: "multi_exact_element_beats_wildcard_elsewhere", req: get("m.test", "/"), want: want{backend: "multi"}},
		{name: "multi_wildcard_element_loses_to_exact", req: get("x.multi.test", "/"), want: want{backend: "x_exact"}},
		{name: "multi_wildcard_element", req: get("y.multi.test", "/"), want: want{backend: "multi"}},
		{name: "multi_wildcard_not_bare", req: get("multi.test", "/"), want: want{backend: "nohost"}},
	})
}

// TestRankPath covers rank criterion 3 within and across host classes.
func TestRankPath(t *testing.T) {
	t.Parallel()
	e := start(t, setup{
		backends: []string{"dflt", "p_api", "p_api_v1", "p_exact", "p_regex", "p_host", "w_prefix",
			"n_long", "n_api", "n_exact", "n_prefix", "n_regex", "n_get"},
		files: map[string]string{"paths.hcl": `
frontend "fe" {
  bind            = ["@BIND_fe@"]
  default_backend = backend.dflt

  route "p_api" {
    host        = ["p.test"]
    path_prefix = ["/api"]
    backend     = backend.p_api
  }
  route "p_api_v1" {
    host        = ["p.test"]
    path_prefix = ["/api/v1"]
    backend     = backend.p_api_v1
  }
  route "p_exact" {
    host    = ["p.test"]
    path    = ["/api/v1/status", "/exact"]
    backend = backend.p_exact
  }
  route "p_regex" {
    host       = ["p.test"]
    path_regex = ["^/items/[0-9]+$", "\\.json$"]
    backend    = backend.p_regex
  }
  route "p_host" {
    host    = ["p.test"]
    backend = backend.p_host
  }
  route "w_prefix" {
    host        = ["*.p.test"]
    path_prefix = ["/w"]
    backend     = backend.w_prefix
  }
  route "n_long" {
    path_prefix = ["/api/v1/long", "/w/long"]
    backend     = backend.n_long
  }
  route "n_api" {
    path_prefix = ["/api"]
    backend     = backend.n_api
  }
  route "n_exact" {
    path    = ["/health"]
    backend = backend.n_exact
  }
  route "n_prefix" {
    path_prefix = ["/he"]
    backend     = backend.n_prefix
  }
  route "n_regex" {
    path_regex = ["\\.php$"]
    backend    = backend.n_regex
  }
  route "n_get" {
    method  = ["GET"]
    backend = backend.n_get
  }
}
`},
	})
	e.run(t, []tc{
		{name: "exact_beats_prefixes", req: get("p.test", "/api/v1/status"), want: want{backend: "p_exact"}},
		{name: "exact_ignores_query", req: get("p.test", "/api/v1/status?verbose=1&x=/y"), want: want{backend: "p_exact"}},
		{name: "absolute_form_target", req: get("p.test", "http://p.test/api/v1/status?x=1"), want: want{backend: "p_exact"}},
		{name: "absolute_form_target_https_port", req: get("P.Test:81", "https://p.test:81/api/v2"), want: want{backend: "p_api"}},
		{name: "exact_second_element", req: get("p.test", "/exact"), want: want{backend: "p_exact"}},
		{name: "exact_is_not_prefix", req: get("p.test", "/exact/"), want: want{backend: "p_host"}},
		{name: "longer_prefix_same_host", req: get("p.test", "/api/v1/status/x"), want: want{backend: "p_api_v1"}},
		{name: "longer_prefix_equal_path", req: get("p.test", "/api/v1"), want: want{backend: "p_api_v1"}},
		{name: "shorter_prefix", req: get("p.test", "/api/v2"), want: want{backend: "p_api"}},
		{name: "prefix_not_segment_aware", req: get("p.test", "/apix"), want: want{backend: "p_api"}},
		{name: "prefix_ignores_query", req: get("p.test", "/api?next=/api/v1"), want: want{backend: "p_api"}},
		{name: "regex", req: get("p.test", "/items/12"), want: want{backend: "p_regex"}},
		{name: "regex_second_element_ignores_query", req: get("p.test", "/data/x.json?y=1"), want: want{backend: "p_regex"}},
		{name: "regex_no_match_host_only", req: get("p.test", "/items/abc"), want: want{backend: "p_host"}},
		{name: "host_class_beats_longer_prefix", req: get("p.test", "/api/v1/long"), want: want{backend: "p_api_v1"}},
		{name: "wildcard_class_beats_longer_prefix", req: get("a.p.test", "/w/long"), want: want{backend: "w_prefix"}},
		{name: "wildcard_prefix_no_match", req: get("a.p.test", "/x"), want: want{backend: "n_get"}},
		{name: "no_host_longer_prefix", req: get("other.test", "/api/v1/long/x"), want: want{backend: "n_long"}},
		{name: "no_host_shorter_prefix", req: get("other.test", "/api/v1"), want: want{backend: "n_api"}},
		{name: "no_host_exact", req: get("other.test", "/health"), want: want{backend: "n_exact"}},
		{name: "no_host_exact_ignores_query", req: get("other.test", "/health?full=1"), want: want{backend: "n_exact"}},
		{name: "no_host_prefix", req: get("other.test", "/healthz"), want: want{backend: "n_prefix"}},
		{name: "regex_beats_no_path", req: get("other.test", "/index.php"), want: want{backend: "n_regex"}},
		{name: "no_path_other_attribute", req: get("other.test", "/zzz"), want: want{backend: "n_get"}},
		{name: "nothing_matches_default_backend", req: hatest.Request{Method: "POST", Host: "other.test", Path: "/zzz"}, want: want{backend: "dflt"}},
	})
}

// TestMatchAttributes covers method, header, src, not_src, query strings,
// when-expressions with named conditions and operators, header_present and
// path_regex.
func TestMatchAttributes(t *testing.T) {
	t.Parallel()
	e := start(t, setup{
		backends: []string{"dflt", "method", "header", "src", "src_net", "not_src", "query", "search",
			"when", "when2", "when_host", "regex"},
		files: map[string]string{"attrs.hcl": `
frontend "fe" {
  bind            = ["@BIND_fe@"]
  default_backend = backend.dflt

  condition "office" {
    src = ["127.0.0.2/32"]
  }
  condition "debug" {
    header = { "X-Debug" = "1" }
  }

  route "method" {
    host    = ["m.test"]
    method  = ["POST", "PUT"]
    backend = backend.method
  }
  route "header" {
    host    = ["h.test"]
    header  = { "X-Team" = "blue", "X-Env" = "prod" }
    backend = backend.header
  }
  route "src" {
    host    = ["s.test"]
    path    = ["/src"]
    src     = ["127.0.0.2/32"]
    backend = backend.src
  }
  route "src_net" {
    host    = ["s.test"]
    path    = ["/net"]
    src     = ["127.0.0.0/30"]
    not_src = ["127.0.0.3"]
    backend = backend.src_net
  }
  route "not_src" {
    host    = ["s.test"]
    path    = ["/not"]
    not_src = ["127.0.0.2", "127.0.0.4/31"]
    backend = backend.not_src
  }
  route "query" {
    host    = ["q.test"]
    path    = ["/search"]
    when    = "query('a', '1')"
    backend = backend.query
  }
  route "search" {
    host    = ["q.test"]
    path    = ["/search"]
    backend = backend.search
  }
  route "when" {
    host    = ["w.test"]
    when    = "office || (debug && !path_prefix('/admin'))"
    backend = backend.when
  }
  route "when2" {
    host    = ["w2.test"]
    when    = "!(method('DELETE') || path_regex('^/private/')) && (header_present('X-Auth') || src('127.0.0.3'))"
    backend = backend.when2
  }
  route "when_host" {
    when    = "host('*.wh.test') && !host('bad.wh.test')"
    backend = backend.when_host
  }
  route "regex" {
    host       = ["rx.test"]
    path_regex = ["^/item/[0-9]+$", "\\.json$"]
    backend    = backend.regex
  }
}
`},
	})
	from := func(src, host, target string) hatest.Request {
		return hatest.Request{Host: host, Path: target, Src: src}
	}
	e.run(t, []tc{
		{name: "method_post", req: hatest.Request{Method: "POST", Host: "m.test", Path: "/"}, want: want{backend: "method"}},
		{name: "method_put", req: hatest.Request{Method: "PUT", Host: "m.test", Path: "/"}, want: want{backend: "method"}},
		{name: "method_other", req: get("m.test", "/"), want: want{backend: "dflt"}},
		{name: "method_case_sensitive", req: hatest.Request{Method: "put", Host: "m.test", Path: "/"}, want: want{backend: "dflt"}},

		{name: "header_all_present", req: hatest.Request{Host: "h.test", Header: hdr("X-Team", "blue", "X-Env", "prod")}, want: want{backend: "header"}},
		{name: "header_names_case_insensitive", req: hatest.Request{Host: "h.test", Header: hdr("x-team", "blue", "X-ENV", "prod")}, want: want{backend: "header"}},
		{name: "header_one_missing", req: hatest.Request{Host: "h.test", Header: hdr("X-Team", "blue")}, want: want{backend: "dflt"}},
		{name: "header_value_differs", req: hatest.Request{Host: "h.test", Header: hdr("X-Team", "Blue", "X-Env", "prod")}, want: want{backend: "dflt"}},
		{name: "header_value_not_prefix", req: hatest.Request{Host: "h.test", Header: hdr("X-Team", "blue2", "X-Env", "prod")}, want: want{backend: "dflt"}},
		{name: "header_any_occurrence", req: hatest.Request{Host: "h.test", Header: hdr("X-Team", "red", "X-Env", "prod", "X-Team", "blue")}, want: want{backend: "header"}},
		{name: "header_value_is_whole_line", req: hatest.Request{Host: "h.test", Header: hdr("X-Team", "red, blue", "X-Env", "prod")}, want: want{backend: "dflt"}},

		{name: "src_32_match", req: from("127.0.0.2", "s.test", "/src"), want: want{backend: "src"}},
		{name: "src_32_other", req: from("127.0.0.1", "s.test", "/src"), want: want{backend: "dflt"}},
		{name: "src_32_neighbour", req: from("127.0.0.3", "s.test", "/src"), want: want{backend: "dflt"}},
		{name: "src_30_first", req: from("127.0.0.1", "s.test", "/net"), want: want{backend: "src_net"}},
		{name: "src_30_second", req: from("127.0.0.2", "s.test", "/net"), want: want{backend: "src_net"}},
		{name: "src_30_excluded_by_not_src", req: from("127.0.0.3", "s.test", "/net"), want: want{backend: "dflt"}},
		{name: "src_30_outside", req: from("127.0.0.4", "s.test", "/net"), want: want{backend: "dflt"}},
		{name: "not_src_outside", req: from("127.0.0.1", "s.test", "/not"), want: want{backend: "not_src"}},
		{name: "not_src_ip", req: from("127.0.0.2", "s.test", "/not"), want: want{backend: "dflt"}},
		{name: "not_src_outside_3", req: from("127.0.0.3", "s.test", "/not"), want: want{backend: "not_src"}},
		{name: "not_src_31_low", req: from("127.0.0.4", "s.test", "/not"), want: want{backend: "dflt"}},
		{name: "not_src_31_high", req: from("127.0.0.5", "s.test", "/not"), want: want{backend: "dflt"}},
		{name: "not_src_past_31", req: from("127.0.0.6", "s.test", "/not"), want: want{backend: "not_src"}},

		{name: "query_match", req: get("q.test", "/search?a=1"), want: want{backend: "query"}},
		{name: "query_not_first_param", req: get("q.test", "/search?b=2&a=1"), want: want{backend: "query"}},
		{name: "query_other_value", req: get("q.test", "/search?a=2"), want: want{backend: "search"}},
		{name: "query_value_not_prefix", req: get("q.test", "/search?a=10"), want: want{backend: "search"}},
		{name: "query_name_not_prefix", req: get("q.test", "/search?aa=1"), want: want{backend: "search"}},
		{name: "query_absent", req: get("q.test", "/search"), want: want{backend: "search"}},
		{name: "query_exact_path_still_required", req: get("q.test", "/search/?a=1"), want: want{backend: "dflt"}},
		{name: "query_repeated_param", req: get("q.test", "/search?a=2&a=1"), want: want{backend: "query"}},
		{name: "query_semicolon_delimiter", req: get("q.test", "/search?x=2;a=1"), want: want{backend: "query"}},
		{name: "query_empty_name", req: get("q.test", "/search?=1&a=1"), want: want{backend: "query"}},

		{name: "when_named_src", req: from("127.0.0.2", "w.test", "/admin"), want: want{backend: "when"}},
		{name: "when_named_header_and_not", req: hatest.Request{Host: "w.test", Path: "/x", Header: hdr("X-Debug", "1")}, want: want{backend: "when"}},
		{name: "when_not_excludes", req: hatest.Request{Host: "w.test", Path: "/admin/x", Header: hdr("X-Debug", "1")}, want: want{backend: "dflt"}},
		{name: "when_nothing", req: get("w.test", "/x"), want: want{backend: "dflt"}},
		{name: "when_header_other_value", req: hatest.Request{Host: "w.test", Path: "/x", Header: hdr("X-Debug", "2")}, want: want{backend: "dflt"}},

		{name: "when2_header_present", req: hatest.Request{Host: "w2.test", Path: "/x", Header: hdr("X-Auth", "t")}, want: want{backend: "when2"}},
		{name: "when2_header_present_empty_value", req: hatest.Request{Host: "w2.test", Path: "/x", Header: hdr("X-Auth", "")}, want: want{backend: "when2"}},
		{name: "when2_negated_method", req: hatest.Request{Method: "DELETE", Host: "w2.test", Path: "/x", Header: hdr("X-Auth", "t")}, want: want{backend: "dflt"}},
		{name: "when2_negated_regex", req: hatest.Request{Host: "w2.test", Path: "/private/x", Header: hdr("X-Auth", "t")}, want: want{backend: "dflt"}},
		{name: "when2_regex_anchored", req: hatest.Request{Host: "w2.test", Path: "/public/private/", Header: hdr("X-Auth", "t")}, want: want{backend: "when2"}},
		{name: "when2_src_alternative", req: from("127.0.0.3", "w2.test", "/x"), want: want{backend: "when2"}},
		{name: "when2_neither", req: from("127.0.0.1", "w2.test", "/x"), want: want{backend: "dflt"}},
		{name: "when2_src_but_delete", req: hatest.Request{Method: "DELETE", Src: "127.0.0.3", Host: "w2.test", Path: "/x"}, want: want{backend: "dflt"}},

		{name: "when_host_wildcard", req: get("a.wh.test", "/"), want: want{backend: "when_host"}},
		{name: "when_host_wildcard_labels", req: get("x.y.wh.test", "/"), want: want{backend: "when_host"}},
		{name: "when_host_case_port", req: get("A.WH.Test:8080", "/"), want: want{backend: "when_host"}},
		{name: "when_host_not_bare", req: get("wh.test", "/"), want: want{backend: "dflt"}},
		{name: "when_host_negated", req: get("bad.wh.test", "/"), want: want{backend: "dflt"}},
		{name: "when_host_negated_case", req: get("BAD.wh.test:1", "/"), want: want{backend: "dflt"}},

		{name: "regex_first", req: get("rx.test", "/item/42"), want: want{backend: "regex"}},
		{name: "regex_anchored_end", req: get("rx.test", "/item/42/x"), want: want{backend: "dflt"}},
		{name: "regex_second", req: get("rx.test", "/a/b.json"), want: want{backend: "regex"}},
		{name: "regex_ignores_query", req: get("rx.test", "/a/b.json?x=1"), want: want{backend: "regex"}},
		{name: "regex_no_match", req: get("rx.test", "/a/b.jsonx"), want: want{backend: "dflt"}},
	})
}

// TestRankAttributesAndTiers covers rank criterion 4, declaration order
// within a file, plain map-tier routes interleaved with routes that have
// conditions, and the 404 without default_backend.
func TestRankAttributesAndTiers(t *testing.T) {
	t.Parallel()
	e := start(t, setup{
		backends: []string{"r4_method", "r4_both", "tie_first", "tie_second", "map_first", "map_second",
			"api_plain", "api_post", "api_v2", "t_host", "t_beta", "n_api", "w_plain", "w_post"},
		files: map[string]string{"tiers.hcl": `
frontend "fe" {
  bind = ["@BIND_fe@"]

  route "r4_method" {
    host        = ["o.test"]
    path_prefix = ["/r4"]
    method      = ["GET", "POST"]
    backend     = backend.r4_method
  }
  route "r4_both" {
    host        = ["o.test"]
    path_prefix = ["/r4"]
    method      = ["GET"]
    header      = { "X-Team" = "blue" }
    backend     = backend.r4_both
  }

  # names sort the other way round: declaration order decides, not names
  route "zeta" {
    host    = ["o.test"]
    path    = ["/tie"]
    header  = { "X-A" = "1" }
    backend = backend.tie_first
  }
  route "alpha" {
    host    = ["o.test"]
    path    = ["/tie"]
    header  = { "X-B" = "1" }
    backend = backend.tie_second
  }

  # plain routes tying inside one map tier
  route "z_pair" {
    host    = ["d1.test", "d2.test"]
    backend = backend.map_first
  }
  route "a_single" {
    host    = ["d1.test", "d3.test"]
    backend = backend.map_second
  }

  route "api_plain" {
    host        = ["t.test"]
    path_prefix = ["/api"]
    backend     = backend.api_plain
  }
  route "api_post" {
    host        = ["t.test"]
    path_prefix = ["/api"]
    method      = ["POST"]
    backend     = backend.api_post
  }
  route "api_v2" {
    host        = ["t.test"]
    path_prefix = ["/api/v2"]
    backend     = backend.api_v2
  }
  route "t_host" {
    host    = ["t.test"]
    backend = backend.t_host
  }
  route "t_beta" {
    host    = ["t.test"]
    header  = { "X-Beta" = "1" }
    backend = backend.t_beta
  }
  route "n_api" {
    path_prefix = ["/api"]
    backend     = backend.n_api
  }
  route "w_plain" {
    host    = ["*.w.test"]
    backend = backend.w_plain
  }
  route "w_post" {
    host    = ["*.w.test"]
    method  = ["POST"]
    backend = backend.w_post
  }
}
`},
	})
	post := func(host, target string, h ...string) hatest.Request {
		return hatest.Request{Method: "POST", Host: host, Path: target, Header: hdr(h...)}
	}
	with := func(host, target string, h ...string) hatest.Request {
		return hatest.Request{Host: host, Path: target, Header: hdr(h...)}
	}
	e.run(t, []tc{
		{name: "more_attributes_first", req: with("o.test", "/r4", "X-Team", "blue"), want: want{backend: "r4_both"}},
		{name: "fewer_attributes_when_header_missing", req: get("o.test", "/r4/x"), want: want{backend: "r4_method"}},
		{name: "fewer_attributes_when_header_differs", req: with("o.test", "/r4", "X-Team", "red"), want: want{backend: "r4_method"}},
		{name: "fewer_attributes_when_method_differs", req: post("o.test", "/r4", "X-Team", "blue"), want: want{backend: "r4_method"}},
		{name: "no_match_404", req: hatest.Request{Method: "PUT", Host: "o.test", Path: "/r4"}, want: want{status: 404}},

		{name: "tie_declaration_order", req: with("o.test", "/tie", "X-A", "1", "X-B", "1"), want: want{backend: "tie_first"}},
		{name: "tie_declaration_order_header_order_irrelevant", req: with("o.test", "/tie", "X-B", "1", "X-A", "1"), want: want{backend: "tie_first"}},
		{name: "tie_only_second", req: with("o.test", "/tie", "X-B", "1"), want: want{backend: "tie_second"}},
		{name: "tie_neither_404", req: get("o.test", "/tie"), want: want{status: 404}},

		{name: "map_tier_declaration_order", req: get("d1.test", "/"), want: want{backend: "map_first"}},
		{name: "map_tier_first_only", req: get("D2.test:80", "/"), want: want{backend: "map_first"}},
		{name: "map_tier_second_only", req: get("d3.test", "/"), want: want{backend: "map_second"}},
		{name: "plain_prefix", req: get("t.test", "/api/x"), want: want{backend: "api_plain"}},
		{name: "complex_prefix_beats_plain_same_prefix", req: post("t.test", "/api/x"), want: want{backend: "api_post"}},
		{name: "longer_plain_prefix_beats_complex", req: post("t.test", "/api/v2/x"), want: want{backend: "api_v2"}},
		{name: "longer_plain_prefix_get", req: get("t.test", "/api/v2"), want: want{backend: "api_v2"}},
		{name: "host_tier", req: get("t.test", "/other"), want: want{backend: "t_host"}},
		{name: "complex_between_prefix_and_host_tier", req: with("t.test", "/other", "X-Beta", "1"), want: want{backend: "t_beta"}},
		{name: "prefix_tier_above_complex_no_path", req: with("t.test", "/api", "X-Beta", "1"), want: want{backend: "api_plain"}},
		{name: "host_port_case", req: post("T.Test:80", "/api/v2/x"), want: want{backend: "api_v2"}},
		{name: "no_host_prefix_tier", req: post("other.test", "/api/v2"), want: want{backend: "n_api"}},
		{name: "nothing_matches_404", req: get("other.test", "/x"), want: want{status: 404}},
		{name: "wildcard_complex", req: post("a.w.test", "/"), want: want{backend: "w_post"}},
		{name: "wildcard_plain", req: get("a.b.w.test", "/"), want: want{backend: "w_plain"}},
		{name: "wildcard_not_bare_404", req: post("w.test", "/"), want: want{status: 404}},
	})
}

// TestMultiFileAndTCP covers declaration order in a configuration made of
// several files (routes from a dynamic block keep their place), and a mode
// tcp frontend routing by source address.
func TestMultiFileAndTCP(t *testing.T) {
	t.Parallel()
	e := start(t, setup{
		backends:    []string{"dflt", "tie_first", "tie_b", "tie_c", "tie_last"},
		tcpBackends: []string{"tcp_dflt", "tcp_two", "tcp_net"},
		files: map[string]string{
			"a_locals.hcl": `
locals {
  tie_host = "f.test"
  tie_headers = ["X-B", "X-C"]
}
`,
			"b_http.hcl": `
frontend "fe" {
  bind            = ["@BIND_fe@"]
  default_backend = backend.dflt

  route "z_first" {
    host    = [local.tie_host]
    path    = ["/tie"]
    header  = { "X-A" = "1" }
    backend = backend.tie_first
  }
  dynamic "route" {
    for_each = local.tie_headers
    labels   = ["gen_${lower(route.value)}"]
    content {
      host    = [local.tie_host]
      path    = ["/tie"]
      header  = { (route.value) = "1" }
      backend = route.value == "X-B" ? backend.tie_b : backend.tie_c
    }
  }
  route "a_last" {
    host    = [local.tie_host]
    path    = ["/tie"]
    header  = { "X-D" = "1" }
    backend = backend.tie_last
  }
}
`,
			"c_tcp.hcl": `
frontend "tcp" {
  mode            = "tcp"
  bind            = ["@BIND_tcp@"]
  default_backend = backend.tcp_dflt

  route "two" {
    src      = ["127.0.0.2"]
    priority = 1
    backend  = backend.tcp_two
  }
  route "net" {
    src     = ["127.0.0.0/30"]
    not_src = ["127.0.0.3/32"]
    backend = backend.tcp_net
  }
}
`,
		},
	})
	tie := func(h ...string) hatest.Request {
		return hatest.Request{Host: "f.test", Path: "/tie", Header: hdr(h...)}
	}
	tcp := func(src string) hatest.Request {
		return hatest.Request{Host: "anything.test", Path: "/", Src: src}
	}
	e.run(t, []tc{
		{name: "first_declared_wins", req: tie("X-D", "1", "X-C", "1", "X-B", "1", "X-A", "1"), want: want{backend: "tie_first"}},
		{name: "dynamic_first_generated", req: tie("X-D", "1", "X-C", "1", "X-B", "1"), want: want{backend: "tie_b"}},
		{name: "dynamic_second_generated", req: tie("X-D", "1", "X-C", "1"), want: want{backend: "tie_c"}},
		{name: "last_declared", req: tie("X-D", "1"), want: want{backend: "tie_last"}},
		{name: "first_and_last", req: tie("X-D", "1", "X-A", "1"), want: want{backend: "tie_first"}},
		{name: "none_default", req: tie(), want: want{backend: "dflt"}},

		{name: "tcp_priority_src", fe: "tcp", req: tcp("127.0.0.2"), want: want{backend: "tcp_two"}},
		{name: "tcp_src_net", fe: "tcp", req: tcp("127.0.0.1"), want: want{backend: "tcp_net"}},
		{name: "tcp_not_src_default", fe: "tcp", req: tcp("127.0.0.3"), want: want{backend: "tcp_dflt"}},
		{name: "tcp_outside_default", fe: "tcp", req: tcp("127.0.0.5"), want: want{backend: "tcp_dflt"}},
	})
}

// TestFrontendSpansOneFile documents why "files by name" in rank criterion
// 5 never decides between two routes: a frontend is one block, so all its
// routes come from one file; declaring it in two files is an error.
func TestFrontendSpansOneFile(t *testing.T) {
	var files []*lang.File
	for _, f := range []struct{ name, src string }{
		{"a.hcl", `
backend "b" {
  server "s" { address = "127.0.0.1:9" }
}
frontend "fe" {
  bind = ["127.0.0.1:1"]
  route "one" {
    header  = { "X-A" = "1" }
    backend = backend.b
  }
}
`},
		{"b.hcl", `
frontend "fe" {
  bind = ["127.0.0.1:2"]
  route "two" {
    header  = { "X-B" = "1" }
    backend = backend.b
  }
}
`},
	} {
		file, d := lang.Parse([]byte(f.src), f.name)
		if d.HasErrors() {
			t.Fatal(d)
		}
		files = append(files, file)
	}
	_, diags := lang.Check(files, lang.Options{})
	found := false
	for _, d := range diags {
		if d.Severity == hcl.DiagError && strings.Contains(d.Summary, "Duplicate frontend") && d.Subject != nil && d.Subject.Filename == "b.hcl" {
			found = true
		}
	}
	if !found {
		t.Fatalf("want a duplicate frontend error in b.hcl, got:\n%s", diagText(files, diags))
	}
}

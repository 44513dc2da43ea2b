# A route that can never be selected is a warning: every request it matches
# is matched by a higher-ranked route. Routes that are only partly covered,
# or covered by a lower-ranked route, must NOT warn.

backend "a" {
  server "s" { address = "127.0.0.1:9001" }
}

backend "b" {
  server "s" { address = "127.0.0.1:9002" }
}

frontend "hosts" {
  bind = ["127.0.0.1:8080"]

  # Exact host vs wildcard: the wildcard wins by priority.
  route "wild_prio" {
    host     = ["*.example.com"]
    priority = 10
    backend  = backend.a
  }
  route "exact" { # WARNING@3 `^Route can never be selected: route "exact" is shadowed by route "wild_prio" \(shadow\.hcl:17\), which ranks higher and matches every request this route matches\.$`
    host    = ["api.example.com"]
    backend = backend.b
  }
  # A deeper wildcard is contained in a shallower one.
  route "deep_wild" { # WARNING `route "deep_wild" is shadowed by route "wild_prio"`
    host    = ["*.eu.example.com"]
    backend = backend.b
  }
  # Not shadowed: "*.example.com" never matches "example.com" itself.
  route "apex" {
    host    = ["example.com"]
    backend = backend.b
  }
  # Not shadowed: only one of the two hosts is covered.
  route "two_hosts" {
    host    = ["www.example.com", "www.example.org"]
    backend = backend.b
  }
  # Not shadowed at equal priority: an exact host outranks the wildcard.
  route "w2" {
    host     = ["*.example.net"]
    backend  = backend.a
  }
  route "e2" {
    host    = ["api.example.net"]
    backend = backend.b
  }
}

frontend "paths" {
  bind = ["127.0.0.1:8081"]

  # Prefix vs longer prefix with lower priority.
  route "api" {
    path_prefix = ["/api/"]
    priority    = 5
    backend     = backend.a
  }
  route "api_v1" { # WARNING `^Route can never be selected: route "api_v1" is shadowed by route "api"`
    path_prefix = ["/api/v1/"]
    backend     = backend.b
  }
  # An exact path under a covering prefix.
  route "api_exact" { # WARNING `route "api_exact" is shadowed by route "api"`
    path    = ["/api/status"]
    backend = backend.b
  }
  # Not shadowed at equal priority: the longer prefix ranks higher.
  route "static" {
    path_prefix = ["/static/"]
    backend     = backend.a
  }
  route "static_img" {
    path_prefix = ["/static/img/"]
    backend     = backend.b
  }
  # Not shadowed: a regex is never assumed to cover anything but itself.
  route "rx" {
    path_regex = ["^/r"]
    priority   = 5
    backend    = backend.a
  }
  route "under_rx" {
    path_prefix = ["/r/"]
    backend     = backend.b
  }
  # Not shadowed: "/apix" is not under "/api/".
  route "apix" {
    path_prefix = ["/apix"]
    backend     = backend.b
  }
}

frontend "others" {
  bind = ["127.0.0.1:8082"]

  route "get_post" {
    host     = ["o.example.com"]
    method   = ["GET", "POST"]
    priority = 1
    backend  = backend.a
  }
  route "get" { # WARNING `route "get" is shadowed by route "get_post"`
    host    = ["o.example.com"]
    method  = ["GET"]
    backend = backend.b
  }
  # Not shadowed: DELETE is not covered.
  route "get_delete" {
    host    = ["o.example.com"]
    method  = ["GET", "DELETE"]
    backend = backend.b
  }

  route "hdr" {
    host     = ["h.example.com"]
    header   = { "X-A" = "1" }
    priority = 1
    backend  = backend.a
  }
  # More headers means fewer requests: contained.
  route "hdr_more" { # WARNING `route "hdr_more" is shadowed by route "hdr"`
    host    = ["h.example.com"]
    header  = { "x-a" = "1", "X-B" = "2" }
    backend = backend.b
  }
  # Not shadowed: another value.
  route "hdr_other" {
    host    = ["h.example.com"]
    header  = { "X-A" = "2" }
    backend = backend.b
  }

  route "src8" {
    host     = ["s.example.com"]
    src      = ["10.0.0.0/8"]
    priority = 1
    backend  = backend.a
  }
  route "src16" { # WARNING `route "src16" is shadowed by route "src8"`
    host    = ["s.example.com"]
    src     = ["10.1.0.0/16", "10.2.3.4"]
    backend = backend.b
  }
  # Not shadowed: 192.168.0.0/16 is outside 10.0.0.0/8.
  route "src_mixed" {
    host    = ["s.example.com"]
    src     = ["10.1.0.0/16", "192.168.0.0/16"]
    backend = backend.b
  }

  route "not_office" {
    host     = ["n.example.com"]
    not_src  = ["192.0.2.0/24"]
    priority = 1
    backend  = backend.a
  }
  route "not_office_more" { # WARNING `route "not_office_more" is shadowed by route "not_office"`
    host    = ["n.example.com"]
    not_src = ["192.0.2.0/24", "198.51.100.0/24"]
    backend = backend.b
  }
  # Not shadowed: excludes less than not_office.
  route "not_less" {
    host    = ["n.example.com"]
    not_src = ["192.0.2.0/25"]
    backend = backend.b
  }

  route "when_dbg" {
    host     = ["w.example.com"]
    when     = "header('X-Debug', '1')"
    priority = 1
    backend  = backend.a
  }
  route "when_dbg_path" { # WARNING `route "when_dbg_path" is shadowed by route "when_dbg"`
    host        = ["w.example.com"]
    path_prefix = ["/x/"]
    when        = "header(`X-Debug`, `1`)"
    backend     = backend.b
  }
  # Not shadowed: another when-expression.
  route "when_other" {
    host    = ["w.example.com"]
    when    = "header('X-Debug', '2')"
    backend = backend.b
  }

  # Not shadowed: the covering route ranks LOWER (priority -1).
  route "broad_low" {
    host     = ["l.example.com"]
    priority = -1
    backend  = backend.a
  }
  route "narrow" {
    host    = ["l.example.com"]
    path    = ["/n"]
    backend = backend.b
  }
}

frontend "catchall" {
  bind = ["127.0.0.1:8083"]

  route "everything" {
    priority = 100
    backend  = backend.a
  }
  route "anything_else" { # WARNING `route "anything_else" is shadowed by route "everything"`
    host        = ["x.example.com"]
    path_prefix = ["/"]
    method      = ["GET"]
    backend     = backend.b
  }
}

frontend "split" {
  bind = ["127.0.0.1:8084"]

  # Each host of "both" is covered by a different higher-ranked route.
  route "only_a" {
    host     = ["a.example.com"]
    priority = 1
    backend  = backend.a
  }
  route "only_b" {
    host     = ["*.example.org"]
    priority = 1
    backend  = backend.a
  }
  route "both" { # WARNING `route "both" is shadowed by route "only_[ab]"`
    host    = ["a.example.com", "b.example.org"]
    path    = ["/x", "/y"]
    backend = backend.b
  }
  # Not shadowed: b.example.com is covered by no other route.
  route "both_plus" {
    host    = ["a.example.com", "b.example.com"]
    backend = backend.b
  }
}

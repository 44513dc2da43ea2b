# Two routes with identical match sets and priority are ambiguous: only
# declaration order would decide. Match sets are compared canonically
# (element order, host case, header name case, CIDR spelling).

backend "a" {
  server "s" { address = "127.0.0.1:9001" }
}

backend "b" {
  server "s" { address = "127.0.0.1:9002" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "first" {
    host    = ["a.example.com", "b.example.com"]
    path    = ["/x", "/y"]
    backend = backend.a
  }

  route "second" { # ERROR@3 `^Ambiguous route: route "second" has the same match attributes and priority as route "first" \(ambiguous\.hcl:16\); only declaration order would tell them apart\. Change the priority or the match\.$`
    host    = ["B.example.com", "a.example.com"]
    path    = ["/y", "/x"]
    backend = backend.b
  }

  route "hdr1" {
    header  = { "X-Env" = "staging" }
    src     = ["10.0.0.0/8"]
    method  = ["GET", "POST"]
    backend = backend.a
  }

  route "hdr2" { # ERROR `Ambiguous route: route "hdr2" .* route "hdr1"`
    method  = ["POST", "GET"]
    src     = ["10.0.0.0/8"]
    header  = { "x-env" = "staging" }
    backend = backend.b
  }

  route "w1" {
    when    = "header('X-A', '1') && !src('10.0.0.0/8')"
    backend = backend.a
  }

  route "w2" { # ERROR `Ambiguous route: route "w2" .* route "w1"`
    when    = "header(`X-A`,\"1\")&&!src('10.0.0.0/8')"
    backend = backend.b
  }

  # Catch-all routes without any match attribute.
  route "all1" {
    backend = backend.a
  }

  route { # ERROR `^Ambiguous route: route at ambiguous\.hcl:57 has the same match attributes and priority as route "all1"`
    backend = backend.b
  }

  # Not ambiguous: a different priority (the lower one is shadowed instead).
  route "prio_hi" {
    path_prefix = ["/p/"]
    priority    = 1
    backend     = backend.a
  }

  route "prio_lo" { # WARNING `^Route can never be selected: route "prio_lo" is shadowed by route "prio_hi"`
    path_prefix = ["/p/"]
    backend     = backend.b
  }

  # Not ambiguous: the match sets differ by one element.
  route "n1" {
    path = ["/n1", "/n2"]
    backend = backend.a
  }

  route "n2" {
    path = ["/n1", "/n3"]
    backend = backend.b
  }
}

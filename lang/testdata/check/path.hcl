# Paths and path prefixes start with "/" and contain no whitespace or control
# characters; the query string is never part of a path.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "ok" {
    path    = ["/", "/a/b.html", "/%20encoded", "/%C3%BCn%C3%AFcode"]
    backend = backend.api
  }

  route "bad_exact" {
    path = [
      "api/v1",     # ERROR@7 `^Invalid path: a path must start with '/', got "api/v1"$`
      "",           # ERROR `^Invalid path: a path must start with '/', got ""$`
      "/a b",       # ERROR `^Invalid path: path "/a b" contains whitespace or a control character$`
      "/a\tb",      # ERROR `Invalid path: .*whitespace or a control character`
      "/a\nb",      # ERROR `Invalid path: .*whitespace or a control character`
      "/search?q=", # ERROR `Invalid path: .*contains '\?'`
      "/ünïcode",   # ERROR `Invalid path: .*non-ASCII character 'ü': write it percent-encoded`
      "/a#frag",    # ERROR `Invalid path: .*contains '#'`
    ]
    backend = backend.api
  }

  route "bad_prefix" {
    path_prefix = ["static/", "/ok/"] # ERROR@20 `^Invalid path prefix: a path must start with '/', got "static/"$`
    backend     = backend.api
  }

  route "bad_when" {
    host    = ["w.example.com"]
    when    = "path_prefix(`no-slash`) || path('/x y')" # ERROR@28 `Invalid argument to path_prefix: a path must start with '/'` ERROR@48 `Invalid argument to path: .*whitespace`
    backend = backend.api
  }

  deny "bad_deny" {
    path = ["relative"] # ERROR `Invalid path: a path must start with '/'`
  }
}

backend "hc" { # WARNING `Unused backend "hc"`
  health_check {
    path = "healthz" # ERROR `^Invalid path: a path must start with '/', got "healthz"$`
  }
  server "s" { address = "127.0.0.1:9002" }
}

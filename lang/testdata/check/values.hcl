# The remaining value validations: names, methods, headers, redirect
# targets, query parameters, raw lines, log targets, and structural rules
# (one global/defaults/health_check, one label, named conditions, condition
# cycles).

global {
  log = ["stdout format raw local0", ""] # ERROR@38 `^Invalid log target: empty log target$`
  raw = [
    "tune.bufsize 32768",
    "tune.bufsiz 32768", # ERROR `^Invalid raw line: keyword "tune\.bufsiz" is not accepted in raw lines\. Did you mean "tune\.bufsize"\?$`
    "daemon # comment",  # ERROR `^Invalid raw line: a raw line must not contain '#'$`
    "  ",                # ERROR `^Invalid raw line: empty raw line$`
  ]
}

global { # ERROR@1 `^Duplicate global block: Only one global block is allowed; the first is at values\.hcl:6\.$`
}

defaults {
  raw        = ["option httplog", "bind *:80"] # ERROR@35 `keyword "bind" is not accepted in raw lines`
  log_format = "%ci\n%r" # ERROR `^Invalid log_format: header value contains a control character$`
}

defaults { # ERROR `^Duplicate defaults block`
}

backend "1api" { # WARNING `^Unused backend "1api"` ERROR@9 `^Invalid backend name "1api": Names match \[A-Za-z_\]\[A-Za-z0-9_\.-\]\{0,63\}\.$`
  health_check {
    method = "get" # ERROR `^Invalid method: invalid HTTP method "get": write it in upper case`
  }
  health_check { # ERROR `^Duplicate health_check block: A backend has at most one health_check\.$`
  }
  server "s 1" { address = "127.0.0.1:9001" } # ERROR `^Invalid server name "s 1"`
}

backend "api" {
  server "s" { address = "127.0.0.1:9002" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api

  condition { # ERROR@3 `^Missing condition name: A condition block needs a name`
    src = ["192.0.2.0/24"]
  }

  condition "loop_a" {
    when = "loop_b" # ERROR@13 `^Condition cycle: Condition "loop_a" refers to itself through "loop_b"\.$`
  }
  condition "loop_b" {
    when = "method('GET') && loop_a" # ERROR@30 `^Condition cycle: Condition "loop_b" refers to itself through "loop_a"\.$`
  }

  route "extra" "label" { # ERROR@17 `^Extra label: A route block takes at most one label\.$`
    path    = ["/extra"]
    backend = backend.api
  }

  route "bad-name!" { # ERROR `^Invalid route name "bad-name!"`
    path    = ["/bad-name"]
    backend = backend.api
  }

  route "methods" {
    method  = ["GET", "post", "M E"] # ERROR@23 `^Invalid method: invalid HTTP method "post"` ERROR@31 `^Invalid method: invalid HTTP method "M E"`
    backend = backend.api
  }

  route "headers" {
    header = {
      "X-Ok"     = "1"
      "X Bad"    = "1"   # ERROR@7 `^Invalid header name: invalid header name "X Bad": use letters, digits, '-', '_' and '\.'$`
      "X-Ctl"    = "a\nb" # ERROR `^Invalid header value: header value contains a control character$`
      "x-ok"     = "2"   # ERROR `^Duplicate header: Header "x-ok" is listed twice \(names are case-insensitive\)\.$`
    }
    when    = "query('a&b', '1') || header_present('X Y') || loop_a" # ERROR@22 `^Invalid argument to query: query parameter "a&b" contains` ERROR@52 `^Invalid argument to header_present: invalid header name "X Y"`
    backend = backend.api
  }

  redirect "r1" {
    path = ["/r1"]
    to   = "example.com/new" # ERROR `^Invalid redirect target: redirect target "example\.com/new" must be a path \(/\.\.\.\) or an http:// or https:// URL$`
  }
  redirect "r2" {
    path = ["/r2"]
    to   = "//evil.example/" # ERROR `must be a path \(/\.\.\.\) or an http:// or https:// URL`
  }
  redirect "r3" {
    path = ["/r3"]
    to   = "/a b" # ERROR `^Invalid redirect target: redirect target "/a b" contains whitespace or a control character$`
  }

  set_header "s" {
    header = "X:Bad" # ERROR `^Invalid header name: invalid header name "X:Bad"`
    value  = "ok\u0007" # ERROR `^Invalid header value: header value contains a control character$`
  }
}

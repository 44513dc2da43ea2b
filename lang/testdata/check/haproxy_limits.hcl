# Values the language accepts in form but haproxy -c refuses, found by the
# generator-based soundness test (gen/soundness_test.go): HAProxy's limits
# and what its PCRE2 (no UTF mode) reads differently from RE2.

global {
  nbthread = 65 # ERROR `nbthread must be a whole number from 1 to 64`
}

defaults {
  timeout_connect = "24d"
  timeout_client  = "25d"       # ERROR `^Invalid duration: duration "25d" is too long: HAProxy's timers hold at most 2147483647ms`
  timeout_server  = "999999999s" # ERROR `"999999999s" is too long`
}

backend "web" {
  timeout_server = "596h"
  timeout_queue  = "597h" # ERROR `"597h" is too long`

  health_check {
    interval = "0ms" # ERROR `^Invalid duration: The health check interval must be longer than 0\.$`
  }

  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web

  route "regex_ok" {
    path_regex = ["(?:\\b)*x", "(^|/)+api", "\\x41\\x{7e}", "[\\x41-\\x5a]+", "\\Q\\x{100}\\E", "a{,3}"]
    backend    = backend.web
  }

  route "regex_pcre" {
    host = ["pcre.example.com"]
    path_regex = [
      "\\b*x",               # ERROR `the quantifier '\*' follows an assertion`
      "^+/api",              # ERROR `the quantifier '\+' follows an assertion`
      "/api$?",              # ERROR `the quantifier '\?' follows an assertion`
      "\\A{2}/",             # ERROR `the quantifier '\{' follows an assertion`
      "/caf\\x{E9}",         # ERROR `\\x escape of 0xe9: HAProxy's PCRE matches bytes`
      "/[\\x{100}-\\x{200}]", # ERROR `\\x escape of 0x100`
      "/\\xff",              # ERROR `\\x escape of 0xff`
      "(?P<n>a)/(?P<n>b)",   # ERROR `two groups are named "n"`
    ]
    backend = backend.web
  }
}

# A mode http frontend cannot use a mode tcp backend; a tcp frontend may
# use an http one.
backend "db" {
  mode = "tcp"
  server "s" { address = "127.0.0.1:5432" }
}

frontend "http_to_tcp" {
  bind            = ["127.0.0.1:8081"]
  default_backend = backend.db # ERROR `^Incompatible backend: Frontend "http_to_tcp" is mode http but backend "db" is mode tcp`

  route "db" {
    path    = ["/db"]
    backend = backend.db # ERROR `^Incompatible backend`
  }
}

frontend "tcp_to_http" {
  mode            = "tcp"
  bind            = ["127.0.0.1:8082"]
  default_backend = backend.web
}

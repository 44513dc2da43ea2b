# A cycle among locals is an error on every local in the cycle; locals that
# depend on the cycle are not reported again.

locals {
  a = "${local.b}-a" # ERROR@3 `^Cycle in locals: local\.a depends on itself \(through a, b, c\)\.$`
  b = "${local.c}-b" # ERROR@3 `^Cycle in locals: local\.b depends on itself \(through a, b, c\)\.$`
  c = "${local.a}-c" # ERROR@3 `^Cycle in locals: local\.c depends on itself \(through a, b, c\)\.$`
  self = local.self  # ERROR@3 `^Cycle in locals: local\.self depends on itself`
  ok   = "fine"
  host = "${local.a}.example.com"
}

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api

  route "r" {
    host    = [local.host]
    path    = ["/${local.ok}"]
    backend = backend.api
  }
}

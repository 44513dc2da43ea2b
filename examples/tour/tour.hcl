# The language tour from the README (kept identical by a test).
variable "office" {
  default = ["192.168.50.0/24"]
}

backend "api" {
  balance = "leastconn"
  health_check {
    path     = "/healthz"
    interval = "2s"
  }
  server "api1" { address = "10.0.0.11:8080" }
  server "api2" {
    address = "10.0.0.12:8080"
    weight  = 50
  }
}

backend "web" {
  server "web1" { address = "10.0.0.21:8080" }
}

backend "canary" {
  server "c1" { address = "10.0.0.31:8080" }
}

frontend "main" {
  bind            = ["*:80"]
  default_backend = backend.web

  condition "office" {
    src = var.office
  }

  deny "admin" { # rules run first, in order
    path_prefix = ["/admin"]
    when        = "!office"
  }

  redirect "old_docs" {
    path_prefix = ["/docs/v1/"]
    to          = "https://docs.example.com/"
    code        = 301
  }

  route "api" { # plain host + prefix: a map entry
    host        = ["api.example.com", "*.api.example.com"]
    path_prefix = ["/v1/"]
    backend     = backend.api
  }

  route "canary" { # more match attributes rank higher
    host        = ["api.example.com"]
    path_prefix = ["/v1/"]
    header      = { "X-Canary" = "1" }
    backend     = backend.canary
  }
}

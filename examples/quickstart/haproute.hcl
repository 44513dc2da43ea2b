# Quickstart: one frontend, two backends.
#
#   api.localhost          -> api
#   any host, /api/...     -> api
#   everything else        -> app
#
# Try it:  haproute build examples/quickstart -o /tmp/hr && haproxy -f /tmp/hr/haproxy.cfg

variable "listen" {
  default = "127.0.0.1:8080"
}

variable "app_server" {
  default = "127.0.0.1:9001"
}

variable "api_server" {
  default = "127.0.0.1:9002"
}

backend "app" {
  server "app1" {
    address = var.app_server
  }
}

backend "api" {
  server "api1" {
    address = var.api_server
  }
}

frontend "web" {
  bind            = [var.listen]
  default_backend = backend.app

  route "api_host" {
    host    = ["api.localhost"]
    backend = backend.api
  }

  route "api_path" {
    path_prefix = ["/api/"]
    backend     = backend.api
  }
}

# Locals may depend on other locals, in any order and across locals blocks.

variable "domain" {
  default = "example.com"
}

locals {
  api_host = "api.${local.base}"           # uses a local declared later
  hosts    = [local.api_host, local.www_host]
}

locals {
  base     = lower(var.domain)
  www_host = "www.${local.base}"
  ports    = { for i, h in local.hosts : h => 9001 + i }
}

backend "api" {
  server "s" { address = "127.0.0.1:${local.ports[local.api_host]}" }
}

backend "www" {
  server "s" { address = "127.0.0.1:${local.ports[local.www_host]}" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "api" {
    host    = [local.api_host]
    backend = backend.api
  }

  route "www" {
    host    = [local.hosts[1]]
    backend = backend.www
  }
}

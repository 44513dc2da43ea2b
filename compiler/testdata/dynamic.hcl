# dynamic blocks generate servers and routes from collections.
variable "tenants" {
  type    = list(string)
  default = ["acme", "globex", "initech"]
}

locals {
  ports = { for i, t in var.tenants : t => 9100 + i }
}

backend "pool" {
  dynamic "server" {
    for_each = range(3)
    labels   = [format("s%d", server.value)]
    content {
      address = "127.0.0.1:${9001 + server.value}"
      weight  = 10 * (server.value + 1)
    }
  }
}

backend "tenants" {
  dynamic "server" {
    for_each = local.ports
    labels   = [server.key]
    content {
      address = "127.0.0.1:${server.value}"
    }
  }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.pool

  dynamic "route" {
    for_each = var.tenants
    labels   = ["tenant_${route.value}"]
    content {
      host    = ["${route.value}.tenants.test"]
      backend = backend.tenants
    }
  }
  dynamic "deny" {
    for_each = ["/wp-admin", "/.git/"]
    content {
      path_prefix = [deny.value]
    }
  }
}

# dynamic blocks generate servers and routes (and other frontend blocks)
# from collections: valid, no diagnostics.

variable "tenants" {
  default = {
    acme   = { host = "acme.example.com", port = 9101 }
    globex = { host = "globex.example.com", port = 9102 }
  }
}

locals {
  ports = [9001, 9002, 9003]
}

backend "pool" {
  dynamic "server" {
    for_each = local.ports
    labels   = ["s${server.key}"]
    content {
      address = "127.0.0.1:${server.value}"
      weight  = 100 + server.key
    }
  }
}

backend "acme" {
  server "s" { address = "127.0.0.1:${var.tenants.acme.port}" }
}

backend "globex" {
  server "s" { address = "127.0.0.1:${var.tenants.globex.port}" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.pool

  dynamic "route" {
    for_each = var.tenants
    iterator = t
    labels   = [t.key]
    content {
      host    = [t.value.host, "*.${t.value.host}"]
      backend = backend[t.key]
    }
  }

  # Without labels: generated routes are unnamed.
  dynamic "route" {
    for_each = ["/a/", "/b/"]
    content {
      path_prefix = [route.value]
      priority    = route.key + 1
      backend     = backend.pool
    }
  }

  dynamic "deny" {
    for_each = ["/admin", "/private"]
    labels   = ["deny_${deny.key}"]
    content {
      path_prefix = [deny.value]
      status      = 403
    }
  }

  dynamic "condition" {
    for_each = { office = "192.0.2.0/24", lab = "198.51.100.0/24" }
    labels   = [condition.key]
    content {
      src = [condition.value]
    }
  }

  route "internal" {
    path_prefix = ["/internal/"]
    when        = "office || lab"
    backend     = backend.pool
  }
}

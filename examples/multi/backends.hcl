# The services behind the proxy. Servers are generated from the address
# lists in variables.hcl with dynamic blocks: one server per address.

backend "www" {
  health_check {
    path     = "/healthz"
    interval = "2s"
  }

  dynamic "server" {
    for_each = var.www_servers
    labels   = ["www${server.key + 1}"]
    content {
      address = server.value
    }
  }
}

backend "api" {
  balance = "leastconn"

  health_check {
    path          = "/health"
    interval      = "2s"
    expect_status = 200
  }

  dynamic "server" {
    for_each = var.api_servers
    labels   = ["api${server.key + 1}"]
    content {
      address = server.value
      maxconn = 200
    }
  }
}

backend "api_canary" {
  health_check {
    path = "/health"
  }

  server "canary1" {
    address = var.api_canary_server
  }
}

backend "apps" {
  dynamic "server" {
    for_each = var.apps_servers
    labels   = ["apps${server.key + 1}"]
    content {
      address = server.value
    }
  }
}

backend "static" {
  timeout_server = "10s"

  server "static1" {
    address = var.static_server
  }
}

backend "admin" {
  server "admin1" {
    address = var.admin_server
  }
}

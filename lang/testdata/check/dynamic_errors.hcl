# Errors inside dynamic blocks point at the content expression; the
# generated-block type must be one a frontend accepts.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api

  dynamic "route" {
    for_each = ["good.example.com", "bad_host.example.com"]
    labels   = ["r${route.key}"]
    content {
      host    = [route.value] # ERROR@18 `^Invalid host: invalid host "bad_host\.example\.com": character '_' is not allowed`
      backend = backend.api
    }
  }

  dynamic "rout" { # ERROR@11 `^Unsupported dynamic block type: dynamic "rout" cannot generate blocks of that type\. Did you mean "route"\?$`
    for_each = [1]
    content {
      backend = backend.api
    }
  }

  dynamic "server" { # ERROR `Unsupported dynamic block type: dynamic "server" cannot generate blocks of that type\.`
    for_each = [1]
    content {
      address = "127.0.0.1:9002"
    }
  }
}

backend "dyn" { # WARNING `Unused backend "dyn"`
  dynamic "server" {
    for_each = ["127.0.0.1:9003", "127.0.0.1"]
    labels   = ["s${server.key}"]
    content {
      address = server.value # ERROR@17 `^Invalid address: "127\.0\.0\.1" has no port`
    }
  }
}

# Named conditions and when-expressions with !, &&, || and parentheses.
backend "web" {
  server "s" { address = "127.0.0.1:9001" }
}
backend "debug" {
  server "s" { address = "127.0.0.1:9002" }
}
backend "internal" {
  server "s" { address = "127.0.0.1:9003" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web

  condition "office" {
    src = ["10.1.0.0/16"]
  }
  condition "vpn" {
    src = ["10.8.0.0/16"]
  }
  condition "debug_header" {
    header = { "X-Debug" = "1" }
  }
  condition "admin_area" {
    path_prefix = ["/admin/"]
    method      = ["GET", "POST"]
  }

  deny "admin_outside" {
    when = "admin_area && !(office || vpn)"
  }
  route "debug" {
    when    = "office || (debug_header && !path_prefix('/admin'))"
    backend = backend.debug
  }
  route "internal" {
    host    = ["intranet.test"]
    when    = "!(method('DELETE') || path_regex('^/private/')) && (office || vpn)"
    backend = backend.internal
  }

  # the negation of a condition with two attributes is an OR
  deny "upload_outside_admin" {
    path_prefix = ["/upload/"]
    when        = "!admin_area && !office"
  }
}

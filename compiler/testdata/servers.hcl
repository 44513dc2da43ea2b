# Health checks and server options.
backend "checked" {
  balance         = "leastconn"
  timeout_connect = "2s"
  timeout_server  = "1m"
  timeout_queue   = "10s"
  health_check {
    method        = "HEAD"
    path          = "/healthz"
    interval      = "2s"
    expect_status = 204
  }
  server "a" {
    address = "127.0.0.1:9001"
    weight  = 50
    maxconn = 100
  }
  server "b" {
    address = "127.0.0.1:9002"
    check   = false
  }
  server "c" {
    address = "127.0.0.1:9003"
    backup  = true
  }
  server "d" {
    address = "127.0.0.1:9004"
    state   = "drain"
  }
  server "e" {
    address = "127.0.0.1:9005"
    state   = "maint"
  }
}

backend "defaults_check" {
  balance = "source"
  health_check {}
  server "v6" {
    address = "[::1]:9006"
  }
  server "dns" {
    address = "localhost:9007"
    weight  = 0
  }
}

backend "unchecked" {
  balance = "first"
  server "x" {
    address = "127.0.0.1:9008"
    check   = true
  }
}

frontend "main" {
  bind            = ["127.0.0.1:8080", "[::1]:8080"]
  default_backend = backend.checked
  timeout_client  = "15s"
  maxconn         = 2000

  route "other" {
    host    = ["other.test"]
    backend = backend.defaults_check
  }
  route "third" {
    host    = ["third.test"]
    backend = backend.unchecked
  }
}

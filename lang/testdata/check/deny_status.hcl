# deny status: only codes HAProxy 2.6 has a default error page for; others
# pass the range check but fail `haproxy -c`.

backend "web" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web

  deny "ok_429" {
    path   = ["/a"]
    status = 429
  }
  deny "ok_200" {
    path   = ["/b"]
    status = 200
  }
  deny "legal" {
    path   = ["/c"]
    status = 451 # ERROR `^Invalid status: HAProxy 2\.6 cannot deny with status 451; use one of 200, 400, `
  }
  deny "teapot" {
    path   = ["/d"]
    status = 418 # ERROR `cannot deny with status 418`
  }
}

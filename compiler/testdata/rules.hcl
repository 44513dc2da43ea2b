# deny, redirect and set_header in declaration order, before routing.
backend "web" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web

  set_header "forwarded_proto" {
    header = "X-Forwarded-Proto"
    value  = "http"
  }
  deny "admin" {
    path_prefix = ["/admin"]
    not_src     = ["192.168.50.0/24"]
  }
  redirect "old_blog" {
    path_prefix = ["/blog/"]
    to          = "https://blog.example.com/"
    code        = 301
  }
  set_header "tag" {
    host   = ["a.test"]
    header = "X-Tag"
    value  = "100% a.test's"
  }
  deny "bad_method" {
    method = ["TRACE", "CONNECT"]
    status = 405
  }
  redirect "www" {
    host = ["example.com"]
    to   = "https://www.example.com"
  }
  deny "everything_else_from_bad_net" {
    src = ["203.0.113.0/24", "2001:db8::/32"]
  }
}

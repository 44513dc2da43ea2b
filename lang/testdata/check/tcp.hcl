# mode tcp frontends accept route blocks with src/not_src only, plus
# default_backend; HTTP match attributes and deny/redirect/set_header are
# errors.

backend "db" {
  mode = "tcp"
  server "s" { address = "127.0.0.1:5432" }
}

backend "db_ro" {
  mode = "tcp"
  server "s" { address = "127.0.0.1:5433" }
}

frontend "pg" {
  mode            = "tcp"
  bind            = ["127.0.0.1:15432"]
  default_backend = backend.db

  route "office" {
    src     = ["192.0.2.0/24"]
    not_src = ["192.0.2.128/25"]
    backend = backend.db_ro
  }

  route "by_host" { # ERROR@3 `^Not allowed in a tcp frontend: Routes of a mode tcp frontend may only match src and not_src\.$`
    host    = ["db.example.com"]
    backend = backend.db_ro
  }

  route "by_path" { # ERROR `Not allowed in a tcp frontend: Routes of a mode tcp frontend`
    path_prefix = ["/"]
    backend     = backend.db_ro
  }

  route "by_method" { # ERROR `Not allowed in a tcp frontend`
    method  = ["GET"]
    backend = backend.db_ro
  }

  route "by_header" { # ERROR `Not allowed in a tcp frontend`
    header  = { "X-A" = "1" }
    backend = backend.db_ro
  }

  route "by_when" { # ERROR `Not allowed in a tcp frontend`
    when    = "src('10.0.0.0/8')"
    backend = backend.db_ro
  }

  deny "d" { # ERROR `^Not allowed in a tcp frontend: deny blocks work on HTTP requests`
    src = ["203.0.113.0/24"]
  }

  redirect "r" { # ERROR `^Not allowed in a tcp frontend: redirect blocks work on HTTP requests`
    to = "/x"
  }

  set_header "h" { # ERROR `^Not allowed in a tcp frontend: set_header blocks work on HTTP requests`
    header = "X-A"
    value  = "1"
  }
}

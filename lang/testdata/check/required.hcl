# Missing required attributes: bind (frontend), backend (route), address
# (server), to (redirect), header and value (set_header). The error is at the
# block header.

backend "api" {
  server "s" { # ERROR@14 `^Missing required argument: The argument "address" is required, but no definition was found\.$`
    weight = 10
  }
  server "ok" { address = "127.0.0.1:9001" }
}

frontend "main" { # ERROR@1 `^Missing required argument: The argument "bind" is required in a frontend\.$`
  default_backend = backend.api

  route "nobackend" { # ERROR@3 `^Missing required argument: The argument "backend" is required in a route\.$`
    path = ["/x"]
  }

  redirect "noto" { # ERROR@3 `^Missing required argument: The argument "to" is required in a redirect\.$`
    path = ["/old"]
    code = 301
  }

  set_header "nothing" { # ERROR `The argument "header" \(the header to set\) is required in a set_header block\.` ERROR `The argument "value" is required in a set_header block\.`
    path = ["/h"]
  }
}

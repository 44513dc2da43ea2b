# Misspelled when functions and unknown condition names. The column is that
# of the name inside the when string.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  condition "office" {
    src = ["192.0.2.0/24"]
  }

  condition "internal_net" {
    src = ["10.0.0.0/8"]
  }

  route "a" {
    when    = "hots('a.example.com')" # ERROR@16 `Unknown when function: There is no when function named "hots"\. Did you mean "host"\?`
    backend = backend.api
  }

  route "b" {
    when    = "path_prefx('/b/')" # ERROR@16 `Did you mean "path_prefix"\?`
    backend = backend.api
  }

  route "c" {
    when    = "method('GET') && ofice" # ERROR@33 `Unknown condition: Frontend "main" has no condition named "ofice"\. Did you mean "office"\?`
    backend = backend.api
  }

  route "d" {
    when    = "office || internal_nett" # ERROR@26 `Unknown condition: .*"internal_nett"\. Did you mean "internal_net"\?`
    backend = backend.api
  }

  route "e" {
    when    = "xyzzy_plugh(`x`)" # ERROR@16 `^Unknown when function: There is no when function named "xyzzy_plugh"\. Valid functions are header, header_present, host, method, path, path_prefix, path_regex, query, src\.$`
    backend = backend.api
  }

  route "f" {
    when    = "header('X-A')" # ERROR@16 `Wrong number of arguments: header takes 2 arguments, got 1\.`
    backend = backend.api
  }

  route "internal" {
    path_prefix = ["/internal/"]
    when        = "internal_net"
    backend     = backend.api
  }

  route "g" {
    when    = "completely_unrelated_name" # ERROR@16 `^Unknown condition: Frontend "main" has no condition named "completely_unrelated_name"\.$`
    backend = backend.api
  }
}

# backend.NAME references: unknown names get a suggestion, in a route's
# backend and in default_backend; a backend must be named by reference.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

backend "static_files" { # WARNING `Unused backend "static_files"`
  server "s" { address = "127.0.0.1:9002" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.statik_files # ERROR@21 `Reference to undeclared backend: There is no backend named "statik_files"\. Did you mean "static_files"\?`

  route "a" {
    path_prefix = ["/a/"]
    backend     = backend.apl # ERROR `Reference to undeclared backend: .*"apl"\. Did you mean "api"\?`
  }

  route "b" {
    path_prefix = ["/b/"]
    backend     = backend.zzzzzzzz # ERROR `^Reference to undeclared backend: There is no backend named "zzzzzzzz"\.$`
  }

  route "c" {
    path_prefix = ["/c/"]
    backend     = "api" # ERROR `Invalid backend reference: backend must be a reference to a backend block, such as backend\.api\.`
  }

  route "d" {
    path_prefix = ["/d/"]
    backend     = backend.api
  }
}

frontend "other" {
  bind            = ["127.0.0.1:8081"]
  default_backend = backend.Api # ERROR `Did you mean "api"\?`
}

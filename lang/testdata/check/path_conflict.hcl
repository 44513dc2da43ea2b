# At most one of path, path_prefix and path_regex per block. The error is
# reported on the later attribute(s) in the source; the first one is kept.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api

  route "two" {
    path        = ["/a"]
    path_prefix = ["/a/"] # ERROR@19 `^Conflicting path attributes: At most one of path, path_prefix and path_regex is allowed in a block\.$`
    backend     = backend.api
  }

  route "three" {
    path_regex  = ["^/b"]
    path_prefix = ["/b/"] # ERROR `Conflicting path attributes`
    path        = ["/b"] # ERROR `Conflicting path attributes`
    backend     = backend.api
  }

  deny "d" {
    path_prefix = ["/c/"]
    path_regex  = ["^/c"] # ERROR `Conflicting path attributes`
  }

  condition "cond" {
    path       = ["/e"]
    path_regex = ["^/e"] # ERROR `Conflicting path attributes`
  }

  route "uses_cond" {
    host    = ["e.example.com"]
    when    = "cond"
    backend = backend.api
  }
}

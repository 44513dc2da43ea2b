# Exact hosts and wildcards of several depths. Expected rank:
# exact > *.x.a.test (3 labels) > *.a.test (2 labels) > *.test (1 label).
backend "exact" {
  server "s" { address = "127.0.0.1:9001" }
}
backend "deep" {
  server "s" { address = "127.0.0.1:9002" }
}
backend "mid" {
  server "s" { address = "127.0.0.1:9003" }
}
backend "tld" {
  server "s" { address = "127.0.0.1:9004" }
}
backend "fallback" {
  server "s" { address = "127.0.0.1:9005" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.fallback

  route "tld" {
    host    = ["*.test"]
    backend = backend.tld
  }
  route "mid" {
    host    = ["*.a.test", "*.b.test"]
    backend = backend.mid
  }
  route "deep" {
    host    = ["*.x.a.test"]
    backend = backend.deep
  }
  route "exact" {
    host    = ["a.test", "WWW.A.Test", "x.a.test"]
    backend = backend.exact
  }
}

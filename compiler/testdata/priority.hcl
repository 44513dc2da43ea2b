# priority overrides host and path specificity: the high-priority
# path-only route ranks above the exact-host route, and the negative
# priority route ranks below routes without a host.
backend "maint" {
  server "s" { address = "127.0.0.1:9001" }
}
backend "app" {
  server "s" { address = "127.0.0.1:9002" }
}
backend "legacy" {
  server "s" { address = "127.0.0.1:9003" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "app" {
    host    = ["a.test"]
    backend = backend.app
  }
  route "maintenance" {
    path_prefix = ["/status/"]
    priority    = 10
    backend     = backend.maint
  }
  route "legacy" {
    host     = ["old.test"]
    priority = -5
    backend  = backend.legacy
  }
  route "app_wild" {
    host     = ["*.a.test"]
    priority = 10
    backend  = backend.app
  }
}

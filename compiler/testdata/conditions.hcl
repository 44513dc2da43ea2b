# Routes with method, header, src, not_src and when, interleaved with the
# map tiers of plain routes: each complex route lands between the tiers
# that rank above and below it.
backend "web" {
  server "s" { address = "127.0.0.1:9001" }
}
backend "api" {
  server "s" { address = "127.0.0.1:9002" }
}
backend "api_write" {
  server "s" { address = "127.0.0.1:9003" }
}
backend "canary" {
  server "s" { address = "127.0.0.1:9004" }
}
backend "office" {
  server "s" { address = "127.0.0.1:9005" }
}
backend "tenant_admin" {
  server "s" { address = "127.0.0.1:9007" }
}
backend "tenant" {
  server "s" { address = "127.0.0.1:9008" }
}
backend "beta" {
  server "s" { address = "127.0.0.1:9006" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web

  # plain: exact host + prefix tier
  route "api" {
    host        = ["api.test"]
    path_prefix = ["/v1/"]
    backend     = backend.api
  }
  # exact host + prefix + method: ranks above the plain api route
  route "api_write" {
    host        = ["api.test"]
    path_prefix = ["/v1/"]
    method      = ["POST", "PUT", "DELETE"]
    backend     = backend.api_write
  }
  # exact host, no path, header: below the exact-host prefix tier, above
  # the exact-host no-path tier
  route "canary" {
    host    = ["www.test", "web.test"]
    header  = { "X-Canary" = "1" }
    backend = backend.canary
  }
  route "www" {
    host    = ["www.test"]
    backend = backend.web
  }
  # no host, src and not_src: below every host tier
  route "office" {
    src     = ["10.0.0.0/8", "192.168.1.0/24"]
    not_src = ["10.9.0.0/16"]
    backend = backend.office
  }
  # no host, prefix, when
  route "beta" {
    path_prefix = ["/beta/"]
    when        = "query('beta', '1') || header_present('X-Beta')"
    backend     = backend.beta
  }
  # plain prefix without host
  route "beta_plain" {
    path_prefix = ["/beta/"]
    backend     = backend.web
  }

  # wildcard tiers around a wildcard route with conditions; several hosts
  # and paths give one rule per (host, path) candidate
  route "tenant" {
    host    = ["*.t.test"]
    backend = backend.tenant
  }
  route "tenant_admin" {
    host    = ["*.t.test", "admin.test"]
    path    = ["/admin", "/settings"]
    method  = ["GET"]
    backend = backend.tenant_admin
  }
}

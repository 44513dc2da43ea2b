# host+path, host+path_prefix (several lengths), path-only and
# path_prefix-only routes, and a path_regex route.
backend "site" {
  server "s" { address = "127.0.0.1:9001" }
}
backend "api" {
  server "s" { address = "127.0.0.1:9002" }
}
backend "api_v2" {
  server "s" { address = "127.0.0.1:9003" }
}
backend "health" {
  server "s" { address = "127.0.0.1:9004" }
}
backend "static" {
  server "s" { address = "127.0.0.1:9005" }
}
backend "images" {
  server "s" { address = "127.0.0.1:9006" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.site

  route "api" {
    host        = ["a.test"]
    path_prefix = ["/api/"]
    backend     = backend.api
  }
  route "api_v2" {
    host        = ["a.test"]
    path_prefix = ["/api/v2/"]
    backend     = backend.api_v2
  }
  route "login" {
    host    = ["a.test"]
    path    = ["/login", "/logout"]
    backend = backend.api
  }
  route "health" {
    path    = ["/healthz"]
    backend = backend.health
  }
  route "static" {
    path_prefix = ["/static/", "/assets/"]
    backend     = backend.static
  }
  route "wild_prefix" {
    host        = ["*.cdn.test"]
    path_prefix = ["/img/"]
    backend     = backend.images
  }
  route "images" {
    path_regex = ["\\.(png|jpe?g)$"]
    backend    = backend.images
  }
}

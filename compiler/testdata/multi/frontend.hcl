frontend "main" {
  bind            = [var.bind]
  default_backend = backend.web

  route "api" {
    host    = local.api_hosts
    backend = backend.api
  }
}

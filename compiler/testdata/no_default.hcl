# No default_backend: requests no route matches get a 404.
backend "app" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "app" {
    host    = ["app.test"]
    backend = backend.app
  }
}

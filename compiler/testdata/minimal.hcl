# The smallest useful configuration: one frontend, one backend.
backend "web" {
  server "s1" {
    address = "127.0.0.1:9001"
  }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web
}

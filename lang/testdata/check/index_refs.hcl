# References in index form, local["x"] and var["x"], order locals and count
# as uses like local.x and var.x (the generator in gen/ writes both forms).

variable "hosts" {
  type    = list(string)
  default = ["a.example.com"]
}

locals {
  first  = local["second"]
  second = concat(var["hosts"], ["b.example.com"])
}

backend "web" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "r" {
    host    = local["first"]
    backend = backend.web
  }
}

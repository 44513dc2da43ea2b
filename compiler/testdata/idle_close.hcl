# idle_close_on_response: "option idle-close-on-response" in every mode
# http frontend unless the defaults or the frontend turn it off; never in
# a tcp frontend.

defaults {
  idle_close_on_response = false
}

backend "web" {
  server "s" { address = "127.0.0.1:9001" }
}

backend "db" {
  mode = "tcp"
  server "s" { address = "127.0.0.1:5432" }
}

frontend "on" {
  bind                   = ["127.0.0.1:8080"]
  default_backend        = backend.web
  idle_close_on_response = true
}

frontend "off" {
  bind            = ["127.0.0.1:8081"]
  default_backend = backend.web
}

frontend "pg" {
  mode            = "tcp"
  bind            = ["127.0.0.1:15432"]
  default_backend = backend.db
}

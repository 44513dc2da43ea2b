# idle_close_on_response (defaults, default false; a frontend may
# override it) is about HTTP keep-alive connections: true in a tcp frontend is an
# error, and it takes a bool.

defaults {
  idle_close_on_response = "yes" # ERROR@28 `^Invalid idle_close_on_response: idle_close_on_response must be true or false\.$`
}

backend "db" {
  mode = "tcp"
  server "s" { address = "127.0.0.1:5432" }
}

backend "web" {
  server "s" { address = "127.0.0.1:8000" }
}

frontend "pg" {
  mode                   = "tcp"
  bind                   = ["127.0.0.1:15432"]
  default_backend        = backend.db
  idle_close_on_response = true # ERROR@28 `^Not allowed in a tcp frontend: idle_close_on_response is about HTTP keep-alive connections; HAProxy ignores it in a mode tcp frontend\.$`
}

frontend "pg2" {
  mode                   = "tcp"
  bind                   = ["127.0.0.1:15433"]
  default_backend        = backend.db
  idle_close_on_response = false
}

frontend "www" {
  bind                   = ["127.0.0.1:18080"]
  default_backend        = backend.web
  idle_close_on_response = false
}

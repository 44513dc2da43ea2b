# Scenario 1 of HAProxy's Data Plane API blog post: one backend with a
# health-checked server, and a frontend that sends everything to it.
#
# The blog post binds *:80; the defaults here let it run unprivileged on
# one machine. Override them with -var, for example:
#   haproute build -var bind='*:80' -var server=10.0.0.5:8080 -o out .

variable "bind" {
  type        = string
  default     = "127.0.0.1:8080"
  description = "Address the frontend listens on."
}

variable "server" {
  type        = string
  default     = "127.0.0.1:9001"
  description = "Address of the web server behind HAProxy."
}

backend "example_servers" {
  balance = "roundrobin"

  health_check {
    method = "HEAD"
    path   = "/"
  }

  server "server1" {
    address = var.server
    maxconn = 30
  }
}

frontend "example_frontend" {
  bind            = [var.bind]
  maxconn         = 2000
  default_backend = backend.example_servers
}

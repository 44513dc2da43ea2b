# Scenario 2 of HAProxy's Data Plane API blog post: requests for
# example.com go to example_servers, and /admin.php is denied unless the
# client is in the admin network. There is no default_backend, so any
# other host gets a 404.

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

variable "admin_network" {
  type        = string
  default     = "192.168.50.0/24"
  description = "Clients allowed to reach /admin.php."
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
  bind    = [var.bind]
  maxconn = 2000

  deny "admin" {
    path    = ["/admin.php"]
    not_src = [var.admin_network]
  }

  route "example" {
    host    = ["example.com"]
    backend = backend.example_servers
  }
}

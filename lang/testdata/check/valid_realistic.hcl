# A realistic, fully valid configuration: no diagnostics at all.

variable "region" {
  type        = string
  default     = "eu-west"
  description = "Deployment region, used in a header."
}

variable "api_ports" {
  type    = list(number)
  default = [9001, 9002, 9003]
}

locals {
  office_cidrs = ["192.0.2.0/24", "2001:db8:1::/48"]
  api_servers  = [for i, p in var.api_ports : { name = "api${i}", addr = "10.0.1.${i + 10}:${p}" }]
}

global {
  maxconn  = 20000
  nbthread = 2
  log      = ["stdout format raw local0"]
  raw      = ["tune.bufsize 32768"]
}

defaults {
  timeout_connect = "5s"
  timeout_client  = "30s"
  timeout_server  = "30s"
  raw             = ["option httplog", "retries 3"]
}

backend "api" {
  balance         = "leastconn"
  timeout_connect = "500ms"
  timeout_server  = "1m"

  health_check {
    path          = "/healthz"
    interval      = "2s"
    expect_status = 200
  }

  dynamic "server" {
    for_each = local.api_servers
    labels   = [server.value.name]
    content {
      address = server.value.addr
    }
  }
}

backend "web" {
  balance = "roundrobin"
  server "web1" {
    address = "web1.internal.example:8080"
    weight  = 150
  }
  server "web2" {
    address = "[2001:db8::10]:8080"
    maxconn = 500
  }
  server "web3" {
    address = "10.0.2.3:8080"
    backup  = true
    state   = "drain"
  }
}

backend "static" {
  server "cdn" {
    address = "10.0.3.1:80"
  }
}

backend "admin" {
  server "a1" {
    address = "10.0.4.1:8443"
    check   = false
  }
}

backend "db" {
  mode    = "tcp"
  balance = "source"
  server "primary" {
    address = "10.0.5.1:5432"
  }
}

frontend "www" {
  bind            = ["*:80", "[::]:80"]
  default_backend = backend.web
  timeout_client  = "45s"
  maxconn         = 10000

  condition "office" {
    src = local.office_cidrs
  }

  condition "debug" {
    header = { "X-Debug" = "1" }
  }

  deny "scanners" {
    path_regex = ["\\.(php|asp)$"]
    status     = 404
  }

  redirect "old_blog" {
    host = ["blog.example.com"]
    to   = "https://www.example.com/blog/"
    code = 301
  }

  set_header "region" {
    header = "X-Region"
    value  = upper(var.region)
  }

  route "api" {
    host        = ["api.example.com"]
    path_prefix = ["/v1/", "/v2/"]
    backend     = backend.api
  }

  route "api_wild" {
    host    = ["*.api.example.com"]
    backend = backend.api
  }

  route "static" {
    host        = ["www.example.com", "example.com"]
    path_prefix = ["/static/", "/assets/"]
    method      = ["GET", "HEAD"]
    backend     = backend.static
  }

  route "admin" {
    host     = ["www.example.com"]
    path     = ["/admin"]
    when     = "office || (debug && !path_prefix('/admin/public'))"
    priority = 10
    backend  = backend.admin
  }

  route "write" {
    host    = ["www.example.com"]
    method  = ["POST", "PUT", "DELETE"]
    not_src = ["198.51.100.0/24"]
    backend = backend.api
  }
}

frontend "postgres" {
  mode            = "tcp"
  bind            = ["127.0.0.1:5432"]
  default_backend = backend.db

  route "internal" {
    src     = ["10.0.0.0/8"]
    backend = backend.db
  }
}

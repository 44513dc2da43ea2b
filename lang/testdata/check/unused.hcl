# Unused backends, variables and conditions are warnings; so is a backend
# without servers.

variable "used" {
  default = "127.0.0.1:9001"
}

variable "unused" { # WARNING@10 `^Unused variable "unused": No expression refers to var\.unused\.$`
  default = "x"
}

# A reference from a local counts as a use.
variable "via_local" {
  default = "/from-local"
}

locals {
  path = var.via_local
}

backend "used_by_route" {
  server "s" { address = var.used }
}

backend "used_by_default" {
  server "s" { address = "127.0.0.1:9002" }
}

backend "unused" { # WARNING@1 `^Unused backend "unused": No route or default_backend refers to backend\.unused\.$`
  server "s" { address = "127.0.0.1:9003" }
}

backend "empty" { # WARNING@1 `^Backend "empty" has no servers: HAProxy answers 503 to every request routed to it\.$`
}

backend "empty_unused" { # WARNING `^Unused backend "empty_unused"` WARNING `^Backend "empty_unused" has no servers`
  balance = "first"
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.used_by_default

  condition "office" {
    src = ["192.0.2.0/24"]
  }

  condition "lab" { # WARNING@3 `^Unused condition "lab": No when-expression of frontend main refers to it\.$`
    src = ["198.51.100.0/24"]
  }

  # Used only by another condition, which is itself used.
  condition "vpn" {
    src = ["203.0.113.0/24"]
  }
  condition "trusted" {
    when = "office || vpn"
  }

  route "r" {
    path    = [local.path]
    when    = "trusted"
    backend = backend.used_by_route
  }

  route "e" {
    path    = ["/empty"]
    backend = backend.empty
  }
}

frontend "other" {
  bind            = ["127.0.0.1:8081"]
  default_backend = backend.used_by_default

  # A condition of another frontend does not count as used here.
  condition "office" { # WARNING `^Unused condition "office": No when-expression of frontend other refers to it\.$`
    src = ["192.0.2.0/24"]
  }
}

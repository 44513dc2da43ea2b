# Duplicate names: the second declaration is an error that points at the
# first.

variable "port" {
  default = 9001
}

variable "port" { # ERROR@10 `^Duplicate variable "port": A variable named "port" is already declared at duplicates\.hcl:4\.$`
  default = 9002
}

locals {
  base = "127.0.0.1"
}

locals {
  base = "127.0.0.2" # ERROR `Duplicate local "base": .*duplicates\.hcl:13`
}

backend "api" {
  server "s1" { address = "${local.base}:${var.port}" }
  server "s1" { address = "127.0.0.1:9002" } # ERROR@10 `^Duplicate server "s1": A server named "s1" is already declared at duplicates\.hcl:21\.$`
}

backend "api" { # ERROR@9 `^Duplicate backend "api": .*duplicates\.hcl:20\.$`
  server "s" { address = "127.0.0.1:9003" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  condition "office" {
    src = ["192.0.2.0/24"]
  }

  condition "office" { # ERROR@13 `^Duplicate condition "office": .*duplicates\.hcl:32\.$`
    src = ["198.51.100.0/24"]
  }

  route "a" {
    path_prefix = ["/a/"]
    when        = "office"
    backend     = backend.api
  }

  route "a" { # ERROR@9 `^Duplicate route "a": A route named "a" is already declared at duplicates\.hcl:40\.$`
    path_prefix = ["/b/"]
    backend     = backend.api
  }

  set_header "h" {
    header = "X-A"
    value  = "1"
  }

  set_header "h" { # ERROR `^Duplicate set_header "h": A set_header named "h" is already declared at duplicates\.hcl:51\.$`
    header = "X-B"
    value  = "2"
  }

  # A route and a deny may share a label: names are per block type.
  deny "a" {
    path = ["/secret"]
  }
}

frontend "main" { # ERROR@10 `^Duplicate frontend "main": .*duplicates\.hcl:29\.$`
  bind = ["127.0.0.1:8081"]
}

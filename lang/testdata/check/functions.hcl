# Every function of the language, used where its result matters: valid, no
# diagnostics.

variable "env" {
  default = "Staging"
}

locals {
  base_net   = "10.0.0.0/8"
  app_net    = cidrsubnet(local.base_net, 8, 2) # 10.2.0.0/16
  app_hosts  = [for i in range(3) : cidrhost(local.app_net, i + 10)]
  extra      = split(",", "10.3.0.0/16,10.4.0.0/16")
  nets       = distinct(concat([local.app_net], local.extra, [local.app_net]))
  nested     = flatten([["/a/", "/b/"], ["/c/"]])
  env        = lower(var.env)
  env_header = upper(var.env)
  labels     = merge({ team = "web" }, { env = local.env })
  has_b      = contains(local.nested, "/b/")
}

backend "app" {
  dynamic "server" {
    for_each = local.app_hosts
    labels   = [format("app%02d", server.key)]
    content {
      address = format("%s:%d", server.value, 8080 + server.key)
      weight  = length(local.app_hosts) * 10
    }
  }
}

frontend "main" {
  bind = [join(":", ["127.0.0.1", "8080"])]

  set_header "env" {
    header = "X-Env"
    value  = "${local.env_header}/${local.labels.team}/${local.labels.env}"
  }

  route "internal" {
    src         = local.nets
    path_prefix = local.has_b ? local.nested : ["/"]
    backend     = backend.app
  }
}

# VARS port=9100
# ENV HAPROUTE_VAR_port=9200 HAPROUTE_VAR_prefix=/from-env
# The harness's ENV header feeds Options.Env; -var (VARS) wins over the
# environment, which wins over the default. No diagnostics: the weight is
# only valid for port 9100 (from VARS), the path prefix only for the
# environment's value.

variable "port" {
  type    = number
  default = 0
}

variable "prefix" {
  default = "no-slash"
}

backend "b" {
  server "s" {
    address = "127.0.0.1:${var.port}"
    weight  = 9100 - var.port
  }
}

frontend "f" {
  bind = ["127.0.0.1:8080"]
  route "r" {
    path_prefix = [var.prefix]
    backend     = backend.b
  }
}

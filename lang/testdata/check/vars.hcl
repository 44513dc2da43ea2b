# VARS api_port=9101 hosts=["a.example.com","b.example.com"] unused_but_set=1
# Variables: -var values (the VARS header above) override defaults; typed
# variables parse the value as an HCL expression.

variable "api_port" {
  type    = number
  default = 9001
}

variable "hosts" {
  type = list(string)
}

variable "name" {
  type    = string
  default = "api"
}

variable "unused_but_set" { # WARNING `Unused variable "unused_but_set"`
}

variable "required" { # ERROR@1 `^No value for variable required: Set it with -var required=VALUE, in a -var-file or with the environment variable HAPROUTE_VAR_required, or give it a default\.$`
  type = string
}

variable "bad_default" {
  type    = number
  default = "many" # ERROR@13 `^Invalid default value: The default is not a number:`
}

variable "bad_type" {
  type    = strng # ERROR `Invalid type specification: The keyword "strng" is not a valid type specification\.`
  default = "x"
}

backend "api" {
  server "s" {
    address = "127.0.0.1:${var.api_port}"
  }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "r" {
    host    = var.hosts
    path    = ["/${var.name}", "/${var.required}", "/${var.bad_default}", "/${var.bad_type}"]
    backend = backend.api
  }
}

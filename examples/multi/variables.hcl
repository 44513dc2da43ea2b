# Inputs. Override with -var NAME=VALUE or HAPROUTE_VAR_NAME=VALUE.

variable "domain" {
  type        = string
  default     = "example.com"
  description = "The public domain; hosts are derived from it."
}

variable "http_bind" {
  type        = list(string)
  default     = ["127.0.0.1:8080"]
  description = "Addresses the public frontend listens on."
}

variable "www_servers" {
  type    = list(string)
  default = ["127.0.0.1:9101", "127.0.0.1:9102"]
}

variable "api_servers" {
  type    = list(string)
  default = ["127.0.0.1:9201", "127.0.0.1:9202", "127.0.0.1:9203"]
}

variable "api_canary_server" {
  type    = string
  default = "127.0.0.1:9210"
}

variable "apps_servers" {
  type    = list(string)
  default = ["127.0.0.1:9301", "127.0.0.1:9302"]
}

variable "static_server" {
  type    = string
  default = "127.0.0.1:9401"
}

variable "admin_server" {
  type    = string
  default = "127.0.0.1:9501"
}

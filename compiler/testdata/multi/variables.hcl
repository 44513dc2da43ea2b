variable "bind" {
  type    = string
  default = "127.0.0.1:8080"
}

variable "web_addr" {
  default = "127.0.0.1:9001"
}

locals {
  api_hosts = [for s in ["api", "api-internal"] : "${s}.test"]
}

# var.NAME and local.NAME references to undeclared names get a suggestion.

variable "upstream_port" {
  default = 9001
}

locals {
  api_host    = "api.example.com"
  server_addr = "127.0.0.1:${var.upstream_prot}" # ERROR `Unsupported attribute.*"upstream_prot".*Did you mean "upstream_port"\?`
  typo_local  = local.api_hots # ERROR `Unsupported attribute.*"api_hots".*Did you mean "api_host"\?`
  be_in_local = backend.apii # ERROR@24 `^Unsupported attribute: This object does not have an attribute named "apii"\. Did you mean "api"\?$`
}

backend "api" {
  server "s" {
    address = "127.0.0.1:${var.upstream_port}"
  }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "a" {
    host    = [local.api_hst] # ERROR `Unsupported attribute.*"api_hst".*Did you mean "api_host"\?`
    backend = backend.api
  }

  route "b" {
    host    = [var.nothing_like_it] # ERROR `Unsupported attribute.*"nothing_like_it"`
    backend = backend.api
  }
}

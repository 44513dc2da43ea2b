# Unknown attributes and block types are errors, with a suggestion when a
# known name is close.

variable "x" { # WARNING `Unused variable "x"`
  default = "a"
  tpye    = string # ERROR `Unsupported argument: An argument named "tpye" is not expected here\. Did you mean "type"\?`
}

globl { # ERROR `Unsupported block type: Blocks of type "globl" are not expected here\. Did you mean "global"\?`
}

global {
  maxconnn = 100 # ERROR `Unsupported argument: .*"maxconnn".*Did you mean "maxconn"\?`
}

defaults {
  timeout_conect = "5s" # ERROR `Did you mean "timeout_connect"\?`
}

backend "api" {
  balanse = "leastconn" # ERROR `Unsupported argument: .*"balanse".*Did you mean "balance"\?`

  healthcheck { # ERROR `Unsupported block type: .*"healthcheck".*Did you mean "health_check"\?`
  }

  health_check {
    pth = "/health" # ERROR `Did you mean "path"\?`
  }

  server "s" {
    address = "127.0.0.1:9001"
    wieght  = 10 # ERROR `Unsupported argument: .*"wieght".*Did you mean "weight"\?`
  }
}

frontend "main" {
  bind             = ["127.0.0.1:8080"]
  defalt_backend   = backend.api # ERROR@3 `Unsupported argument: An argument named "defalt_backend" is not expected in a frontend\. Did you mean "default_backend"\?`
  totally_unknown  = 1 # ERROR `^Unsupported argument: An argument named "totally_unknown" is not expected in a frontend\.$`

  rout "a" { # ERROR@3 `Unsupported block type: Blocks of type "rout" are not expected in a frontend\. Did you mean "route"\?`
    backend = backend.api
  }

  route "b" {
    hots    = ["a.example.com"] # ERROR `Unsupported argument: .*"hots".*Did you mean "host"\?`
    backend = backend.api
  }

  redirect "r" {
    to    = "/new"
    cdoe  = 301 # ERROR `Did you mean "code"\?`
  }
}

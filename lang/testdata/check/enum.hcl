# Enumerated values (mode, balance, state) with did-you-mean suggestions.

backend "api" {
  mode    = "htpp" # ERROR@13 `^Invalid mode: mode must be one of "http", "tcp", got "htpp"\. Did you mean "http"\?$`
  balance = "leastconnection" # ERROR `^Invalid balance: balance must be one of "roundrobin", "leastconn", "source", "first", "uri", "random", got "leastconnection"\. Did you mean "leastconn"\?$`

  server "a" {
    address = "127.0.0.1:9001"
    state   = "drian" # ERROR `^Invalid state: state must be one of "ready", "drain", "maint", got "drian"\. Did you mean "drain"\?$`
  }
  server "b" {
    address = "127.0.0.1:9002"
    state   = "maintenance" # ERROR `got "maintenance"\. Did you mean "maint"\?$`
  }
  server "c" {
    address = "127.0.0.1:9003"
    state   = "disabled" # ERROR `^Invalid state: state must be one of "ready", "drain", "maint", got "disabled"\.$`
  }
}

backend "tcp_be" {
  mode    = "TCP" # ERROR `got "TCP"\. Did you mean "tcp"\?`
  balance = "round-robin" # ERROR `Did you mean "roundrobin"\?`
  server "s" { address = "127.0.0.1:9004" }
}

frontend "main" {
  mode            = "https" # ERROR `^Invalid mode: mode must be one of "http", "tcp", got "https"\. Did you mean "http"\?$`
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api

  route "t" {
    path    = ["/t"]
    backend = backend.tcp_be
  }
}

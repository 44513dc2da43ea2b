# Durations: a number with an optional unit us, ms, s, m, h or d.

defaults {
  timeout_connect = "5s"
  timeout_client  = "30"
  timeout_server  = "1.5s" # ERROR@21 `^Invalid duration: "1\.5s" is not a duration \(a number followed by us, ms, s, m, h or d, e\.g\. "500ms", "5s"\)$`
}

backend "api" {
  timeout_connect = "500 ms" # ERROR `Invalid duration: "500 ms" is not a duration`
  timeout_server  = "5sec"   # ERROR `Invalid duration: "5sec" is not a duration`
  timeout_queue   = "-1s"    # ERROR `Invalid duration: "-1s"`

  health_check {
    interval = "" # ERROR `Invalid duration: "" is not a duration`
  }

  server "s" { address = "127.0.0.1:9001" }
}

backend "ok" {
  timeout_connect = "100us"
  timeout_server  = "2h"
  timeout_queue   = "1d"
  server "s" { address = "127.0.0.1:9002" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api
  timeout_client  = "1m30s" # ERROR `Invalid duration: "1m30s"`

  route "ok" {
    path    = ["/ok"]
    backend = backend.ok
  }
}

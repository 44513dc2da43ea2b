# Process-wide settings.

global {
  maxconn = 4096
  log     = ["stdout format raw local0"]
}

defaults {
  timeout_connect = "5s"
  timeout_client  = "30s"
  timeout_server  = "30s"
  raw             = ["option httplog"]
}

# global and defaults settings.
global {
  maxconn  = 4096
  log      = ["stdout format raw local0", "127.0.0.1:514 local1 notice"]
  nbthread = 2
  raw      = ["tune.bufsize 32768", "hard-stop-after 30s"]
}

defaults {
  timeout_connect = "3s"
  timeout_client  = "1m"
  timeout_server  = "2m"
  log_format      = "%ci:%cp [%tr] %ft %b/%s %ST %B %%{+Q}r"
  raw             = ["option forwardfor", "retries 3"]
}

backend "web" {
  server "s1" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.web
}

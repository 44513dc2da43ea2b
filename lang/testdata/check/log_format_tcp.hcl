# A defaults log_format is inherited by every frontend; in a mode tcp
# frontend HAProxy refuses HTTP-only variables and fetches (haproxy -c:
# "format variable 'r' is reserved for HTTP mode"). Variables available in
# both modes (%ci, %ST, %hr, %[src]) are fine.

defaults {
  log_format = "%ci:%cp %ST %hr %[src] %r %HM %[req.hdr(host),lower] %%r %Tq %r" # ERROR@16 `^log_format needs HTTP mode: log_format uses %r, %HM, %\[req\.hdr\(host\),lower\], %Tq, which HAProxy has in HTTP mode only, and frontend "pg" \(log_format_tcp\.hcl:19\) is mode tcp and inherits it: HAProxy would refuse the configuration\.$`
}

backend "db" {
  mode = "tcp"
  server "s" { address = "127.0.0.1:5432" }
}

backend "web" {
  server "s" { address = "127.0.0.1:8000" }
}

frontend "pg" {
  mode            = "tcp"
  bind            = ["127.0.0.1:15432"]
  default_backend = backend.db
}

frontend "www" {
  bind            = ["127.0.0.1:18080"]
  default_backend = backend.web
}

# bind: required, non-empty, valid; an addr:port is bound by one frontend
# only (after canonicalisation).

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "a" {
  bind            = ["*:80", "127.0.0.1:8080", "[::1]:8443"]
  default_backend = backend.api
}

frontend "b" {
  bind            = ["*:80"] # ERROR@22 `^Address bound twice: \*:80 is already bound by frontend "a" at bind\.hcl:9\.$`
  default_backend = backend.api
}

frontend "c" {
  bind            = [":80", "127.0.0.1:8080", "[0:0::1]:8443", "127.0.0.1:8081"] # ERROR@22 `\*:80 is already bound by frontend "a"` ERROR@29 `127\.0\.0\.1:8080 is already bound by frontend "a"` ERROR@47 `\[::1\]:8443 is already bound by frontend "a"`
  default_backend = backend.api
}

frontend "d" {
  bind            = ["127.0.0.2:9090", "127.0.0.2:9090"] # ERROR@40 `^Address bound twice: 127\.0\.0\.2:9090 is already bound by frontend "d" at bind\.hcl:24\.$`
  default_backend = backend.api
}

frontend "e" {
  bind = [
    "127.0.0.1",       # ERROR `^Invalid bind address: "127\.0\.0\.1" has no port \(want addr:port, e\.g\. "\*:80"\)$`
    "localhost:80",    # ERROR `^Invalid bind address: invalid bind address "localhost" \(want \*, an IPv4 address or \[IPv6\]\)$`
    "127.0.0.1:99999", # ERROR `^Invalid bind address: invalid port "99999" in "127\.0\.0\.1:99999"$`
    "::1:80",          # ERROR `Invalid bind address: invalid bind address "::1"`
    "[fe80::1%lo]:80", # ERROR `Invalid bind address: invalid IPv6 address in "\[fe80::1%lo\]:80"`
  ]
  default_backend = backend.api
}

frontend "f" { # ERROR@1 `^Missing required argument: The argument "bind" is required in a frontend\.$`
  default_backend = backend.api
}

frontend "g" {
  bind            = [] # ERROR `^Invalid bind: bind must list at least one address\.$`
  default_backend = backend.api
}

frontend "h" {
  bind            = "*:81" # ERROR `^Invalid bind: bind must be a list of strings\.$`
  default_backend = backend.api
}

# server address: "host:port" with an IPv4 address, [IPv6] or a DNS name.

backend "ok" {
  server "v4" { address = "127.0.0.1:9001" }
  server "v6" { address = "[::1]:9002" }
  server "dns" { address = "app-1.internal.example:80" }
  server "short" { address = "localhost:65535" }
}

backend "bad" {
  server "noport" { address = "127.0.0.1" } # ERROR@31 `^Invalid address: "127\.0\.0\.1" has no port \(want host:port\)$`
  server "port0" { address = "127.0.0.1:0" } # ERROR `^Invalid address: invalid port "0" in "127\.0\.0\.1:0" \(1-65535\)$`
  server "bigport" { address = "127.0.0.1:65536" } # ERROR `invalid port "65536"`
  server "plusport" { address = "127.0.0.1:+80" } # ERROR `invalid port "\+80"`
  server "emptyport" { address = "127.0.0.1:" } # ERROR `invalid port ""`
  server "v6nobr" { address = "::1:80" } # ERROR `^Invalid address: IPv6 addresses must be in brackets: "::1:80"$`
  server "v6bad" { address = "[::g]:80" } # ERROR `^Invalid address: invalid IPv6 address in "\[::g\]:80"$`
  server "v6v4" { address = "[127.0.0.1]:80" } # ERROR `invalid IPv6 address`
  server "v4bad" { address = "256.0.0.1:80" } # ERROR `^Invalid address: invalid IPv4 address in "256\.0\.0\.1:80"$`
  server "dnsbad" { address = "bad_host.example:80" } # ERROR `^Invalid address: invalid host in "bad_host\.example:80"$`
  server "wild" { address = "*.example.com:80" } # ERROR `invalid host in "\*\.example\.com:80"`
  server "empty" { address = ":80" } # ERROR `invalid host in ":80"`
  server "number" { address = 8080 } # ERROR `has no port`
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.ok

  route "bad" {
    path    = ["/bad"]
    backend = backend.bad
  }
}

# src / not_src: IPs and CIDRs, v4 and v6. Host bits set is a warning with
# the canonical form; redundant or overlapping entries of one list warn.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "ok" {
    src     = ["10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1"]
    not_src = ["10.1.0.0/16"]
    backend = backend.api
  }

  route "invalid" {
    host = ["invalid.example.com"]
    src = [
      "10.0.0.0/33",      # ERROR@7 `^Invalid CIDR: "10\.0\.0\.0/33" is not a valid CIDR$`
      "10.0.0",           # ERROR `^Invalid CIDR: "10\.0\.0" is not an IP address or CIDR$`
      "300.1.2.3",        # ERROR `Invalid CIDR: "300\.1\.2\.3" is not an IP address or CIDR`
      "fe80::1%eth0",     # ERROR `Invalid CIDR: .*not an IP address or CIDR`
      "example.com/24",   # ERROR `Invalid CIDR: .*not a valid CIDR`
      "2001:db8::/129",   # ERROR `Invalid CIDR: .*not a valid CIDR`
    ]
    backend = backend.api
  }

  route "host_bits" {
    host    = ["hostbits.example.com"]
    src     = ["192.168.1.10/24", "2001:db8::1/32"] # WARNING@16 `^CIDR has host bits set: "192\.168\.1\.10/24" has host bits set; it means "192\.168\.1\.0/24"\. Write "192\.168\.1\.0/24"\.$` WARNING@35 `"2001:db8::1/32" has host bits set.*Write "2001:db8::/32"`
    not_src = ["10.9.8.7/8"] # WARNING `Write "10\.0\.0\.0/8"`
    backend = backend.api
  }

  route "overlap" {
    host = ["overlap.example.com"]
    src = [
      "10.0.0.0/8",
      "192.0.2.0/24",
      "10.20.0.0/16",  # WARNING@7 `^Redundant CIDR: In src, 10\.20\.0\.0/16 is contained in 10\.0\.0\.0/8 \(cidr\.hcl:40\); one of them can go\.$`
      "192.0.2.0/24",  # WARNING `^Redundant CIDR: In src, 192\.0\.2\.0/24 is the same as 192\.0\.2\.0/24 \(cidr\.hcl:41\)`
      "192.0.2.7",     # WARNING `In src, 192\.0\.2\.7/32 is contained in 192\.0\.2\.0/24`
      "2001:db8::/32",
      "2001:db8:1::/48", # WARNING `In src, 2001:db8:1::/48 is contained in 2001:db8::/32`
      "172.16.0.0/12",
      "172.32.0.0/12", # disjoint from 172.16.0.0/12: no warning
    ]
    backend = backend.api
  }

  route "overlap_not_src" {
    host    = ["overlap2.example.com"]
    not_src = ["10.0.0.0/16", "10.0.0.0/8"] # WARNING `^Redundant CIDR: In not_src, 10\.0\.0\.0/16 is contained in 10\.0\.0\.0/8`
    backend = backend.api
  }

  route "when_src" {
    host    = ["w.example.com"]
    when    = "src('10.0.0.1/8') || src('nope')" # WARNING@20 `^CIDR has host bits set: "10\.0\.0\.1/8" has host bits set; write "10\.0\.0\.0/8"\.$` ERROR@41 `^Invalid argument to src: "nope" is not an IP address or CIDR$`
    backend = backend.api
  }
}

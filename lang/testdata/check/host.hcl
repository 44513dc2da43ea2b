# Host patterns: LDH labels, punycode for IDN, one optional leading "*.".

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "ok" {
    host    = ["Example.COM", "*.example.com", "xn--bcher-kva.example", "a-b.c0.example", "localhost"]
    backend = backend.api
  }

  route "bad" {
    host = [
      "bücher.example",   # ERROR@7 `^Invalid host: invalid host "bücher\.example": non-ASCII label "bücher": write internationalised names in punycode \(xn--\.\.\.\)$`
      "a.*.example.com",  # ERROR `Invalid host: invalid host "a\.\*\.example\.com": a wildcard is only allowed as the whole first label`
      "*example.com",     # ERROR `Invalid host: .*character '\*' is not allowed`
      "*.*.example.com",  # ERROR `Invalid host: .*wildcard is only allowed as the whole first label`
      "a..example.com",   # ERROR `Invalid host: invalid host "a\.\.example\.com": empty label$`
      ".example.com",     # ERROR `Invalid host: .*empty label`
      "example.com.",     # ERROR `Invalid host: .*empty label`
      "",                 # ERROR `Invalid host: "" is not a host name`
      "*.",               # ERROR `Invalid host: "\*\." is not a host name`
      "-a.example.com",   # ERROR `Invalid host: .*label "-a" starts or ends with '-'`
      "a_b.example.com",  # ERROR `Invalid host: .*character '_' is not allowed`
      "example.com:8080", # ERROR `Invalid host: .*character ':' is not allowed`
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", # ERROR `label "a+" is longer than 63 characters`
      "example.com",
      "EXAMPLE.com", # WARNING `^Duplicate host: "example\.com" is listed twice\.$`
    ]
    backend = backend.api
  }

  route "when_host" {
    path    = ["/w"]
    when    = "host('ex ample.com')" # ERROR@21 `Invalid argument to host: .*character ' ' is not allowed`
    backend = backend.api
  }
}

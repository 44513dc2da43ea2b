# Numbers out of range or of the wrong type.

global {
  maxconn  = 0  # ERROR `^Invalid maxconn: maxconn must be a whole number from 1 to 10000000\.$`
  nbthread = 5000 # ERROR `^Invalid nbthread: nbthread must be a whole number from 1 to 64\.$`
}

backend "api" {
  health_check {
    expect_status = 99 # ERROR `^Invalid expect_status: expect_status must be a whole number from 100 to 599\.$`
  }

  server "heavy" {
    address = "127.0.0.1:9001"
    weight  = 300 # ERROR@15 `^Invalid weight: weight must be a whole number from 0 to 256\.$`
  }
  server "frac" {
    address = "127.0.0.1:9002"
    weight  = 1.5 # ERROR `^Invalid weight: weight must be a whole number from 0 to 256\.$`
  }
  server "neg" {
    address = "127.0.0.1:9003"
    maxconn = -1 # ERROR `^Invalid maxconn: maxconn must be a whole number from 0 to 10000000\.$`
  }
  server "word" {
    address = "127.0.0.1:9004"
    weight  = "heavy" # ERROR `^Invalid weight: weight must be a number\.$`
    check   = "yes" # ERROR `^Invalid check: check must be true or false\.$`
  }
  server "edges" {
    address = "127.0.0.1:9005"
    weight  = 256
    maxconn = 0
  }
  server "zero" {
    address = "127.0.0.1:9006"
    weight  = 0
  }
}

frontend "main" {
  bind            = ["127.0.0.1:8080"]
  default_backend = backend.api
  maxconn         = 0 # ERROR `^Invalid maxconn: maxconn must be a whole number from 1 to 10000000\.$`

  route "p" {
    path     = ["/p"]
    priority = 1000001 # ERROR `^Invalid priority: priority must be a whole number from -1000000 to 1000000\.$`
    backend  = backend.api
  }

  deny "d" {
    path   = ["/d"]
    status = 700 # ERROR `^Invalid status: status must be a whole number from 200 to 599\.$`
  }

  redirect "r" {
    path = ["/r"]
    to   = "/new"
    code = 304 # ERROR `^Invalid code: code must be 301, 302, 303, 307 or 308\.$`
  }
}

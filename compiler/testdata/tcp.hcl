# A mode tcp frontend routing by client address.
backend "pg_primary" {
  mode = "tcp"
  server "p" { address = "127.0.0.1:5432" }
}
backend "pg_replica" {
  mode    = "tcp"
  balance = "leastconn"
  server "r1" { address = "127.0.0.1:5433" }
  server "r2" { address = "127.0.0.1:5434" }
}
backend "pg_reporting" {
  mode = "tcp"
  server "r" { address = "127.0.0.1:5435" }
}

frontend "postgres" {
  mode            = "tcp"
  bind            = ["127.0.0.1:6432"]
  default_backend = backend.pg_replica
  timeout_client  = "1h"

  route "writers" {
    src      = ["10.0.0.0/24"]
    priority = 1
    backend  = backend.pg_primary
  }
  route "reporting" {
    src     = ["10.0.0.0/16"]
    not_src = ["10.0.1.0/24"]
    backend = backend.pg_reporting
  }
}

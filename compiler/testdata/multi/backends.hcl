backend "web" {
  server "w1" { address = var.web_addr }
}

backend "api" {
  health_check {
    path = "/health"
  }
  server "a1" { address = "127.0.0.1:9002" }
  server "a2" { address = "127.0.0.1:9003" }
}

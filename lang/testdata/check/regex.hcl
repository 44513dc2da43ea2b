# path_regex: RE2 syntax that HAProxy's PCRE reads the same way.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  route "ok" {
    path_regex = ["^/api/v[0-9]+/", "\\.(png|jpe?g)$", "^/(?i)users/[a-z]+$"]
    backend    = backend.api
  }

  route "bad" {
    path_regex = [
      "^/api/(v1",   # ERROR@7 `^Invalid path regex: invalid regex "\^/api/\(v1": .*missing closing \)`
      "[a-",         # ERROR `Invalid path regex: invalid regex "\[a-": .*missing closing \]`
      "*foo",        # ERROR `Invalid path regex: .*missing argument to repetition operator`
      "^/(?<=x)y",   # ERROR `Invalid path regex: invalid regex "\^/\(\?<=x\)y": error parsing regexp`
      "",            # ERROR `^Invalid path regex: empty regex$`
      "a\\Cb",       # ERROR `Invalid path regex: .*\\C`
      "/a\tb",       # ERROR `^Invalid path regex: regex contains a control character$`
    ]
    backend = backend.api
  }

  route "when_regex" {
    host    = ["w.example.com"]
    when    = "path_regex(`(unclosed`)" # ERROR@27 `^Invalid argument to path_regex: invalid regex "\(unclosed": .*missing closing \)`
    backend = backend.api
  }
}

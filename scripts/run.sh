#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build haproute,
# start demo backends on 127.0.0.1 and run the daemon on examples/quickstart
# (it starts and supervises its own HAProxy). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
scripts/install-deps.sh
mkdir -p bin
go build -o bin/haproute ./cmd/haproute
go build -o bin/demo-backends ./cmd/demo-backends
bin/demo-backends app=9001 api=9002 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
bin/haproute check examples/quickstart
cat <<MSG

haproute is starting HAProxy on http://127.0.0.1:8080 with examples/quickstart.
Try:
  curl -s http://127.0.0.1:8080/                              # -> app
  curl -s http://127.0.0.1:8080/api/users                     # -> api
  curl -s -H 'Host: api.localhost' http://127.0.0.1:8080/     # -> api
  curl -s http://127.0.0.1:9180/status                        # daemon status
Edit examples/quickstart/haproute.hcl (e.g. add a route with host = ["new.localhost"]
and backend = backend.api), save, and the change is live within a second:
  curl -s -H 'Host: new.localhost' http://127.0.0.1:8080/     # -> api
  bin/haproute explain examples/quickstart --host new.localhost --path /

MSG
bin/haproute run examples/quickstart --state-dir .haproute

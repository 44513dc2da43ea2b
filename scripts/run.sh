#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build haproute,
# start demo backends on 127.0.0.1, compile examples/quickstart and run
# HAProxy on it in the foreground (Ctrl-C stops everything).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
scripts/install-deps.sh
mkdir -p bin
go build -o bin/haproute ./cmd/haproute
go build -o bin/demo-backends ./cmd/demo-backends
state=.haproute
mkdir -p "$state"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
bin/demo-backends app=9001 api=9002 &
pids+=($!)
bin/haproute check examples/quickstart
bin/haproute build examples/quickstart -o "$state" --runtime-socket "$PWD/$state/stats.sock"
cat <<MSG

haproute: HAProxy is starting on http://127.0.0.1:8080 with examples/quickstart
  curl -s http://127.0.0.1:8080/            # -> app
  curl -s http://127.0.0.1:8080/api/users   # -> api
  curl -s -H 'Host: api.localhost' http://127.0.0.1:8080/   # -> api
  bin/haproute explain examples/quickstart --host api.localhost --path /x
Edit examples/quickstart/*.hcl, then: bin/haproute build examples/quickstart -o $state and reload.
MSG
haproxy -W -db -S "$state/master.sock,mode,600" -f "$state/haproxy.cfg" &
pids+=($!)
wait -n

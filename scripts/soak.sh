#!/usr/bin/env bash
# Soak test of "haproute run" (daemon/soak_test.go, TestSoak): a 10k-route
# configuration (ten files of 1000 routes) served by a real HAProxy under a
# bounded keep-alive load (8 connections x 50 GET/s, no retries) for at
# least 60 s while 200 changes are applied by editing the files (server
# weight, add and remove; route add and retarget; a CIDR; a new backend).
# It prints the requests, non-2xx answers, socket errors by cause, reloads
# and the save-to-live latency per class of change.
#
#   scripts/soak.sh                        # the full run
#   HAPROUTE_SOAK_CHANGES=20 scripts/soak.sh   # a short smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
echo "machine: $(nproc) CPUs, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
HAPROUTE_SOAK=1 go test ./daemon -run '^TestSoak$' -count=1 -v -timeout 60m "$@" |
	grep -v '^        {"time"' # haproute's JSON log is only printed on failure

#!/usr/bin/env bash
# Request throughput through HAProxy for haproute-compiled configurations:
# 1 route vs 10k exact-host routes (and 10k routes of the benchmark mix),
# routed to a real HTTP backend, measured with wrk on loopback.
#
#   scripts/bench-throughput.sh            # 5 alternations of 10 s runs
#   ROUNDS=3 DURATION=5s scripts/bench-throughput.sh
#
# Every request carries the Host (and path) of the LAST route of the
# configuration; before each run the script checks that this request is
# answered by the backend "target", which only the last route's backend
# points at. Results: one line per run, then median, min and max requests/s
# per configuration and the ratios of the medians to the 1-route median.
# Everything binds 127.0.0.1; the script stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
CONFIGS=${CONFIGS:-"one host10k mix10k"}

for tool in haproxy wrk curl go; do
  command -v "$tool" >/dev/null || { echo "bench-throughput: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d /tmp/haproute-bench.XXXXXX)
backend_pid=""
haproxy_pid=""
cleanup() {
  # Only the processes this script started and has not reaped yet.
  for p in $haproxy_pid $backend_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "bench-throughput: no free port" >&2
  exit 1
}

# wait_for CMD...: run CMD until it succeeds, for at most 15 s.
wait_for() {
  local deadline=$((SECONDS + 15))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "bench-throughput: timed out waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}

echo "== build"
go build -o "$work/haproute" ./cmd/haproute
go build -o "$work/benchgen" ./internal/benchgen/cmd/benchgen
go build -o "$work/demo-backends" ./cmd/demo-backends

other_port=$(free_port)
target_port=$(free_port)
fe_port=$(free_port)

# gen NAME BENCHGEN-FLAGS...: generate, build and check one configuration;
# sets host_NAME and path_NAME.
gen() {
  local name=$1
  shift
  "$work/benchgen" -o "$work/$name.hcl.d" -server "127.0.0.1:$other_port" -last-server "127.0.0.1:$target_port" -port "$fe_port" "$@" >"$work/$name.summary"
  "$work/haproute" build "$work/$name.hcl.d" -o "$work/$name.out" >/dev/null
  haproxy -c -q -f "$work/$name.out/haproxy.cfg"
  eval "host_$name=$(grep '^last_host=' "$work/$name.summary" | cut -d= -f2)"
  eval "path_$name=$(grep '^last_path=' "$work/$name.summary" | cut -d= -f2)"
  local routes maps
  routes=$(grep '^routes=' "$work/$name.summary" | cut -d= -f2)
  maps=$(find "$work/$name.out" -name '*.map' -exec cat {} + | grep -vc '^#' || true)
  echo "$name: $routes routes, $(grep -c . "$work/$name.out/haproxy.cfg") lines of haproxy.cfg, $maps map entries"
}

echo "== generate and build"
for c in $CONFIGS; do
  case $c in
  one) gen one -routes 1 -host-only ;;
  host10k) gen host10k -routes 10000 -per-file 10000 -host-only ;;
  mix10k) gen mix10k -routes 10000 -per-file 10000 ;;
  *) echo "bench-throughput: unknown configuration $c" >&2; exit 2 ;;
  esac
done

"$work/demo-backends" "other=$other_port" "target=$target_port" 2>"$work/backends.log" &
backend_pid=$!
wait_for curl -sf "http://127.0.0.1:$target_port/"

# proc_ticks PID: user+system CPU clock ticks of a process, all threads.
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# routed_to_target NAME: the last route's request reaches the target backend.
routed_to_target() {
  local host path
  host=$(eval echo "\$host_$1")
  path=$(eval echo "\$path_$1")
  curl -s -D - -o /dev/null -H "Host: $host" "http://127.0.0.1:$fe_port$path" | tr -d '\r' | grep -qi '^X-Backend: target$'
}

echo "== run: $ROUNDS rounds, wrk -t$THREADS -c$CONNS -d$DURATION, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results
: >"$results"
for round in $(seq "$ROUNDS"); do
  for c in $CONFIGS; do
    haproxy -db -f "$work/$c.out/haproxy.cfg" 2>"$work/haproxy-$c.log" &
    haproxy_pid=$!
    wait_for routed_to_target "$c"
    host=$(eval echo "\$host_$c")
    path=$(eval echo "\$path_$c")
    cpu0=$(proc_ticks "$haproxy_pid")
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -H "Host: $host" "http://127.0.0.1:$fe_port$path" >"$work/wrk.out"
    cpu1=$(proc_ticks "$haproxy_pid")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
    reqs=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    # HAProxy CPU time per request in microseconds (all its threads).
    cpu_us=$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")
    errors=$(grep 'Socket errors' "$work/wrk.out" | sed 's/^ *Socket errors: *//' || true)
    routed_to_target "$c" || { echo "bench-throughput: $c: request no longer reaches the target" >&2; exit 1; }
    kill "$haproxy_pid"
    wait "$haproxy_pid" 2>/dev/null || true
    haproxy_pid=""
    echo "round $round $c: $rps req/s, haproxy $cpu_us us CPU/request ($reqs requests, non-2xx: ${non2xx:-0}, socket errors: ${errors:-none}, load $(cut -d' ' -f1 /proc/loadavg))"
    if [ -n "${non2xx:-}" ]; then
      echo "bench-throughput: $c: non-2xx responses" >&2
      exit 1
    fi
    echo "$c $rps $cpu_us" >>"$results"
  done
done

echo "== summary: median [min .. max] over $ROUNDS runs"
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
first=${CONFIGS%% *}
base_rps="" base_cpu=""
for c in $CONFIGS; do
  rps=$(awk -v c="$c" '$1==c {print $2}' "$results")
  cpu=$(awk -v c="$c" '$1==c {print $3}' "$results")
  med_rps=$(echo "$rps" | median)
  med_cpu=$(echo "$cpu" | median)
  [ -z "$base_rps" ] && base_rps=$med_rps base_cpu=$med_cpu
  echo "$c: $med_rps req/s [$(echo "$rps" | sort -n | head -1) .. $(echo "$rps" | sort -n | tail -1)], ratio to $first $(awk -v a="$med_rps" -v b="$base_rps" 'BEGIN {printf "%.3f", a/b}');" \
    "haproxy $med_cpu us CPU/request [$(echo "$cpu" | sort -n | head -1) .. $(echo "$cpu" | sort -n | tail -1)], $first/$c $(awk -v a="$med_cpu" -v b="$base_cpu" 'BEGIN {printf "%.3f", b/a}')"
done

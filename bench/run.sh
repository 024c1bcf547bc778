#!/usr/bin/env bash
# Builds the release preset, then for each scenario starts a release parleyd on a fresh
# temporary data directory with the benchmark flags, runs parley-bench against it and stops
# the server. Results: a table on stdout and one JSON file per scenario in $OUT.
#
#   bench/run.sh                    # every scenario at the sizes below
#   bench/run.sh direct history     # only these
#   CONNECTIONS=19000 PROCS=2 bench/run.sh connections
#   GROUP_SIZE=100 GROUP_COUNT=10 bench/run.sh group   # 1 group flat out, 1 at 70% of that, GROUP_COUNT flat out
#   PARLEYD=/path/to/parleyd bench/run.sh      # use that server binary, build only the bench
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CONNECTIONS=${CONNECTIONS:-10000}
PROCS=${PROCS:-1}
USERS=${USERS:-1000}
DURATION=${DURATION:-20}
RATE=${RATE:-}                      # direct at a fixed rate; empty: 70% of the flat-out rate
CLIENTS=${CLIENTS:-1000}
MESSAGES=${MESSAGES:-50}
STORE=${STORE:-100000}
HISTORY_CONVERSATIONS=${HISTORY_CONVERSATIONS:-20}
SEARCH_SHARE=${SEARCH_SHARE:-0.5}   # history: share of queries that are full-text searches
GROUP_SIZE=${GROUP_SIZE:-100}
GROUP_COUNT=${GROUP_COUNT:-10}      # group-many: this many groups, flat out
GROUP_RATE=${GROUP_RATE:-}          # group at a fixed rate (msgs/s); empty: 70% of the flat-out rate
OUT=${OUT:-$root/build/bench-results}
JOBS=${JOBS:-1}

cmake --preset release >/dev/null
if [[ -n ${PARLEYD:-} ]]; then
  ninja -C build/release -j"$JOBS" parley-bench
  parleyd=$PARLEYD
else
  ninja -C build/release -j"$JOBS" parleyd parley-bench
  parleyd=$root/build/release/bin/parleyd
fi
bench=$root/build/release/bin/parley-bench
mkdir -p "$OUT"

tmp=
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
  [[ -n $tmp ]] && rm -rf "$tmp"
  tmp=
}
trap stop_server EXIT

start_server() {
  tmp=$(mktemp -d)
  "$parleyd" --listen 127.0.0.1:0 --data-dir "$tmp/data" --web-root "" --log-level warn \
    --insecure-fast-password-hashing true --rate-register-per-min 1000000 \
    --rate-login-per-min 1000000 --rate-send-per-sec 0 --rate-other-per-sec 0 \
    --rate-group-create-per-min 0 --rate-group-add-per-min 0 --max-connections-per-address 0 >"$tmp/server.log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 1 200); do
    port=$(ss -ltnpH 2>/dev/null | sed -n "s/.*127\.0\.0\.1:\([0-9]*\) .*pid=$server_pid,.*/\1/p" | head -n1)
    [[ -n $port ]] && return 0
    sleep 0.1
  done
  cat "$tmp/server.log"
  echo "parleyd did not start" >&2
  exit 1
}

bench() {
  local name=$1
  shift
  echo
  echo "\$ parley-bench $* --server 127.0.0.1:PORT"
  "$bench" "$@" --server "127.0.0.1:$port" --server-pid "$server_pid" --json "$OUT/$name.json"
}

scenarios=("$@")
[[ ${#scenarios[@]} -eq 0 ]] && scenarios=(connections direct reconnect history group)
for s in "${scenarios[@]}"; do
  case $s in
    connections)
      start_server
      bench connections connections --connections "$CONNECTIONS" --procs "$PROCS" --duration "$DURATION"
      stop_server ;;
    direct)
      start_server
      bench direct-flat direct --users "$USERS" --rate 0 --duration "$DURATION"
      stop_server
      rate=$RATE
      if [[ -z $rate ]]; then
        rate=$(sed -n 's/.*"delivered_per_s":\([0-9.eE+-]*\).*/\1/p' "$OUT/direct-flat.json" |
          awk '{ printf "%d", $1 * 0.7 }')
      fi
      start_server
      bench direct-rate direct --users "$USERS" --rate "$rate" --duration "$DURATION"
      stop_server ;;
    reconnect)
      start_server
      bench reconnect reconnect --clients "$CLIENTS" --messages "$MESSAGES" --duration 120
      stop_server ;;
    history)
      start_server
      bench history history --store-messages "$STORE" --conversations "$HISTORY_CONVERSATIONS" --queriers 16 \
        --search-share "$SEARCH_SHARE" --duration "$DURATION"
      stop_server ;;
    group)
      start_server
      bench group-flat group --groups 1 --group-size "$GROUP_SIZE" --rate 0 --duration "$DURATION"
      stop_server
      rate=$GROUP_RATE
      if [[ -z $rate ]]; then
        rate=$(sed -n 's/.*"acked_per_s":\([0-9.eE+-]*\).*/\1/p' "$OUT/group-flat.json" |
          awk '{ printf "%d", $1 * 0.7 }')
      fi
      start_server
      bench group-rate group --groups 1 --group-size "$GROUP_SIZE" --rate "$rate" --duration "$DURATION"
      stop_server
      start_server
      bench group-many group --groups "$GROUP_COUNT" --group-size "$GROUP_SIZE" --rate 0 --window 1 --drain 60 \
        --duration "$DURATION"
      stop_server ;;
    *)
      echo "unknown scenario $s" >&2
      exit 2 ;;
  esac
done
echo
echo "JSON results in $OUT"

#!/usr/bin/env bash
# Builds the release preset, then for each scenario starts a release parleyd on a fresh
# temporary data directory with the benchmark flags, runs parley-bench against it and stops
# the server. Results: a table on stdout and one JSON file per scenario in $OUT.
#
#   bench/run.sh                    # every scenario at the sizes below
#   bench/run.sh direct history     # only these
#   CONNECTIONS=19000 PROCS=2 bench/run.sh connections
#   GROUP_SIZE=100 GROUP_COUNT=10 bench/run.sh group   # 1 group flat out, 1 at 70% of that, GROUP_COUNT flat out
#   PING_CONNECTIONS=100 PING_WINDOW=8 bench/run.sh ping   # the transport alone (not in the default set)
#   PARLEYD=/path/to/parleyd bench/run.sh      # use that server binary, build only the bench
#   PG_SERVER=postgresql://USER@HOST:PORT/postgres bench/run.sh direct   # parleyd on PostgreSQL
#                                   # (a fresh database on that server per scenario)
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
PING_CONNECTIONS=${PING_CONNECTIONS:-100}   # ping: connections, each with PING_WINDOW in flight
PING_WINDOW=${PING_WINDOW:-8}
THREADS=${THREADS:-1}               # ping: event-loop threads of the bench

source bench/lib/parleyd.sh
build_release
mkdir -p "$OUT"
trap stop_parleyd EXIT

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
      start_parleyd
      bench connections connections --connections "$CONNECTIONS" --procs "$PROCS" --duration "$DURATION"
      stop_parleyd ;;
    direct)
      start_parleyd
      bench direct-flat direct --users "$USERS" --rate 0 --duration "$DURATION"
      stop_parleyd
      rate=$RATE
      if [[ -z $rate ]]; then
        rate=$(sed -n 's/.*"delivered_per_s":\([0-9.eE+-]*\).*/\1/p' "$OUT/direct-flat.json" |
          awk '{ printf "%d", $1 * 0.7 }')
      fi
      start_parleyd
      bench direct-rate direct --users "$USERS" --rate "$rate" --duration "$DURATION"
      stop_parleyd ;;
    reconnect)
      start_parleyd
      bench reconnect reconnect --clients "$CLIENTS" --messages "$MESSAGES" --duration 120
      stop_parleyd ;;
    history)
      start_parleyd
      bench history history --store-messages "$STORE" --conversations "$HISTORY_CONVERSATIONS" --queriers 16 \
        --search-share "$SEARCH_SHARE" --duration "$DURATION"
      stop_parleyd ;;
    group)
      start_parleyd
      bench group-flat group --groups 1 --group-size "$GROUP_SIZE" --rate 0 --duration "$DURATION"
      stop_parleyd
      rate=$GROUP_RATE
      if [[ -z $rate ]]; then
        rate=$(sed -n 's/.*"acked_per_s":\([0-9.eE+-]*\).*/\1/p' "$OUT/group-flat.json" |
          awk '{ printf "%d", $1 * 0.7 }')
      fi
      start_parleyd
      bench group-rate group --groups 1 --group-size "$GROUP_SIZE" --rate "$rate" --duration "$DURATION"
      stop_parleyd
      start_parleyd
      bench group-many group --groups "$GROUP_COUNT" --group-size "$GROUP_SIZE" --rate 0 --window 1 --drain 60 \
        --duration "$DURATION"
      stop_parleyd ;;
    ping)
      start_parleyd
      bench ping ping --connections "$PING_CONNECTIONS" --window "$PING_WINDOW" --threads "$THREADS" \
        --duration "$DURATION"
      stop_parleyd ;;
    *)
      echo "unknown scenario $s" >&2
      exit 2 ;;
  esac
done
echo
echo "JSON results in $OUT"

#!/usr/bin/env bash
# Runs the same parley-bench scenarios against parleyd and against ejabberd (Debian's
# package, bench/peers/ejabberd) on this machine, one server at a time, each on a fresh
# data directory, and prints each figure for both with the ratio parleyd/ejabberd.
#
#   bench/compare.sh                          # connections direct reconnect
#   bench/compare.sh direct                   # only these
#   CONNECTIONS=10000 USERS=1000 DURATION=30 CLIENTS=1000 MESSAGES=50 bench/compare.sh
#
# direct runs flat out (WINDOW sends in flight per connection, default 1) against each
# server, then both at the same fixed rate: RATE, or 70% of the lower of the two flat-out
# delivery rates. (With 8 in flight on 1,000 connections ejabberd falls minutes behind and
# ends sessions whose stream-management acks it cannot process within its 60 s ack timeout.) JSON of every run and the table
# (compare.md) go to $OUT (default build/bench-compare). ejabberd is installed with apt
# when missing (needs root); without it the script stops with exit status 3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CONNECTIONS=${CONNECTIONS:-5000}
PROCS=${PROCS:-1}
USERS=${USERS:-1000}
DURATION=${DURATION:-20}
RATE=${RATE:-}
WINDOW=${WINDOW:-1}                 # direct flat out: sends in flight per connection
CLIENTS=${CLIENTS:-1000}
MESSAGES=${MESSAGES:-50}
SENDERS=${SENDERS:-50}
OUT=${OUT:-$root/build/bench-compare}
JOBS=${JOBS:-1}
EJABBERD_PORT=${EJABBERD_PORT:-15280}
EJABBERD_DB=${EJABBERD_DB:-sql}     # ejabberd's archive and offline store: sql (SQLite) or mnesia
DOMAIN=bench.local

bench/peers/ejabberd/install.sh || exit 3
source bench/lib/parleyd.sh
build_release
mkdir -p "$OUT"

ejabberd_dir=
stop_servers() {
  stop_parleyd
  if [[ -n $ejabberd_dir ]]; then
    bench/peers/ejabberd/stop.sh --dir "$ejabberd_dir" --clean || true
    ejabberd_dir=
  fi
}
trap stop_servers EXIT

start_ejabberd() {
  ejabberd_dir=$(mktemp -d)
  local line
  line=$(bench/peers/ejabberd/start.sh --dir "$ejabberd_dir" --port "$EJABBERD_PORT" --domain "$DOMAIN" --db "$EJABBERD_DB" --fresh)
  server_pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")
  port=$EJABBERD_PORT
}

stop_ejabberd() {
  bench/peers/ejabberd/stop.sh --dir "$ejabberd_dir" --clean
  ejabberd_dir=
  server_pid=
}

# run NAME SERVER SCENARIO ARGS...: one run against the running server.
run() {
  local name=$1 server=$2
  shift 2
  local proto=()
  [[ $server == ejabberd ]] && proto=(--protocol xmpp --xmpp-domain "$DOMAIN")
  echo
  echo "\$ parley-bench $* ${proto[*]} --server 127.0.0.1:PORT   # $server"
  "$bench" "$@" "${proto[@]}" --server "127.0.0.1:$port" --server-pid "$server_pid" --json "$OUT/$name-$server.json" ||
    echo "($server: parley-bench exited with status $?; see the errors above)"
}

both() {
  local name=$1
  shift
  start_parleyd
  run "$name" parley "$@"
  stop_servers
  start_ejabberd
  run "$name" ejabberd "$@"
  stop_ejabberd
}

num() { jq -r "$2 // empty" "$OUT/$1.json" 2>/dev/null || true; }

table=$OUT/compare.md
{
  echo "| run | figure | parleyd | ejabberd | parleyd/ejabberd |"
  echo "|---|---|---:|---:|---:|"
} >"$table"
row() {  # row RUN LABEL JQ-PATH
  local a b ratio
  a=$(num "$1-parley" "$3")
  b=$(num "$1-ejabberd" "$3")
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a != "" && b != "" && b + 0 != 0) printf "%.2f", a / b; else print "-" }')
  fmt() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else if (v + 0 >= 100) printf "%.0f", v; else printf "%.3g", v }'; }
  echo "| $1 | $2 | $(fmt "$a") | $(fmt "$b") | $ratio |" >>"$table"
}
okrow() {
  echo "| $1 | correctness errors | $(num "$1-parley" .correctness_errors) | $(num "$1-ejabberd" .correctness_errors) | |" >>"$table"
}

scenarios=("$@")
[[ ${#scenarios[@]} -eq 0 ]] && scenarios=(connections direct reconnect)
for s in "${scenarios[@]}"; do
  case $s in
    connections)
      both connections connections --connections "$CONNECTIONS" --procs "$PROCS" --duration "$DURATION"
      row connections "time to connect all (s)" .connect_seconds
      row connections "connect p50 (ms)" .connect_latency.p50_ms
      row connections "connect p99 (ms)" .connect_latency.p99_ms
      row connections "server RSS before (MiB)" .server_rss_before_mib
      row connections "server RSS with all connected (MiB)" .server_rss_after_mib
      row connections "server memory per connection (KiB)" .server_kib_per_connection
      row connections "server CPU per connection-second (us)" .server_cpu_us_per_conn_s
      okrow connections ;;
    direct)
      # --drain 120: flat out, the sends in flight on USERS connections can be minutes of
      # work for a slow server; the drain waits for every acknowledgement and delivery.
      both direct-flat direct --users "$USERS" --rate 0 --window "$WINDOW" --duration "$DURATION" --drain 120
      rate=$RATE
      if [[ -z $rate ]]; then
        rate=$(jq -s -r '[.[].delivered_per_s] | min * 0.7 | floor' "$OUT/direct-flat-parley.json" \
          "$OUT/direct-flat-ejabberd.json")
      fi
      both direct-rate direct --users "$USERS" --rate "$rate" --duration "$DURATION" --drain 120
      for r in direct-flat direct-rate; do
        row $r "sent (msgs/s)" .sent_per_s
        row $r "delivered in the window (msgs/s)" .delivered_per_s
        row $r "ack p50 (ms)" .ack_latency.p50_ms
        row $r "ack p99 (ms)" .ack_latency.p99_ms
        row $r "send-to-receive p50 (ms)" .e2e_latency.p50_ms
        row $r "send-to-receive p99 (ms)" .e2e_latency.p99_ms
        row $r "server CPU (cores)" .server_cpu_cores
        row $r "server RSS at the end (MiB)" .server_rss_end_mib
        okrow $r
      done ;;
    reconnect)
      both reconnect reconnect --clients "$CLIENTS" --messages "$MESSAGES" --senders "$SENDERS" --duration 120
      row reconnect "time to pile up the messages (s)" .pile_seconds
      row reconnect "time until every client has everything (s)" .all_synced_seconds
      row reconnect "per-client catch-up p50 (ms)" .catchup.p50_ms
      row reconnect "per-client catch-up p99 (ms)" .catchup.p99_ms
      row reconnect "messages fetched per second" .messages_fetched_per_s
      row reconnect "server CPU during catch-up (cores)" .server_cpu_cores
      okrow reconnect ;;
    *)
      echo "unknown scenario $s (compare.sh runs connections, direct, reconnect)" >&2
      exit 2 ;;
  esac
done
echo
cat "$table"
echo
echo "JSON results and compare.md in $OUT"

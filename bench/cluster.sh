#!/usr/bin/env bash
# parley-bench against a cluster on one machine: one PostgreSQL (fsync off, like the test
# servers), one nats-server, and parleyd nodes on them with the benchmark flags.
#
#   bench/cluster.sh connections
#       three nodes, and one `parley-bench connections` per node connecting to it directly
#       (clients spread over the nodes as DNS round robin would spread them; one haproxy
#       process is capped by the same open-file limit as one parleyd). Each bench uses PROCS
#       worker processes with source addresses 127.0.0.2.., so no process and no source
#       address runs out of descriptors or ports. PER_NODE (default 19,500) connections per
#       node, held DURATION (default 20) seconds. JSON and each node's log in
#       $OUT/cluster-connections-node{1,2,3}.{json,log}.
#   bench/cluster.sh haproxy N SCENARIO [parley-bench options...]
#       N (1-3) nodes behind haproxy (deploy/haproxy.cfg; the nodes it names that are not
#       started are marked down by its health checks first), then
#       `parley-bench SCENARIO [options] --server HAPROXY` (its server CPU and memory figures
#       are node 1's). JSON in $OUT/cluster-N-SCENARIO.json.
#       e.g. bench/cluster.sh haproxy 3 group --group-size 100 --duration 15 --drain 60
#
#   PARLEYD=path/to/parleyd bench/cluster.sh ...   # use that server, build only the bench
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=${1:-}
case $mode in
  connections) nodes=3 ;;
  haproxy)
    nodes=${2:-}
    scenario=${3:-}
    [[ $nodes =~ ^[123]$ && -n $scenario ]] || { echo "usage: bench/cluster.sh haproxy 1|2|3 SCENARIO [options]" >&2; exit 2; }
    shift 3
    ;;
  *) echo "usage: bench/cluster.sh connections | haproxy N SCENARIO [options]" >&2; exit 2 ;;
esac

PER_NODE=${PER_NODE:-19500}
PROCS=${PROCS:-2}
DURATION=${DURATION:-20}
OUT=${OUT:-$root/build/bench-results}
JOBS=${JOBS:-1}

source bench/lib/parleyd.sh
build_release
mkdir -p "$OUT"

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  if [[ $mode == connections ]]; then
    for i in 1 2 3; do cp "$work/node$i.log" "$OUT/cluster-connections-node$i.log" 2>/dev/null || true; done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/pg-test-server.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # wait_port PORT LOG
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  tail -20 "$2" >&2
  echo "nothing listens on $1" >&2
  exit 1
}

pg=$(scripts/pg-test-server.sh start "$work/pg")
psql "$pg" -qAtc 'CREATE DATABASE parley_cluster_bench'
store="${pg%/*}/parley_cluster_bench"
nats_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" >"$work/nats.log" 2>&1 &
pids+=($!)
wait_port "$nats_port" "$work/nats.log"

ports=()
node_pids=()
for ((i = 1; i <= nodes; i++)); do
  port=$(free_port)
  mkdir -p "$work/node$i"
  "$parleyd" --listen "127.0.0.1:$port" --data-dir "$work/node$i" --web-root "" --log-level warn \
    --store "$store" --bus "nats://127.0.0.1:$nats_port" \
    --insecure-fast-password-hashing true --rate-register-per-min 1000000 \
    --rate-login-per-min 1000000 --rate-send-per-sec 0 --rate-other-per-sec 0 \
    --rate-group-create-per-min 0 --rate-group-add-per-min 0 \
    --max-connections-per-address 0 --trusted-proxies 127.0.0.1 >"$work/node$i.log" 2>&1 &
  pids+=($!)
  node_pids+=($!)
  ports+=("$port")
done
for ((i = 0; i < nodes; i++)); do wait_port "${ports[i]}" "$work/node$((i + 1)).log"; done

if [[ $mode == haproxy ]]; then
  hport=$(free_port)
  # Nodes not started point at ports nothing listens on: two failed checks mark them down.
  for ((i = nodes; i < 3; i++)); do ports+=("$(free_port)"); done
  PARLEY_HAPROXY_BIND=127.0.0.1:$hport PARLEY_NODE1=127.0.0.1:${ports[0]} PARLEY_NODE2=127.0.0.1:${ports[1]} \
    PARLEY_NODE3=127.0.0.1:${ports[2]} haproxy -db -f deploy/haproxy.cfg >"$work/haproxy.log" 2>&1 &
  pids+=($!)
  wait_port "$hport" "$work/haproxy.log"
  sleep 4
  echo "$nodes node(s) behind haproxy (127.0.0.1:$hport) on PostgreSQL ($store) and NATS (:$nats_port)"
  echo "\$ parley-bench $scenario $* --server 127.0.0.1:HAPROXY"
  echo "(the bench's server CPU and memory figures are node 1's)"
  "$bench" "$scenario" "$@" --server "127.0.0.1:$hport" --server-pid "${node_pids[0]}" \
    --json "$OUT/cluster-$nodes-$scenario.json"
  exit
fi

echo "3 nodes on PostgreSQL ($store) and NATS (:$nats_port); $PER_NODE connections each, $PROCS processes per node"
bench_pids=()
for i in 0 1 2; do
  "$bench" connections --connections "$PER_NODE" --procs "$PROCS" --duration "$DURATION" \
    --server "127.0.0.1:${ports[i]}" --server-pid "${node_pids[i]}" \
    --json "$OUT/cluster-connections-node$((i + 1)).json" >"$work/bench$((i + 1)).out" 2>&1 &
  bench_pids+=($!)
done
status=0
for i in 0 1 2; do
  wait "${bench_pids[i]}" || status=1
  echo
  echo "== node $((i + 1)) (127.0.0.1:${ports[i]})"
  cat "$work/bench$((i + 1)).out"
done
exit $status

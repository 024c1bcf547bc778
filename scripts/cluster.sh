#!/usr/bin/env bash
# A complete local cluster in one command, stopped by Ctrl-C:
#   PostgreSQL primary + synchronous streaming standby (as the unprivileged "postgres"
#   user when run as root), a 3-server NATS cluster joined by routes, 3 parleyd nodes on
#   them sharing one photo directory, and haproxy serving it all, web client included, on
#   http://localhost:8080.
#
#   scripts/cluster.sh            # install what is missing, build (release), start
#   PARLEY_CLUSTER_DIR=DIR scripts/cluster.sh   # node data, logs and photos in DIR
#                                               # (default: ./cluster-data)
#   PARLEYD=path/to/parleyd scripts/cluster.sh  # use that binary, build nothing
# Ports: haproxy 8080, parleyd 8081-8083, NATS 4222-4224 (routes 6222-6224), PostgreSQL on
# free ports (printed). Logs: DIR/*.log. The PostgreSQL servers run with fsync off, like the
# test servers (scripts/pg-test-server.sh): a demonstration, not a production database.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

parleyd=${PARLEYD:-}
if [[ -z "$parleyd" ]]; then
  scripts/install-deps.sh --cluster
  cmake --preset release >/dev/null
  cmake --build --preset release --target parleyd
  if [[ -f web/package.json ]]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
  fi
  parleyd=build/release/bin/parleyd
fi
parleyd=$(realpath "$parleyd")

dir=$(realpath -m "${PARLEY_CLUSTER_DIR:-cluster-data}")
mkdir -p "$dir/media"
# PostgreSQL's directories must be reachable by its unprivileged user: not under /root.
pgdir=$(mktemp -d)
chmod 755 "$pgdir"

pids=()
stopping=0
stop_all() {
  ((stopping)) && return
  stopping=1
  echo "stopping the cluster"
  # Reverse order: the proxy, then the nodes (SIGTERM: they drain), then NATS, then the database.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  scripts/pg-test-server.sh stop "$pgdir/standby" || true
  scripts/pg-test-server.sh stop "$pgdir/primary" || true
  rm -rf "$pgdir"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

wait_port() {  # wait_port PORT NAME LOG: until something listens there (60 s at most)
  for _ in $(seq 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$2 did not start; see $3" >&2
  tail -20 "$3" >&2
  exit 1
}

echo "PostgreSQL: primary and synchronous standby"
primary=$(scripts/pg-test-server.sh start "$pgdir/primary")
psql "$primary" -qAtc 'CREATE DATABASE parley'
standby=$(scripts/pg-test-server.sh standby "$pgdir/standby" "$primary")
psql "$primary" -qAtc "ALTER SYSTEM SET synchronous_standby_names = 'standby'" >/dev/null
psql "$primary" -qAtc 'SELECT pg_reload_conf()' >/dev/null
for _ in $(seq 300); do
  [[ $(psql "$primary" -qAtc "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == 1 ]] && break
  sleep 0.1
done
# Both hosts: after a promotion of the standby the nodes find the new primary.
p=${primary#postgresql://parley@}; p=${p%%/*}
s=${standby#postgresql://parley@}; s=${s%%/*}
store="postgresql://parley@$p,$s/parley?target_session_attrs=read-write&connect_timeout=2"
echo "  primary $primary, standby $standby"

echo "NATS: 3 servers"
routes="nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224"
for i in 0 1 2; do
  nats-server -a 127.0.0.1 -p $((4222 + i)) --cluster_name parley \
    --cluster "nats://127.0.0.1:$((6222 + i))" --routes "$routes" >"$dir/nats$((i + 1)).log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do wait_port $((4222 + i)) "nats-server $((i + 1))" "$dir/nats$((i + 1)).log"; done

echo "parleyd: 3 nodes"
bus="nats://127.0.0.1:4222,127.0.0.1:4223,127.0.0.1:4224"
# One VAPID key and one admin token for the whole cluster: a browser's push subscription is
# bound to the key of the node that handed it out, and any node may send its pushes.
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/vapid.pem" 2>/dev/null
openssl rand -hex 32 >"$dir/admin.token"
chmod 600 "$dir/vapid.pem" "$dir/admin.token"
for i in 1 2 3; do
  mkdir -p "$dir/node$i"
  cp -p "$dir/vapid.pem" "$dir/admin.token" "$dir/node$i/"
  "$parleyd" --listen "127.0.0.1:$((8080 + i))" --data-dir "$dir/node$i" \
    --store "$store" --bus "$bus" --media-dir "$dir/media" --web-root "$root/web/dist" \
    --trusted-proxies 127.0.0.1 >"$dir/node$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do wait_port $((8080 + i)) "parleyd node $i" "$dir/node$i.log"; done

echo "haproxy on http://localhost:8080"
PARLEY_HAPROXY_BIND=127.0.0.1:8080 PARLEY_NODE1=127.0.0.1:8081 PARLEY_NODE2=127.0.0.1:8082 \
  PARLEY_NODE3=127.0.0.1:8083 haproxy -db -f deploy/haproxy.cfg >"$dir/haproxy.log" 2>&1 &
pids+=($!)
wait_port 8080 haproxy "$dir/haproxy.log"

echo "cluster up: open http://localhost:8080 (logs in $dir); Ctrl-C stops everything"
wait -n "${pids[@]}" || true
echo "a process of the cluster exited; see the logs in $dir" >&2
exit 1

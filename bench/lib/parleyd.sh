# Shared by bench/run.sh and bench/compare.sh (sourced from the repository root, after
# `set -euo pipefail`): builds the release parleyd and parley-bench, and starts and stops a
# benchmark parleyd on a fresh temporary data directory.
#
#   build_release            # sets $parleyd (or uses $PARLEYD) and $bench; uses $JOBS
#   start_parleyd            # sets $server_pid, $port, $tmp (its data and log directory)
#   stop_parleyd             # stops it (if running) and removes $tmp
#
# With PG_SERVER=postgresql://USER@HOST:PORT/DB (a PostgreSQL 15 server; DB is only used to
# connect) each start_parleyd runs parleyd on a fresh database created on that server
# (--store), and stop_parleyd drops it.

build_release() {
  cmake --preset release >/dev/null
  if [[ -n ${PARLEYD:-} ]]; then
    ninja -C build/release -j"${JOBS:-1}" parley-bench
    parleyd=$PARLEYD
  else
    ninja -C build/release -j"${JOBS:-1}" parleyd parley-bench
    parleyd=$PWD/build/release/bin/parleyd
  fi
  bench=$PWD/build/release/bin/parley-bench
}

tmp=
server_pid=
port=
pg_db=

# The benchmark's flags: fast password hashing, every rate limit lifted, a free port.
start_parleyd() {
  tmp=$(mktemp -d)
  local store=()
  if [[ -n ${PG_SERVER:-} ]]; then
    pg_db=parley_bench_$$_$RANDOM
    psql "$PG_SERVER" -qAtc "CREATE DATABASE $pg_db"
    store=(--store "${PG_SERVER%/*}/$pg_db")
  fi
  "$parleyd" "${store[@]}" --listen 127.0.0.1:0 --data-dir "$tmp/data" --web-root "" --log-level warn \
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

stop_parleyd() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
  [[ -n $tmp ]] && rm -rf "$tmp"
  tmp=
  if [[ -n $pg_db ]]; then
    psql "$PG_SERVER" -qAtc "DROP DATABASE $pg_db" || true
    pg_db=
  fi
}

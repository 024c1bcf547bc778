#!/usr/bin/env bash
# A throw-away PostgreSQL 15 for tests, in a directory of its own:
#   scripts/pg-test-server.sh start DIR         # initdb + pg_ctl on a free port; prints the URI
#   scripts/pg-test-server.sh standby DIR URI   # a streaming standby of the server at URI
#                                               # (pg_basebackup), on a free port; prints its URI
#   scripts/pg-test-server.sh crash DIR         # SIGKILL the server and all its processes
#   scripts/pg-test-server.sh promote DIR       # the standby becomes a primary
#   scripts/pg-test-server.sh stop DIR          # stops it and removes DIR
# The URI names the "postgres" database of user "parley" (trust authentication, listening
# on 127.0.0.1 only). PostgreSQL refuses to run as root, so as root the server runs as the
# user "postgres" (created by Debian's package), and DIR's parents must let it through.
# fsync is off: for tests only. PARLEY_PG_OPTIONS (e.g. "-c wal_keep_size=0") adds server
# options after these, so they win.
set -euo pipefail
bin=${PARLEY_PG_BIN:-/usr/lib/postgresql/15/bin}
usage="usage: pg-test-server.sh start|standby|crash|promote|stop DIR [URI]"
cmd=${1:?$usage}
dir=${2:?$usage}
as=()
if [[ "$(id -u)" -eq 0 ]]; then as=(runuser -u postgres --); fi

# A port nobody listens on, below the kernel's ephemeral range: one in that range can be taken
# by any outgoing connection between this check and the server's bind.
free_port() {
  python3 - <<'PY'
import random, socket
try:
    lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
except OSError:
    lo = 32768
for _ in range(50 if lo > 11000 else 0):
    port = random.randrange(10000, lo)
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()
PY
}
# Every server can be a primary for a standby (wal_level replica is the default).
server_options() {
  echo "-p $1 -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
    "-c max_wal_senders=4 -c wal_keep_size=256MB ${PARLEY_PG_OPTIONS:-}"
}

prepare_dir() {
  mkdir -p "$dir"
    if [[ ${#as[@]} -gt 0 ]]; then
      chown postgres "$dir"
      "${as[@]}" test -w "$dir" || { echo "the postgres user cannot reach $dir" >&2; exit 1; }
    fi
}

case "$cmd" in
  start)
    prepare_dir
    port=$(free_port)
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U parley -A trust -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "$(server_options "$port")" start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://parley@127.0.0.1:$port/postgres"
    ;;
  standby)
    primary=${3:?$usage}
    prepare_dir
    port=$(free_port)
    # -R writes standby.signal and primary_conninfo; application_name lets the primary
    # name this standby in synchronous_standby_names.
    "${as[@]}" "$bin/pg_basebackup" -d "$primary" -D "$dir/data" -R -X stream -c fast \
      >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "$(server_options "$port") -c cluster_name=standby" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://parley@127.0.0.1:$port/postgres"
    ;;
  crash)
    # What a power cut does to the machine: every process of the server dies at once.
    pid=$(head -1 "$dir/data/postmaster.pid")
    children=$(ps -o pid= --ppid "$pid" || true)
    kill -KILL "$pid" $children 2>/dev/null || true
    ;;
  promote)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -w -t 60 promote >/dev/null
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-test-server.sh start|stop DIR" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# A throw-away PostgreSQL 15 for tests, in a directory of its own:
#   scripts/pg-test-server.sh start DIR   # initdb + pg_ctl on a free port; prints the URI
#   scripts/pg-test-server.sh stop DIR    # stops it and removes DIR
# The URI names the "postgres" database of user "parley" (trust authentication, listening
# on 127.0.0.1 only). PostgreSQL refuses to run as root, so as root the server runs as the
# user "postgres" (created by Debian's package), and DIR's parents must let it through.
# fsync is off: for tests only.
set -euo pipefail
bin=${PARLEY_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?usage: pg-test-server.sh start|stop DIR}
dir=${2:?usage: pg-test-server.sh start|stop DIR}
as=()
if [[ "$(id -u)" -eq 0 ]]; then as=(runuser -u postgres --); fi

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [[ ${#as[@]} -gt 0 ]]; then
      chown postgres "$dir"
      "${as[@]}" test -w "$dir" || { echo "the postgres user cannot reach $dir" >&2; exit 1; }
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U parley -A trust -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://parley@127.0.0.1:$port/postgres"
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

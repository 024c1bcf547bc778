#!/usr/bin/env bash
# Starts Debian's ejabberd as a self-contained instance for benchmarks: its own config,
# spool (mnesia), logs, Erlang node name and port under DIR, bound to 127.0.0.1. Not the
# system service, and it does not touch /etc/ejabberd or /var/lib/ejabberd.
#
#   bench/peers/ejabberd/start.sh [--dir DIR] [--port PORT] [--domain DOMAIN] [--db sql|mnesia]
#                                 [--sqlite-journal wal|delete] [--fresh]
#
# Defaults: DIR=${TMPDIR:-/tmp}/parley-ejabberd-PORT, PORT=5280, DOMAIN=bench.local, --db sql
# (message archive and offline store in SQLite, DIR/spool/ejabberd.db; mnesia: in mnesia),
# --sqlite-journal wal (the database is created before the start, in WAL mode, from
# ejabberd's own lite.sql; delete: ejabberd creates it, in SQLite's default rollback-journal
# mode).
# --fresh empties DIR first (a new mnesia database). Installs the ejabberd package with apt
# when it is missing (needs root; exits 3 when it cannot). Prints one line
#   ejabberd pid=PID port=PORT domain=DOMAIN dir=DIR
# and writes the same as shell assignments to DIR/instance.env. stop.sh --dir DIR stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=5280
domain=bench.local
dir=
db=sql
journal=wal
fresh=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --domain) domain=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --sqlite-journal) journal=$2; shift 2 ;;
    --fresh) fresh=true; shift ;;
    *) echo "usage: $0 [--dir DIR] [--port PORT] [--domain DOMAIN] [--db sql|mnesia] [--sqlite-journal wal|delete] [--fresh]" >&2; exit 2 ;;
  esac
done
dir=${dir:-${TMPDIR:-/tmp}/parley-ejabberd-$port}

"$here/install.sh"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if $fresh; then
  "$here/stop.sh" --dir "$dir" >/dev/null 2>&1 || true
  rm -rf "${dir:?}"/{etc,spool,log,ejabberdctl,instance.env}
fi
mkdir -p "$dir/etc" "$dir/spool" "$dir/log"
# inetrc: name resolution of the Erlang VM (the package's file: hosts file, then DNS).
cp /etc/ejabberd/inetrc "$dir/etc/inetrc" 2>/dev/null || echo '{lookup,["file","native"]}.' >"$dir/etc/inetrc"
[[ $db == sql || $db == mnesia ]] || { echo "--db is sql or mnesia" >&2; exit 2; }
sed -e "s/@DOMAIN@/$domain/g" -e "s/@PORT@/$port/g" -e "s/@DB@/$db/g" -e "s|@SQLITE@|$dir/spool/ejabberd.db|g" \
  "$here/ejabberd.yml" >"$dir/etc/ejabberd.yml"
[[ $journal == wal || $journal == delete ]] || { echo "--sqlite-journal is wal or delete" >&2; exit 2; }
# WAL is a property of the database file, so it is set when the file is made; ejabberd then
# works in WAL mode with its connection's default synchronous=FULL (an fsync of the log per
# commit), as parleyd's store does.
if [[ $db == sql && $journal == wal && ! -s $dir/spool/ejabberd.db ]]; then
  schema=$(ls /usr/lib/*/ejabberd-*/priv/sql/lite.sql /usr/share/ejabberd/sql/lite.sql 2>/dev/null | head -n1)
  [[ -n $schema ]] || { echo "ejabberd's lite.sql not found" >&2; exit 1; }
  sqlite3 "$dir/spool/ejabberd.db" "PRAGMA journal_mode=WAL;" ".read $schema" >/dev/null
fi
node="parleybench$port@localhost"
# ejabberdctl's settings for this instance (sourced by the script). The scheduler
# busy-wait flags keep idle spinning out of the CPU figures parley-bench reads from /proc.
cat >"$dir/etc/ejabberdctl.cfg" <<CFG
ERLANG_NODE=$node
POLL=true
ERL_MAX_PORTS=262144
ERL_PROCESSES=2000000
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 +sbwt none +sbwtdcpu none +sbwtdio none"
ERL_EPMD_ADDRESS=127.0.0.1
INET_DIST_INTERFACE=127.0.0.1
EJABBERD_PID_PATH=$dir/ejabberd.pid
CONTRIB_MODULES_PATH=$dir/contrib
CFG
# Debian's ejabberdctl runs the node as the `ejabberd` user when called by root and refuses
# other users. This copy runs it as whoever calls it, so the instance owns only DIR.
sed 's/^INSTALLUSER=.*/INSTALLUSER=/' "$(command -v ejabberdctl || echo /usr/sbin/ejabberdctl)" >"$dir/ejabberdctl"
chmod +x "$dir/ejabberdctl"
ctl=("$dir/ejabberdctl" --config-dir "$dir/etc" --config "$dir/etc/ejabberd.yml"
  --ctl-config "$dir/etc/ejabberdctl.cfg" --spool "$dir/spool" --logs "$dir/log")

if "${ctl[@]}" status >/dev/null 2>&1; then
  echo "ejabberd node $node is already running" >&2
else
  ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  "${ctl[@]}" start 2>"$dir/log/start.err" || { cat "$dir/log/start.err" >&2; exit 1; }
  ok=false
  for _ in $(seq 1 120); do
    if "${ctl[@]}" status >/dev/null 2>&1; then ok=true; break; fi
    sleep 0.5
  done
  if ! $ok; then
    tail -n 50 "$dir/log/ejabberd.log" "$dir/log/error.log" 2>/dev/null >&2 || true
    echo "ejabberd did not start (logs in $dir/log)" >&2
    exit 1
  fi
fi
# With --db sql, ejabberd starts the SQLite pool (and creates the schema) shortly after
# `status` answers; logins before that fail in mod_mam and mod_offline. A harmless archive
# query answers once the pool is up.
if [[ $db == sql ]]; then
  ok=false
  for _ in $(seq 1 60); do
    if "${ctl[@]}" delete_old_mam_messages chat 36500 >/dev/null 2>&1; then ok=true; break; fi
    sleep 0.5
  done
  $ok || { echo "ejabberd's SQLite pool did not come up (logs in $dir/log)" >&2; exit 1; }
fi
pid=
for _ in $(seq 1 100); do
  pid=$(ss -ltnpH "sport = :$port" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -n1)
  [[ -n $pid ]] && break
  sleep 0.1
done
if [[ -z $pid ]]; then
  echo "ejabberd runs but nothing listens on 127.0.0.1:$port (logs in $dir/log)" >&2
  exit 1
fi
cat >"$dir/instance.env" <<ENV
EJABBERD_PID=$pid
EJABBERD_PORT=$port
EJABBERD_DOMAIN=$domain
EJABBERD_NODE=$node
ENV
echo "ejabberd pid=$pid port=$port domain=$domain dir=$dir"

#!/usr/bin/env bash
# Runs a command against a fresh parleyd: temporary data directory, a free loopback port,
# rate limits lifted. The command gets PARLEY_TEST_SERVER (http://127.0.0.1:PORT),
# PARLEY_TEST_DIR (a scratch directory, removed afterwards) and PARLEY_TEST_SERVER_PID.
# Usage: with_parleyd.sh PARLEYD COMMAND [ARGS...]
set -euo pipefail
parleyd=$1
shift
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

: >"$tmp/server.log"  # exists before the server starts, so the port search below can read it
"$parleyd" --listen 127.0.0.1:0 --data-dir "$tmp/data" --web-root "" \
  --insecure-fast-password-hashing true --rate-register-per-min 1000000 \
  --rate-login-per-min 1000000 --rate-send-per-sec 0 --rate-other-per-sec 0 \
  --rate-group-create-per-min 0 --rate-group-add-per-min 0 \
  --max-connections-per-address 0 >"$tmp/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on http:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$tmp/server.log" | head -n1 || true)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; echo "parleyd exited"; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { cat "$tmp/server.log"; echo "parleyd did not start"; exit 1; }

mkdir -p "$tmp/scratch"
PARLEY_TEST_SERVER="http://127.0.0.1:$port" PARLEY_TEST_DIR="$tmp/scratch" \
  PARLEY_TEST_SERVER_PID=$server_pid "$@"

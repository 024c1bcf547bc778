#!/usr/bin/env bash
# Smoke run of every parley-bench scenario against a fresh parleyd: tiny sizes, about two
# seconds each, correctness only (no timing is asserted). Usage: smoke_test.sh PARLEYD BENCH
set -euo pipefail
parleyd=$1
bench=$2
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

"$parleyd" --listen 127.0.0.1:0 --data-dir "$tmp/data" --web-root "" \
  --insecure-fast-password-hashing true --rate-register-per-min 1000000 \
  --rate-login-per-min 1000000 --rate-send-per-sec 0 --rate-other-per-sec 0 \
  --rate-group-create-per-min 0 --rate-group-add-per-min 0 --max-connections-per-address 0 >"$tmp/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*listening on http:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$tmp/server.log" | head -n1)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; echo "parleyd exited"; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { cat "$tmp/server.log"; echo "parleyd did not start"; exit 1; }

common=(--server "127.0.0.1:$port" --server-pid "$server_pid" --duration 2)
run() {
  echo "== parley-bench $*"
  "$bench" "$@" "${common[@]}" --json "$tmp/out.json"
  grep -q '"ok":true' "$tmp/out.json"
}
"$bench" --help >"$tmp/help.txt"
grep -q reconnect "$tmp/help.txt"
run connections --connections 50 --keepalive 0.5
run connections --connections 40 --procs 2 --keepalive 0.5
run direct --users 12 --rate 0 --window 4
run direct --users 12 --rate 300 --procs 2 --threads 2
run direct --users 6 --rate 100 --receipts true
run reconnect --clients 30 --messages 7 --senders 4
run reconnect --clients 20 --messages 230 --senders 3 --procs 2
run history --store-messages 600 --conversations 3 --queriers 4 --page-limit 20
run history --store-messages 600 --conversations 3 --queriers 4 --search-share 0.5
run group --groups 1 --group-size 5 --rate 0 --window 2
run group --groups 2 --group-size 4 --group-senders 2 --rate 100 --receipts true --procs 2
echo "smoke test passed"

#!/usr/bin/env bash
# Smoke run of every parley-bench scenario against a fresh parleyd: tiny sizes, about two
# seconds each, correctness only (no timing is asserted). Usage: smoke_test.sh PARLEYD BENCH
set -euo pipefail
parleyd=$1
bench=$2
# The server comes from the shared test launcher (fresh data directory, free port, limits
# lifted); this script runs again under it.
if [[ -z ${PARLEY_TEST_SERVER:-} ]]; then
  here=$(cd "$(dirname "$0")" && pwd)
  exec "$here/../../src/client/testing/with_parleyd.sh" "$parleyd" "$here/smoke_test.sh" "$parleyd" "$bench"
fi
tmp=$PARLEY_TEST_DIR
server_pid=$PARLEY_TEST_SERVER_PID
port=${PARLEY_TEST_SERVER##*:}

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
run ping --connections 6 --window 3
run ping --connections 8 --window 2 --procs 2 --threads 2
grep -q '"pongs_per_s"' "$tmp/out.json"
echo "smoke test passed"

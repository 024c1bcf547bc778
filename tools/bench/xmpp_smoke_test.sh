#!/usr/bin/env bash
# Smoke run of the XMPP scenarios of parley-bench against a fresh ejabberd instance
# (bench/peers/ejabberd): tiny sizes, correctness only. Installs ejabberd with apt when it
# is missing; exits 77 (CTest: skipped) with a message when that is impossible.
# Usage: xmpp_smoke_test.sh BENCH [PORT]
set -euo pipefail
bench=$1
port=${2:-15299}
peers=$(cd "$(dirname "$0")/../../bench/peers/ejabberd" && pwd)
if ! "$peers/install.sh"; then
  echo "SKIPPED: ejabberd is not installed and could not be installed (needs root, apt and the Debian archive)"
  exit 77
fi
if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
  echo "SKIPPED: port $port is taken (give another as the second argument)"
  exit 77
fi
dir=$(mktemp -d)
trap '"$peers/stop.sh" --dir "$dir" --clean' EXIT
line=$("$peers/start.sh" --dir "$dir" --port "$port" --fresh)
echo "$line"
pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")

common=(--protocol xmpp --xmpp-domain bench.local --server "127.0.0.1:$port" --server-pid "$pid" --duration 2)
run() {
  echo "== parley-bench $* (xmpp)"
  "$bench" "$@" "${common[@]}" --json "$dir/out.json"
  grep -q '"ok":true' "$dir/out.json"
}
run connections --connections 50 --keepalive 0.5
run connections --connections 40 --procs 2 --keepalive 0.5
run direct --users 12 --rate 0 --window 2
run direct --users 12 --rate 60 --procs 2 --threads 2
run direct --users 6 --rate 30 --receipts true
run reconnect --clients 20 --messages 5 --senders 4 --duration 30
run reconnect --clients 12 --messages 20 --senders 3 --procs 2 --duration 30
echo "xmpp smoke test passed"

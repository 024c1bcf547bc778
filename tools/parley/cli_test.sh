#!/usr/bin/env bash
# Drives the parley CLI against the parleyd started by with_parleyd.sh: two users with their
# own XDG directories register, send, follow a live tail in a pseudo-terminal (script(1)),
# read, search, and keep reading offline after the server is stopped. The session token
# must never appear in any output. Usage: cli_test.sh PARLEY
set -euo pipefail
parley=$1
: "${PARLEY_TEST_SERVER:?}" "${PARLEY_TEST_DIR:?}" "${PARLEY_TEST_SERVER_PID:?}"
dir=$PARLEY_TEST_DIR
out=$dir/out
mkdir -p "$out"
tail_pid=

fail() { echo "FAILED: $*"; exit 1; }
as() {  # as USER COMMAND...: run parley with USER's XDG directories
  local user=$1
  shift
  XDG_CONFIG_HOME=$dir/$user/config XDG_DATA_HOME=$dir/$user/data "$parley" "$@"
}
expect() {  # expect FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "expected '$2' in $1"; }
}
chat_pid=
cleanup() {
  [[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null || true
  [[ -n $chat_pid ]] && kill "$chat_pid" 2>/dev/null || true
}
trap cleanup EXIT

echo "== register, with the password on stdin"
echo "pw-alice-long-enough" | as alice --server "$PARLEY_TEST_SERVER" register alice Alice Liddell >"$out/reg-alice" 2>&1
expect "$out/reg-alice" "logged in as alice"
echo "pw-bob-long-enough" | as bob --server "$PARLEY_TEST_SERVER" register bob >"$out/reg-bob" 2>&1
expect "$out/reg-bob" "logged in as bob"
[[ -f $dir/alice/config/parley/config && -f $dir/alice/data/parley/parley.db ]] || fail "XDG files missing"
[[ $(stat -c %a "$dir/alice/data/parley") == 700 ]] || fail "the data directory is readable by others"
echo "wrong-password" | as bob login bob >"$out/bad-login" 2>&1 && fail "a wrong password logged in"
expect "$out/bad-login" "invalid_credentials"

echo "== alice sends; bob follows a live tail in a pseudo-terminal"
as alice send bob "hello bob" >"$out/send1" 2>&1
expect "$out/send1" "sent"
XDG_CONFIG_HOME=$dir/bob/config XDG_DATA_HOME=$dir/bob/data \
  script -qfec "$parley tail" /dev/null >"$out/tail" 2>&1 </dev/null &
tail_pid=$!
for _ in $(seq 1 300); do grep -q "(following" "$out/tail" 2>/dev/null && break; sleep 0.1; done
as alice send bob "are you there?" >"$out/send2" 2>&1
for _ in $(seq 1 300); do grep -q "are you there?" "$out/tail" && break; sleep 0.1; done
expect "$out/tail" "Alice Liddell | "
expect "$out/tail" "alice: are you there?"
kill "$tail_pid"
wait "$tail_pid" 2>/dev/null || true
tail_pid=

echo "== bob sees the chat, its history, searches it and reads it; alice sees the reply and ticks"
as bob chats >"$out/chats" 2>&1
expect "$out/chats" "Alice Liddell"
expect "$out/chats" "2 unread"
as bob history alice >"$out/history" 2>&1
expect "$out/history" "alice: hello bob"
expect "$out/history" "alice: are you there?"
as bob search "there" >"$out/search" 2>&1
expect "$out/search" "are you [there]?"
as bob read alice >"$out/read" 2>&1
expect "$out/read" "marked 2 message(s) read"
as bob chats >"$out/chats2" 2>&1
expect "$out/chats2" "0 unread"
as bob send alice "yes, here" >"$out/reply" 2>&1
expect "$out/reply" "sent"
as alice history bob >"$out/alice-history" 2>&1
expect "$out/alice-history" "alice: hello bob [read]"
expect "$out/alice-history" "bob: yes, here"
as alice chats >"$out/alice-chats" 2>&1
expect "$out/alice-chats" "1 unread"

echo "== a photo with a caption"
printf '\x89PNG\r\n\x1a\n' >"$dir/bad.png"
as alice send-photo bob "$dir/bad.png" >"$out/bad-photo" 2>&1 && fail "a broken image was sent"
expect "$out/bad-photo" "corrupt_media"
python3 - "$dir/photo.png" <<'PY'
import struct, sys, zlib
w, h = 40, 30
rows = b"".join(b"\0" + b"".join(bytes((x * 6 % 256, y * 8 % 256, 128)) for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
as alice send-photo bob "$dir/photo.png" our holiday >"$out/photo" 2>&1
expect "$out/photo" "sent"
as bob history alice >"$out/photo-history" 2>&1
expect "$out/photo-history" "alice: [photo 40x30] our holiday"

echo "== bob chats interactively in a pseudo-terminal: types a line, sees alice's reply arrive"
mkfifo "$dir/keys"
XDG_CONFIG_HOME=$dir/bob/config XDG_DATA_HOME=$dir/bob/data \
  script -qfec "$parley chat alice" /dev/null <"$dir/keys" >"$out/chat" 2>&1 &
chat_pid=$!
exec 3>"$dir/keys"
for _ in $(seq 1 300); do grep -q "/quit to leave" "$out/chat" 2>/dev/null && break; sleep 0.1; done
expect "$out/chat" "alice: are you there?"
echo "typed in the chat screen" >&3
for _ in $(seq 1 60); do
  as alice history bob >"$out/alice-sees" 2>&1 || true
  grep -q "bob: typed in the chat screen" "$out/alice-sees" && break
  sleep 0.5
done
expect "$out/alice-sees" "bob: typed in the chat screen"
as alice send bob "welcome to the chat screen" >"$out/send3" 2>&1
for _ in $(seq 1 300); do grep -q "alice: welcome to the chat screen" "$out/chat" && break; sleep 0.1; done
expect "$out/chat" "alice: welcome to the chat screen"
expect "$out/chat" "your message 5 [sent]"
echo "/quit" >&3
exec 3>&-
wait "$chat_pid" || fail "the chat screen did not quit cleanly"
chat_pid=

echo "== carol keeps an encrypted store (PARLEY_DATABASE_KEY); without the key nothing opens"
export PARLEY_DATABASE_KEY="carol's keystore secret"
echo "pw-carol-long-enough" | as carol --server "$PARLEY_TEST_SERVER" register carol >"$out/reg-carol" 2>&1
expect "$out/reg-carol" "logged in as carol"
as carol send alice "an encrypted hello" >"$out/carol-send" 2>&1
expect "$out/carol-send" "sent"
as carol history alice >"$out/carol-history" 2>&1
expect "$out/carol-history" "carol: an encrypted hello"
unset PARLEY_DATABASE_KEY
carol_db=$dir/carol/data/parley/parley.db
[[ $(head -c 15 "$carol_db") != "SQLite format 3" ]] || fail "carol's store is not encrypted"
if grep -qF "an encrypted hello" "$carol_db"*; then fail "carol's message is readable in her files"; fi
as carol chats >"$out/carol-nokey" 2>&1 && fail "carol's store opened without the key"
expect "$out/carol-nokey" "database key is needed"
PARLEY_DATABASE_KEY=wrong as carol chats >"$out/carol-wrongkey" 2>&1 && fail "carol's store opened with a wrong key"
expect "$out/carol-wrongkey" "does not open this store"

echo "== offline: the server is stopped; reading and searching still work, sending queues"
kill "$PARLEY_TEST_SERVER_PID"
while kill -0 "$PARLEY_TEST_SERVER_PID" 2>/dev/null; do sleep 0.1; done
as bob history alice >"$out/offline-history" 2>&1
expect "$out/offline-history" "offline"
expect "$out/offline-history" "alice: are you there?"
as bob search hello >"$out/offline-search" 2>&1
expect "$out/offline-search" "[hello] bob"
as bob send alice "written offline" >"$out/offline-send" 2>&1
expect "$out/offline-send" "queued"
as bob history alice >"$out/offline-history2" 2>&1
expect "$out/offline-history2" "you: written offline [sending]"
as bob chats >"$out/offline-chats" 2>&1
expect "$out/offline-chats" "1 to send"

echo "== the token is never printed"
token=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select value from settings where key=\"token\"").fetchone()[0])' "$dir/bob/data/parley/parley.db")
[[ ${#token} -ge 40 ]] || fail "no token in the store"
if grep -rqF -- "$token" "$out"; then fail "the token was printed"; fi

echo "cli test passed"

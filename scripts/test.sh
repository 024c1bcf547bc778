#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. unit tests (CTest) on the debug build,
#   2. black-box protocol tests (Node + the `ws` client) against the real parleyd, on the
#      embedded store and (at the same time) the core suites on PostgreSQL,
#   3. the web client's unit tests (Vitest) and end-to-end tests (Playwright + Chromium),
#   4. the Debian package (tests/package/package_test.sh) and the fuzz targets, each for a bounded time (scripts/fuzz.sh; PARLEY_FUZZ_SECONDS),
#   5. the unit and black-box tests again on the AddressSanitizer+UBSan build (compiled in the
#      background while steps 1-4 run).
# PARLEY_SKIP_FUZZ=1 skips step 4 and PARLEY_SKIP_ASAN=1 step 5 (for quick local
# iterations; CI never sets them).
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache reuse objects across checkouts in different directories.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
root=$PWD

scripts/install-deps.sh --test

started=$SECONDS
step() { printf '\n==== %s (at %dm%02ds)\n' "$*" $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }

# One PostgreSQL 15 for the whole run: the store tests and the node suites on PostgreSQL
# each make their own databases on it. Stopped (and its directory removed) at exit.
pg_dir="${TMPDIR:-/tmp}/parley-test-pg-$$"
trap 'scripts/pg-test-server.sh stop "$pg_dir"' EXIT
step "PostgreSQL for the tests"
PARLEY_TEST_PG_URI=$(scripts/pg-test-server.sh start "$pg_dir")
export PARLEY_TEST_PG_URI
echo "$PARLEY_TEST_PG_URI"

step "debug build"
cmake --preset debug >/dev/null
cmake --build --preset debug

# The ASan+UBSan build (step 5) compiles in the background, at a lower priority, while the
# tests of the debug build run: they spend much of their time waiting on sockets.
asan_log="$pg_dir/asan-build.log"
asan_build=
if [[ "${PARLEY_SKIP_ASAN:-0}" != "1" ]]; then
  # Its own process group, so that an early exit stops the whole build (the trap below).
  setsid bash -c 'cmake --preset asan >/dev/null && nice -n 15 cmake --build --preset asan' >"$asan_log" 2>&1 &
  asan_build=$!
  trap 'kill -- -"$asan_build" 2>/dev/null || true; scripts/pg-test-server.sh stop "$pg_dir"' EXIT
fi
step "unit tests (debug; the store suites on SQLite and PostgreSQL)"
# Three at a time: the longest suites (the client core against a real parleyd, the store on
# PostgreSQL, the benchmark smoke runs) mostly wait on sockets and each other's processes.
ctest --preset debug -j3

step "black-box protocol tests (debug parleyd; core suites on PostgreSQL alongside)"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
# The suites that exercise the store, on PostgreSQL, in the background while the full
# set runs on the embedded store (the erasure test starts a PostgreSQL server of its own).
pg_log="$pg_dir/node-suites.log"
(cd tests/node && PARLEY_TEST_STORE="$PARLEY_TEST_PG_URI" PARLEYD="$root/build/debug/bin/parleyd" \
  node --test --test-concurrency=1 \
  chat.test.mjs groups.test.mjs presence.test.mjs edits.test.mjs media.test.mjs \
  badinput.test.mjs idempotency.test.mjs sync.test.mjs chat_media.test.mjs video.test.mjs \
  calls.test.mjs calls_push.test.mjs >"$pg_log" 2>&1) &
pg_suites=$!
(cd tests/node && PARLEYD="$root/build/debug/bin/parleyd" npm test)
if ! wait "$pg_suites"; then
  cat "$pg_log"
  echo "black-box suites on PostgreSQL failed" >&2
  exit 1
fi
grep -E '^# (tests|pass|fail)' "$pg_log" | sed 's/^/on PostgreSQL: /'

step "cluster: parleyd processes on one PostgreSQL database and NATS; failover to a standby"
(cd tests/node && PARLEY_TEST_STORE="$PARLEY_TEST_PG_URI" PARLEYD="$root/build/debug/bin/parleyd" \
  node --test --test-concurrency=1 ../cluster/cluster.test.mjs ../cluster/failover.test.mjs \
    ../cluster/bus.test.mjs ../cluster/nats-failover.test.mjs ../cluster/presence.test.mjs \
    ../cluster/media.test.mjs ../cluster/haproxy-failover.test.mjs ../cluster/push.test.mjs \
    ../cluster/calls.test.mjs ../cluster/order.test.mjs)

if [[ -f web/package.json ]]; then
  step "web client: build, unit tests, end-to-end tests"
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm test &&
    PARLEYD="$root/build/debug/bin/parleyd" npm run e2e)
fi

if [[ -d web/dist ]]; then
  step "Debian package: build, unpack, start from the systemd unit's command line"
  tests/package/package_test.sh build/debug
fi

if [[ "${PARLEY_SKIP_FUZZ:-0}" != "1" ]]; then
  step "fuzz targets (libFuzzer + ASan/UBSan, ${PARLEY_FUZZ_SECONDS:-60}s each)"
  scripts/fuzz.sh
fi

if [[ "${PARLEY_SKIP_ASAN:-0}" != "1" ]]; then
  step "ASan+UBSan build (started after the debug build)"
  if ! wait "$asan_build"; then
    tail -100 "$asan_log"
    echo "the ASan+UBSan build failed" >&2
    exit 1
  fi
  tail -3 "$asan_log"
  step "unit tests (ASan+UBSan)"
  # Leaks inside third-party libraries are suppressed, each with its reason, in lsan.supp.
  export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp"
  ASAN_OPTIONS=detect_leaks=1 ctest --preset asan -j3
  step "black-box protocol tests (ASan+UBSan parleyd)"
  (cd tests/node && PARLEYD="$root/build/asan/bin/parleyd" PARLEY_TEST_SLOW=1 npm test)
fi

step "all tests passed"
echo "test command took $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"

#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. unit tests (CTest) on the debug build,
#   2. black-box protocol tests (Node + the `ws` client) against the real parleyd,
#   3. the web client's unit tests (Vitest) and end-to-end tests (Playwright + Chromium),
#   4. the Debian package (tests/package/package_test.sh) and the fuzz targets, each for a bounded time (scripts/fuzz.sh; PARLEY_FUZZ_SECONDS),
#   5. the unit and black-box tests again on the AddressSanitizer+UBSan build.
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

step "debug build"
cmake --preset debug >/dev/null
cmake --build --preset debug
step "unit tests (debug)"
ctest --preset debug

step "black-box protocol tests (debug parleyd)"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error &&
  PARLEYD="$root/build/debug/bin/parleyd" npm test)

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
  step "ASan+UBSan build"
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  step "unit tests (ASan+UBSan)"
  # Leaks inside third-party libraries are suppressed, each with its reason, in lsan.supp.
  export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp"
  ASAN_OPTIONS=detect_leaks=1 ctest --preset asan
  step "black-box protocol tests (ASan+UBSan parleyd)"
  (cd tests/node && PARLEYD="$root/build/asan/bin/parleyd" PARLEY_TEST_SLOW=1 npm test)
fi

step "all tests passed"
echo "test command took $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"

#!/usr/bin/env bash
# Installs what is missing, builds parleyd (release) and the web client, and starts the
# server on the embedded default: http://localhost:8080, data in ./data.
# Extra arguments go to parleyd (see `build/release/bin/parleyd --help`).
# Node.js (where missing) and the web client are installed and built while parleyd compiles;
# ffmpeg, which only videos need, is installed in the background once the server runs
# (build/run-runtime.log): parleyd looks for it every 10 s and accepts videos once it is
# there. A second run rebuilds only what changed: apt, npm and the web build are skipped
# when their inputs are older than their outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache reuse objects across checkouts in different directories.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
started=$SECONDS

build_web() {
  scripts/install-deps.sh --web
  [[ -f web/package.json ]] || return 0
  cd web
  # npm records what it installed in node_modules/.package-lock.json.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if [[ ! -f dist/index.html ]] ||
     [[ -n "$(find src public index.html package-lock.json vite.config.* tsconfig*.json -newer dist/index.html 2>/dev/null | head -n1)" ]]; then
    # The bundle only: the type check (`npm run build`) is the tests' (scripts/test.sh).
    npx --no-install vite build
  fi
}

scripts/install-deps.sh --build
cmake --preset release >/dev/null
mkdir -p build
web_log=build/run-web.log
(build_web) >"$web_log" 2>&1 &
web=$!
if ! cmake --build --preset release --target parleyd; then
  wait "$web" || true
  exit 1
fi
if ! wait "$web"; then
  cat "$web_log" >&2
  echo "installing Node.js or building the web client failed (above)" >&2
  exit 1
fi
echo "ready in $((SECONDS - started)) s"
if ! dpkg-query -W -f='${Status}' ffmpeg 2>/dev/null | grep -q "install ok installed"; then
  echo "installing ffmpeg in the background for videos (build/run-runtime.log)"
  # One installer at a time; it outlives this script, which becomes parleyd.
  setsid flock -n build/run-runtime.lock scripts/install-deps.sh --runtime >build/run-runtime.log 2>&1 </dev/null &
fi
exec build/release/bin/parleyd --listen 127.0.0.1:8080 --data-dir data --web-root web/dist "$@"

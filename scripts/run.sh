#!/usr/bin/env bash
# Installs what is missing, builds parleyd (release) and the web client, and starts the
# server on the embedded default: http://localhost:8080, data in ./data.
# Extra arguments go to parleyd (see `build/release/bin/parleyd --help`).
# The packages only needed at run time (ffmpeg, Node.js) and the web client are installed
# and built while parleyd compiles. A second run rebuilds only what changed: apt, npm and
# the web build are skipped when their inputs are older than their outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache reuse objects across checkouts in different directories.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
started=$SECONDS

build_web() {
  scripts/install-deps.sh --runtime
  [[ -f web/package.json ]] || return 0
  cd web
  # npm records what it installed in node_modules/.package-lock.json.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if [[ ! -f dist/index.html ]] ||
     [[ -n "$(find src public index.html package-lock.json vite.config.* tsconfig*.json -newer dist/index.html 2>/dev/null | head -n1)" ]]; then
    npm run build
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
  echo "installing the run-time packages or building the web client failed (above)" >&2
  exit 1
fi
echo "ready in $((SECONDS - started)) s"
exec build/release/bin/parleyd --listen 127.0.0.1:8080 --data-dir data --web-root web/dist "$@"

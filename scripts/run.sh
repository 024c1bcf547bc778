#!/usr/bin/env bash
# Installs what is missing, builds parleyd (release) and the web client, and starts the
# server on the embedded default: http://localhost:8080, data in ./data.
# Extra arguments go to parleyd (see `build/release/bin/parleyd --help`).
# A second run rebuilds only what changed: apt, npm and the web build are skipped when
# their inputs are older than their outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache reuse objects across checkouts in different directories.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
started=$SECONDS

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target parleyd
if [[ -f web/package.json ]]; then
  (
    cd web
    # npm records what it installed in node_modules/.package-lock.json.
    if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi
    if [[ ! -f dist/index.html ]] ||
       [[ -n "$(find src public index.html package-lock.json vite.config.* tsconfig*.json -newer dist/index.html 2>/dev/null | head -n1)" ]]; then
      npm run build
    fi
  )
fi
echo "ready in $((SECONDS - started)) s"
exec build/release/bin/parleyd --listen 127.0.0.1:8080 --data-dir data --web-root web/dist "$@"

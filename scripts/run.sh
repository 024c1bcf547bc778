#!/usr/bin/env bash
# Installs what is missing, builds parleyd (release) and the web client, and starts the
# server on the embedded default: http://localhost:8080, data in ./data.
# Extra arguments go to parleyd (see `build/release/bin/parleyd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache reuse objects across checkouts in different directories.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target parleyd
if [[ -f web/package.json ]]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
fi
exec build/release/bin/parleyd --listen 127.0.0.1:8080 --data-dir data --web-root web/dist "$@"

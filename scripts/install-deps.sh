#!/usr/bin/env bash
# Installs what building and running (and, with --test, testing; with --cluster,
# scripts/cluster.sh) Parley needs on Debian 12.
#   --build     only what compiling parleyd needs
#   --web       only Node.js and npm, where missing (the web client's build): scripts/run.sh
#               installs them while parleyd compiles
#   --runtime   only ffmpeg (videos): scripts/run.sh installs it once the server runs
# Idempotent: asks apt only for packages that are missing. Needs root (or sudo).
set -euo pipefail

build=(build-essential cmake ninja-build ccache pkg-config git
       libboost1.81-dev libboost-json1.81-dev libsqlite3-dev libsodium-dev libssl-dev
       libspdlog-dev libtomlplusplus-dev libgtest-dev libvips-dev libpq-dev libnats-dev
       libsqlcipher-dev)
# ffprobe/ffmpeg check and re-encode videos at run time (src/server/media/video.cc).
runtime=(ffmpeg)
# The web client's build and the black-box tests need Node.js and npm; keep an existing install.
web=()
command -v node >/dev/null 2>&1 || web+=(nodejs)
command -v npm >/dev/null 2>&1 || web+=(npm)

case "${1:-}" in
  --build) pkgs=("${build[@]}") ;;
  --web) pkgs=("${web[@]}") ;;
  --runtime) pkgs=("${runtime[@]}") ;;
  *) pkgs=("${build[@]}" "${web[@]}" "${runtime[@]}") ;;
esac
if [[ "${1:-}" == "--test" ]]; then
  # libvips-tools and exiftool make the test images (tests/node/media.test.mjs).
  pkgs+=(sqlite3 chromium libvips-tools libimage-exiftool-perl)
  # A real PostgreSQL 15 for the store tests and the node suites on PostgreSQL
  # (scripts/pg-test-server.sh; psql creates their databases).
  pkgs+=(postgresql-15 postgresql-client-15)
  # NATS (the bus between nodes) and haproxy for the cluster tests and scripts/cluster.sh.
  pkgs+=(nats-server haproxy)
  # clang and its libFuzzer runtime build the fuzz targets (scripts/fuzz.sh).
  pkgs+=(clang libclang-rt-14-dev)
  # Prometheus and promtool check deploy/prometheus and deploy/grafana against parleyd.
  pkgs+=(prometheus)
  # curl drives the package test (tests/package/package_test.sh).
  pkgs+=(curl)
  # coturn (turnserver) relays the media of the web client's call tests (web/e2e/calls.test.mjs).
  pkgs+=(coturn)
fi
if [[ "${1:-}" == "--cluster" ]]; then
  # scripts/cluster.sh: PostgreSQL (primary and standby), NATS, haproxy.
  pkgs+=(postgresql-15 postgresql-client-15 nats-server haproxy)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "installing: ${missing[*]}"
  # Another install may hold dpkg's lock (scripts/run.sh installs ffmpeg in the background).
  lock=(-o DPkg::Lock::Timeout=600)
  $sudo apt-get "${lock[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

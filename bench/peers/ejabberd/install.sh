#!/usr/bin/env bash
# Installs Debian's ejabberd package, its SQLite driver (erlang-p1-sqlite3) and the sqlite3
# shell (start.sh makes the database with it) when they are missing, without starting or enabling the system service. Exit status 0: both are
# installed; 3: they are not and cannot be.
set -euo pipefail
pkgs=(ejabberd erlang-p1-sqlite3 sqlite3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing[*]}, which cannot be installed here (needs root and apt-get)" >&2
  exit 3
fi
# policy-rc.d exit status 101 keeps the package's postinst from starting the system service.
policy=/usr/sbin/policy-rc.d
made_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=true
fi
status=0
{ DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }; } >&2 ||
  status=$?
$made_policy && rm -f "$policy"
if [[ $status -ne 0 ]]; then
  echo "apt-get could not install ${missing[*]}" >&2
  exit 3
fi

#!/usr/bin/env bash
# Installs Debian's ejabberd package when it is missing, without starting or enabling the
# system service. Exit status 0: ejabberd is installed; 3: it is not and cannot be.
set -euo pipefail
if command -v ejabberdctl >/dev/null 2>&1 || [[ -x /usr/sbin/ejabberdctl ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ejabberd is not installed and cannot be installed here (needs root and apt-get)" >&2
  exit 3
fi
# policy-rc.d exit status 101 keeps the package's postinst from starting the system service.
policy=/usr/sbin/policy-rc.d
made_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=true
fi
status=0
{ DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ejabberd ||
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ejabberd; }; } >&2 ||
  status=$?
$made_policy && rm -f "$policy"
if [[ $status -ne 0 ]]; then
  echo "apt-get could not install ejabberd" >&2
  exit 3
fi

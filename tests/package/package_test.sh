#!/usr/bin/env bash
# Builds the Debian package from a build directory (default build/debug; the web client must
# be built in web/dist), unpacks it into a fresh directory tree, checks its control data and
# the systemd unit, then starts parleyd exactly as the unit's ExecStart line says — the
# packaged binary, the packaged configuration (paths moved into the tree, a free port), the
# packaged web client — as an unprivileged user, and checks /healthz, the web client and a
# clean SIGTERM shutdown.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/debug}

fail() { echo "package test: FAIL: $*" >&2; exit 1; }

cmake --build "$build" --target package >/dev/null 2>&1 || fail "cpack failed (is web/dist built?)"
deb=$(ls -t "$build"/parley_*_amd64.deb | head -1)
[[ -f "$deb" ]] || fail "no package in $build"
echo "package: $deb ($(du -h "$deb" | cut -f1))"

tmp=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# ---- control data ----
info=$(dpkg-deb -I "$deb")
grep -q '^ Package: parley$' <<<"$info" || fail "package name"
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser libsqlite3-0 libssl3 libsodium23 libvips42 libboost-json1.81.0; do
  grep -q "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done
mkdir -p "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx '/etc/parley/parley.toml' "$tmp/control/conffiles" || fail "parley.toml is not a conffile"
for s in postinst prerm postrm; do
  [[ -x "$tmp/control/$s" ]] || fail "$s missing or not executable"
  sh -n "$tmp/control/$s" || fail "$s does not parse"
done
grep -q 'adduser --system' "$tmp/control/postinst" || fail "postinst does not create the service user"

# ---- files ----
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
for f in usr/bin/parleyd usr/share/parley/web/index.html usr/lib/systemd/system/parley.service \
         etc/parley/parley.toml usr/share/doc/parley/README.md; do
  [[ -e "$root/$f" ]] || fail "$f missing from the package"
done
if readelf -S "$root/usr/bin/parleyd" | grep -q '\.debug_info\|\.symtab'; then fail "parleyd is not stripped"; fi

unit="$root/usr/lib/systemd/system/parley.service"
for line in 'User=parley' 'StateDirectory=parley' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
            'Restart=on-failure' 'KillSignal=SIGTERM' 'WantedBy=multi-user.target'; do
  grep -qx "$line" "$unit" || fail "the unit lacks $line"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify "$unit" 2>&1 | grep -v 'parleyd.*not executable\|Command /usr/bin/parleyd' || true
fi

# ---- start it the way the unit does ----
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ "$exec_start" == "/usr/bin/parleyd --config /etc/parley/parley.toml" ]] || fail "unexpected ExecStart: $exec_start"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
data="$tmp/var/lib/parley"
mkdir -p "$data"
sed -e "s|^listen = .*|listen = \"127.0.0.1:$port\"|" \
    -e "s|\"/var/lib/parley\"|\"$data\"|" \
    -e "s|\"/usr/share/parley/web\"|\"$root/usr/share/parley/web\"|" \
    "$root/etc/parley/parley.toml" > "$tmp/parley.toml"
grep -q "$data" "$tmp/parley.toml" || fail "the configuration names no data_dir"
cmd=${exec_start//\/usr\/bin\/parleyd/$root/usr/bin/parleyd}
cmd=${cmd//\/etc\/parley\/parley.toml/$tmp/parley.toml}

as_user=()
if [[ $(id -u) -eq 0 ]]; then
  # The unit runs as its own unprivileged user; `nobody` stands in for it here.
  chown -R nobody:nogroup "$tmp/var"
  chmod 755 "$tmp" "$root"
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs)
fi
(cd "$data" && exec "${as_user[@]}" $cmd) >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/log"; fail "parleyd exited at start"; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$tmp/log"; fail "/healthz"; }
curl -fsS "http://127.0.0.1:$port/" | grep -qi '<!doctype html' || fail "the web client is not served"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"username":"pkgtest","password":"a long enough passphrase 42","display_name":"P"}' \
  "http://127.0.0.1:$port/api/v1/register")
[[ "$code" == 200 || "$code" == 201 ]] || fail "register answered $code"
[[ -f "$data/parley.db" ]] || fail "no database in the configured data_dir"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[[ $status -eq 0 ]] || { cat "$tmp/log"; fail "SIGTERM exit status $status"; }
echo "package test: ok (control data, files, unit, started from ExecStart as an unprivileged user, /healthz, web client, register, SIGTERM)"

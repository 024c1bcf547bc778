#!/usr/bin/env bash
# Stops an instance started by start.sh: bench/peers/ejabberd/stop.sh --dir DIR [--clean]
# (--clean also removes DIR). Does nothing when the instance is not running.
set -euo pipefail
dir=
clean=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --clean) clean=true; shift ;;
    *) echo "usage: $0 --dir DIR [--clean]" >&2; exit 2 ;;
  esac
done
[[ -n $dir ]] || { echo "usage: $0 --dir DIR [--clean]" >&2; exit 2; }
[[ -d $dir ]] || exit 0
ctl=("$dir/ejabberdctl" --config-dir "$dir/etc" --config "$dir/etc/ejabberd.yml"
  --ctl-config "$dir/etc/ejabberdctl.cfg" --spool "$dir/spool" --logs "$dir/log")
if [[ ! -f $dir/instance.env && -x $dir/ejabberdctl ]]; then
  # start.sh failed after starting the node: stop it by name.
  "${ctl[@]}" stop >/dev/null 2>&1 || true
  "${ctl[@]}" stopped >/dev/null 2>&1 || true
fi
if [[ -f $dir/instance.env ]]; then
  # shellcheck disable=SC1091
  . "$dir/instance.env"
  ctl=("$dir/ejabberdctl" --config-dir "$dir/etc" --config "$dir/etc/ejabberd.yml"
    --ctl-config "$dir/etc/ejabberdctl.cfg" --spool "$dir/spool" --logs "$dir/log")
  "${ctl[@]}" stop >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    kill -0 "$EJABBERD_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$EJABBERD_PID" 2>/dev/null; then
    kill "$EJABBERD_PID" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$dir/instance.env"
fi
if $clean; then rm -rf "$dir"; fi

#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs each for a bounded time,
# two at a time, starting from the seed corpus in fuzz/corpus/<target>/ (copied to a
# temporary folder first, so the repository's corpus never changes).
#   scripts/fuzz.sh                  every target
#   scripts/fuzz.sh fuzz_http ...    only these
# PARLEY_FUZZ_SECONDS: how long each target runs (default 60).
# Exits non-zero when a target finds a crash, a sanitizer report or a broken property;
# the input that did it is kept in build/fuzz/findings/<target>/ and printed in base64
# (the fuzzer's log beside it, <target>.log).
# Replay one: build/fuzz/bin/<target> build/fuzz/findings/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
root=$PWD
seconds=${PARLEY_FUZZ_SECONDS:-60}
started=$SECONDS

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
findings="$root/build/fuzz/findings"

# run_one TARGET: fuzzes TARGET for $seconds; its exit status says whether it found nothing.
run_one() {
  local t=$1 name=${1#fuzz_}
  local corpus="$work/$t/corpus" out="$findings/$t"
  mkdir -p "$corpus" "$out" "$work/$t/tmp"
  [[ -d "fuzz/corpus/$name" ]] && cp -R "fuzz/corpus/$name/." "$corpus/"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$out/")
  [[ -f "fuzz/corpus/$name.dict" ]] && args+=(-dict="fuzz/corpus/$name.dict")
  # TMPDIR: a target's own scratch files (fuzz_static's web root) go away with $work.
  TMPDIR="$work/$t/tmp" UBSAN_OPTIONS=print_stacktrace=1 \
    "build/fuzz/bin/$t" "${args[@]}" "$corpus" >"$work/$t/log" 2>&1
}

status=0
report() {
  local t=$1 rc=$2
  local runs
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$t/log" | grep -Eo '[0-9]+$' || echo "?")
  if ((rc == 0)); then
    printf '%-12s ok (%s runs)\n' "$t" "$runs"
    return
  fi
  status=1
  printf '%-12s FOUND A PROBLEM (exit %d)\n' "$t" "$rc"
  grep -E 'ERROR: |runtime error|property violated|SUMMARY|outside the web root' "$work/$t/log" | head -20 | sed 's/^/    /'
  cp "$work/$t/log" "$findings/$t.log"
  printf '    whole log: %s\n' "$findings/$t.log"
  for f in "$findings/$t"/*; do
    [[ -f "$f" ]] || continue
    printf '    input: %s\n    base64: %s\n' "$f" "$(base64 -w0 <"$f")"
  done
}

# At most two targets at once: the CI machine has two cores.
declare -A target_of=()
reap_one() {
  local pid rc=0
  wait -n -p pid "${!target_of[@]}" || rc=$?
  report "${target_of[$pid]}" "$rc"
  unset "target_of[$pid]"
}
for t in "${targets[@]}"; do
  [[ -x "build/fuzz/bin/$t" ]] || { echo "no such fuzz target: $t" >&2; exit 2; }
done
for t in "${targets[@]}"; do
  rm -rf "${findings:?}/$t" "$findings/$t.log"
  ((${#target_of[@]} < 2)) || reap_one
  echo "fuzzing $t for ${seconds}s"
  run_one "$t" &
  target_of[$!]=$t
done
while ((${#target_of[@]} > 0)); do reap_one; done

echo "fuzzing took $((SECONDS - started))s"
exit $status

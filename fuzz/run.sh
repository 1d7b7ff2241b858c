#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on a working copy of its seed corpus.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]     e.g. fuzz/run.sh fuzz_attach 60
#
# The committed corpus (fuzz/corpus/TARGET) is copied into build/fuzz/corpus-work/TARGET, which the
# fuzzer grows; fuzz/corpus is never written. Findings go to build/fuzz/findings/TARGET/ (crash-*,
# timeout-*, leak-*); the script exits non-zero when the fuzzer reports one. The last lines print
# the number of executions, executions per second and the coverage reached.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
shift 2
bin=$root/build/fuzz/$target
[[ -x $bin ]] || { echo "fuzz/run.sh: $bin missing: run fuzz/build.sh" >&2; exit 1; }

work=$root/build/fuzz/corpus-work/$target
findings=$root/build/fuzz/findings/$target
log=$root/build/fuzz/$target.log
mkdir -p "$work" "$findings"
[[ -d $root/fuzz/corpus/$target ]] && cp -n "$root/fuzz/corpus/$target"/* "$work"/ 2>/dev/null || true

# Each target makes its shm objects and flink files per iteration and removes them; the private
# temp dir is under TMPDIR.
status=0
echo "fuzz/run.sh: $target for ${seconds}s, log $log"
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$findings/" "$@" "$work" >"$log" 2>&1 || status=$?
grep -E '^#[0-9]+' "$log" | tail -2 || true
execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
# -fork mode prints no final stats: take the count from the last status line.
[[ $execs == 0 ]] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || echo 0)
rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
cov=$(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
echo "fuzz/run.sh: $target: $execs executions in ${seconds}s (${rate}/s), $cov, corpus $(ls "$work" | wc -l) files"
if [[ $status -ne 0 ]] || grep -qE '^==[0-9]+==ERROR|FUZZ PROPERTY VIOLATED|^SUMMARY: ' "$log"; then
  echo "fuzz/run.sh: $target: FINDING, see $log and $findings/" >&2
  exit 1
fi

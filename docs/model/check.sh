#!/usr/bin/env bash
# Model-checks the Promela models in docs/model with spin (see docs/model/README.md):
# slot_protocol.pml (the slot protocol), sleepers.pml (the sleep/notify handshake with the
# sleeper registry), waitset.pml (the WaitSet's futex_waitv over several segments, and its
# edge-armed fd helper) and history.pml (history for late joiners: retention and the joiner's
# registration). For each model:
#
#   1. the model as is: an exhaustive safety search (assertions + invalid end states) must report
#      "errors: 0";
#   2. self-test: each BUG_* switch in the model is a known protocol break, and spin must find a
#      violation in every one of them (otherwise the checks above prove nothing).
#
# Exits non-zero on any failure. Needs spin and gcc; works in a temporary directory, so nothing is
# written next to the models. The runs are spread over the cores (JOBS); on 2 idle cores the check
# took about 90 s before history.pml (140 s of CPU, 10 s of it the six waitset.pml runs) and at
# most 2.1 GB; history.pml's seven runs add about 33 s of CPU and 0.45 GB beside the others.
# With another build compiling on the same 2 cores the whole check took 198 to 204 s (README.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
# SAFETY: no cycle detection needed (the lost-wake-up check is an assertion plus the invalid-end-
# state check). COLLAPSE: the two large models' ~29M states each need ~4 GB uncompressed, 1.3 to
# 1.5 GB collapsed (waitset.pml: 0.2M states, 0.14 GB); the search stays exhaustive (unlike
# BITSTATE / HC).
PAN_CFLAGS=(-O2 -DSAFETY -DCOLLAPSE)
PAN_RUNFLAGS=(-m100000 -w24)
# model file, then the BUG_* switches it defines
MODELS=(
  "slot_protocol.pml BUG_NO_RECHECK BUG_IGNORE_HOLD BUG_NOTIFY_ORDER BUG_ANNOUNCE_AFTER_LOOK BUG_WRITER_WAITS_AS_READER BUG_MARK_BEFORE_COPY BUG_NO_HEADER_RECHECK BUG_RESERVE_KEEPS_SIZE BUG_GONE_KEEPS_CURSOR"
  "sleepers.pml BUG_REAP_NO_MARK BUG_LEAVE_FREE_FIRST BUG_LEAVE_UNMARKED BUG_WAKE_ON_FIRST_LOAD BUG_REAP_KEEPS_SLOT_MARK BUG_SLOT_RELOAD"
  "waitset.pml BUG_EXPECTED_AFTER_LOOK BUG_ANNOUNCE_AFTER_LOOK BUG_LOCAL_AFTER_FLAG BUG_WITHDRAW_BEFORE_SLEEP BUG_REARM_WITHOUT_LOOK"
  "history.pml BUG_RETAIN_OFF_BY_ONE BUG_REGISTER_BEFORE_UNMARK BUG_NO_UNMARK BUG_CURSOR_AFTER_REGISTER BUG_IGNORE_PIN BUG_UNMARK_SKIPS_WRITING"
)

command -v "$SPIN" >/dev/null || { echo "check.sh: $SPIN not found (scripts/install-deps.sh spin)" >&2; exit 2; }
command -v "$CC" >/dev/null || { echo "check.sh: $CC not found" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_pan MODEL NAME [spin -D flags...]: generates, compiles and runs pan in $work/NAME; prints the
# number of errors pan reports (or "none" when pan printed no "errors:" line, i.e. it did not finish).
run_pan() {
  local model=$1 name=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  cp "$here/$model" "$dir/"
  (
    cd "$dir"
    "$SPIN" "$@" -a "$model" >spin.log 2>&1 || { cat spin.log >&2; exit 1; }
    "$CC" "${PAN_CFLAGS[@]}" -o pan pan.c >cc.log 2>&1 || { cat cc.log >&2; exit 1; }
    ./pan "${PAN_RUNFLAGS[@]}" >pan.log 2>&1 || true
  ) || return 1
  sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$dir/pan.log" | tail -1 | grep . || echo none
}

# Every run (each model as is, each BUG_* switch) is one job; JOBS of them run at once (default:
# the number of cores), the longest first, and the results are reported in the order below.
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 1)}
runs=()    # "model name [flag]"
for entry in "${MODELS[@]}"; do
  read -r model bugs <<<"$entry"
  base=${model%.pml}
  runs+=("$model $base-ok")
  for bug in $bugs; do runs+=("$model $base-$bug -D$bug"); done
done
for run in "${runs[@]}"; do
  read -r model name flag <<<"$run"
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  ( run_pan "$model" "$name" ${flag:+"$flag"} >"$work/$name.errors" 2>"$work/$name.err" \
      || echo failed >"$work/$name.errors" ) &
done
wait

status=0

for entry in "${MODELS[@]}"; do
  read -r model bugs <<<"$entry"
  base=${model%.pml}
  echo "== $model (expect errors: 0)"
  errors=$(cat "$work/$base-ok.errors")
  if [[ "$errors" == failed ]]; then
    cat "$work/$base-ok.err" >&2
    echo "FAIL: spin/gcc failed for $model" >&2
    exit 1
  fi
  log="$work/$base-ok/pan.log"
  grep -E "^State-vector|states, stored|states, matched|transitions \(|total actual memory|elapsed time" "$log" || true
  if [[ "$errors" != 0 ]] || grep -q "max search depth too small\|out of memory" "$log"; then
    echo "FAIL: $model has errors ($errors); pan said:" >&2
    grep -E "^pan:|assertion|invalid end" "$log" >&2 || cat "$log" >&2
    # A readable counterexample: spin -t -p replays the trail.
    (cd "$work/$base-ok" && "$SPIN" -t -p -g "$model" | tail -60) >&2 || true
    status=1
  else
    echo "ok: errors: 0"
  fi

  for bug in $bugs; do
    echo "== $model -D$bug (expect a violation)"
    errors=$(cat "$work/$base-$bug.errors")
    if [[ "$errors" == failed ]]; then
      cat "$work/$base-$bug.err" >&2
      echo "FAIL: spin/gcc failed for $model -D$bug" >&2
      status=1
      continue
    fi
    log="$work/$base-$bug/pan.log"
    if [[ "$errors" =~ ^[1-9][0-9]*$ ]]; then
      echo "ok: errors: $errors: $(grep -m1 -E '^pan:1:' "$log" || echo '?')"
      echo "    $(grep -E 'states, stored' "$log" | tr -s ' ' | sed 's/^ //')"
    else
      echo "FAIL: spin found no violation in $model with -D$bug (errors: $errors): the checks are too weak" >&2
      status=1
    fi
  done
done

exit $status

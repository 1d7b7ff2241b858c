#!/usr/bin/env bash
# Model-checks docs/model/slot_protocol.pml with spin (see docs/model/README.md).
#
#   1. the model as is: an exhaustive safety search (assertions + invalid end states) must report
#      "errors: 0";
#   2. self-test: each BUG_* switch in the model is a known protocol break, and spin must find a
#      violation in every one of them (otherwise the checks above prove nothing).
#
# Exits non-zero on any failure. Needs spin and gcc; works in a temporary directory, so nothing is
# written next to the model. Takes about 15 s and 0.7 GB on one core.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model="$here/slot_protocol.pml"
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
# SAFETY: no cycle detection needed (the lost-wake-up check is an assertion plus the invalid-end-
# state check). COLLAPSE: the ~13M states need ~2 GB uncompressed, ~0.65 GB collapsed; the search
# stays exhaustive (unlike BITSTATE / HC).
PAN_CFLAGS=(-O2 -DSAFETY -DCOLLAPSE)
PAN_RUNFLAGS=(-m100000 -w24)
BUGS=(BUG_NO_RECHECK BUG_IGNORE_HOLD BUG_NOTIFY_ORDER)

command -v "$SPIN" >/dev/null || { echo "check.sh: $SPIN not found (scripts/install-deps.sh spin)" >&2; exit 2; }
command -v "$CC" >/dev/null || { echo "check.sh: $CC not found" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_pan NAME [spin -D flags...]: generates, compiles and runs pan in $work/NAME; prints the
# number of errors pan reports (or "none" when pan printed no "errors:" line, i.e. it did not finish).
run_pan() {
  local name=$1; shift
  local dir="$work/$name"
  mkdir -p "$dir"
  cp "$model" "$dir/"
  (
    cd "$dir"
    "$SPIN" "$@" -a slot_protocol.pml >spin.log 2>&1 || { cat spin.log >&2; exit 1; }
    "$CC" "${PAN_CFLAGS[@]}" -o pan pan.c >cc.log 2>&1 || { cat cc.log >&2; exit 1; }
    ./pan "${PAN_RUNFLAGS[@]}" >pan.log 2>&1 || true
  ) || return 1
  sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$dir/pan.log" | tail -1 | grep . || echo none
}

status=0

echo "== slot_protocol.pml (expect errors: 0)"
errors=$(run_pan ok) || { echo "FAIL: spin/gcc failed" >&2; exit 1; }
log="$work/ok/pan.log"
grep -E "^State-vector|states, stored|states, matched|transitions \(|total actual memory|elapsed time" "$log" || true
if [[ "$errors" != 0 ]] || grep -q "max search depth too small\|out of memory" "$log"; then
  echo "FAIL: the model has errors ($errors); pan said:" >&2
  grep -E "^pan:|assertion|invalid end" "$log" >&2 || cat "$log" >&2
  # A readable counterexample: spin -t -p replays the trail.
  (cd "$work/ok" && "$SPIN" -t -p -g slot_protocol.pml | tail -60) >&2 || true
  status=1
else
  echo "ok: errors: 0"
fi

for bug in "${BUGS[@]}"; do
  echo "== slot_protocol.pml -D$bug (expect a violation)"
  errors=$(run_pan "$bug" "-D$bug") || { echo "FAIL: spin/gcc failed for $bug" >&2; status=1; continue; }
  if [[ "$errors" =~ ^[1-9][0-9]*$ ]]; then
    echo "ok: errors: $errors: $(grep -m1 -E '^pan:1:' "$work/$bug/pan.log" || echo '?')"
  else
    echo "FAIL: spin found no violation with -D$bug (errors: $errors): the checks are too weak" >&2
    status=1
  fi
done

exit $status

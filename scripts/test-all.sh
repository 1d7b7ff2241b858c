#!/usr/bin/env bash
# The driver behind `make test`: runs each stage as `make <stage>` (the stages are Makefile targets,
# so `make -n test` shows every command), goes on past a failed stage, checks that the run left
# nothing in /dev/shm, and ends with one summary line. Exit status 0 only if everything passed.
#
# Usage (from the Makefile): MAKE=make scripts/test-all.sh [--dry-run] STAGE...
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
make_cmd=${MAKE:-make}

dry_run=0
if [[ "${1:-}" == "--dry-run" ]]; then
  dry_run=1
  shift
fi
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || { echo "usage: $0 [--dry-run] STAGE..." >&2; exit 2; }

if [[ $dry_run -eq 1 ]]; then
  # MAKEFLAGS carries -n to the sub-makes: they print their commands and run nothing.
  for s in "${stages[@]}"; do
    echo "# stage $s"
    $make_cmd --no-print-directory DEPS= "$s"
  done
  echo "# then: compare /dev/shm with its state before the run, remove and report anything new"
  exit 0
fi

log_dir="$root/build/test-logs"
mkdir -p "$log_dir"

# Tests make their flink files under $TMPDIR; a private one per run keeps runs apart.
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmslot-make-test-XXXXXX")
export TMPDIR="$run_tmp"
shm_list() { find /dev/shm -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort; }
shm_before=$(shm_list)

total_passed=0
total_failed=0
results=()
failed_stages=()
start_all=$SECONDS

for s in "${stages[@]}"; do
  echo
  echo "==== make $s"
  start=$SECONDS
  $make_cmd --no-print-directory DEPS= "$s" 2>&1 | tee "$log_dir/$s.log"
  rc=${PIPESTATUS[0]}
  took=$((SECONDS - start))
  # Counts from ctest's closing line, or from run.sh's "package: N passed, M failed".
  p=""
  f=""
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log_dir/$s.log" | tail -1)
  if [[ -n "$line" ]]; then
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    n=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    p=$((n - f))
  else
    line=$(grep -E '^package: [0-9]+ passed, [0-9]+ failed$' "$log_dir/$s.log" | tail -1)
    if [[ -n "$line" ]]; then
      p=$(sed -E 's/^package: ([0-9]+) passed.*/\1/' <<<"$line")
      f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
    fi
  fi
  if [[ -z "$p" ]]; then
    # No count (e.g. the build failed before any test ran): the stage counts as one check.
    if [[ $rc -eq 0 ]]; then p=1; f=0; else p=0; f=1; fi
  elif [[ $rc -ne 0 && $f -eq 0 ]]; then
    f=1  # tests passed but the stage failed anyway (e.g. ctest's own error)
  fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  if [[ $rc -eq 0 ]]; then
    results+=("$s ok ($p passed, ${took}s)")
  else
    results+=("$s FAILED ($p passed, $f failed, ${took}s)")
    failed_stages+=("$s")
  fi
done

# ---- leftovers in /dev/shm ----------------------------------------------------------------------
# Anything that appeared during the run and that no live process maps or holds open is a leak of
# this run: removed, reported, and a failure. An entry some process still uses may belong to
# another run on the same machine: reported only.
mapped_by() {  # prints the pids that map or hold /dev/shm/$1
  local path="/dev/shm/$1" pid
  for pid in /proc/[0-9]*; do
    if grep -qsF " $path" "$pid/maps" 2>/dev/null ||
      find "$pid/fd" -maxdepth 1 -lname "$path*" 2>/dev/null | grep -q .; then
      echo "${pid#/proc/}"
    fi
  done
}
shm_after=$(shm_list)
leaked=()
in_use=()
while IFS= read -r name; do
  [[ -n "$name" ]] || continue
  pids=$(mapped_by "$name" | tr '\n' ' ')
  if [[ -n "$pids" ]]; then
    in_use+=("$name (pid $pids)")
  else
    leaked+=("$name")
    rm -f -- "/dev/shm/$name"
  fi
done < <(comm -13 <(echo "$shm_before") <(echo "$shm_after"))
if [[ ${#in_use[@]} -gt 0 ]]; then
  echo "warning: new in /dev/shm and still in use, left alone: ${in_use[*]}" >&2
fi
if [[ ${#leaked[@]} -gt 0 ]]; then
  echo "error: the tests left ${#leaked[@]} object(s) in /dev/shm (now removed): ${leaked[*]}" >&2
  results+=("/dev/shm FAILED (${#leaked[@]} leaked)")
  failed_stages+=("dev-shm-leak")
  total_failed=$((total_failed + ${#leaked[@]}))
elif [[ ${#in_use[@]} -gt 0 ]]; then
  results+=("/dev/shm: nothing leaked; ${#in_use[@]} new object(s) still in use by live processes")
else
  results+=("/dev/shm clean")
fi
left_tmp=$(find "$run_tmp" -mindepth 1 -maxdepth 1 | wc -l)
[[ $left_tmp -eq 0 ]] || echo "warning: the tests left $left_tmp entries in \$TMPDIR (removed)" >&2
rm -rf -- "$run_tmp"

echo
echo "==== make test, $((SECONDS - start_all))s; logs in build/test-logs/"
for r in "${results[@]}"; do echo "  $r"; done
if [[ ${#failed_stages[@]} -gt 0 ]]; then
  echo "make test FAILED: ${failed_stages[*]}"
else
  echo "make test passed"
fi
echo "summary: $total_passed passed, $total_failed failed"
[[ ${#failed_stages[@]} -eq 0 ]]

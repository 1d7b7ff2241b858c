#!/usr/bin/env bash
# ctest's mcap_npm_reads_a_recording: `shmslot record` of `shmslot pub --generate` into an MCAP file,
# uncompressed, with zstd and with lz4, each opened by the npm MCAP reader (check_recording.js).
# Without node the test is skipped (exit 77), except under CI=true, where that is a failure.
#   record_and_check.sh SHMSLOT DIR COUNT
set -euo pipefail
shmslot=$1
out=$2
count=$3
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source=node_ready.sh
source "$here/node_ready.sh"
require_node mcap_npm_reads_a_recording

rm -rf "$out"
mkdir -p "$out"
export SHMSLOT_DIR=$out
pids=()
# Waits for PROCESS's "ready" line in FILE; fails with what it said if it exits first.
wait_ready() {
  local pid=$1 file=$2 err=$3
  until grep -qs '^ready ' "$file"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "record_and_check: pid $pid ended before its ready line:" >&2
      cat "$file" "$err" >&2
      exit 1
    fi
    sleep 0.05
  done
}
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait || true; }
trap cleanup EXIT

for compression in none zstd lz4; do
  # The last round's ready lines must not be taken for this round's: a background process's
  # redirection truncates its file only once that process runs.
  rm -f "$out"/create.* "$out"/record.*
  "$shmslot" create seg --slots 8 --capacity 256 > "$out/create.out" 2> "$out/create.err" &
  pids+=($!)
  wait_ready "${pids[-1]}" "$out/create.out" "$out/create.err"
  # Reader 0 is pub's default mask: the writer waits for the recorder, which ends after COUNT samples.
  "$shmslot" record seg -o "$out/$compression.mcap" --reader 0 --compression "$compression" --chunk-size 4096 \
    --max "$count" > "$out/record.out" 2> "$out/record.err" &
  recorder=$!
  wait_ready "$recorder" "$out/record.out" "$out/record.err"
  "$shmslot" pub seg --generate --size 100 --count "$count"
  wait "$recorder"
  kill -INT "${pids[-1]}"
  wait "${pids[-1]}"
  node "$here/check_recording.js" "$out/$compression.mcap" seg "$count"
done

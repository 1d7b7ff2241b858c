#!/usr/bin/env bash
# Instructions per 64 B sample, written and read, counted by valgrind's callgrind: repeatable for the
# same binary and arguments, whatever else the machine does (bench/instructions_main.cpp says how).
#
#   bench/count_instructions.sh BENCH_BIN_DIR OUT_JSON [SIZE]
#
# Each path runs twice, with A and B samples; (Ir(B) - Ir(A)) / (B - A) is the cost of one sample,
# with setup and teardown cancelled out.
set -euo pipefail
bin=${1:?usage: $0 BENCH_BIN_DIR OUT_JSON [SIZE]}/shmslot_bench_instructions
out=${2:?usage: $0 BENCH_BIN_DIR OUT_JSON [SIZE]}
size=${3:-64}
a=2000
b=12000
command -v valgrind >/dev/null || { echo "count_instructions: valgrind not found (scripts/install-deps.sh valgrind)" >&2; exit 1; }
[[ -x $bin ]] || { echo "count_instructions: $bin not built" >&2; exit 1; }

# Total instructions executed by one run ("Collected : N" on callgrind's stderr).
collected() {
  local log
  log=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --path "$1" --samples "$2" --size "$size" 2>&1 >/dev/null)
  sed -nE 's/^==[0-9]+== Collected : ([0-9]+)$/\1/p' <<<"$log"
}

rows=()
for path in copy loan write; do
  ia=$(collected "$path" "$a")
  ib=$(collected "$path" "$b")
  [[ -n $ia && -n $ib ]] || { echo "count_instructions: callgrind gave no total for --path $path" >&2; exit 1; }
  per=$(( (ib - ia) / (b - a) ))
  echo "instructions: $path, $size B: $per per sample (callgrind: $ia at $a samples, $ib at $b)"
  rows+=("{\"path\": \"$path\", \"size\": $size, \"per_sample\": $per, \"samples_a\": $a, \"total_a\": $ia, \"samples_b\": $b, \"total_b\": $ib}")
done
{
  echo "{\"valgrind\": \"$(valgrind --version)\", \"command\": \"bench/count_instructions.sh BENCH_BIN_DIR OUT_JSON $size\", \"rows\": ["
  (IFS=,; echo "${rows[*]}")
  echo "]}"
} >"$out"

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++-14 into build/fuzz/ (outside the CMake build, which uses
# g++): the library sources are compiled once with ASan + UBSan + fuzzer coverage instrumentation,
# then each fuzz/fuzz_*.cpp is linked against them with -fsanitize=fuzzer.
#
#   fuzz/build.sh            build every target (and the corpus generator, build/fuzz/gen_corpus)
#   CXX=clang++-15 fuzz/build.sh
#
# clang 14 cannot compile libstdc++ 12's <ranges> views; neither the library nor the fuzz code uses them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/fuzz
CXX=${CXX:-clang++-14}
JOBS=${JOBS:-$(nproc)}
command -v "$CXX" >/dev/null || { echo "fuzz/build.sh: $CXX not found (make fuzz installs clang-14 libclang-rt-14-dev)" >&2; exit 1; }

common=(-std=c++20 -g -O1 -fno-omit-frame-pointer -I"$root/include" -I"$root/src" -I"$root/support" -Wall -Wextra)
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$out/obj"

# The library: the three layers of src/CMakeLists.txt and the support/ objects it carries
# (src/bridge is a library of its own, on Cyclone DDS).
mapfile -t sources < <(cd "$root" && { find src/platform src/core src/backend -name '*.cpp'; echo support/fd_io.cpp; } | sort)
objects=()
pids=()
for src in "${sources[@]}"; do
  obj=$out/obj/$(echo "${src%.cpp}" | tr / _).o
  objects+=("$obj")
  if [[ ! -f $obj || $root/$src -nt $obj || -n $(find "$root/src" "$root/include" "$root/support" -name '*.hpp' -newer "$obj" -print -quit) ]]; then
    echo "CXX $src"
    "$CXX" "${common[@]}" "${san[@]}" -fsanitize=fuzzer-no-link -c "$root/$src" -o "$obj" &
    pids+=($!)
    if (( ${#pids[@]} >= JOBS )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
ar rcs "$out/libshmslot_fuzz.a" "${objects[@]}"

for target in fuzz_attach fuzz_flink fuzz_locator; do
  echo "LINK $target"
  "$CXX" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$root/fuzz/$target.cpp" "$out/libshmslot_fuzz.a" \
    -lpthread -o "$out/$target" &
done
# The seed corpus generator: a plain program (no fuzzer main), run by hand to refresh fuzz/corpus/.
"$CXX" "${common[@]}" "${san[@]}" "$root/fuzz/gen_corpus.cpp" "$out/libshmslot_fuzz.a" -lpthread -o "$out/gen_corpus" &
wait_all=0
for j in $(jobs -p); do wait "$j" || wait_all=1; done
(( wait_all == 0 )) || { echo "fuzz/build.sh: a link failed" >&2; exit 1; }
echo "fuzz/build.sh: built $out/{fuzz_attach,fuzz_flink,fuzz_locator,gen_corpus}"

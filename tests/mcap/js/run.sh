#!/usr/bin/env bash
# ctest's mcap_npm_readers: writes the sample file uncompressed, with zstd and with lz4
# (WRITER DIR COUNT), then opens each with the npm MCAP readers (check_files.js). Without node the
# test is skipped (exit 77), except under CI=true, where that is a failure.
set -euo pipefail
writer=$1
out=$2
count=$3
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source=node_ready.sh
source "$here/node_ready.sh"
require_node mcap_npm_readers

rm -rf "$out"
mkdir -p "$out"
files=()
for compression in none zstd lz4; do
  "$writer" "$out/sample-$compression.mcap" "$compression" "$count"
  files+=("$out/sample-$compression.mcap")
done
node "$here/check_files.js" "$count" "${files[@]}"

#!/bin/sh
# Fails if libshmslot_c.so exports any symbol but the C API's (shmslot_*): a C++ symbol leaking out
# would tie C programs to this build's C++ ABI.
set -eu
lib=$1
symbols=$(nm -D --defined-only "$lib" | awk '{ print $NF }')
[ -n "$symbols" ] || { echo "$lib exports nothing" >&2; exit 1; }
others=$(printf '%s\n' "$symbols" | grep -v '^shmslot_' || true)
if [ -n "$others" ]; then
  echo "$lib exports symbols outside the C API:" >&2
  printf '%s\n' "$others" >&2
  exit 1
fi
echo "$(printf '%s\n' "$symbols" | wc -l) symbols, all shmslot_*"

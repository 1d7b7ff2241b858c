#!/usr/bin/env bash
# The package test (tier "package", fmt's test/find-package-test): install a configured and built
# shmslot tree into a temporary prefix, then build and run consumer/main.cpp against the installed
# copy twice, once through find_package(shmslot CONFIG) and once through pkg-config; and, when the
# tree has libshmslot_c, consumer/main.c against the installed C header; and, when it has the Python
# module, an import of it from the installed tree.
#
# Usage: tests/package/run.sh [BUILD_DIR]   (default build/dev, relative to the repository root;
# `make build` makes it). Exits non-zero if any check fails. Leaves nothing behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=${1:-build/dev}
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"

if [[ ! -f "$build_dir/CMakeCache.txt" || ! -f "$build_dir/cmake_install.cmake" ]]; then
  echo "package: $build_dir is not a configured build tree; run 'make build' first" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/shmslot-package-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

# shellcheck source=tests/package/checks.sh
source "$here/checks.sh"

install_tree() {
  cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
    { cat "$work/install.log" >&2; return 1; }
  echo "installed $(grep -c . "$work/install.log") files into $prefix"
}

check "cmake --install ${build_dir#"$root"/}" install_tree
if [[ $failed -eq 0 ]]; then
  check "find_package(shmslot CONFIG) consumer" cmake_consumer "$prefix"
  check "pkg-config consumer" pkgconfig_consumer "$prefix"
  if has_c_library "$prefix"; then check "C consumer (-lshmslot_c)" c_consumer "$prefix"; fi
  pydir=$(sed -n 's/^SHMSLOT_PYTHON_INSTALL_DIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
  if [[ -n "$pydir" && -d "$prefix/$pydir/shmslot" ]]; then
    check "import shmslot (Python module)" python_import "$prefix" "$pydir"
  fi
fi
summary

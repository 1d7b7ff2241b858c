#!/usr/bin/env bash
# The package test (tier "package", fmt's test/find-package-test): install a configured and built
# shmslot tree into a temporary prefix, then build and run consumer/main.cpp against the installed
# copy twice, once through find_package(shmslot CONFIG) and once through pkg-config.
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

passed=0
failed=0
failures=()
# check NAME FUNCTION: runs it, counts and prints the outcome. The function runs where `set -e` is
# off (an `if` condition), so every step in it says `|| return 1`.
check() {
  local name=$1
  shift
  echo "package: --- $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "package: ok   $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "package: FAIL $name" >&2
  fi
}

install_tree() {
  cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
    { cat "$work/install.log" >&2; return 1; }
  echo "installed $(grep -c . "$work/install.log") files into $prefix"
}

# find_package(shmslot CONFIG REQUIRED) + shmslot::shmslot, and it must be *our* prefix's config
# that was found, not one left in /usr/local by someone.
cmake_consumer() {
  local b="$work/cmake-consumer"
  cmake -S "$here/consumer" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; return 1; }
  local found
  found=$(sed -n 's/^shmslot_DIR:PATH=//p' "$b/CMakeCache.txt")
  if [[ "$found" != "$prefix"/* ]]; then
    echo "find_package found shmslot in '$found', not under $prefix" >&2
    return 1
  fi
  echo "find_package(shmslot) used $found"
  cmake --build "$b" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; return 1; }
  "$b/app"
}

# g++ main.cpp $(pkg-config --cflags --libs shmslot), with only the prefix's .pc visible.
pkgconfig_consumer() {
  local pc
  pc=$(find "$prefix" -name shmslot.pc -print -quit)
  if [[ -z "$pc" ]]; then
    echo "no shmslot.pc installed under $prefix" >&2
    return 1
  fi
  local pcdir
  pcdir=$(dirname "$pc")
  local pc_prefix
  pc_prefix=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=prefix shmslot) || return 1
  # Compare real paths: a relocatable .pc may say ${pcfiledir}/../.. rather than the prefix itself.
  if [[ "$(realpath -m "$pc_prefix")" != "$(realpath -m "$prefix")" ]]; then
    echo "shmslot.pc says prefix=$pc_prefix but it was installed under $prefix:" \
      "the .pc file is not relocatable (cmake --install --prefix)" >&2
    return 1
  fi
  local flags
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs shmslot) || return 1
  echo "pkg-config --cflags --libs shmslot: $flags"
  # shellcheck disable=SC2086  # the flags are meant to split into words
  g++ -Wall -Wextra "$here/consumer/main.cpp" -o "$work/app-pkgconfig" $flags || return 1
  "$work/app-pkgconfig"
}

check "cmake --install ${build_dir#"$root"/}" install_tree
if [[ $failed -eq 0 ]]; then
  check "find_package(shmslot CONFIG) consumer" cmake_consumer
  check "pkg-config consumer" pkgconfig_consumer
fi

if [[ $failed -ne 0 ]]; then
  echo "package: failed: ${failures[*]}" >&2
fi
echo "package: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

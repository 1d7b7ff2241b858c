# shellcheck shell=bash disable=SC2154  # `here` and `work` are set by the script that sources this
# Sourced by tests/package/run.sh and tests/package/deb.sh: the outcome counter and the consumer
# checks, each run against an installed tree given by its prefix (a `cmake --install` prefix, the
# usr/ of an unpacked .deb, or /usr). The caller sets `here` (this directory) and `work` (a temporary
# directory it removes).

passed=0
failed=0
failures=()
# check NAME FUNCTION [ARGS...]: runs it, counts and prints the outcome. The function runs where
# `set -e` is off (an `if` condition), so every step in it says `|| return 1`.
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

# The closing line scripts/test-all.sh counts; returns non-zero if any check failed.
summary() {
  if [[ $failed -ne 0 ]]; then
    echo "package: failed: ${failures[*]}" >&2
  fi
  echo "package: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

# loader_path PREFIX: the LD_LIBRARY_PATH for programs built against PREFIX: its library
# directories, or nothing for /usr, whose libraries the loader finds through ldconfig.
loader_path() {
  local prefix=$1 d dirs=()
  [[ "$prefix" != /usr ]] || return 0
  for d in "$prefix"/lib "$prefix"/lib/*-linux-gnu; do
    [[ -d "$d" ]] && dirs+=("$d")
  done
  (IFS=:; echo "${dirs[*]}")
}

# loads_from PREFIX FILE: a program or library that needs libshmslot.so gets it from PREFIX, not
# from another copy on the machine.
loads_from() {
  local prefix=$1 file=$2 resolved lib
  resolved=$(LD_LIBRARY_PATH=$(loader_path "$prefix") ldd "$file" | sed -n 's/^\s*libshmslot[^ ]* => \([^ ]*\) .*/\1/p')
  for lib in $resolved; do
    if [[ "$(realpath -m "$lib")" != "$(realpath -m "$prefix")"/* ]]; then
      echo "$file loads $lib, not the copy under $prefix" >&2
      return 1
    fi
    echo "$(basename "$file") loads $lib" >&2
  done
}

# run_from PREFIX PROGRAM [ARGS...]: runs a program built against PREFIX (loads_from checked).
run_from() {
  local prefix=$1
  shift
  loads_from "$prefix" "$1" || return 1
  LD_LIBRARY_PATH=$(loader_path "$prefix") "$@"
}

# find_package(shmslot CONFIG REQUIRED) + shmslot::shmslot, and it must be PREFIX's config that was
# found, not one left in /usr/local by someone.
cmake_consumer() {
  local prefix=$1
  local b="$work/cmake-consumer"
  rm -rf "$b"
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
  run_from "$prefix" "$b/app"
}

# g++ main.cpp $(pkg-config --cflags --libs shmslot), with only PREFIX's .pc visible.
pkgconfig_consumer() {
  local prefix=$1
  local pc
  pc=$(find "$prefix"/lib* -name shmslot.pc -print -quit 2>/dev/null)
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
  run_from "$prefix" "$work/app-pkgconfig"
}

# has_c_library PREFIX: whether PREFIX holds libshmslot_c (the build defined the shmslot_c target).
has_c_library() {
  [[ -n "$(find "$1"/lib* -name 'libshmslot_c.so' -print -quit 2>/dev/null)" ]]
}

# gcc -std=c11 consumer/main.c -lshmslot_c against PREFIX's header and library: a sample written and
# read back through the C API. -rpath-link: the linker must find a shared libshmslot that
# libshmslot_c needs under PREFIX, which is not on its search path.
c_consumer() {
  local prefix=$1
  local lib
  lib=$(find "$prefix"/lib* -name 'libshmslot_c.so' -print -quit 2>/dev/null)
  if [[ -z "$lib" ]]; then
    echo "no libshmslot_c.so installed under $prefix" >&2
    return 1
  fi
  gcc -std=c11 -Wall -Wextra -Werror -pedantic "$here/consumer/main.c" -o "$work/app-c" \
    -I"$prefix/include" -L"$(dirname "$lib")" -Wl,-rpath-link,"$(dirname "$lib")" -lshmslot_c || return 1
  mkdir -p "$work/c-flinks" || return 1
  run_from "$prefix" "$work/app-c" "$work/c-flinks"
}

# The Python module under PREFIX/PYDIR (Debian's dist-packages layout): its extension loads PREFIX's
# libshmslot (when it links the shared one), and it imports from the tree under test, not from
# anywhere else on sys.path (-s: no user site directory), and works: a sample written and taken.
python_import() {
  local prefix=$1 pydir=$2 extension file
  extension=$(find "$prefix/$pydir/shmslot" -name '_shmslot*.so' -print -quit 2>/dev/null)
  [[ -n "$extension" ]] || { echo "no shmslot/_shmslot*.so under $prefix/$pydir" >&2; return 1; }
  loads_from "$prefix" "$extension" || return 1
  mkdir -p "$work/py-flinks" || return 1
  file=$(cd "$work" && PYTHONPATH="$prefix/$pydir" LD_LIBRARY_PATH=$(loader_path "$prefix") /usr/bin/python3 -s -B -c '
import sys, shmslot
with shmslot.Segment.create(sys.argv[1], 4, 64) as segment:
    reader = shmslot.Reader(segment)
    shmslot.Writer(segment).write(b"packaged")
    assert reader.take_copy(timeout=5) == b"packaged"
print(shmslot.__file__)' "$work/py-flinks/topic") || return 1
  echo "import shmslot: $file"
  [[ "$(realpath -m "$file")" == "$(realpath -m "$prefix")"/* ]] ||
    { echo "imported $file, not the module under $prefix" >&2; return 1; }
}

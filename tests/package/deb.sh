#!/usr/bin/env bash
# The Debian package test: the .deb that `make package` made, checked the way a user gets it.
#   1. its control fields and its file list (`dpkg-deb -c`): nothing unexpected (no tests, no build
#      tree), everything the build promises (package-parts.txt), the SONAME link;
#   2. unpacked into a temporary root (`dpkg-deb -x`): no build path in any file, every public header
#      compiles on its own, a C++ program through find_package(shmslot) and one through pkg-config
#      built against the tree and run, the tool's create/inspect round trip, and the C library and
#      Python module when the package has them;
#   3. only under CI=true, as root, and only if no shmslot package is installed already: the same
#      checks after a real `apt-get install`, then `apt-get purge`, which a trap also runs on failure.
#
# Usage: tests/package/deb.sh [BUILD_DIR]   (default build/package; `make package` makes it).
# Exits non-zero if any check fails; ends with the "package: N passed, M failed" line.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=${1:-build/package}
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"

cache="$build_dir/CMakeCache.txt"
debs=("$build_dir"/shmslot_*.deb)
if [[ ! -f "$cache" || ! -f "$build_dir/package-parts.txt" || ! -f "${debs[0]}" ]]; then
  echo "package: no package in $build_dir; run 'make package' first" >&2
  exit 2
fi
if [[ ${#debs[@]} -ne 1 ]]; then
  echo "package: ${#debs[@]} packages in $build_dir, expected one: ${debs[*]}" >&2
  exit 2
fi
deb=${debs[0]}
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }
version=$(cache_value CMAKE_PROJECT_VERSION)
soversion="$(cache_value CMAKE_PROJECT_VERSION_MAJOR).$(cache_value CMAKE_PROJECT_VERSION_MINOR)"
libdir=$(cache_value CMAKE_INSTALL_LIBDIR)
pydir=$(cache_value SHMSLOT_PYTHON_INSTALL_DIR)
mapfile -t parts <"$build_dir/package-parts.txt"
has_part() { [[ " ${parts[*]} " == *" $1 "* ]]; }

work=$(mktemp -d "${TMPDIR:-/tmp}/shmslot-deb-XXXXXX")
tree="$work/root"
installed_for_real=0
create_pid=""
cleanup() {
  [[ -z "$create_pid" ]] || kill -TERM "$create_pid" 2>/dev/null || true
  if [[ $installed_for_real -eq 1 ]]; then
    echo "package: purging the installed shmslot package"
    apt-get purge -y -q shmslot >/dev/null || echo "package: apt-get purge shmslot failed" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# Ctrl-C or a kill still purges: exit through the EXIT trap.
trap 'exit 130' INT TERM HUP

# shellcheck source=tests/package/checks.sh
source "$here/checks.sh"

echo "package: $(basename "$deb"), parts: ${parts[*]}"

control_fields() {
  local field value
  for field in Package Version Architecture Maintainer Section Depends Description; do
    value=$(dpkg-deb -f "$deb" "$field") || return 1
    [[ -n "$value" ]] || { echo "control field $field is empty" >&2; return 1; }
  done
  [[ "$(dpkg-deb -f "$deb" Package)" == shmslot ]] || { echo "Package is not shmslot" >&2; return 1; }
  [[ "$(dpkg-deb -f "$deb" Version)" == "$version" ]] ||
    { echo "Version $(dpkg-deb -f "$deb" Version), the project says $version" >&2; return 1; }
  local depends
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  # Declared (the headers and find_package need it) and computed by dpkg-shlibdeps (libstdc++).
  local need
  for need in libexpected-dev libstdc++6 libc6; do
    [[ ", $depends," == *", $need"[\ ,]* ]] || { echo "Depends lacks $need" >&2; return 1; }
  done
}

# Every entry matches one of these, and each required path is there.
file_list() {
  dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's/^\.//' >"$work/files" || return 1
  local ld="/usr/${libdir//./\\.}"
  local py="/usr/${pydir//./\\.}"
  local allowed=(
    "/"
    "/usr/((bin|include|lib|share)/)?"
    "/usr/bin/shmslot"
    "/usr/include/shmslot/([a-z0-9_]+/)*([a-z0-9_]+\.(hpp|h))?"
    "/usr/lib/[a-z0-9_-]+/"
    "$ld/libshmslot(_c)?\.so(\.[0-9]+)*"
    "$ld/(cmake/(shmslot/([A-Za-z_-]+\.cmake)?)?)"
    "$ld/pkgconfig/(shmslot(_c)?\.pc)?"
    "/usr/lib/python3/"
    "$py/(shmslot[A-Za-z0-9_./-]*)?"
    "/usr/share/doc/(shmslot/([a-z.]+)?)?"
  )
  local pattern
  pattern="^($(IFS='|'; echo "${allowed[*]}"))$"
  local unexpected bad=0
  unexpected=$(grep -Ev "$pattern" "$work/files" || true)
  if [[ -n "$unexpected" ]]; then
    echo "unexpected in the package:" >&2
    echo "$unexpected" >&2
    bad=1
  fi
  if grep -q "bridge\.hpp$" "$work/files"; then
    echo "bridge.hpp is packaged, but its library and Cyclone DDS are not" >&2
    bad=1
  fi
  local required=(
    "/usr/include/shmslot/shmslot.hpp"
    "/usr/$libdir/libshmslot.so"
    "/usr/$libdir/libshmslot.so.$soversion"
    "/usr/$libdir/libshmslot.so.$version"
    "/usr/$libdir/cmake/shmslot/shmslotConfig.cmake"
    "/usr/$libdir/cmake/shmslot/shmslotConfigVersion.cmake"
    "/usr/$libdir/pkgconfig/shmslot.pc"
  )
  has_part cli && required+=("/usr/bin/shmslot")
  has_part c && required+=("/usr/include/shmslot/shmslot.h" "/usr/$libdir/libshmslot_c.so")
  local f
  for f in "${required[@]}"; do
    grep -qxF "$f" "$work/files" || { echo "missing from the package: $f" >&2; bad=1; }
  done
  if has_part python && ! grep -q "^/usr/$pydir/shmslot" "$work/files"; then
    echo "missing from the package: the Python module under /usr/$pydir" >&2
    bad=1
  fi
  [[ $bad -eq 0 ]] || return 1
  echo "$(grep -vc '/$' "$work/files") files, all expected"
}

unpack() {
  dpkg-deb -x "$deb" "$tree" || return 1
  # The library's SONAME is the name of the link the package ships.
  local soname
  soname=$(readelf -d "$tree/usr/$libdir/libshmslot.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  [[ "$soname" == "libshmslot.so.$soversion" ]] ||
    { echo "SONAME '$soname', expected libshmslot.so.$soversion" >&2; return 1; }
  echo "unpacked into $tree; SONAME $soname"
}

# The source and build directories would mean a path baked in at build time that a user lacks.
no_build_paths() {
  local hits
  hits=$(grep -rlF -e "$root" -e "$build_dir" "$tree" || true)
  [[ -z "$hits" ]] || { echo "files that name the build machine's tree:" >&2; echo "$hits" >&2; return 1; }
}

# One translation unit including every public header: none may need a header the package lacks.
headers_compile() {
  local prefix=$1 tu="$work/all_headers.cpp" h
  : >"$tu"
  while IFS= read -r h; do
    echo "#include <${h#"$prefix/include/"}>" >>"$tu"
  done < <(find "$prefix/include/shmslot" -name '*.hpp' | sort)
  echo "int main() {}" >>"$tu"
  echo "$(grep -c '#include' "$tu") headers"
  g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$tu"
}

# `shmslot create` owns a segment until SIGTERM; `shmslot inspect --json` must see its geometry;
# after the SIGTERM the flink file and the /dev/shm object are gone.
cli_round_trip() {
  local prefix=$1 dir="$work/cli"
  mkdir -p "$dir"
  run_from "$prefix" "$prefix/bin/shmslot" --version || return 1
  # A simple command, so that $! is the tool's own pid, which the SIGTERM below must reach.
  LD_LIBRARY_PATH=$(loader_path "$prefix") "$prefix/bin/shmslot" create "$dir/topic" --slots 4 --capacity 256 \
    >"$dir/create.out" &
  create_pid=$!
  # A watchdog against a hang, not a time limit on the tool: 600 tries of 0.1 s.
  local tries=0
  # The line is complete once the file ends in its newline.
  until grep -qs '^ready ' "$dir/create.out" && [[ -z "$(tail -c1 "$dir/create.out")" ]]; do
    kill -0 "$create_pid" 2>/dev/null || { echo "shmslot create exited early" >&2; return 1; }
    tries=$((tries + 1))
    [[ $tries -lt 600 ]] || { echo "shmslot create never said ready" >&2; return 1; }
    sleep 0.1
  done
  local shm_name
  shm_name=$(awk '/^ready / { print $3 }' "$dir/create.out")
  echo "created $dir/topic -> $shm_name"
  [[ -e "$dir/topic" && -n "$shm_name" && -e "/dev/shm$shm_name" ]] ||
    { echo "the flink file or /dev/shm$shm_name is missing while create runs" >&2; return 1; }
  run_from "$prefix" "$prefix/bin/shmslot" inspect "$dir/topic" --json >"$dir/inspect.json" || return 1
  /usr/bin/python3 - "$dir/inspect.json" <<'PY' || return 1
import json, sys
snapshot = json.load(open(sys.argv[1]))
want = {"slot_count": 4, "capacity": 256, "kind": "shmslot"}
got = {k: snapshot.get(k) for k in want}
print("inspect:", got)
sys.exit(0 if got == want and snapshot["owner"]["alive"] else 1)
PY
  kill -TERM "$create_pid" || return 1
  local rc=0
  wait "$create_pid" || rc=$?
  create_pid=""
  [[ $rc -eq 0 ]] || { echo "shmslot create exited $rc after SIGTERM" >&2; return 1; }
  [[ ! -e "$dir/topic" ]] || { echo "the flink file is still there" >&2; return 1; }
  [[ ! -e "/dev/shm${shm_name}" ]] || { echo "/dev/shm${shm_name} is still there" >&2; return 1; }
}

# The checks a user's tree must pass, whether unpacked or installed.
tree_checks() {
  local prefix=$1 where=$2
  check "every public header compiles ($where)" headers_compile "$prefix"
  check "find_package(shmslot CONFIG) consumer ($where)" cmake_consumer "$prefix"
  check "pkg-config consumer ($where)" pkgconfig_consumer "$prefix"
  if has_part cli; then check "shmslot create/inspect round trip ($where)" cli_round_trip "$prefix"; fi
  if has_part c; then check "C consumer ($where)" c_consumer "$prefix"; fi
  if has_part python; then check "import shmslot ($where)" python_import "$prefix" "$pydir"; fi
}

apt_install() {
  apt-get install -y -q --no-install-recommends "$deb" || return 1
  installed_for_real=1
  dpkg -L shmslot >"$work/installed-files"
}

apt_purge() {
  installed_for_real=0
  apt-get purge -y -q shmslot || return 1
  local f left=0
  while IFS= read -r f; do
    [[ -d "$f" || ! -e "$f" && ! -L "$f" ]] || { echo "left behind: $f" >&2; left=1; }
  done <"$work/installed-files"
  if ldconfig -p | grep -q libshmslot; then
    echo "ldconfig still knows libshmslot" >&2
    left=1
  fi
  [[ $left -eq 0 ]]
}

check "control fields" control_fields
check "file list" file_list
check "dpkg-deb -x" unpack
if [[ -d "$tree/usr" ]]; then
  check "no build paths in the package" no_build_paths
  tree_checks "$tree/usr" "unpacked"
fi

if [[ "${CI:-}" != true || $(id -u) -ne 0 ]]; then
  echo "package: the real install runs only under CI=true as root"
elif dpkg-query -W -f='${Status}' shmslot 2>/dev/null | grep -q ' installed$'; then
  echo "package: a shmslot package is installed already; the real install is left out"
else
  check "apt-get install $(basename "$deb")" apt_install
  if [[ $installed_for_real -eq 1 ]]; then
    tree_checks /usr "installed"
    check "apt-get purge shmslot" apt_purge
  fi
fi

summary

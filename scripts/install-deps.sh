#!/usr/bin/env bash
# Installs the Debian 12 packages that shmslot's build, tests and tools need. Idempotent and
# non-interactive: a machine that has them all does no network work. Extra package names given as
# arguments are installed too (e.g. `scripts/install-deps.sh clang-format` for `make format`).
#
# Why each package is here:
#   build-essential     g++-12 and make; its libgcc-12-dev pulls libasan8, libubsan1, libtsan2: no sanitizer pkgs
#   cmake               the build (CMakePresets.json version 6 needs cmake >= 3.25, Debian 12 has 3.25)
#   ninja-build         optional faster generator (CMAKE_GENERATOR=Ninja); the presets do not require it
#   pkg-config          tests/package checks the installed shmslot.pc
#   file                CPack's DEB generator finds the ELF files to hand dpkg-shlibdeps (dpkg-dev) with it
#   libexpected-dev     tl::expected, the error type of every public operation
#   libgtest-dev        googletest, every test tier
#   libgmock-dev        googlemock (matchers, test doubles), part of the same googletest install
#   libbenchmark-dev    google/benchmark, for the programs in bench/
#   libcli11-dev        CLI11, argument parsing for the shmslot CLI (tools/shmslot) and the demo
#   libfmt-dev          fmt, formatted output of the CLI and the demo
#   nlohmann-json3-dev  nlohmann/json, JSON output of the CLI and the benchmarks
#   cyclonedds-dev      Cyclone DDS (C library, CMake package): the bridge between hosts (docs/bridge.md)
#   cyclonedds-tools    idlc, which compiles the bridge's envelope IDL at build time
#   iproute2            `ip netns` and veth pairs: the two hosts of the bridge tests
#   libzstd-dev         zstd chunk compression of `shmslot record` (MCAP files, src/mcap/)
#   liblz4-dev          lz4 (frame format) chunk compression of `shmslot record`
#   python3-dev         Python.h and libpython for the Python module (src/python, docs/python.md)
#   pybind11-dev        pybind11, the C++ binding library the Python module is written with
#   python3-numpy       numpy views onto slots in the Python module, its tests and bench/python
#   python3-pytest      the Python module's tests (ctest label python), run by /usr/bin/python3
#   nodejs, npm         only when node/npm are missing: run the npm MCAP readers that check
#                       shmslot's files (tests/mcap/js/, installed below with `npm ci`)
# Given as arguments by the targets that need them (Makefile), e.g. clang-format for make format.
set -euo pipefail

packages=(
  build-essential
  cmake
  ninja-build
  pkg-config
  file
  libexpected-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libcli11-dev
  libfmt-dev
  nlohmann-json3-dev
  cyclonedds-dev
  cyclonedds-tools
  iproute2
  libzstd-dev
  liblz4-dev
  python3-dev
  pybind11-dev
  python3-numpy
  python3-pytest
  "$@"
)
# A newer Node already on the machine serves as well as Debian's.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

here=$(cd "$(dirname "$0")/.." && pwd)
# The npm MCAP readers, pinned by tests/mcap/js/package-lock.json. `npm ci` only when what is
# installed is not what the lock file pins, so a machine that has them does no network work.
install_npm_readers() {
  local dir=$here/tests/mcap/js
  if [[ -f $dir/node_modules/.package-lock.json && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
    return 0
  fi
  log "running: npm ci in tests/mcap/js"
  (cd "$dir" && npm ci --no-audit --no-fund)
}

log() { echo "install-deps: $*"; }

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "all ${#packages[@]} packages present"
  install_npm_readers
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    log "not root and no sudo: install these by hand: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
log "missing: ${missing[*]}"
log "running: apt-get update"
"${sudo_cmd[@]}" apt-get update -q
log "running: apt-get install -y --no-install-recommends ${missing[*]}"
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
install_npm_readers
log "done"

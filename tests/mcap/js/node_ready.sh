# Sourced by the ctest scripts beside it: require_node NAME checks that node and the npm MCAP readers
# (node_modules, from scripts/install-deps.sh's npm ci) are there. Without node the test is skipped
# (exit 77), except under CI=true, where that is a failure; missing node_modules always fail.
require_node() {
  local name=$1
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  if ! command -v node >/dev/null 2>&1; then
    if [[ "${CI:-}" == "true" ]]; then
      echo "$name: node is missing (scripts/install-deps.sh installs it)" >&2
      exit 1
    fi
    echo "$name: node is missing; skipped"
    exit 77
  fi
  if [[ ! -d "$here/node_modules/@mcap/core" ]]; then
    echo "$name: $here/node_modules is missing: run scripts/install-deps.sh (npm ci)" >&2
    exit 1
  fi
}

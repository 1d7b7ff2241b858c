#!/usr/bin/env bash
# Runs the peer benchmarks, as `make bench` does after shmslot's own programs:
#
#   bench/peers/run.sh BIN_DIR OUT_DIR [options given to every peer program...]
#
# Starts iox-roudi with bench/peers/roudi.toml (iceoryx and Cyclone DDS's shared memory need it),
# runs shmslot_peer_iceoryx, shmslot_peer_cyclonedds (--transport shm, then udp) and
# shmslot_peer_fastdds from BIN_DIR, each writing OUT_DIR/peer-NAME.json and OUT_DIR/peer-NAME.txt,
# then stops RouDi and removes what the run left in /dev/shm (on failure and Ctrl-C too). Cyclone
# DDS gets bench/peers/cyclonedds.xml through CYCLONEDDS_URI: loopback only.
#
# A peer that cannot run (not built, RouDi missing, crashed, timed out) gets a JSON record with
# "ok": false and the reason, and the script goes on: it exits 0 unless called wrongly, so a
# failing peer never fails `make bench`. PEER_TIMEOUT (seconds, default 300) bounds each program.
# shellcheck disable=SC2317  # finish() and what it calls run from the EXIT trap
set -uo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BIN_DIR OUT_DIR [peer program options...]" >&2
  exit 2
fi
bin_dir=$1
out_dir=$2
shift 2
peer_args=("$@")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
timeout_s=${PEER_TIMEOUT:-300}
mkdir -p "$out_dir"
rm -f "$out_dir"/peer-*.json "$out_dir"/peer-*.txt

log() { echo "peers: $*"; }

# What /dev/shm held before: only entries that appear during the run are removed afterwards.
shm_before=$(mktemp)
ls -1 /dev/shm > "$shm_before"

roudi_pid=
roudi_error=

stop_roudi() {
  [[ -n "$roudi_pid" ]] || return 0
  # RouDi sends SIGTERM to every process still registered when it stops. Processes that ended
  # without signing off are dropped by its monitoring 1.5 s after their last keep-alive: wait that
  # out (with a margin for a loaded machine), so that no pid a finished run left behind (and the
  # system may have reused) gets a signal.
  sleep 3
  kill -TERM "$roudi_pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$roudi_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$roudi_pid" 2>/dev/null; then
    log "iox-roudi did not stop on SIGTERM: killing it"
    kill -KILL "$roudi_pid" 2>/dev/null
  fi
  wait "$roudi_pid" 2>/dev/null
  roudi_pid=
}

clean_shm() {
  local path
  # Fast DDS's segments, ports and semaphores, and RouDi's two segments (the second is named after
  # the user) when RouDi could not remove them itself.
  for path in /dev/shm/fastrtps_* /dev/shm/sem.fastrtps_* /dev/shm/iceoryx_mgmt "/dev/shm/$(id -un)"; do
    [[ -e "$path" ]] || continue
    grep -qxF "${path#/dev/shm/}" "$shm_before" && continue
    log "removing $path (left by this run)"
    rm -f "$path"
  done
  rm -f "$shm_before"
}

finish() {
  stop_roudi
  clean_shm
}
trap finish EXIT
trap 'exit 130' INT TERM

# The failure record for a peer that wrote none: the same top-level fields as a real one.
write_failure() {
  local name=$1 label=$2 reason=$3 file=$4
  python3 - "$name" "$label" "$reason" "$file" <<'EOF'
import json, sys
name, label, reason, path = sys.argv[1:5]
doc = {"benchmark": "peer", "peer": name, "label": label, "ok": False, "error": reason,
       "pingpong": [], "stream": []}
with open(path, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
  log "$label: FAILED: $reason"
}

start_roudi() {
  if ! command -v iox-roudi >/dev/null; then
    roudi_error="iox-roudi not installed (Debian package iceoryx)"
    return
  fi
  if [[ -S /tmp/roudi ]] && pgrep -x iox-roudi >/dev/null; then
    roudi_error="another iox-roudi is already running (its mempools may not fit these runs)"
    return
  fi
  iox-roudi -c "$here/roudi.toml" > "$out_dir/roudi.log" 2>&1 &
  roudi_pid=$!
  for _ in $(seq 100); do
    grep -q "RouDi is ready for clients" "$out_dir/roudi.log" 2>/dev/null && return
    kill -0 "$roudi_pid" 2>/dev/null || break
    sleep 0.1
  done
  roudi_error="iox-roudi did not start: $(tail -n 3 "$out_dir/roudi.log" | tr '\n' ' ')"
  kill -KILL "$roudi_pid" 2>/dev/null
  wait "$roudi_pid" 2>/dev/null
  roudi_pid=
}

# run_peer NAME LABEL NEEDS_ROUDI PROGRAM [program options...]
run_peer() {
  local name=$1 label=$2 needs_roudi=$3 program=$4
  shift 4
  local json="$out_dir/peer-$name.json" txt="$out_dir/peer-$name.txt"
  if [[ ! -x "$bin_dir/$program" ]]; then
    write_failure "$name" "$label" "$program not built (its Debian package was missing at configure time)" "$json"
    return
  fi
  if [[ "$needs_roudi" == yes && -n "$roudi_error" ]]; then
    write_failure "$name" "$label" "$roudi_error" "$json"
    return
  fi
  local cmd=("$bin_dir/$program" "$@" --json "$json" "${peer_args[@]}")
  log "${cmd[*]}"
  timeout --kill-after=10 "$timeout_s" "${cmd[@]}" 2>&1 | tee "$txt"
  local code=${PIPESTATUS[0]}
  if [[ ! -s "$json" ]]; then
    local reason="exited with $code before writing its record"
    [[ $code -eq 124 || $code -eq 137 ]] && reason="did not finish within ${timeout_s} s (killed)"
    write_failure "$name" "$label" "$reason; last lines: $(tail -n 3 "$txt" | tr '\n' ' ')" "$json"
  elif [[ $code -ne 0 ]]; then
    log "$label: some configurations failed (see $json)"
  fi
}

start_roudi
export CYCLONEDDS_URI="file://$here/cyclonedds.xml"
run_peer iceoryx "iceoryx" yes shmslot_peer_iceoryx
run_peer cyclonedds_shm "Cyclone DDS SHM" yes shmslot_peer_cyclonedds --transport shm
stop_roudi
run_peer cyclonedds_udp "Cyclone DDS UDP" no shmslot_peer_cyclonedds --transport udp
run_peer fastdds_shm "Fast DDS SHM" no shmslot_peer_fastdds
exit 0

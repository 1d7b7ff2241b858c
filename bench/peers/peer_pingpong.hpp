// Round-trip latency of a peer, measured by the same loop as shmslot and the floors:
// pingpong_detail::drive() of bench/support/bench_pingpong_drive.hpp, over a peer's Channel.
//
// Method, on top of drive()'s (two processes, pinned, warm-up, stamped and verified round trips):
// the pinger is a fresh child of the calling process and forks the echoer itself, so the calling
// process never starts the middleware and may fork again for the next configuration. Each side
// opens its channel after fork and pinning (the middleware's threads inherit the CPU), waits until
// its publisher and subscriber are matched, and the pinger then sends handshake samples until one
// comes back (a matched DDS endpoint may still drop the first samples). Every hop writes the whole
// payload (a pattern byte everywhere, the stamp at both ends) into the peer's loan where it has one;
// the receiver checks one byte per 64-byte line and both stamps, as shmslot's loan/full receiver.
#pragma once

#include <string>

#include "bench_pingpong.hpp"
#include "peer_channel.hpp"

namespace shmslot::bench::peers {

struct PeerPingResult {
  PingPongResult result;  ///< as drive() returns it; samples_us sorted
  std::string path;       ///< Channel::path() on the pinger's side
};

/// One configuration in fresh processes; `topic` is unique to this run (so a process that died
/// before the middleware forgot it cannot match the next run). Never throws.
PeerPingResult run_peer_pingpong(const PeerSpec& spec, const PingPongConfig& config, const std::string& topic);

}  // namespace shmslot::bench::peers

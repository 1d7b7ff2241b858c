// Streaming throughput of a peer, one writer process to one reader process, measured as shmslot's
// streams are (bench/stream.hpp): writer pinned to one CPU, reader to the other, every sample
// carrying its index at both ends, the reader checking count, order and integrity.
//
// Method. Both sides are fresh children of the calling process (which never starts the
// middleware). Each opens its channel after pinning, waits until matched; the writer then sends
// handshake samples until the reader has seen one (through a shared mapping), so nothing is lost to
// discovery. The writer loans a sample (or fills its own buffer), copies a prepared payload into it
// with the index at both ends and publishes, for `seconds`, then sends an end marker. The reader
// polls take() (spinning or with sched_yield, as the peer needs), reads one word of every 64-byte
// line in place and gives the sample back. Lossless where the peer can be (flow control asked for
// through ChannelConfig::lossless); where it cannot, the lost samples are counted, not hidden.
// Throughput = samples received / (writer start .. last sample received).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench_machine.hpp"
#include "peer_channel.hpp"

namespace shmslot::bench::peers {

struct PeerStreamConfig {
  std::size_t size = 64;
  std::size_t depth = 16;  ///< subscriber queue / history depth
  double seconds = 0.5;    ///< how long the writer writes
  bool lossless = true;    ///< ChannelConfig::lossless of both sides
  CpuPair cpus = pick_cpu_pair();
};

struct PeerStreamResult {
  bool ok = false;
  std::string error;
  std::string path;                ///< Channel::path() on the writer's side
  std::uint64_t sent = 0;          ///< samples published (the end marker not counted)
  std::uint64_t received = 0;      ///< distinct samples the reader got
  std::uint64_t lost = 0;          ///< sent - received
  std::uint64_t gaps = 0;          ///< times the index jumped forward
  std::uint64_t out_of_order = 0;  ///< samples older than one already seen (duplicates included)
  std::uint64_t verify_errors = 0;
  std::uint64_t publish_failures = 0;  ///< publish() or loan() refusals the writer retried
  double seconds = 0;                  ///< writer start .. last sample received
  double samples_per_s = 0;            ///< received / seconds
  double gbytes_per_s = 0;             ///< payload bytes received per second, 1e9
  double sent_per_s = 0;               ///< sent / (writer start .. end marker)
  bool end_marker_seen = false;
  bool pinned = false;
};

/// One configuration in fresh processes; `topic` is unique to this run. Never throws.
PeerStreamResult run_peer_stream(const PeerSpec& spec, const PeerStreamConfig& config, const std::string& topic);

}  // namespace shmslot::bench::peers

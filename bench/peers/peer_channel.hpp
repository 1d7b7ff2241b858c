// What a peer program gives the shared ping-pong and stream drivers: one process's publisher and
// subscriber over the peer's middleware, built after fork in the process that uses them (the
// middleware starts threads, and a forked copy of a threaded process is not usable).
#pragma once

#include <sched.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace shmslot::bench::peers {

/// Handshake samples carry kHello + n as their stamp: far above every sample index, far below the
/// end and stop markers (~0 and ~0 - 1). Receivers skip them once the run has started.
inline constexpr std::uint64_t kHello = std::uint64_t{1} << 62;
inline bool is_hello(std::uint64_t stamp) { return stamp >= kHello && stamp < 2 * kHello; }

/// The topics and quality of service one process asks for.
struct ChannelConfig {
  std::string topic_out;   ///< publish on it; empty: no publisher
  std::string topic_in;    ///< subscribe to it; empty: no subscriber
  std::size_t size = 64;   ///< payload bytes of every sample
  std::size_t depth = 16;  ///< subscriber queue / history depth
  bool lossless = false;   ///< ask for flow control (the writer waits for the reader) where the peer has it
};

/// One process's end of a peer: samples of exactly `size` bytes. Used by one thread.
class Channel {
 public:
  virtual ~Channel() = default;

  /// Waits until the publisher and the subscriber (those that exist) see the other process's
  /// counterpart. Matching is not delivery: the drivers still handshake. Empty string on success.
  virtual std::string wait_matched(std::chrono::milliseconds timeout) = 0;

  /// A buffer of `size` bytes to fill for the next sample: the peer's loan where it has one. nullptr
  /// when the peer refuses (pool empty); the caller retries.
  virtual std::byte* loan() = 0;

  /// Sends what loan() returned; false when the peer reports a failure.
  virtual bool publish() = 0;

  /// The next received sample (and its size) without waiting, or nullptr. Valid until release().
  virtual const std::byte* take(std::size_t& size) = 0;

  /// Gives back what take() returned.
  virtual void release() = 0;

  /// The transport that really carries the samples, as the peer reports it (e.g. "UDP loopback").
  virtual std::string path() const = 0;
};

/// How a reader waits between two empty take() calls.
enum class Poll {
  Spin,   ///< take() again at once: the peer delivers in the caller's thread (iceoryx)
  Yield,  ///< sched_yield() first: the peer delivers through its own threads, which share the CPU
};

/// What a reader (or a writer refused a loan) does before trying again.
inline void poll_pause(Poll poll) {
  if (poll == Poll::Yield) ::sched_yield();
}

using ChannelFactory = std::function<tl::expected<std::unique_ptr<Channel>, std::string>(const ChannelConfig&)>;

/// One way of streaming a peer offers: its name in the tables, and whether it asks for flow control.
struct StreamVariant {
  std::string name;  ///< e.g. "KEEP_ALL"; empty when the peer has one way only
  bool lossless = true;
};

/// One peer as the drivers see it.
struct PeerSpec {
  std::string name;           ///< file and JSON name, e.g. "cyclonedds_udp"
  std::string label;          ///< table and plot name, e.g. "Cyclone DDS UDP"
  std::string version;        ///< the Debian package version it was built against
  std::string qos;            ///< the settings that matter, for the report
  std::string expected_path;  ///< the path() this run is meant to measure
  Poll poll = Poll::Spin;
  ChannelFactory open;
  /// Depth of the subscriber queue / history for the streaming runs at a payload size.
  std::function<std::size_t(std::size_t size)> stream_depth;
  /// The streams to run at every size.
  std::vector<StreamVariant> stream_variants{{"", true}};
};

}  // namespace shmslot::bench::peers

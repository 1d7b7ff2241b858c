// Forwarding samples between a segment and a DDS topic (Cyclone DDS), so that publish/subscribe
// reaches past the host: docs/bridge.md. A library of its own (target shmslot::bridge): shmslot
// itself never depends on DDS, and this header names no DDS type.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "shmslot/flat_writer.hpp"
#include "shmslot/slot_backend.hpp"
#include "shmslot/types.hpp"
#include "shmslot/type_hash.hpp"

namespace shmslot::bridge {

/// The DDS QoS of a link; both ends of a link must use the same (docs/bridge.md, "QoS mapping").
struct LinkQos {
  /// Reliable: RELIABLE, KEEP_ALL; the reader's history holds at most `depth` samples and refuses
  /// more, so the sender blocks (on Cyclone's unacknowledged-data watermark, not on `depth`)
  /// instead of dropping. BestEffort: BEST_EFFORT, KEEP_LAST `depth`.
  Reliability reliability = Reliability::Reliable;
  std::uint32_t depth = 64;  ///< 1 .. 2^31-1
};

/// Where the samples travel in DDS.
struct LinkOptions {
  std::string topic;         ///< DDS topic name; both ends use the same
  std::uint32_t domain = 0;  ///< DDS domain id, 0 .. 232
  LinkQos qos;
};

/// Options of ToDdsBridge::open.
struct ToDdsOptions {
  LinkOptions link;
  /// nullopt: register a free reader index, reading from the newest sample on. An index: that one;
  /// when no process holds it, it resumes from the index's cursor (a restarted bridge continues
  /// where the last one stopped); an index a dead process left is taken over from the newest.
  std::optional<std::uint32_t> reader_index;
};

/// Options of FromDdsBridge::open.
struct FromDdsOptions {
  LinkOptions link;
  /// The readers a slot waits for before it is reused; nullopt: the registered readers, at each
  /// write (SlotBackend::registered_readers).
  std::optional<ReaderMask> active_readers;
};

/// What a bridge has done since it was opened. Fields a direction does not use stay 0.
struct BridgeStats {
  std::uint64_t forwarded = 0;  ///< samples passed on: written to DDS, or committed into the segment
  /// Best effort only: samples given up, because no DDS reader was matched (to-dds) or the segment
  /// was full (from-dds). Reliable never drops; it waits.
  std::uint64_t dropped = 0;
  /// Samples lost before they reached this bridge: sequence numbers of the segment it never saw
  /// (overwritten or evicted under it; to-dds), or link sequence numbers that never arrived (from-dds).
  std::uint64_t gaps = 0;
  std::uint64_t reordered = 0;      ///< from-dds: arrived after a later sample of the same sender
  std::uint64_t type_mismatch = 0;  ///< from-dds: refused, the sender's type hash is not the segment's
  std::uint64_t too_large = 0;      ///< from-dds: refused, the payload exceeds the slot capacity
  /// Waits for the other side: dds_write that timed out (to-dds), or a full segment (from-dds).
  std::uint64_t blocked = 0;
  std::uint64_t senders = 0;  ///< from-dds: sending bridges seen (a restarted sender is a new one)
};

/// "forwarded=N dropped=N gaps=N reordered=N type_mismatch=N too_large=N blocked=N senders=N".
std::string to_string(const BridgeStats& stats);

/// What went wrong opening or running a bridge.
enum class BridgeErrorCode {
  /// A Cyclone DDS call failed; `dds_retcode` and `detail` say which. Retry helps only if the cause
  /// does (e.g. a configuration error in CYCLONEDDS_URI does not).
  Dds,
  /// A slot operation on the segment failed (`slot`). Retry does not help.
  Slot,
  /// An option is out of range (empty topic, domain above 232, depth 0). Retry does not help.
  InvalidArgument,
  /// The reader index is held by another live process. Retry helps after it leaves.
  ReaderIndexInUse,
};

/// Name of the enumerator, e.g. "Dds".
const char* to_string(BridgeErrorCode code);

/// The error of a bridge operation.
struct BridgeError {
  BridgeErrorCode code = BridgeErrorCode::Dds;
  int dds_retcode = 0;  ///< for Dds
  SlotError slot{};     ///< for Slot
  std::string detail;   ///< what failed

  /// One line for people, e.g. "DDS error: dds_create_topic: Bad Parameter".
  std::string message() const;
};

/// Reads a segment as one registered reader and writes every sample to a DDS topic. With reliable
/// QoS a sample is marked read only once DDS has accepted it, so a stalled link holds the segment's
/// writer back through the segment itself; while no DDS reader is matched it takes nothing.
/// With best effort it never waits. One thread at a time. Move-only.
class ToDdsBridge {
 public:
  /// Claims the reader index and creates the DDS participant, topic and writer. `segment` must
  /// outlive the bridge.
  static tl::expected<ToDdsBridge, BridgeError> open(SlotBackend& segment, const ToDdsOptions& options);

  /// Forwards samples until `budget` has passed (plus at most one DDS blocking time, 100 ms);
  /// returns how many it forwarded. Sleeps on the segment (or, unmatched, on DDS) when idle.
  tl::expected<std::size_t, BridgeError> pump(std::chrono::nanoseconds budget);

  std::uint32_t reader_index() const;
  /// DDS readers matched with this bridge's writer.
  std::uint32_t matched() const;
  /// This bridge's writer id in the envelope.
  std::uint64_t writer_id() const;
  const BridgeStats& stats() const;

  ToDdsBridge(ToDdsBridge&&) noexcept;
  ToDdsBridge& operator=(ToDdsBridge&&) noexcept;
  ~ToDdsBridge();

 private:
  struct Impl;
  explicit ToDdsBridge(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Takes samples from a DDS topic and commits their payloads into a segment, refusing (and
/// counting) samples of another type hash or too large for a slot. With reliable QoS it takes a
/// sample only once a slot is free for it, so full segments stop the DDS reader and, through DDS
/// flow control, the sending bridge. With best effort a sample that finds the segment full is
/// dropped and counted. One thread at a time. Move-only.
class FromDdsBridge {
 public:
  /// Creates the DDS participant, topic and reader. `segment` must outlive the bridge; it is the
  /// only writer the bridge uses (usually a segment it created).
  static tl::expected<FromDdsBridge, BridgeError> open(SlotBackend& segment, const FromDdsOptions& options);

  /// Forwards samples until `budget` has passed; returns how many it committed.
  tl::expected<std::size_t, BridgeError> pump(std::chrono::nanoseconds budget);

  /// DDS writers matched with this bridge's reader.
  std::uint32_t matched() const;
  const BridgeStats& stats() const;
  /// The type hash of the last refused sample (type_mismatch), for reports.
  std::optional<TypeHash> last_refused_type_hash() const;

  FromDdsBridge(FromDdsBridge&&) noexcept;
  FromDdsBridge& operator=(FromDdsBridge&&) noexcept;
  ~FromDdsBridge();

 private:
  struct Impl;
  explicit FromDdsBridge(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shmslot::bridge

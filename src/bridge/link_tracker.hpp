// Sequence bookkeeping of a bridge: per sending bridge, which link sequence numbers arrived (gaps
// and reorderings on the DDS link), and the segment's 64-bit sequence number from the 32-bit one
// in a slot header. No DDS and no shared memory here, so the bridge tests check it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

namespace shmslot::bridge::detail {

/// What one received link sequence number tells.
struct LinkVerdict {
  bool new_sender = false;    ///< the first sample of this writer id
  std::uint64_t missing = 0;  ///< numbers skipped before this one (a gap)
  bool late = false;          ///< older than one already seen (reordered or duplicate)
};

/// Tracks the next expected link sequence number per writer id. A new writer id starts wherever
/// its first sample is: a receiver that (re)starts while a sender runs sees no gap for what it
/// was not there for.
class LinkTracker {
 public:
  LinkVerdict on_sample(std::uint64_t writer_id, std::uint64_t link_sequence);
  std::size_t senders() const { return next_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> next_;  // writer id -> next expected number
};

/// Extends 32-bit slot-header sequence numbers to 64 bits for a reader that sees them in
/// ascending order, except that a ZeroDDS segment's scan may hand one out late.
class SequenceUnwrapper {
 public:
  /// Takes the first number it sees as it is: a segment without a reader cursor (ZeroDDS's).
  SequenceUnwrapper() = default;
  /// Expects `first_expected` first: the reader's cursor.
  explicit SequenceUnwrapper(std::uint64_t first_expected) : next_(first_expected), started_(true) {}
  /// The 64-bit sequence number of `sn32`, and in `skipped` how many numbers were passed since the
  /// last one. `known`, when its low 32 bits are `sn32`, is the exact value (a reader cursor, which
  /// next_unread_slot leaves on the sample it returns); otherwise the value nearest the expected
  /// one, by signed 32-bit difference as the ZeroDDS scan orders them. A number behind the last
  /// one is no gap and leaves the expected number where it is.
  std::uint64_t unwrap(std::uint32_t sn32, std::uint64_t& skipped, std::optional<std::uint64_t> known = std::nullopt);

 private:
  std::uint64_t next_ = 0;
  bool started_ = false;
};

}  // namespace shmslot::bridge::detail

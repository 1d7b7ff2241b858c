// Sequence bookkeeping of a bridge: per sending bridge, which link sequence numbers arrived (gaps
// and reorderings on the DDS link), and the segment's 64-bit sequence number from the 32-bit one
// in a slot header. No DDS and no shared memory here, so the bridge tests check it directly.
#pragma once

#include <cstdint>
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
/// ascending order: the value closest above the previous one. Seeded with the reader's cursor.
class SequenceUnwrapper {
 public:
  explicit SequenceUnwrapper(std::uint64_t first_expected) : next_(first_expected) {}
  /// The 64-bit sequence number of `sn32`, and how many numbers were skipped since the last.
  std::uint64_t unwrap(std::uint32_t sn32, std::uint64_t& skipped);

 private:
  std::uint64_t next_;
};

}  // namespace shmslot::bridge::detail

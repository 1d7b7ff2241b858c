#include "link_tracker.hpp"

namespace shmslot::bridge::detail {

LinkVerdict LinkTracker::on_sample(std::uint64_t writer_id, std::uint64_t link_sequence) {
  LinkVerdict v;
  auto [it, inserted] = next_.try_emplace(writer_id, link_sequence);
  v.new_sender = inserted;
  std::uint64_t& next = it->second;
  if (link_sequence < next) {
    v.late = true;  // the gap counted when a later one came stays counted: we cannot tell it from a duplicate
    return v;
  }
  v.missing = link_sequence - next;
  next = link_sequence + 1;
  return v;
}

std::uint64_t SequenceUnwrapper::unwrap(std::uint32_t sn32, std::uint64_t& skipped) {
  // The distance forward from the expected number, modulo 2^32: readers take samples in ascending
  // order, so the true value is never behind the expected one.
  const std::uint32_t ahead = sn32 - static_cast<std::uint32_t>(next_);
  const std::uint64_t value = next_ + ahead;
  skipped = ahead;
  next_ = value + 1;
  return value;
}

}  // namespace shmslot::bridge::detail

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

std::uint64_t SequenceUnwrapper::unwrap(std::uint32_t sn32, std::uint64_t& skipped,
                                        std::optional<std::uint64_t> known) {
  std::uint64_t value = sn32;
  if (known && static_cast<std::uint32_t>(*known) == sn32) {
    value = *known;
  } else if (started_) {
    // The nearest to the expected number: up to 2^31 - 1 ahead or 2^31 behind. Nothing lies
    // behind 0, so from a small expected number a "behind" value is really that far ahead.
    const auto delta = static_cast<std::int64_t>(static_cast<std::int32_t>(sn32 - static_cast<std::uint32_t>(next_)));
    if (delta >= 0) {
      value = next_ + static_cast<std::uint64_t>(delta);
    } else if (next_ >= static_cast<std::uint64_t>(-delta)) {
      value = next_ - static_cast<std::uint64_t>(-delta);
    } else {
      value = next_ + static_cast<std::uint32_t>(sn32 - static_cast<std::uint32_t>(next_));
    }
  }
  if (!started_) {
    started_ = true;
    next_ = value;
  }
  if (value < next_) {
    skipped = 0;  // late: its number was passed (and counted) when a later one came
    return value;
  }
  skipped = value - next_;
  next_ = value + 1;
  return value;
}

}  // namespace shmslot::bridge::detail

#include "core/extended_engine.hpp"

#include "core/eviction.hpp"
#include "core/slot_checks.hpp"

namespace shmslot::core {

ExtendedEngine::ExtendedEngine(const SegmentView& view)
    : SlotEngine(view),
      registry_(view_, notifier_),
      reaper_(view_, registry_, notifier_),
      writer_(view_, registry_, reaper_, notifier_),
      reader_(view_, registry_, notifier_) {}

tl::expected<std::size_t, SlotError> ExtendedEngine::evict_stale(std::chrono::nanoseconds max_age,
                                                                 ReaderMask active) {
  return core::evict_stale(view_, registry_, notifier_, max_age, active);
}

tl::expected<std::uint32_t, SlotError> ExtendedEngine::register_reader(std::optional<std::uint32_t> index,
                                                                       StartAt start) {
  auto claimed = registry_.register_reader(index, start);
  // All 32 taken: dead readers free their indices (and dead writers their loans); try once more if
  // a reap freed anything.
  if (!claimed && claimed.error().code == SlotErrorCode::NoFreeReader && reaper_.reap() > 0) {
    claimed = registry_.register_reader(index, start);
  }
  return claimed;
}

tl::expected<void, SlotError> ExtendedEngine::disconnect(std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  registry_.disconnect(reader);
  return {};
}

}  // namespace shmslot::core

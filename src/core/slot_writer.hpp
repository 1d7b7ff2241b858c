// The writer half of the protocol on a shmslot segment: loan a slot (reserve), fill it, publish it in
// sequence order (commit), or give it back (discard). docs/protocol.md, "Writer".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tl/expected.hpp>

#include "core/notifier.hpp"
#include "core/reader_registry.hpp"
#include "core/reaper.hpp"
#include "core/segment_view.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

class SlotWriter {
 public:
  SlotWriter(const SegmentView& view, const ReaderRegistry& registry, Reaper& reaper, const Notifier& notifier)
      : view_(view), registry_(registry), reaper_(reaper), notifier_(notifier) {}

  tl::expected<SlotHandle, SlotError> reserve(ReaderMask active);
  tl::expected<std::span<std::byte>, SlotError> data_ptr(SlotHandle h) const;
  // Copies `src` (unless null: written in place) and publishes the first `len` bytes.
  tl::expected<std::uint32_t, SlotError> commit(SlotHandle h, std::size_t len, const std::byte* src);
  tl::expected<void, SlotError> discard(SlotHandle h);
  // Whether reserve(active) would find a slot now, without taking one.
  bool has_free_slot(ReaderMask active) const;

 private:
  tl::expected<SlotHandle, SlotError> reserve_once(ReaderMask active);
  // Payloads up to this size are copied after the sequence number is taken (see commit).
  static constexpr std::size_t kCopyAfterNumberMax = 512;
  // Whether the entry now names this sample (false: a newer one of its residue holds it).
  bool publish_in_order(std::uint64_t seq, std::uint32_t slot);
  // Asks for the lines a loan of slot i writes, in exclusive state (a hint: nothing is stored).
  void prefetch_slot(std::uint32_t i) const;
  // Whether slot i, whose word is `w`, may be loaned for `active`: neither loaned nor pinned, nor
  // retained for late joiners (its sequence number at or above `retain_from`), and free or read by
  // every reader in `active` (the test reserve makes before its CAS).
  bool reusable(std::uint32_t i, std::uint64_t w, ReaderMask active, std::uint64_t retain_from) const;

  const SegmentView view_;  // a copy: one indirection less on every access
  const ReaderRegistry& registry_;
  Reaper& reaper_;
  const Notifier& notifier_;
};

}  // namespace shmslot::core

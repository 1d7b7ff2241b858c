// SlotEngine::snapshot: reads every field once for tools; takes no part in the protocol.
#include <cstring>

#include "core/slot_engine.hpp"
#include "platform/process.hpp"

namespace shmslot {

const char* to_string(SlotState state) {
  switch (state) {
    case SlotState::Empty: return "Empty";
    case SlotState::Writing: return "Writing";
    case SlotState::Committed: return "Committed";
  }
  return "unknown";
}

namespace core {

SegmentSnapshot SlotEngine::snapshot() const {
  namespace sw = slot_word;
  SegmentSnapshot out;
  const Geometry& geo = view_.geometry();
  out.extended = geo.extended;
  out.slot_count = static_cast<std::uint32_t>(geo.slot_count);
  out.slot_total_size = static_cast<std::uint32_t>(geo.slot_total_size);
  out.slot_capacity = static_cast<std::size_t>(geo.slot_capacity);
  out.next_sn = view_.header().next_sn.load(std::memory_order_acquire);
  out.notify_generation = view_.header().gen.load(std::memory_order_acquire);
  const std::uint64_t now = platform::coarse_now_ns();
  if (geo.extended) {
    const ExtControl& ctl = view_.control();
    out.extension_version = kExtVersion;
    out.next_sequence = ctl.next_seq.load(std::memory_order_acquire);
    const std::uint64_t sleepers = ctl.sleepers.load(std::memory_order_relaxed);
    out.waiters = static_cast<std::uint32_t>(__builtin_popcount(sleeper_word::tracked(sleepers))) +
                  sleeper_word::untracked(sleepers);
    out.wake_always = (ctl.flags & kFlagWakeAlways) != 0;
    out.history_depth = static_cast<std::uint32_t>(view_.geometry().history_depth);
    out.generation_watched = sleeper_word::generation_watched(sleepers);
    out.type_hash = type_hash();
    out.owner_pid = ctl.owner_pid;
    out.owner_alive = platform::process_alive(static_cast<pid_t>(ctl.owner_pid), ctl.owner_start_time);
    for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
      const ReaderStats stats = reader_stats(r).value_or(ReaderStats{});  // in range on an extended segment
      ReaderSnapshot reader{r, stats.cursor, stats.registered, stats.owner_pid, false, stats.evictions};
      reader.owner_alive = stats.owner_pid != 0 &&
                           platform::process_alive(static_cast<pid_t>(stats.owner_pid),
                                                   view_.reader_entry(r).owner_start.load(std::memory_order_relaxed));
      out.readers.push_back(reader);
    }
  }
  out.slots.reserve(static_cast<std::size_t>(geo.slot_count));
  for (std::uint32_t i = 0; i < geo.slot_count; ++i) {
    const SharedSlotHeader& hdr = view_.slot_header(i);
    SlotSnapshot s;
    s.index = i;
    s.sample_size = hdr.sample_size.load(std::memory_order_relaxed);
    s.reader_mask = hdr.reader_mask.load(std::memory_order_relaxed);
    if (geo.extended) {
      const SlotExt& ext = view_.slot_ext(i);
      const std::uint64_t w = ext.word.load(std::memory_order_acquire);
      s.generation = sw::generation(w);
      // The word's low half is the pin mask while COMMITTED and the loaner's pid while WRITING.
      if (sw::phase(w) == sw::Phase::kWriting) {
        s.loaner_pid = sw::hold(w);
      } else {
        s.pinned_by = sw::hold(w);
      }
      s.sequence = ext.seq.load(std::memory_order_relaxed);
      switch (sw::phase(w)) {
        case sw::Phase::kFree: s.state = SlotState::Empty; break;
        case sw::Phase::kWriting: s.state = SlotState::Writing; break;
        default: s.state = SlotState::Committed; break;
      }
      // Values no transition stores (slot_word in layout.hpp): a reserve records its pid, a free
      // word is stored whole with hold 0, and phase 3 has no meaning.
      s.damaged = static_cast<std::uint32_t>(sw::phase(w)) > 2 ||
                  (sw::phase(w) == sw::Phase::kFree && sw::hold(w) != 0) ||
                  (sw::phase(w) == sw::Phase::kWriting && sw::hold(w) == 0);
      if (s.damaged) ++out.damaged_slots;
      if (s.state == SlotState::Committed) {
        // A reader that reads in order marks by moving its cursor (SlotReader::mark_by_cursor):
        // it has read every sample below it, bit or no bit.
        for (const ReaderSnapshot& r : out.readers) {
          if (r.cursor > s.sequence) s.reader_mask |= ReaderMask{1} << r.index;
        }
        const std::uint64_t at = ext.commit_time_ns.load(std::memory_order_relaxed);
        s.age = std::chrono::nanoseconds(now >= at ? now - at : 0);
      }
    } else {
      s.sequence = hdr.sequence_number.load(std::memory_order_relaxed);
      s.state = s.sample_size == 0 ? SlotState::Empty : SlotState::Committed;
    }
    out.slots.push_back(s);
  }
  return out;
}

}  // namespace core
}  // namespace shmslot

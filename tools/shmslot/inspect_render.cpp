#include "inspect_render.hpp"

#include <iterator>

#include <fmt/core.h>
#include <shmslot/type_hash.hpp>

namespace shmslot::cli {

namespace {

const char* notify_name(NotifyMode mode) { return mode == NotifyMode::WakeAlways ? "wake-always" : "wake-on-demand"; }

std::string mask_hex(ReaderMask mask) { return fmt::format("0x{:08x}", mask); }

// A reader entry is worth a line when anything in it is set.
bool shown(const InspectView& view, const ReaderSnapshot& r) {
  return view.all_readers || r.cursor != 0 || r.registered || r.owner_pid != 0 || r.evictions != 0;
}

std::string owner_text(const ReaderSnapshot& r) {
  if (r.owner_pid == 0) return "-";
  return fmt::format("pid {}{}", r.owner_pid, r.owner_alive ? "" : " (dead)");
}

// What the last column of a slot row shows: the pinning readers of a committed slot, the loaning
// writer of a WRITING one (the library keeps the loaner's pid in the same word, docs/recovery.md).
std::string pins_text(const SegmentSnapshot& snap, const SlotSnapshot& s) {
  if (!snap.extended) return "-";
  if (s.state == SlotState::Writing) return s.loaner_pid != 0 ? fmt::format("pid {}", s.loaner_pid) : "-";
  return mask_hex(s.pinned_by);
}

void append_slot_table(std::string& out, const SegmentSnapshot& snap) {
  const char* na = "-";
  fmt::format_to(std::back_inserter(out), "{:>6}  {:<9}  {:>10}  {:>12}  {:>10}  {:<10}  {:<12}  {}\n", "slot", "state",
                 "generation", "sequence", "size", "read_by", "pinned/loan", "age");
  for (const SlotSnapshot& s : snap.slots) {
    fmt::format_to(std::back_inserter(out), "{:>6}  {:<9}  {:>10}  {:>12}  {:>10}  {:<10}  {:<12}  {}\n", s.index,
                   s.damaged ? "damaged" : to_string(s.state), snap.extended ? std::to_string(s.generation) : na,
                   s.sequence, s.sample_size, mask_hex(s.reader_mask), pins_text(snap, s),
                   s.age ? format_age(*s.age) : na);
  }
}

void append_readers(std::string& out, const InspectView& view, const SegmentSnapshot& snap) {
  if (!snap.extended) {
    out += "readers          not recorded (ZeroDDS segment: no reader cursors)\n";
    return;
  }
  std::size_t hidden = 0;
  std::string rows;
  constexpr const char* kRow = "{:>6}  {:>12}  {:<10}  {:<16}  {}\n";
  for (const ReaderSnapshot& r : snap.readers) {
    if (shown(view, r)) {
      fmt::format_to(std::back_inserter(rows), kRow, r.index, r.cursor, r.registered ? "yes" : "no", owner_text(r),
                     r.evictions);
    } else {
      ++hidden;
    }
  }
  if (!rows.empty()) {
    fmt::format_to(std::back_inserter(out), kRow, "reader", "cursor", "registered", "owner", "evictions");
    out += rows;
  }
  if (hidden > 0) {
    fmt::format_to(std::back_inserter(out), "({} of {} reader entries are unused and not shown; --all shows them)\n",
                   hidden, snap.readers.size());
  }
}

}  // namespace

std::string format_age(std::chrono::nanoseconds age) {
  const auto ns = age.count();
  if (ns < 1'000'000) return fmt::format("{}us", ns / 1000);
  if (ns < 10'000'000) return fmt::format("{:.1f}ms", static_cast<double>(ns) / 1e6);
  if (ns < 1'000'000'000) return fmt::format("{}ms", ns / 1'000'000);
  if (ns < 60'000'000'000) return fmt::format("{:.2f}s", static_cast<double>(ns) / 1e9);
  const auto s = ns / 1'000'000'000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

std::string render_text(const InspectView& view, const SegmentSnapshot& snap) {
  std::string out;
  auto line = [&out](const char* key, const std::string& value) {
    fmt::format_to(std::back_inserter(out), "{:<16} {}\n", key, value);
  };
  const std::string na = "n/a (ZeroDDS segment)";
  line("flink", view.flink);
  line("segment", view.shm_name + (view.published ? "" : " (no longer published: its flink file is gone or replaced)"));
  line("kind", snap.extended ? fmt::format("shmslot extension v{}", snap.extension_version)
                             : "ZeroDDS V3 (no shmslot extension; read-only for shmslot)");
  line("slot_count", std::to_string(snap.slot_count));
  line("slot_total_size", std::to_string(snap.slot_total_size));
  line("capacity", std::to_string(snap.slot_capacity) + (snap.extended ? "" : " (slot_total_size - 16)"));
  line("next_sn", std::to_string(snap.next_sn));
  line("gen", std::to_string(snap.notify_generation));
  line("next_sequence", snap.extended ? std::to_string(snap.next_sequence) : na);
  line("waiters", snap.extended ? std::to_string(snap.waiters) : na);
  // Watched: some process sleeps on `gen` unannounced, so every commit moves it (docs/protocol.md).
  line("gen_watched", snap.extended ? (snap.generation_watched ? "yes" : "no") : na);
  line("notify",
       std::string(notify_name(view.notify)) + (snap.extended ? "" : " (ZeroDDS writers wake on every change)"));
  line("history", snap.extended ? std::to_string(snap.history_depth) : na);
  line("type_hash", snap.type_hash ? to_hex(*snap.type_hash) : snap.extended ? "none" : na);
  line("owner", snap.extended ? fmt::format("pid {}, {}", snap.owner_pid, snap.owner_alive ? "alive" : "dead") : na);
  if (snap.damaged_slots > 0) {
    line("damaged", fmt::format("{} of {} slots: their state words hold values no shmslot process writes",
                                snap.damaged_slots, snap.slot_count));
  }
  out += '\n';
  append_slot_table(out, snap);
  out += '\n';
  append_readers(out, view, snap);
  return out;
}

nlohmann::ordered_json render_json(const InspectView& view, const SegmentSnapshot& snap) {
  using json = nlohmann::ordered_json;
  json j;
  j["flink"] = view.flink;
  j["shm_name"] = view.shm_name;
  j["published"] = view.published;
  j["kind"] = snap.extended ? "shmslot" : "zerodds";
  j["extension_version"] = snap.extended ? json(snap.extension_version) : json(nullptr);
  j["slot_count"] = snap.slot_count;
  j["slot_total_size"] = snap.slot_total_size;
  j["capacity"] = snap.slot_capacity;
  j["next_sn"] = snap.next_sn;
  j["gen"] = snap.notify_generation;
  j["next_sequence"] = snap.extended ? json(snap.next_sequence) : json(nullptr);
  j["waiters"] = snap.extended ? json(snap.waiters) : json(nullptr);
  j["gen_watched"] = snap.extended ? json(snap.generation_watched) : json(nullptr);
  j["notify"] = notify_name(view.notify);
  j["history"] = snap.extended ? json(snap.history_depth) : json(nullptr);
  j["type_hash"] = snap.type_hash ? json(to_hex(*snap.type_hash)) : json(nullptr);
  j["owner"] = snap.extended ? json{{"pid", snap.owner_pid}, {"alive", snap.owner_alive}} : json(nullptr);
  j["damaged_slots"] = snap.extended ? json(snap.damaged_slots) : json(nullptr);
  json slots = json::array();
  for (const SlotSnapshot& s : snap.slots) {
    const bool writing = snap.extended && s.state == SlotState::Writing;
    slots.push_back({{"index", s.index},
                     {"state", to_string(s.state)},
                     {"generation", snap.extended ? json(s.generation) : json(nullptr)},
                     {"sequence", s.sequence},
                     {"size", s.sample_size},
                     {"reader_mask", s.reader_mask},
                     {"pinned_by", !snap.extended ? json(nullptr) : json(s.pinned_by)},
                     {"loaner_pid", writing && s.loaner_pid != 0 ? json(s.loaner_pid) : json(nullptr)},
                     {"age_ns", s.age ? json(s.age->count()) : json(nullptr)},
                     {"damaged", snap.extended ? json(s.damaged) : json(nullptr)}});
  }
  j["slots"] = std::move(slots);
  if (snap.extended) {
    json readers = json::array();
    for (const ReaderSnapshot& r : snap.readers) {
      if (!shown(view, r)) continue;
      readers.push_back({{"index", r.index},
                         {"cursor", r.cursor},
                         {"registered", r.registered},
                         {"owner_pid", r.owner_pid != 0 ? json(r.owner_pid) : json(nullptr)},
                         {"owner_alive", r.owner_pid != 0 ? json(r.owner_alive) : json(nullptr)},
                         {"evictions", r.evictions}});
    }
    j["readers"] = std::move(readers);
  } else {
    j["readers"] = nullptr;
  }
  return j;
}

}  // namespace shmslot::cli

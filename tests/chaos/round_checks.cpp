#include "chaos/round_checks.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

namespace shmslot::chaos {

namespace {

std::string mask_text(ReaderMask mask) {
  std::string out;
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
    if ((mask & (ReaderMask{1} << r)) != 0) out += (out.empty() ? "" : ",") + std::to_string(r);
  }
  return "{" + out + "}";
}

bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The segment in one line per slot, for a violation's detail.
std::string describe(const SegmentSnapshot& snap, ReaderMask registered) {
  std::string out = "next sequence " + std::to_string(snap.next_sequence) + ", registered " + mask_text(registered);
  for (const SlotSnapshot& s : snap.slots) {
    out += "; slot " + std::to_string(s.index) + " " + to_string(s.state);
    if (s.state == SlotState::Writing) {
      out += " by pid " + std::to_string(s.loaner_pid) +
             (alive(static_cast<pid_t>(s.loaner_pid)) ? " (alive)" : " (dead)");
    } else if (s.state == SlotState::Committed) {
      out += " seq " + std::to_string(s.sequence) + " read by " + mask_text(s.reader_mask);
      if (s.pinned_by != 0) out += " pinned by " + mask_text(s.pinned_by);
    }
  }
  return out;
}

const StreamRecord* record_of(const ReaderBoard& board, std::uint32_t writer) {
  const StreamRecord& r = board.records[writer % kRecords];
  if (r.writer.load(std::memory_order_relaxed) != writer || r.count.load(std::memory_order_relaxed) == 0)
    return nullptr;
  return &r;
}

}  // namespace

bool check_streams(const std::vector<WriterLife>& writers, const std::vector<DrainedReader>& readers, Report& report,
                   const std::string& context) {
  bool ok = true;
  auto fail = [&](const std::string& invariant, const std::string& what) {
    report.violation(invariant, what, context);
    ok = false;
  };
  for (const DrainedReader& reader : readers) {
    const ReaderBoard& rb = *reader.board;
    // SYNC: acquire; pairs with the release increment after each record update.
    (void)rb.samples.load(std::memory_order_acquire);
    const std::uint64_t high = rb.high.load();
    for (const WriterLife& w : writers) {
      if (w.id <= *reader.settled_through) continue;
      const StreamRecord* rec = record_of(rb, w.id);
      const std::string whose = reader.name + ", writer " + std::to_string(w.id) + " (" + std::to_string(w.committed) +
                                " commits returned, sample 0 at sequence " + std::to_string(w.first_seq) +
                                (w.dead ? ", killed" : "") + ")";
      const std::uint64_t first = rec != nullptr ? rec->first_index.load() : 0;
      const std::uint64_t last = rec != nullptr ? rec->last_index.load() : 0;
      if (w.committed > 0) {
        // Owed: every sample committed with a sequence number at or after the reader's registration.
        const std::uint64_t owed_from = w.first_seq >= high ? 0 : high - w.first_seq;
        if (owed_from < w.committed) {
          if (rec == nullptr) {
            fail("loss", whose + ": got none of samples " + std::to_string(owed_from) + ".." +
                             std::to_string(w.committed - 1) + ", committed after it registered (sequence " +
                             std::to_string(high) + " on)");
          } else if (first > owed_from || last + 1 < w.committed) {
            fail("loss", whose + ": got samples " + std::to_string(first) + ".." + std::to_string(last) + ", owed " +
                             std::to_string(owed_from) + ".." + std::to_string(w.committed - 1) +
                             " (registered at sequence " + std::to_string(high) + ")");
          }
        }
      }
      if (rec == nullptr) continue;
      // Nothing beyond the commits that returned, but for the one a killed writer had in flight.
      const bool beyond = w.dead ? last > w.committed : last + 1 > w.committed;
      if (beyond) {
        fail("uncommitted", whose + ": got sample " + std::to_string(last) + ", which was never committed");
      }
      if (rec->count.load() != last - first + 1) {
        fail("loss", whose + ": " + std::to_string(rec->count.load()) + " samples between " + std::to_string(first) +
                         " and " + std::to_string(last));
      }
      if (w.committed > 0 && rec->first_seq.load() != w.first_seq + first) {
        fail("order", whose + ": sample " + std::to_string(first) + " arrived as sequence " +
                          std::to_string(rec->first_seq.load()) + ", expected " + std::to_string(w.first_seq + first));
      }
    }
    for (const StreamRecord& r : rb.records) {
      const std::uint32_t id = r.writer.load();
      if (id == 0 || r.count.load() == 0) continue;
      const bool ran = std::any_of(writers.begin(), writers.end(), [&](const WriterLife& w) { return w.id == id; });
      if (!ran)
        fail("uncommitted", reader.name + " got samples of writer " + std::to_string(id) + ", which never ran here");
    }
  }
  // The sample a killed writer had in flight (sequence first_seq + committed) was either published
  // for everyone or for no one: every reader registered before it must agree.
  for (const WriterLife& w : writers) {
    if (!w.dead || w.committed == 0) continue;
    const std::uint64_t in_flight = w.first_seq + w.committed;
    std::optional<bool> delivered;
    std::string first_name;
    for (const DrainedReader& reader : readers) {
      if (w.id <= *reader.settled_through || reader.board->high.load() > in_flight) continue;
      const StreamRecord* rec = record_of(*reader.board, w.id);
      const bool got = rec != nullptr && rec->last_index.load() == w.committed;
      if (!delivered) {
        delivered = got;
        first_name = reader.name;
      } else if (*delivered != got) {
        fail("loss", "writer " + std::to_string(w.id) + " was killed with sample " + std::to_string(w.committed) +
                         " in flight: " + first_name + (*delivered ? " got it, " : " did not get it, ") + reader.name +
                         (got ? " did" : " did not"));
      }
    }
  }
  return ok;
}

bool check_segment(PosixSlotAllocator& segment, const SegmentExpectation& expected, Report& report,
                   const std::string& context) {
  bool ok = true;
  auto fail = [&](const std::string& invariant, const std::string& what) {
    report.violation(invariant, what, context);
    ok = false;
  };
  const std::size_t slots = segment.slot_count().value_or(0);
  ReaderMask live = 0;
  for (const auto& [index, pid] : expected.readers) live |= ReaderMask{1} << index;

  // 1. The writer's view: every slot can be loaned again. Dead readers and dead writers' loans are
  //    freed by reserve_slot's own reap, at most once per half lease: retried for a few leases.
  const auto deadline = std::chrono::steady_clock::now() + 4 * segment.lease();
  std::vector<SlotHandle> loans;
  while (loans.size() < slots) {
    auto handle = segment.reserve_slot(segment.registered_readers());
    if (handle) {
      loans.push_back(*handle);
      continue;
    }
    if (handle.error().code != SlotErrorCode::NoFreeSlot || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(segment.lease() / 10);
  }
  const SegmentSnapshot full = segment.snapshot();
  for (const SlotHandle& h : loans) (void)segment.discard_slot(h);
  if (loans.size() < slots) {
    fail("leak", "the writer could reserve only " + std::to_string(loans.size()) + " of " + std::to_string(slots) +
                     " slots within 4 leases of the readers draining: " + describe(full, segment.registered_readers()));
  } else {
    ++report.full_reserves;
  }

  // 2. The documented repair for peers that died while nobody was blocked on them.
  (void)segment.reap();

  // 3. Nothing held on behalf of a dead process, nothing registered but the live readers.
  const SegmentSnapshot snap = segment.snapshot();
  const ReaderMask registered = segment.registered_readers();
  for (const SlotSnapshot& s : snap.slots) {
    if (s.state == SlotState::Writing) {
      fail("leak", "slot " + std::to_string(s.index) + " is still loaned after a reap: " + describe(snap, registered));
    } else if (s.pinned_by != 0) {
      fail("pin", "slot " + std::to_string(s.index) + " is pinned by reader(s) " + mask_text(s.pinned_by) +
                      " with every reader idle: " + describe(snap, registered));
    }
  }
  if (registered != live) {
    fail("registry", "registered readers " + mask_text(registered) + ", live readers " + mask_text(live) + ": " +
                         describe(snap, registered));
  }
  for (const auto& [index, pid] : expected.readers) {
    auto stats = segment.reader_stats(index);
    if (!stats || !stats->registered || stats->owner_pid != static_cast<std::uint32_t>(pid)) {
      fail("registry", "reader index " + std::to_string(index) + " should belong to pid " + std::to_string(pid) +
                           ", the registry says owner " + std::to_string(stats ? stats->owner_pid : 0));
    }
  }
  if (const std::size_t more = segment.reap(); more != 0) {
    fail("registry", "a second reap() still found " + std::to_string(more) +
                         " things to repair: " + describe(segment.snapshot(), segment.registered_readers()));
  }
  if (segment.owner_alive() != expected.owner_alive) {
    fail("owner-alive", std::string("owner_alive() says ") + (segment.owner_alive() ? "alive" : "dead") +
                            " for an owner that is " + (expected.owner_alive ? "alive" : "dead"));
  }
  return ok;
}

}  // namespace shmslot::chaos

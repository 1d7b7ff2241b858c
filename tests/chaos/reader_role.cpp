// A reader: registers (the lowest free index, or the index its killed predecessor had), then reads
// every sample in sequence order, by copying (read_slot_into, sometimes read_slot) or in place
// (slot_read_ptr, held for a while now and then), and checks every byte of each before it marks it
// read. Its stream checks are in stream_check.cpp; what it had to receive is checked by the harness.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <variant>

#include <shmslot/shmslot.hpp>
#include <shmslot/wait_set.hpp>

#include "chaos/phase_word.hpp"
#include "chaos/roles.hpp"
#include "chaos/stream_check.hpp"
#include "recovery/recovery_sample.hpp"
#include "support/syscall_stepper.hpp"

namespace shmslot::chaos {

namespace {

using test::RecoverySample;
constexpr std::size_t kSampleSize = sizeof(RecoverySample);

std::string api_text(const char* call, const SlotError& e) {
  return std::string("api: ") + call + " failed: " + to_string(e.code) + " (" + e.message() + ")";
}

// Registers as the board asks: the given index (falling back to the lowest free one if a live
// process holds it), or the lowest free one.
tl::expected<std::uint32_t, SlotError> register_as(PosixSlotAllocator& seg, std::uint32_t wanted) {
  if (wanted == kNoIndex) return seg.register_reader();
  auto index = seg.register_reader(wanted);
  if (!index && index.error().code == SlotErrorCode::ReaderIndexInUse) return seg.register_reader();
  return index;
}

class Reader {
 public:
  Reader(PosixSlotAllocator& segment, ReaderBoard& board, PhaseWord& word, std::uint32_t index, std::uint64_t seed)
      : seg_(segment),
        board_(board),
        word_(word),
        index_(index),
        check_(board),
        rng_(seed ^ static_cast<std::uint64_t>(::getpid())) {}

  int run() {
    const auto slice = seg_.lease() / 2;
    for (;;) {
      if (board_.child.command.load(std::memory_order_acquire) == static_cast<std::uint32_t>(Command::Leave)) {
        auto left = word_.step(Phase::Leave, [&] { return seg_.unregister_reader(index_); });
        if (!left) return fail(test::kChildApiError, api_text("unregister_reader", left.error()));
        word_.set(Phase::None);
        return test::kChildOk;
      }
      if (take_this_time()) {
        bool took = false;
        if (const int code = take_copy(took); code != test::kChildOk) return code;
        if (took) continue;
        if (static_cast<ReadWay>(board_.way.load(std::memory_order_relaxed)) == ReadWay::TakeOnly) {
          // Take-only (the self-test's): never read by handle, so every sample it reports came
          // through the take; nothing to take yet, so look again shortly.
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
      }
      auto next = word_.step(Phase::NextUnread, [&] { return seg_.next_unread_slot(index_); });
      if (!next) return fail(test::kChildApiError, api_text("next_unread_slot", next.error()));
      if (!*next) {
        // As wait_until does: announce the sleep, look once more, sleep. Woken at least every half
        // lease: a gap a dead writer left is passed only by looking again.
        const SlotBackend::WaitAnnouncement announced = seg_.announce_wait(WaitFor::Sample);
        next = seg_.next_unread_slot(index_);
        if (!next || *next) {
          seg_.withdraw_wait(announced);
          if (!next) return fail(test::kChildApiError, api_text("next_unread_slot", next.error()));
        } else {
          word_.set(Phase::Waiting);
          if (rng_() % 2 == 0) {
            seg_.sleep_announced(announced, slice);
          } else {
            // Half the sleeps go through a WaitSet instead: its own announcement, look, futex_waitv
            // and reap, killed at any point of them like the plain sleep.
            seg_.withdraw_wait(announced);
            auto woken = wait_set().wait(WaitLimit::within(slice));
            if (!woken && woken.error().code != SlotErrorCode::TimedOut) {
              return fail(test::kChildApiError, api_text("WaitSet::wait", woken.error()));
            }
          }
          continue;
        }
      }
      // The cursor names the sample next_unread_slot returned until mark_read moves it on
      // (ReaderStats::cursor: the next sequence number it expects).
      auto stats = seg_.reader_stats(index_);
      if (!stats) return fail(test::kChildApiError, api_text("reader_stats", stats.error()));
      const int code = in_place() ? read_in_place(**next, stats->cursor) : read_copy(**next, stats->cursor);
      if (code != test::kChildOk) return code;
    }
  }

 private:
  int fail(int code, const std::string& what) { return board_.child.failure.report(code, what); }

  // A set with this reader as its one member, made at the first sleep that uses it.
  WaitSet& wait_set() {
    if (!set_) {
      set_.emplace();
      if (!set_->add_reader(seg_, index_)) std::abort();  // a valid index of a live segment
    }
    return *set_;
  }

  // A third of the copying reads take the sample in one call (take_next_into, as Reader::take_into
  // does); the rest find it first and read it by its handle.
  bool take_this_time() {
    switch (static_cast<ReadWay>(board_.way.load(std::memory_order_relaxed))) {
      case ReadWay::TakeOnly: return true;
      case ReadWay::CopyOnly:
      case ReadWay::ZeroCopyOnly: return false;
      case ReadWay::Mixed: break;
    }
    return !in_place() && rng_() % 3 == 0;
  }

  bool in_place() {
    switch (static_cast<ReadWay>(board_.way.load(std::memory_order_relaxed))) {
      case ReadWay::CopyOnly:
      case ReadWay::TakeOnly: return false;
      case ReadWay::ZeroCopyOnly: return true;
      case ReadWay::Mixed: break;
    }
    if (word_.aimed_at(Phase::Pin) || word_.aimed_at(Phase::Holding)) return true;
    if (word_.aimed_at(Phase::CopyRead)) return false;
    return rng_() % 2 == 0;
  }

  int read_copy(SlotHandle handle, std::uint64_t seq) {
    std::array<std::byte, kSampleSize> bytes{};
    const bool allocating = rng_() % 4 == 0;
    auto header = word_.step(Phase::CopyRead, [&]() -> tl::expected<SlotHeader, SlotError> {
      if (!allocating) return seg_.read_slot_into(handle, bytes);
      auto read = seg_.read_slot(handle);
      if (!read) return tl::unexpected(read.error());
      std::memcpy(bytes.data(), read->bytes.data(), std::min(read->bytes.size(), bytes.size()));
      if (read->bytes.size() != read->header.sample_size)
        return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
      return read->header;
    });
    if (!header) {
      if (header.error().code != SlotErrorCode::Overwritten) {
        return fail(test::kChildApiError, api_text(allocating ? "read_slot" : "read_slot_into", header.error()));
      }
      return skip_overwritten(handle);
    }
    const std::string way = allocating ? " (copied by read_slot)" : " (copied by read_slot_into)";
    if (header->sample_size != kSampleSize) {
      return fail(test::kChildCheckFailed, "torn: sample of " + std::to_string(header->sample_size) + " bytes" + way);
    }
    if (header->sequence_number != static_cast<std::uint32_t>(seq)) {
      return fail(test::kChildCheckFailed, "order: next_unread_slot delivered sequence " + std::to_string(seq) +
                                               " but the slot header says " + std::to_string(header->sequence_number) +
                                               way);
    }
    RecoverySample sample;
    std::memcpy(&sample, bytes.data(), kSampleSize);
    const auto verified = test::verify_sample(sample);
    if (const auto* problem = std::get_if<std::string>(&verified))
      return fail(test::kChildCheckFailed, "torn: " + *problem + way);
    if (const int code = mark(handle); code != test::kChildOk) return code;
    board_.copies.fetch_add(1, std::memory_order_relaxed);
    return accept(std::get<test::Stamp>(verified), seq);
  }

  // The copying take: found, copied and marked read in one call. `took` stays false when nothing is
  // unread; the caller then looks and waits as after next_unread_slot.
  int take_copy(bool& took) {
    auto stats = seg_.reader_stats(index_);
    if (!stats) return fail(test::kChildApiError, api_text("reader_stats", stats.error()));
    const std::uint64_t cursor = stats->cursor;
    std::array<std::byte, kSampleSize> bytes{};
    auto taken = word_.step(Phase::CopyRead, [&] { return seg_.take_next_into(index_, bytes); });
    if (!taken) {
      if (taken.error().code != SlotErrorCode::Overwritten) {
        return fail(test::kChildApiError, api_text("take_next_into", taken.error()));
      }
      // Gone under the read and passed (marked) by the take: counted as skip_overwritten does.
      board_.overwritten.fetch_add(1, std::memory_order_relaxed);
      took = true;
      return test::kChildOk;
    }
    if (!*taken) return test::kChildOk;
    took = true;
    const SlotHeader& header = **taken;
    const std::string way = " (copied by take_next_into)";
    if (header.sample_size != kSampleSize) {
      return fail(test::kChildCheckFailed, "torn: sample of " + std::to_string(header.sample_size) + " bytes" + way);
    }
    // The number delivered: the cursor's, or a later one when the take passed a gap or resynced.
    const std::uint64_t seq =
        cursor + static_cast<std::uint32_t>(header.sequence_number - static_cast<std::uint32_t>(cursor));
    RecoverySample sample;
    std::memcpy(&sample, bytes.data(), kSampleSize);
    const auto verified = test::verify_sample(sample);
    if (const auto* problem = std::get_if<std::string>(&verified))
      return fail(test::kChildCheckFailed, "torn: " + *problem + way);
    board_.copies.fetch_add(1, std::memory_order_relaxed);
    return accept(std::get<test::Stamp>(verified), seq);
  }

  int read_in_place(SlotHandle handle, std::uint64_t seq) {
    auto span = word_.step(Phase::Pin, [&] { return seg_.slot_read_ptr(handle, index_); });
    if (!span) {
      if (span.error().code != SlotErrorCode::Overwritten) {
        return fail(test::kChildApiError, api_text("slot_read_ptr", span.error()));
      }
      return skip_overwritten(handle);
    }
    if (span->size() != kSampleSize) {
      (void)mark(handle);
      return fail(test::kChildCheckFailed, "torn: sample of " + std::to_string(span->size()) + " bytes (in place)");
    }
    // Checked where it lies: the pin must keep every byte as committed.
    const auto* in_slot = std::launder(reinterpret_cast<const RecoverySample*>(span->data()));
    std::string problem;
    test::Stamp stamp{};
    word_.step(Phase::Holding, [&] {
      const auto verified = test::verify_sample(*in_slot);
      if (const auto* p = std::get_if<std::string>(&verified)) {
        problem = "torn: " + *p + " (read in place)";
        return;
      }
      stamp = std::get<test::Stamp>(verified);
      if (rng_() % 8 != 0) return;
      // Hold the pin a while, as a slow consumer would, and make sure nothing moved under it.
      RecoverySample copy;
      std::memcpy(&copy, in_slot, kSampleSize);
      std::this_thread::sleep_for(std::chrono::microseconds(rng_() % 300));
      if (std::memcmp(&copy, in_slot, kSampleSize) != 0) {
        problem = "torn: the pinned sample (writer " + std::to_string(stamp.writer) + " sample " +
                  std::to_string(stamp.index) + ") changed while it was held";
      }
      board_.holds.fetch_add(1, std::memory_order_relaxed);
    });
    if (!problem.empty()) return fail(test::kChildCheckFailed, problem);
    if (const int code = mark(handle); code != test::kChildOk) return code;
    board_.zero_copies.fetch_add(1, std::memory_order_relaxed);
    return accept(stamp, seq);
  }

  int mark(SlotHandle handle) {
    auto marked = word_.step(Phase::MarkRead, [&] { return seg_.mark_read(handle, index_); });
    return marked ? test::kChildOk : fail(test::kChildApiError, api_text("mark_read", marked.error()));
  }

  // The sample went away under the read: marked and counted; the harness finds out whether this
  // reader was owed it.
  int skip_overwritten(SlotHandle handle) {
    board_.overwritten.fetch_add(1, std::memory_order_relaxed);
    return mark(handle);
  }

  int accept(const test::Stamp& stamp, std::uint64_t seq) {
    if (auto problem = check_.accept(stamp, seq)) return fail(test::kChildCheckFailed, *problem);
    return test::kChildOk;
  }

  PosixSlotAllocator& seg_;
  std::optional<WaitSet> set_;
  ReaderBoard& board_;
  PhaseWord& word_;
  const std::uint32_t index_;
  StreamCheck check_;
  std::mt19937_64 rng_;
};

}  // namespace

int run_reader(const ReaderPlan& plan, ReaderBoard& board, Board& shared) {
  ChildBoard& child = board.child;
  child.pid.store(static_cast<std::int32_t>(::getpid()));
  PhaseWord word(child, shared);
  word.set(Phase::Attach);  // before the stop: the tracer steps while the phase says attach
  if (plan.trace_attach && !test::trace_me_and_stop()) return kExitNoPtrace;
  auto segment = PosixSlotAllocator::attach(plan.flink);
  if (!segment) return child.failure.report(test::kChildSetup, "setup: attach: " + segment.error().message());
  word.set(Phase::None);
  if (plan.attach_only) return test::kChildOk;
  if (!word.watch(*segment)) return child.failure.report(test::kChildSetup, "setup: segment mapping not found");
  auto index = word.step(Phase::Register, [&] { return register_as(*segment, board.explicit_index.load()); });
  if (!index) {
    return child.failure.report(test::kChildApiError, api_text("register_reader", index.error()));
  }
  auto stats = segment->reader_stats(*index);
  if (!stats) return child.failure.report(test::kChildApiError, api_text("reader_stats", stats.error()));
  board.low.store(stats->cursor);
  board.high.store(segment->snapshot().next_sequence);
  board.index.store(*index, std::memory_order_release);
  child.state.store(static_cast<std::uint32_t>(RunState::Running), std::memory_order_release);
  if (plan.register_only) {
    auto left = word.step(Phase::Leave, [&] { return segment->unregister_reader(*index); });
    return left ? test::kChildOk
                : child.failure.report(test::kChildApiError, api_text("unregister_reader", left.error()));
  }
  Reader reader(*segment, board, word, *index, plan.seed);
  return reader.run();
}

}  // namespace shmslot::chaos

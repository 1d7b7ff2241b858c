#include "roles.hpp"

#include <sched.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <string>
#include <thread>

#include "stamped_sample.hpp"

namespace shmslot::test {

namespace {

int api_error(const char* who, std::uint32_t id, const char* call, const SlotError& e) {
  std::fprintf(stderr, "%s %u: %s failed: %s (%s)\n", who, id, call, to_string(e.code), e.message().c_str());
  return kExitApiError;
}

tl::expected<SlotHandle, SlotError> reserve_blocking(SlotBackend& segment, ReaderMask active, std::uint64_t& blocked) {
  for (;;) {
    // Generation first, then the attempt: a mark_read that frees a slot after the attempt moves
    // the generation past `seen`, so the wait below returns at once instead of missing it.
    const std::uint64_t seen = segment.notify_generation();
    auto handle = segment.reserve_slot(active);
    if (handle || handle.error().code != SlotErrorCode::NoFreeSlot) return handle;
    ++blocked;
    block_until_change(segment, seen);
  }
}

// One reader's walk through the stream, with everything it has seen so far.
class ReaderRun {
 public:
  ReaderRun(SlotBackend& segment, const ReaderPlan& plan, std::atomic<std::uint64_t>* progress)
      : seg_(segment),
        plan_(plan),
        progress_(progress),
        total_(std::accumulate(plan.samples_per_writer.begin(), plan.samples_per_writer.end(), std::uint64_t{0})),
        last_index_(plan.samples_per_writer.size()),
        buffer_(segment.slot_capacity()) {}

  int run();

 private:
  enum class Step { Delivered, Skipped, Failed };

  bool finished() const { return plan_.lossless ? delivered_ == total_ : end_seen_; }
  Step take(SlotHandle handle);
  // CopyingTake: the next sample, copied and marked by the segment in one call.
  Step take_next(std::uint64_t seen);
  // Checks the sample, accepts it and marks `to_mark` read (nullopt: marked already).
  Step check_and_accept(std::span<const std::byte> bytes, const std::optional<SlotHeader>& header,
                        const std::optional<SlotHandle>& to_mark, bool pinned);
  // What is wrong with `stamp` arriving now (lost, repeated, reordered, foreign header), if anything.
  std::optional<std::string> order_problem(const Stamp& stamp, const std::optional<SlotHeader>& header) const;
  void accept(const Stamp& stamp, const std::optional<SlotHeader>& header);
  bool is_end_marker(const Stamp& stamp) const {
    return !plan_.lossless && stamp.index == plan_.samples_per_writer[stamp.writer];
  }
  bool hold_pin_and_recheck(std::span<const std::byte> bytes, const Stamp& first);
  Step skipped() {
    ++overwritten_;
    return Step::Skipped;
  }
  Step fail(const std::string& what);
  Step api_fail(const char* call, const SlotError& e);
  const char* name() const { return to_string(plan_.method); }

  SlotBackend& seg_;
  const ReaderPlan& plan_;
  std::atomic<std::uint64_t>* progress_;
  const std::uint64_t total_;
  std::vector<std::optional<std::uint64_t>> last_index_;  // per writer: the last index accepted
  std::optional<std::uint32_t> last_seq_;
  std::vector<std::byte> buffer_;
  std::uint64_t delivered_ = 0;
  bool end_seen_ = false;
  int exit_code_ = kExitOk;
  // Statistics for the summary line.
  std::uint64_t waits_ = 0;
  std::uint64_t overwritten_ = 0;
  std::uint64_t pins_rechecked_ = 0;
};

int ReaderRun::run() {
  while (!finished()) {
    // Capture the generation, re-check, then wait: a commit after the check moves the generation
    // past `seen`, so wait_for_change returns at once (docs/protocol.md, "Notification").
    const std::uint64_t seen = seg_.notify_generation();
    if (plan_.method == ReadMethod::CopyingTake) {
      const Step step = take_next(seen);
      if (step == Step::Failed) return exit_code_;
      if (step == Step::Delivered && plan_.pause_every > 0 &&
          delivered_ % static_cast<std::uint64_t>(plan_.pause_every) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      continue;
    }
    auto next = seg_.next_unread_slot(plan_.reader_index);
    if (!next) {
      api_fail("next_unread_slot", next.error());
      return exit_code_;
    }
    if (!*next) {
      ++waits_;
      block_until_change(seg_, seen);
      continue;
    }
    if (take(**next) == Step::Failed) return exit_code_;
    if (plan_.pause_every > 0 && delivered_ % static_cast<std::uint64_t>(plan_.pause_every) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (plan_.lossless) {
    // Everything has arrived; anything more would be a duplicate.
    auto extra = seg_.next_unread_slot(plan_.reader_index);
    if (!extra) {
      api_fail("next_unread_slot", extra.error());
      return exit_code_;
    }
    if (*extra) {
      fail("next_unread_slot offers slot " + std::to_string((*extra)->slot_index) + " after all " +
           std::to_string(total_) + " samples were read");
      return exit_code_;
    }
  }
  std::fprintf(stderr,
               "reader %u (%s%s): %llu samples, %llu waits, %llu came back Overwritten, %llu pins held "
               "across a lap\n",
               plan_.reader_index, name(), plan_.lossless ? "" : ", lossy", static_cast<unsigned long long>(delivered_),
               static_cast<unsigned long long>(waits_), static_cast<unsigned long long>(overwritten_),
               static_cast<unsigned long long>(pins_rechecked_));
  return kExitOk;
}

ReaderRun::Step ReaderRun::take_next(std::uint64_t seen) {
  auto taken = seg_.take_next_into(plan_.reader_index, buffer_);
  if (!taken) {
    if (taken.error().code == SlotErrorCode::Overwritten && !plan_.lossless) return skipped();
    return api_fail("take_next_into", taken.error());
  }
  if (!*taken) {
    ++waits_;
    block_until_change(seg_, seen);
    return Step::Skipped;
  }
  const SlotHeader& header = **taken;
  return check_and_accept(std::span<const std::byte>(buffer_.data(), header.sample_size), header, std::nullopt, false);
}

ReaderRun::Step ReaderRun::take(SlotHandle handle) {
  ReadMethod method = plan_.method;
  if (method == ReadMethod::Alternate) method = delivered_ % 2 == 0 ? ReadMethod::Copy : ReadMethod::ZeroCopy;
  switch (method) {
    case ReadMethod::Copy: {
      auto header = seg_.read_slot_into(handle, buffer_);
      if (!header) {
        if (header.error().code == SlotErrorCode::Overwritten && !plan_.lossless) return skipped();
        return api_fail("read_slot_into", header.error());
      }
      return check_and_accept(std::span<const std::byte>(buffer_.data(), header->sample_size), *header, handle, false);
    }
    case ReadMethod::CopyAlloc: {
      auto read = seg_.read_slot(handle);
      if (!read) {
        if (read.error().code == SlotErrorCode::Overwritten && !plan_.lossless) return skipped();
        return api_fail("read_slot", read.error());
      }
      if (read->bytes.size() != read->header.sample_size) {
        return fail("read_slot returned " + std::to_string(read->bytes.size()) + " bytes for a header of " +
                    std::to_string(read->header.sample_size));
      }
      return check_and_accept(read->bytes, read->header, handle, false);
    }
    case ReadMethod::ZeroCopy:
    case ReadMethod::Alternate: {
      auto bytes = seg_.slot_read_ptr(handle, plan_.reader_index);
      if (!bytes) {
        if (bytes.error().code == SlotErrorCode::Overwritten && !plan_.lossless) return skipped();
        return api_fail("slot_read_ptr", bytes.error());
      }
      return check_and_accept(*bytes, std::nullopt, handle, true);
    }
    case ReadMethod::CopyingTake: break;  // run() calls take_next for it
  }
  return fail("unknown read method");
}

ReaderRun::Step ReaderRun::check_and_accept(std::span<const std::byte> bytes, const std::optional<SlotHeader>& header,
                                            const std::optional<SlotHandle>& to_mark, bool pinned) {
  auto checked = check_sample(bytes);
  if (auto* problem = std::get_if<std::string>(&checked)) return fail(*problem);
  const Stamp stamp = std::get<Stamp>(checked);
  if (pinned && plan_.hold_pins && !hold_pin_and_recheck(bytes, stamp)) return Step::Failed;
  if (auto problem = order_problem(stamp, header)) return fail(*problem);
  accept(stamp, header);
  if (!to_mark) return Step::Delivered;
  if (auto marked = seg_.mark_read(*to_mark, plan_.reader_index); !marked) return api_fail("mark_read", marked.error());
  return Step::Delivered;
}

std::optional<std::string> ReaderRun::order_problem(const Stamp& stamp, const std::optional<SlotHeader>& header) const {
  if (stamp.writer >= last_index_.size()) return "sample from unknown writer " + std::to_string(stamp.writer);
  const std::uint64_t sent = plan_.samples_per_writer[stamp.writer];
  const std::string who = "writer " + std::to_string(stamp.writer) + " index " + std::to_string(stamp.index);
  const std::optional<std::uint64_t>& last = last_index_[stamp.writer];
  if (stamp.index > sent || (plan_.lossless && stamp.index == sent)) {
    return who + " is beyond the " + std::to_string(sent) + " samples the writer sends";
  }
  if (plan_.lossless) {
    const std::uint64_t want = last ? *last + 1 : 0;
    if (stamp.index < want) return who + " arrived again or out of order (expected " + std::to_string(want) + ")";
    if (stamp.index > want) {
      return who + " arrived, so indices " + std::to_string(want) + ".." + std::to_string(stamp.index - 1) +
             " were lost";
    }
  } else if (last && stamp.index <= *last) {
    return who + " after index " + std::to_string(*last) + ": not increasing";
  }
  if (is_end_marker(stamp) && plan_.expect_last && (!last || *last + 1 != sent)) {
    return "end marker of writer " + std::to_string(stamp.writer) + " arrived, but the last sample before it (" +
           std::to_string(sent - 1) + ") never did" + (last ? "; last seen " + std::to_string(*last) : "");
  }
  if (!header) return std::nullopt;  // a zero-copy read has no header to compare
  const std::uint32_t seq = header->sequence_number;
  if (plan_.lossless && seq != static_cast<std::uint32_t>(delivered_)) {
    return who + " has sequence number " + std::to_string(seq) + ", but it is sample " + std::to_string(delivered_) +
           " of the stream";
  }
  if (last_seq_ && seq <= *last_seq_) {
    return who + " has sequence number " + std::to_string(seq) + " after " + std::to_string(*last_seq_);
  }
  if (last_index_.size() == 1 && seq != static_cast<std::uint32_t>(stamp.index)) {
    return who + " came with the header of sequence number " + std::to_string(seq) +
           " (header and payload from different samples)";
  }
  return std::nullopt;
}

void ReaderRun::accept(const Stamp& stamp, const std::optional<SlotHeader>& header) {
  if (header) last_seq_ = header->sequence_number;
  last_index_[stamp.writer] = stamp.index;
  end_seen_ = end_seen_ || is_end_marker(stamp);
  ++delivered_;
  if (progress_ != nullptr) progress_->store(delivered_, std::memory_order_relaxed);
}

bool ReaderRun::hold_pin_and_recheck(std::span<const std::byte> bytes, const Stamp& first) {
  // Let the writer go round the segment a few times (or give up waiting if it has finished), then
  // look again: a pinned slot must not have been reused.
  const auto g0 = static_cast<std::uint32_t>(seg_.notify_generation());
  const std::uint64_t slots = seg_.slot_count().value_or(1);
  for (int i = 0; i < 2000; ++i) {
    if (static_cast<std::uint32_t>(seg_.notify_generation()) - g0 >= 4 * slots) break;
    ::sched_yield();
  }
  auto again = check_sample(bytes);
  if (auto* problem = std::get_if<std::string>(&again)) {
    fail("pinned sample (writer " + std::to_string(first.writer) + " index " + std::to_string(first.index) +
         ") changed while pinned: " + *problem);
    return false;
  }
  const Stamp& now = std::get<Stamp>(again);
  if (now.index != first.index || now.checksum != first.checksum) {
    fail("pinned sample index " + std::to_string(first.index) + " became index " + std::to_string(now.index) +
         " while pinned");
    return false;
  }
  ++pins_rechecked_;
  return true;
}

ReaderRun::Step ReaderRun::fail(const std::string& what) {
  std::fprintf(stderr, "reader %u (%s%s) after %llu samples: %s\n", plan_.reader_index, name(),
               plan_.lossless ? "" : ", lossy", static_cast<unsigned long long>(delivered_), what.c_str());
  exit_code_ = kExitCheckFailed;
  return Step::Failed;
}

ReaderRun::Step ReaderRun::api_fail(const char* call, const SlotError& e) {
  exit_code_ = api_error("reader", plan_.reader_index, call, e);
  return Step::Failed;
}

}  // namespace

const char* to_string(ReadMethod m) {
  switch (m) {
    case ReadMethod::Copy: return "read_slot_into";
    case ReadMethod::CopyAlloc: return "read_slot";
    case ReadMethod::ZeroCopy: return "slot_read_ptr";
    case ReadMethod::Alternate: return "read_slot_into/slot_read_ptr";
    case ReadMethod::CopyingTake: return "take_next_into";
  }
  return "?";
}

std::uint64_t scaled(std::uint64_t base) {
  const char* scale = std::getenv("SHMSLOT_MP_SCALE");
  const std::uint64_t factor = scale != nullptr ? std::strtoull(scale, nullptr, 10) : 1;
  return base * (factor == 0 ? 1 : factor);
}

void block_until_change(const SlotBackend& segment, std::uint64_t seen) {
  while (!segment.wait_for_change(seen, std::chrono::hours(1))) {
  }
}

int run_reader(SlotBackend& segment, const ReaderPlan& plan, std::atomic<std::uint64_t>* progress) {
  return ReaderRun(segment, plan, progress).run();
}

int run_writer(SlotBackend& segment, const WriterPlan& plan, std::atomic<std::uint64_t>* progress) {
  const std::size_t capacity = segment.slot_capacity();
  std::vector<std::byte> staging(capacity);
  std::uint64_t blocked = 0;
  const std::uint64_t count = plan.samples + (plan.end_marker ? 1 : 0);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t len = i == plan.samples ? 0 : payload_len_for(plan.writer_id, i, capacity);
    auto handle = reserve_blocking(segment, plan.active, blocked);
    if (!handle) return api_error("writer", plan.writer_id, "reserve_slot", handle.error());
    tl::expected<std::uint32_t, SlotError> committed;
    if (i % 2 == 0) {
      const std::size_t size = write_sample(staging, plan.writer_id, i, len);
      committed = segment.commit_slot(*handle, std::span<const std::byte>(staging.data(), size));
      if (!committed) return api_error("writer", plan.writer_id, "commit_slot", committed.error());
    } else {
      auto slot = segment.slot_data_ptr(*handle);
      if (!slot) return api_error("writer", plan.writer_id, "slot_data_ptr", slot.error());
      if (slot->size() != capacity) {
        std::fprintf(stderr, "writer %u: slot_data_ptr gave %zu bytes, capacity is %zu\n", plan.writer_id, slot->size(),
                     capacity);
        return kExitCheckFailed;
      }
      const std::size_t size = write_sample(*slot, plan.writer_id, i, len);
      committed = segment.commit_in_place(*handle, size);
      if (!committed) return api_error("writer", plan.writer_id, "commit_in_place", committed.error());
    }
    if (progress != nullptr) progress->store(i + 1, std::memory_order_relaxed);
  }
  std::fprintf(stderr, "writer %u: %llu samples, reserve found the segment full %llu times\n", plan.writer_id,
               static_cast<unsigned long long>(count), static_cast<unsigned long long>(blocked));
  return kExitOk;
}

}  // namespace shmslot::test

// The writer role: loans a slot, writes the sample straight into shared memory, stamps the send
// time and commits, for `seconds`; then one end marker. Reader 0 and reader 1 are in its active
// mask, so it never overwrites a sample they have not read: when the segment is full it sleeps in
// wait_for_change until a reader marks a slot read.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include <shmslot/shmslot.hpp>

#include "demo_common.hpp"

namespace shmslot_demo {

namespace {

constexpr shmslot::ReaderMask kActiveReaders = 0b11;

void sleep_until_ns(std::uint64_t deadline_ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000ULL);
  ts.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000ULL);
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

// Reserves a slot, sleeping while every slot still holds a sample a reader has not read.
tl::expected<shmslot::SlotHandle, shmslot::SlotError> reserve(shmslot::SlotBackend& segment, std::uint64_t& full) {
  for (;;) {
    // The generation before the attempt: a slot freed after the attempt moves it, so the wait
    // below cannot sleep through that.
    const std::uint64_t seen = segment.notify_generation();
    auto slot = segment.reserve_slot(kActiveReaders);
    if (slot || slot.error().code != shmslot::SlotErrorCode::NoFreeSlot) return slot;
    ++full;
    segment.wait_for_change(seen, std::chrono::seconds(1));
  }
}

// Writes one sample into the loaned slot and commits it.
tl::expected<std::uint32_t, shmslot::SlotError> publish(shmslot::SlotBackend& segment, shmslot::SlotHandle slot,
                                                        std::uint64_t seq, std::size_t size, std::uint32_t flags) {
  auto bytes = segment.slot_data_ptr(slot);
  if (!bytes) return tl::unexpected(bytes.error());
  std::memset(bytes->data() + sizeof(SampleHeader), static_cast<int>(seq & 0xFF), size - sizeof(SampleHeader));
  const SampleHeader header{seq, monotonic_ns(), static_cast<std::uint32_t>(size), flags};
  std::memcpy(bytes->data(), &header, sizeof header);
  return segment.commit_in_place(slot, size);
}

}  // namespace

int run_writer(const RunOptions& options, const RoleArgs& args) {
  WriterReport report;
  auto finish = [&](const char* call, const shmslot::SlotError& e) {
    std::fprintf(stderr, "demo writer: %s: %s\n", call, e.message().c_str());
    report.error = static_cast<std::int32_t>(e.code) + 1;
    write_all(args.report_fd, &report, sizeof report);
    return 1;
  };
  auto segment = shmslot::PosixSlotAllocator::attach(args.flink);
  if (!segment) {
    std::fprintf(stderr, "demo writer: attach %s: %s\n", args.flink.c_str(), segment.error().message().c_str());
    return 1;
  }
  const std::uint64_t start = monotonic_ns();
  const auto end = start + static_cast<std::uint64_t>(options.seconds * 1e9);
  report.first_send_ns = start;
  std::uint64_t seq = 0;
  for (std::uint64_t now = start; now < end; now = monotonic_ns()) {
    if (options.rate > 0) {
      // Paced: sample k is due at start + k / rate; catch up without sleeping when late.
      const std::uint64_t due = start + seq * 1'000'000'000ULL / options.rate;
      if (due > now) sleep_until_ns(due);
    }
    auto slot = reserve(*segment, report.full);
    if (!slot) return finish("reserve_slot", slot.error());
    auto committed = publish(*segment, *slot, seq, options.sample_size, 0);
    if (!committed) return finish("commit_in_place", committed.error());
    ++seq;
  }
  report.sent = seq;
  report.last_send_ns = monotonic_ns();
  auto slot = reserve(*segment, report.full);
  if (!slot) return finish("reserve_slot", slot.error());
  auto committed = publish(*segment, *slot, seq, sizeof(SampleHeader), kFlagEnd);
  if (!committed) return finish("commit_in_place", committed.error());
  return write_all(args.report_fd, &report, sizeof report) ? 0 : 1;
}

}  // namespace shmslot_demo

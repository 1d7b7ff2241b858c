// The writer role: loans a slot, writes the sample straight into shared memory, stamps the send
// time and commits, for `seconds`; then one end marker. Reader 0 and reader 1 are in its active
// mask, so it never overwrites a sample they have not read: when the segment is full it sleeps in
// wait_until until a reader marks a slot read.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <utility>

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

// Loans a slot, sleeping while every slot still holds a sample a reader has not read; counts the
// looks that found the segment full.
tl::expected<shmslot::Loan, shmslot::SlotError> loan(shmslot::Writer& writer, std::size_t size, std::uint64_t& full) {
  return shmslot::wait_until(writer.backend(), shmslot::WaitLimit{},
                             [&]() -> tl::expected<std::optional<shmslot::Loan>, shmslot::SlotError> {
                               auto got = writer.loan(size);
                               if (got) return std::optional<shmslot::Loan>(std::move(*got));
                               if (got.error().code != shmslot::SlotErrorCode::NoFreeSlot) {
                                 return tl::unexpected(got.error());
                               }
                               ++full;
                               return std::optional<shmslot::Loan>{};
                             });
}

// Writes one sample into the loan and commits it. A loan that fails on the way is given back by
// its destructor.
tl::expected<std::uint32_t, shmslot::SlotError> publish(shmslot::Loan loan, std::uint64_t seq, std::uint32_t flags) {
  const std::span<std::byte> bytes = loan.data();
  std::memset(bytes.data() + sizeof(SampleHeader), static_cast<int>(seq & 0xFF), bytes.size() - sizeof(SampleHeader));
  const SampleHeader header{seq, monotonic_ns(), static_cast<std::uint32_t>(bytes.size()), flags};
  std::memcpy(bytes.data(), &header, sizeof header);
  return std::move(loan).commit();
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
  shmslot::Writer writer(*segment, kActiveReaders);
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
    auto slot = loan(writer, options.sample_size, report.full);
    if (!slot) return finish("loan", slot.error());
    auto committed = publish(std::move(*slot), seq, 0);
    if (!committed) return finish("commit", committed.error());
    ++seq;
  }
  report.sent = seq;
  report.last_send_ns = monotonic_ns();
  auto slot = loan(writer, sizeof(SampleHeader), report.full);
  if (!slot) return finish("loan", slot.error());
  auto committed = publish(std::move(*slot), seq, kFlagEnd);
  if (!committed) return finish("commit", committed.error());
  return write_all(args.report_fd, &report, sizeof report) ? 0 : 1;
}

}  // namespace shmslot_demo

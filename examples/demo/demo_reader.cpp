// The reader role: takes samples in sequence order with a Reader, either copying them out
// (take_into) or reading them in place (take, a guard that pins the slot), checks each one, records
// its send-to-read latency, and marks it read. Sleeps in wait_until when there is nothing new.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

#include <shmslot/shmslot.hpp>

#include "demo_common.hpp"
#include "latency_histogram.hpp"

namespace shmslot_demo {

namespace {

// What one reader has counted so far.
class Tally {
 public:
  explicit Tally(ReaderReport& report) : r_(report) {}

  // Counts one sample; returns false for the end marker.
  bool count(std::span<const std::byte> bytes, std::uint64_t now) {
    SampleHeader h{};
    if (bytes.size() < sizeof h) {
      ++r_.corrupt;
      return true;
    }
    std::memcpy(&h, bytes.data(), sizeof h);
    if ((h.flags & kFlagEnd) != 0) return false;
    if (r_.received == 0) r_.first_recv_ns = now;
    r_.last_recv_ns = now;
    ++r_.received;
    r_.bytes += bytes.size();
    // The writer filled the payload with the low byte of seq: look at both ends of it.
    const auto fill = static_cast<std::byte>(h.seq & 0xFF);
    if (h.size != bytes.size() || (bytes.size() > sizeof h && (bytes[sizeof h] != fill || bytes.back() != fill))) {
      ++r_.corrupt;
    }
    if (have_last_ && h.seq == last_seq_) {
      ++r_.duplicates;
    } else if (have_last_ && h.seq < last_seq_) {
      ++r_.reordered;
    } else {
      r_.lost += h.seq - (have_last_ ? last_seq_ + 1 : 0);
      last_seq_ = h.seq;
      have_last_ = true;
    }
    latency_.record(now >= h.send_ns ? now - h.send_ns : 0);
    return true;
  }

  void summarise() {
    r_.p50_us = static_cast<double>(latency_.percentile(0.50)) / 1e3;
    r_.p90_us = static_cast<double>(latency_.percentile(0.90)) / 1e3;
    r_.p99_us = static_cast<double>(latency_.percentile(0.99)) / 1e3;
    r_.max_us = static_cast<double>(latency_.max()) / 1e3;
  }

 private:
  ReaderReport& r_;
  LatencyHistogram latency_;
  std::uint64_t last_seq_ = 0;
  bool have_last_ = false;
};

}  // namespace

int run_reader(const RunOptions& options, const RoleArgs& args) {
  ReaderReport report;
  auto finish = [&](const char* call, const shmslot::SlotError& e) {
    std::fprintf(stderr, "demo reader %u: %s: %s\n", args.reader_index, call, e.message().c_str());
    report.error = static_cast<std::int32_t>(e.code) + 1;
    write_all(args.report_fd, &report, sizeof report);
    return 1;
  };
  auto segment = shmslot::PosixSlotAllocator::attach(args.flink);
  if (!segment) {
    std::fprintf(stderr, "demo reader %u: attach %s: %s\n", args.reader_index, args.flink.c_str(),
                 segment.error().message().c_str());
    return 1;
  }
  const char attached = 'A';
  if (!write_all(args.report_fd, &attached, 1)) return 1;

  std::vector<std::byte> copy(options.sample_size);
  Tally tally(report);
  shmslot::Reader reader(*segment, args.reader_index);
  // Every look that finds nothing is followed by a sleep in wait_until: count them.
  auto counted = [&](auto got) {
    if (got && !*got) ++report.waits;
    return got;
  };
  for (bool more = true; more;) {
    if (args.zero_copy) {
      auto sample = shmslot::wait_until(*segment, shmslot::WaitLimit{}, shmslot::WaitFor::Sample, [&] { return counted(reader.take()); });
      if (!sample) return finish("take", sample.error());
      more = tally.count(sample->bytes(), monotonic_ns());  // pinned until the guard goes
    } else {
      auto header =
          shmslot::wait_until(*segment, shmslot::WaitLimit{}, shmslot::WaitFor::Sample, [&] { return counted(reader.take_into(copy)); });
      if (!header) return finish("take_into", header.error());
      more = tally.count(std::span<const std::byte>(copy.data(), header->sample_size), monotonic_ns());
    }
  }
  tally.summarise();
  return write_all(args.report_fd, &report, sizeof report) ? 0 : 1;
}

}  // namespace shmslot_demo

#include "reader_thread.hpp"

#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

namespace shmslot::test {

std::uint64_t fnv1a_64(std::span<const std::byte> bytes) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const std::byte b : bytes) {
    h ^= static_cast<std::uint8_t>(b);
    h *= 0x100000001B3ULL;
  }
  return h;
}

std::uint64_t load_u64(std::span<const std::byte> bytes, std::size_t offset) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(bytes[offset + i]) << (8 * i);
  return v;
}

namespace {
PosixSlotAllocator attach(const std::string& flink) {
  auto s = PosixSlotAllocator::attach(flink);
  if (!s) {
    ADD_FAILURE() << "attach " << flink << ": " << s.error().message();
    std::abort();
  }
  return std::move(*s);
}
}  // namespace

ReaderThread::ReaderThread(const std::string& flink, std::chrono::microseconds pause,
                           std::function<void(std::span<const std::byte>)> on_sample)
    : segment_(attach(flink)), pause_(pause), on_sample_(std::move(on_sample)) {
  auto index = segment_.register_reader();
  if (!index) {
    ADD_FAILURE() << "register_reader: " << index.error().message();
    std::abort();
  }
  index_ = *index;
  thread_ = std::thread([this] { run(); });
}

ReaderThread::~ReaderThread() { stop(); }

void ReaderThread::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ReaderThread::check(std::span<const std::byte> payload) {
  if (payload.size() < 16 || fnv1a_64(payload.subspan(16)) != load_u64(payload, 8)) {
    ++corrupt_;
    return;
  }
  const std::uint64_t index = load_u64(payload, 0);
  // Counted from the first sample read: a bridge cannot tell what was lost before the first
  // sample it received from what was sent before it joined (docs/bridge.md), so neither do we.
  if (received_ == 0) next_index_ = index;
  if (index < next_index_) {
    ++disordered_;
    return;
  }
  lost_ += index - next_index_;
  next_index_ = index + 1;
}

void ReaderThread::run() {
  std::vector<std::byte> buffer(segment_.slot_capacity());
  while (!stop_) {
    const std::uint64_t generation = segment_.notify_generation();
    auto next = segment_.next_unread_slot(index_);
    if (!next || !*next) {
      segment_.wait_for_change(generation, std::chrono::milliseconds(20));
      continue;
    }
    auto header = segment_.read_slot_into(**next, buffer);
    if (!header) continue;  // overwritten: the writer does not wait for us (best effort)
    const auto payload = std::span<const std::byte>(buffer).first(header->sample_size);
    if (on_sample_) {
      on_sample_(payload);
    } else {
      check(payload);
    }
    ++received_;
    (void)segment_.mark_read(**next, index_);
    if (pause_.count() > 0) std::this_thread::sleep_for(pause_);
  }
}

}  // namespace shmslot::test

// A registered reader of a segment in a thread of the test (the "readers on host B" whose pace a
// test controls), checking what `shmslot pub --generate` wrote: the u64 index at bytes 0..7 and the
// FNV-1a-64 of bytes 16.. at bytes 8..15 (docs/cli.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <thread>

#include <shmslot/posix_slot_allocator.hpp>

namespace shmslot::test {

class ReaderThread {
 public:
  /// Attaches to `flink` and registers a reader index (in the caller's thread, so writers wait
  /// for it from now on), then reads in a thread, sleeping `pause` after each sample. `on_sample`
  /// (optional) sees every payload; without it payloads are checked as generated ones.
  ReaderThread(const std::string& flink, std::chrono::microseconds pause,
               std::function<void(std::span<const std::byte>)> on_sample = {});
  ~ReaderThread();
  ReaderThread(const ReaderThread&) = delete;
  ReaderThread& operator=(const ReaderThread&) = delete;

  void stop();
  std::uint64_t received() const { return received_.load(); }
  std::uint64_t lost() const { return lost_.load(); }              ///< indices skipped after the first read
  std::uint64_t disordered() const { return disordered_.load(); }  ///< index not above the last
  std::uint64_t corrupt() const { return corrupt_.load(); }
  /// One past the highest index read: the writer's count once its last sample has arrived.
  std::uint64_t next_index() const { return next_index_.load(); }

 private:
  void run();
  void check(std::span<const std::byte> payload);

  PosixSlotAllocator segment_;
  std::uint32_t index_ = 0;
  std::chrono::microseconds pause_;
  std::function<void(std::span<const std::byte>)> on_sample_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> disordered_{0};
  std::atomic<std::uint64_t> corrupt_{0};
  std::atomic<std::uint64_t> next_index_{0};
  std::thread thread_;
};

/// FNV-1a-64, as `pub --generate` stamps its payloads.
std::uint64_t fnv1a_64(std::span<const std::byte> bytes);

/// The u64 little-endian at `offset`.
std::uint64_t load_u64(std::span<const std::byte> bytes, std::size_t offset);

}  // namespace shmslot::test

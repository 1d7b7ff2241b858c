// Typed reading over any SlotBackend: copies in sequence order (take), the newest value (read),
// or a zero-copy guard into the slot (read_ref).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <utility>

#include <tl/expected.hpp>

#include "shmslot/flat_struct.hpp"
#include "shmslot/slot_backend.hpp"

namespace shmslot {

template <FlatStruct T>
class FlatReader;

/// A sample read in place: points into the slot, which stays pinned (never reused) until the
/// guard is destroyed, which marks it read. Move-only.
template <FlatStruct T>
class FlatSampleRef {
 public:
  FlatSampleRef(FlatSampleRef&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)),
        handle_(other.handle_),
        reader_(other.reader_),
        value_(other.value_) {}
  FlatSampleRef& operator=(FlatSampleRef&&) = delete;
  FlatSampleRef(const FlatSampleRef&) = delete;
  FlatSampleRef& operator=(const FlatSampleRef&) = delete;
  ~FlatSampleRef() { release(); }

  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_; }

  /// A copy of the value; the slot is released now.
  T into_inner() && {
    T copy = *value_;
    release();
    return copy;
  }

 private:
  friend class FlatReader<T>;
  FlatSampleRef(SlotBackend* backend, SlotHandle handle, std::uint32_t reader, const T* value)
      : backend_(backend), handle_(handle), reader_(reader), value_(value) {}
  void release() {
    if (backend_ != nullptr) (void)std::exchange(backend_, nullptr)->mark_read(handle_, reader_);
  }
  SlotBackend* backend_;
  SlotHandle handle_;
  std::uint32_t reader_;
  const T* value_;
};

/// Reads T samples as one reader index (0..31) from a backend it does not own (the backend must
/// outlive the reader). One thread at a time per reader index. Move-only.
template <FlatStruct T>
class FlatReader {
 public:
  /// Reads as `reader_index`, chosen by the application (the ZeroDDS way).
  FlatReader(SlotBackend& backend, std::uint32_t reader_index) : backend_(&backend), reader_(reader_index) {}

  /// Claims a free reader index in the segment's registry; it is released (and the reader
  /// disconnected) when this reader is destroyed. NoFreeReader when all 32 are taken.
  static tl::expected<FlatReader, SlotError> registered(SlotBackend& backend) {
    auto index = backend.register_reader();
    if (!index) return tl::unexpected(index.error());
    FlatReader reader(backend, *index);
    reader.owns_registration_ = true;
    return reader;
  }

  FlatReader(FlatReader&& other) noexcept
      : backend_(other.backend_),
        reader_(other.reader_),
        skipped_(other.skipped_),
        owns_registration_(std::exchange(other.owns_registration_, false)) {}
  FlatReader& operator=(FlatReader&&) = delete;
  FlatReader(const FlatReader&) = delete;
  FlatReader& operator=(const FlatReader&) = delete;
  ~FlatReader() {
    if (owns_registration_) (void)backend_->unregister_reader(reader_);
  }

  /// Samples evicted by a writer (max sample age) before this reader read them.
  std::uint64_t evictions() const {
    auto stats = backend_->reader_stats(reader_);
    return stats ? stats->evictions : 0;
  }

  /// The oldest sample this reader has not read, copied out; every sample, in sequence order.
  tl::expected<std::optional<T>, SlotError> take() {
    if (auto bad = check_type(); !bad) return tl::unexpected(bad.error());
    for (;;) {
      auto handle = backend_->next_unread_slot(reader_);
      if (!handle) return tl::unexpected(handle.error());
      if (!*handle) return std::optional<T>{};
      std::array<std::byte, sizeof(T)> raw;  // T need not be default-constructible
      auto header = backend_->read_slot_into(**handle, raw);
      const bool gone = !header && header.error().code == SlotErrorCode::Overwritten;
      if (!header && !gone) return tl::unexpected(type_error(header.error()));
      if (header && header->sample_size != sizeof(T)) return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
      if (auto marked = backend_->mark_read(**handle, reader_); !marked) return tl::unexpected(marked.error());
      if (gone) continue;  // overwritten under a reader outside the active mask: the next one
      return std::optional<T>(std::bit_cast<T>(raw));
    }
  }

  /// The newest sample this reader has not read ("latest value", as ZeroDDS's read): every older
  /// unread sample is marked read and skipped (counted in skipped()).
  tl::expected<std::optional<T>, SlotError> read() {
    std::optional<T> newest;
    for (;;) {
      auto next = take();
      if (!next) return tl::unexpected(next.error());
      if (!*next) return newest;
      if (newest) ++skipped_;
      newest = *next;
    }
  }

  /// The oldest sample this reader has not read, in place (zero-copy). Unlike ZeroDDS's read_ref,
  /// which keeps only the newest, this delivers every sample in sequence order, like take().
  tl::expected<std::optional<FlatSampleRef<T>>, SlotError> read_ref() {
    if (auto bad = check_type(); !bad) return tl::unexpected(bad.error());
    for (;;) {
      auto handle = backend_->next_unread_slot(reader_);
      if (!handle) return tl::unexpected(handle.error());
      if (!*handle) return std::optional<FlatSampleRef<T>>{};
      auto span = backend_->slot_read_ptr(**handle, reader_);
      if (!span) {
        if (span.error().code != SlotErrorCode::Overwritten) return tl::unexpected(span.error());
        (void)backend_->mark_read(**handle, reader_);
        continue;
      }
      if (span->size() != sizeof(T)) {
        (void)backend_->mark_read(**handle, reader_);  // unpin before reporting
        return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
      }
      // The payload is 16-byte aligned, alignof(T) <= 16, and the bytes are a committed T.
      const T* value = std::launder(reinterpret_cast<const T*>(span->data()));
      return std::optional<FlatSampleRef<T>>(FlatSampleRef<T>(backend_, **handle, reader_, value));
    }
  }

  /// take(), waiting up to `timeout` for a sample.
  tl::expected<std::optional<T>, SlotError> take_blocking(std::chrono::nanoseconds timeout) {
    return blocking([this] { return take(); }, timeout);
  }
  /// read(), waiting up to `timeout` for a sample.
  tl::expected<std::optional<T>, SlotError> read_blocking(std::chrono::nanoseconds timeout) {
    return blocking([this] { return read(); }, timeout);
  }
  /// read_ref(), waiting up to `timeout` for a sample.
  tl::expected<std::optional<FlatSampleRef<T>>, SlotError> read_ref_blocking(std::chrono::nanoseconds timeout) {
    return blocking([this] { return read_ref(); }, timeout);
  }

  std::uint32_t reader_index() const { return reader_; }
  /// Samples read() skipped because a newer one was pending.
  std::uint64_t skipped() const { return skipped_; }

 private:
  template <class Try>
  auto blocking(Try&& attempt, std::chrono::nanoseconds timeout) -> decltype(attempt()) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      // Capture the counter before looking: a commit after the look moves it, so the wait below
      // returns at once instead of sleeping through that commit.
      const std::uint64_t generation = backend_->notify_generation();
      auto got = attempt();
      if (!got || *got) return got;
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds::zero()) return got;
      // Wake at least every half lease: a writer that died inside a commit leaves a gap that is
      // passed only when the reader looks again after the lease (nobody else wakes it).
      backend_->wait_for_change(generation, std::min<std::chrono::nanoseconds>(left, backend_->lease() / 2));
    }
  }

  tl::expected<void, SlotError> check_type() const {
    const auto recorded = backend_->type_hash();
    if (recorded && *recorded != type_hash_of<T>) return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
    return {};
  }

  // A sample that does not fit a T is another type's.
  static SlotError type_error(const SlotError& e) {
    return e.code == SlotErrorCode::SampleTooLarge ? SlotError::of(SlotErrorCode::TypeMismatch) : e;
  }

  SlotBackend* backend_;
  std::uint32_t reader_;
  std::uint64_t skipped_ = 0;
  bool owns_registration_ = false;
};

}  // namespace shmslot

// Typed reading over any SlotBackend: copies in sequence order (take), the newest value (read),
// or a zero-copy guard into the slot (read_ref); a thin layer over Reader (reader.hpp) that sees
// bytes as a T.
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
#include "shmslot/reader.hpp"
#include "shmslot/slot_backend.hpp"
#include "shmslot/wait.hpp"

namespace shmslot {

template <FlatStruct T>
class FlatReader;

/// A sample read in place: points into the slot, which stays pinned (never reused) until the
/// guard is destroyed, which marks it read. Move-only.
template <FlatStruct T>
class FlatSampleRef {
 public:
  FlatSampleRef(FlatSampleRef&&) noexcept = default;
  FlatSampleRef& operator=(FlatSampleRef&&) = delete;
  FlatSampleRef(const FlatSampleRef&) = delete;
  FlatSampleRef& operator=(const FlatSampleRef&) = delete;
  ~FlatSampleRef() = default;

  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_; }

  /// A copy of the value; the slot is released now.
  T into_inner() && {
    T copy = *value_;
    (void)sample_.release();
    return copy;
  }

 private:
  friend class FlatReader<T>;
  // The payload is 16-byte aligned, alignof(T) <= 16, and the bytes are a committed T.
  explicit FlatSampleRef(Sample sample)
      : sample_(std::move(sample)), value_(std::launder(reinterpret_cast<const T*>(sample_.data()))) {}
  Sample sample_;
  const T* value_;
};

/// Reads T samples as one reader index (0..31) from a backend it does not own (the backend must
/// outlive the reader): a Reader whose samples are T. The segment's type hash is checked once,
/// here; a sample whose size is not sizeof(T) is TypeMismatch. One thread at a time per reader
/// index. Move-only.
template <FlatStruct T>
class FlatReader {
 public:
  /// Reads as `reader_index`, chosen by the application (the ZeroDDS way).
  FlatReader(SlotBackend& backend, std::uint32_t reader_index)
      : reader_(backend, reader_index), refusal_(check_type(backend)) {}

  /// Claims a free reader index in the segment's registry; it is released (and the reader
  /// disconnected) when this reader is destroyed. NoFreeReader when all 32 are taken.
  static tl::expected<FlatReader, SlotError> registered(SlotBackend& backend) {
    auto reader = Reader::registered(backend);
    if (!reader) return tl::unexpected(reader.error());
    return FlatReader(std::move(*reader));
  }
  /// registered(), for a late joiner: the retained samples first, then the live ones
  /// (Reader::registered_with_history).
  static tl::expected<FlatReader, SlotError> registered_with_history(SlotBackend& backend) {
    auto reader = Reader::registered_with_history(backend);
    if (!reader) return tl::unexpected(reader.error());
    return FlatReader(std::move(*reader));
  }

  FlatReader(FlatReader&&) noexcept = default;
  FlatReader& operator=(FlatReader&&) = delete;
  FlatReader(const FlatReader&) = delete;
  FlatReader& operator=(const FlatReader&) = delete;
  ~FlatReader() = default;

  /// Samples evicted by a writer (max sample age) before this reader read them.
  std::uint64_t evictions() const { return reader_.evictions(); }

  /// The oldest sample this reader has not read, copied out; every sample, in sequence order. A
  /// sample of another size is TypeMismatch: one larger than T stays unread, a smaller one is
  /// marked read.
  tl::expected<std::optional<T>, SlotError> take() {
    if (refusal_) return tl::unexpected(*refusal_);
    std::array<std::byte, sizeof(T)> raw;  // T need not be default-constructible
    auto header = reader_.take_into(raw);
    // A sample that does not fit a T is another type's (and stays unread, as take_into leaves it).
    if (!header && header.error().code == SlotErrorCode::SampleTooLarge) {
      return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
    }
    if (!header) return tl::unexpected(header.error());
    if (!*header) return std::optional<T>{};
    if ((*header)->sample_size != sizeof(T)) return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
    return std::optional<T>(std::bit_cast<T>(raw));
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
    if (refusal_) return tl::unexpected(*refusal_);
    auto sample = reader_.take();
    if (!sample) return tl::unexpected(sample.error());
    if (!*sample) return std::optional<FlatSampleRef<T>>{};
    if ((*sample)->size() != sizeof(T)) {
      (void)(*sample)->release();  // unpin before reporting
      return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
    }
    return std::optional<FlatSampleRef<T>>(FlatSampleRef<T>(std::move(**sample)));
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

  std::uint32_t reader_index() const { return reader_.reader_index(); }
  /// Samples read() skipped because a newer one was pending.
  std::uint64_t skipped() const { return skipped_; }
  /// The untyped reader underneath.
  Reader& untyped() { return reader_; }

 private:
  explicit FlatReader(Reader reader) : reader_(std::move(reader)), refusal_(check_type(reader_.backend())) {}

  // wait_until, with the timeout an empty result rather than an error (this API's contract).
  template <class Try>
  auto blocking(Try&& attempt, std::chrono::nanoseconds timeout) -> decltype(attempt()) {
    using Value = typename decltype(attempt())::value_type::value_type;
    auto got = wait_until(reader_.backend(), WaitLimit::within(timeout), WaitFor::Sample, attempt);
    if (got) return std::optional<Value>(std::move(*got));
    if (got.error().code == SlotErrorCode::TimedOut) return std::optional<Value>{};
    return tl::unexpected(got.error());
  }

  static std::optional<SlotError> check_type(const SlotBackend& backend) {
    const auto recorded = backend.type_hash();
    if (recorded && *recorded != type_hash_of<T>) return SlotError::of(SlotErrorCode::TypeMismatch);
    return std::nullopt;
  }

  Reader reader_;
  std::optional<SlotError> refusal_;  // why every call fails, when the segment is not for T
  std::uint64_t skipped_ = 0;
};

}  // namespace shmslot

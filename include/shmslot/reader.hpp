// Reading bytes over any SlotBackend as one reader index: in place through a guard (take), copied
// into the caller's buffer (take_into), or only the newest (read_into). FlatReader<T> is this, typed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include <tl/expected.hpp>

#include "shmslot/slot_backend.hpp"
#include "shmslot/types.hpp"
#include "shmslot/wait.hpp"

namespace shmslot {

template <class Backend>
class BasicReader;

/// A sample read in place: a read-only span into the slot, which stays pinned (never reused) until
/// the guard goes, which marks it read. Move-only; a moved-from guard does nothing.
template <class Backend>
class BasicSample {
 public:
  BasicSample(BasicSample&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)),
        handle_(other.handle_),
        reader_(other.reader_),
        bytes_(other.bytes_) {}
  BasicSample& operator=(BasicSample&& other) noexcept {
    if (this != &other) {
      (void)release();
      backend_ = std::exchange(other.backend_, nullptr);
      handle_ = other.handle_;
      reader_ = other.reader_;
      bytes_ = other.bytes_;
    }
    return *this;
  }
  BasicSample(const BasicSample&) = delete;
  BasicSample& operator=(const BasicSample&) = delete;
  ~BasicSample() { (void)release(); }

  /// The sample as committed; valid while the guard is live.
  std::span<const std::byte> bytes() const { return bytes_; }
  const std::byte* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  /// The sample's sequence number. The ZeroDDS slot header (SlotHeader, kSlotHeaderSize bytes,
  /// native byte order, sequence number first) lies right before the payload, and a pinned slot
  /// cannot be rewritten while the guard lives.
  std::uint32_t sequence_number() const {
    std::uint32_t sn = 0;
    std::memcpy(&sn, bytes_.data() - kSlotHeaderSize, sizeof sn);
    return sn;
  }
  /// False once released or moved from.
  bool live() const { return backend_ != nullptr; }

  /// Marks the sample read now (unpinning the slot); the span is no longer valid.
  [[gnu::always_inline]] tl::expected<void, SlotError> release() {
    if (backend_ == nullptr) return {};
    auto marked = std::exchange(backend_, nullptr)->mark_read(handle_, reader_);
    // The pin was dropped under us (the reader was disconnected): there is nothing left to mark.
    if (!marked && marked.error().code == SlotErrorCode::Overwritten) return {};
    return marked;
  }

 private:
  friend class BasicReader<Backend>;
  BasicSample(Backend* backend, SlotHandle handle, std::uint32_t reader, std::span<const std::byte> bytes)
      : backend_(backend), handle_(handle), reader_(reader), bytes_(bytes) {}

  Backend* backend_;  // null: nothing to mark
  SlotHandle handle_;
  std::uint32_t reader_;
  std::span<const std::byte> bytes_;
};

/// Reads byte samples as one reader index (0..31) from a backend it does not own (the backend must
/// outlive the reader and its guards). Every sample, in sequence order (take, take_into), or the
/// newest (read_into). One thread at a time per reader index. Move-only.
///
/// `Reader` is BasicReader<SlotBackend>: any backend, through the interface. A Backend that is a
/// final class (BasicReader<PosixSlotAllocator>) has its methods called directly, with no virtual
/// dispatch per sample: for hot loops that know their backend.
///
/// The per-sample calls are [[gnu::always_inline]]: left out of line by the compiler, each cost
/// 15 to 60 more instructions per sample (bench/count_instructions.sh), mostly tl::expected values
/// copied through memory.
template <class Backend>
class BasicReader {
  static_assert(std::is_base_of_v<SlotBackend, Backend>, "a Reader reads from a SlotBackend");

 public:
  using Sample = BasicSample<Backend>;

  /// Reads as `reader_index`, chosen by the application (the ZeroDDS way). An index of 32 or more
  /// makes every call fail with ReaderIndexOutOfRange.
  BasicReader(Backend& backend, std::uint32_t reader_index) : backend_(&backend), reader_(reader_index) {}

  /// Claims a free reader index in the segment's registry; it is released (and the reader
  /// disconnected) when this reader is destroyed. NoFreeReader when all 32 are taken.
  static tl::expected<BasicReader, SlotError> registered(Backend& backend) {
    return owning(backend, backend.register_reader());
  }
  /// registered(), for a late joiner: it reads the samples the segment retains for late joiners
  /// (CreateOptions::history_depth), oldest first, then the live ones (SlotBackend::
  /// register_reader_with_history). Unsupported on a ZeroDDS-created segment.
  static tl::expected<BasicReader, SlotError> registered_with_history(Backend& backend) {
    return owning(backend, backend.register_reader_with_history());
  }

 private:
  // A reader that releases `index` when it goes.
  static tl::expected<BasicReader, SlotError> owning(Backend& backend, tl::expected<std::uint32_t, SlotError> index) {
    if (!index) return tl::unexpected(index.error());
    BasicReader reader(backend, *index);
    reader.owns_registration_ = true;
    return reader;
  }

 public:
  BasicReader(BasicReader&& other) noexcept
      : backend_(other.backend_),
        reader_(other.reader_),
        skipped_(other.skipped_),
        overwritten_(other.overwritten_),
        owns_registration_(std::exchange(other.owns_registration_, false)) {}
  BasicReader& operator=(BasicReader&&) = delete;
  BasicReader(const BasicReader&) = delete;
  BasicReader& operator=(const BasicReader&) = delete;
  ~BasicReader() {
    if (owns_registration_) (void)backend_->unregister_reader(reader_);
  }

  /// The oldest sample this reader has not read, in place (zero-copy): the guard pins the slot and
  /// marks it read when it goes. nullopt when there is none.
  [[gnu::always_inline]] tl::expected<std::optional<Sample>, SlotError> take() {
    if (reader_ >= kMaxReaders) return tl::unexpected(SlotError::of(SlotErrorCode::ReaderIndexOutOfRange));
    for (;;) {
      auto handle = backend_->next_unread_slot(reader_);
      if (!handle) return tl::unexpected(handle.error());
      if (!*handle) return std::optional<Sample>{};
      auto span = backend_->slot_read_ptr(**handle, reader_);
      if (!span) {
        if (span.error().code != SlotErrorCode::Overwritten) return tl::unexpected(span.error());
        (void)backend_->mark_read(**handle, reader_);  // gone under a reader outside the active mask
        ++overwritten_;
        continue;
      }
      return std::optional<Sample>(Sample(backend_, **handle, reader_, *span));
    }
  }

  /// The oldest sample this reader has not read, copied into `out` and marked read; returns its
  /// header (header.sample_size bytes of `out` hold it). nullopt when there is none. A sample
  /// larger than `out` is SampleTooLarge and stays unread.
  [[gnu::always_inline]] tl::expected<std::optional<SlotHeader>, SlotError> take_into(std::span<std::byte> out) {
    if (reader_ >= kMaxReaders) return tl::unexpected(SlotError::of(SlotErrorCode::ReaderIndexOutOfRange));
    for (;;) {
      auto next = backend_->take_next_into(reader_, out);
      if (next || next.error().code != SlotErrorCode::Overwritten) return next;
      ++overwritten_;  // overwritten under a reader outside the active mask: the next one
    }
  }

  /// The newest sample this reader has not read, copied into `out` ("latest value", as ZeroDDS's
  /// read): every older unread sample is marked read and skipped (counted in skipped()).
  tl::expected<std::optional<SlotHeader>, SlotError> read_into(std::span<std::byte> out) {
    std::optional<SlotHeader> newest;
    for (;;) {
      auto next = take_into(out);
      if (!next) return tl::unexpected(next.error());
      if (!*next) return newest;
      if (newest) ++skipped_;
      newest = *next;
    }
  }

  /// take(), waiting for a sample until `limit` gives up (TimedOut, Stopped).
  tl::expected<Sample, SlotError> take_blocking(const WaitLimit& limit) {
    return wait_until(*backend_, limit, WaitFor::Sample, [this] { return take(); });
  }
  /// take_into(), waiting for a sample until `limit` gives up (TimedOut, Stopped).
  tl::expected<SlotHeader, SlotError> take_into_blocking(std::span<std::byte> out, const WaitLimit& limit) {
    return wait_until(*backend_, limit, WaitFor::Sample, [this, out] { return take_into(out); });
  }
  /// read_into(), waiting for a sample until `limit` gives up (TimedOut, Stopped).
  tl::expected<SlotHeader, SlotError> read_into_blocking(std::span<std::byte> out, const WaitLimit& limit) {
    return wait_until(*backend_, limit, WaitFor::Sample, [this, out] { return read_into(out); });
  }

  /// The registry's view of this reader index (cursor, evictions, owner).
  tl::expected<ReaderStats, SlotError> stats() const { return backend_->reader_stats(reader_); }
  /// Samples evicted by a writer (max sample age) before this reader read them.
  std::uint64_t evictions() const {
    auto s = stats();
    return s ? s->evictions : 0;
  }
  /// Samples read_into() skipped because a newer one was pending.
  std::uint64_t skipped() const { return skipped_; }
  /// Samples that were gone before this reader could copy or pin them: a writer reused their slot
  /// (this reader was not in its active mask). Each is passed over.
  std::uint64_t overwritten() const { return overwritten_; }
  /// The index this reader reads as.
  std::uint32_t reader_index() const { return reader_; }
  /// The backend this reader reads from.
  Backend& backend() const { return *backend_; }

 private:
  Backend* backend_;
  std::uint32_t reader_;
  std::uint64_t skipped_ = 0;
  std::uint64_t overwritten_ = 0;
  bool owns_registration_ = false;
};

/// A zero-copy read of any backend's slot.
using Sample = BasicSample<SlotBackend>;
/// A reader of any backend.
using Reader = BasicReader<SlotBackend>;

}  // namespace shmslot

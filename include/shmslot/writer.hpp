// Publishing bytes over any SlotBackend: copy a sample in (write), or loan a slot, fill it in place
// and commit it (loan). FlatWriter<T> is this, typed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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
class BasicWriter;

/// A loaned slot, `size()` bytes of it writable in place. Move-only: `std::move(loan).commit(len)`
/// publishes the first `len` bytes, `std::move(loan).discard()` gives the slot back, and a loan
/// destroyed with neither is discarded. A moved-from loan does nothing.
template <class Backend>
class BasicLoan {
 public:
  BasicLoan(BasicLoan&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)), handle_(other.handle_), data_(other.data_) {}
  BasicLoan& operator=(BasicLoan&& other) noexcept {
    if (this != &other) {
      release();
      backend_ = std::exchange(other.backend_, nullptr);
      handle_ = other.handle_;
      data_ = other.data_;
    }
    return *this;
  }
  BasicLoan(const BasicLoan&) = delete;
  BasicLoan& operator=(const BasicLoan&) = delete;
  ~BasicLoan() { release(); }

  /// The writable bytes: the slot's payload, as large as asked for. Its contents are whatever the
  /// slot held before (not zeroed).
  std::span<std::byte> data() const { return data_; }
  std::size_t size() const { return data_.size(); }
  /// False once committed, discarded or moved from.
  bool live() const { return backend_ != nullptr; }

  /// Publishes the first `len` bytes (no copy); returns the sequence number. A `len` above size()
  /// is SampleTooLarge, and the slot is given back; so is a loan that is not live (NotLoaned).
  [[gnu::always_inline]] tl::expected<std::uint32_t, SlotError> commit(std::size_t len) && {
    Backend* backend = std::exchange(backend_, nullptr);
    if (backend == nullptr) return tl::unexpected(SlotError::of(SlotErrorCode::NotLoaned));
    if (len > data_.size()) {
      (void)backend->discard_slot(handle_);
      return tl::unexpected(SlotError::too_large(len, data_.size()));
    }
    auto sn = backend->commit_in_place(handle_, len);
    if (!sn) (void)backend->discard_slot(handle_);  // a failed commit must not leave the loan behind
    return sn;
  }
  /// Publishes all size() bytes.
  tl::expected<std::uint32_t, SlotError> commit() && { return std::move(*this).commit(data_.size()); }
  /// Gives the slot back unpublished.
  tl::expected<void, SlotError> discard() && {
    Backend* backend = std::exchange(backend_, nullptr);
    if (backend == nullptr) return tl::unexpected(SlotError::of(SlotErrorCode::NotLoaned));
    return backend->discard_slot(handle_);
  }

 private:
  friend class BasicWriter<Backend>;
  BasicLoan(Backend* backend, SlotHandle handle, std::span<std::byte> data)
      : backend_(backend), handle_(handle), data_(data) {}
  void release() {
    if (backend_ != nullptr) (void)std::exchange(backend_, nullptr)->discard_slot(handle_);
  }

  Backend* backend_;  // null: nothing to give back
  SlotHandle handle_;
  std::span<std::byte> data_;
};

/// Publishes byte samples into a backend it does not own (the backend must outlive the writer and
/// its loans). The active readers (those that must read a sample before its slot is reused) are
/// the segment's registered readers, read at every reservation, or an explicit mask. One thread at
/// a time per Writer; several Writers (threads, processes) may publish into one segment.
///
/// `Writer` is BasicWriter<SlotBackend>: any backend, through the interface. A Backend that is a
/// final class (BasicWriter<PosixSlotAllocator>) has its methods called directly, with no virtual
/// dispatch per sample: for hot loops that know their backend.
///
/// The per-sample calls are [[gnu::always_inline]]: left out of line by the compiler, each cost
/// 15 to 60 more instructions per sample (bench/count_instructions.sh), mostly tl::expected values
/// copied through memory.
template <class Backend>
class BasicWriter {
  static_assert(std::is_base_of_v<SlotBackend, Backend>, "a Writer publishes into a SlotBackend");

 public:
  using Loan = BasicLoan<Backend>;

  /// Active readers: the registered ones (SlotBackend::registered_readers), at each reservation.
  explicit BasicWriter(Backend& backend) : backend_(&backend), capacity_(backend.slot_capacity()) {}
  /// Active readers: exactly `active_readers_mask` (the ZeroDDS way).
  BasicWriter(Backend& backend, ReaderMask active_readers_mask)
      : backend_(&backend),
        capacity_(backend.slot_capacity()),
        explicit_active_(active_readers_mask),
        use_explicit_(true) {}

  /// Copies `bytes` into a free slot and publishes it; returns its sequence number. Never blocks:
  /// NoFreeSlot when every slot is taken (after evicting, see set_max_sample_age).
  [[gnu::always_inline]] tl::expected<std::uint32_t, SlotError> write(std::span<const std::byte> bytes) {
    if (bytes.size() > capacity_) return tl::unexpected(SlotError::too_large(bytes.size(), capacity_));
    auto handle = reserve();
    if (!handle) return tl::unexpected(handle.error());
    auto sn = backend_->commit_slot(*handle, bytes);
    if (!sn) (void)backend_->discard_slot(*handle);
    return sn;
  }

  /// write(), waiting for readers to free a slot until `limit` gives up (TimedOut, Stopped).
  tl::expected<std::uint32_t, SlotError> write_blocking(std::span<const std::byte> bytes, const WaitLimit& limit) {
    return wait_until(*backend_, limit, [&] { return unless_full(write(bytes)); });
  }

  /// Loans a free slot with `size` writable bytes (at most slot_capacity()). Never blocks:
  /// NoFreeSlot when every slot is taken (after evicting, see set_max_sample_age).
  [[gnu::always_inline]] tl::expected<Loan, SlotError> loan(std::size_t size) {
    if (size > capacity_) return tl::unexpected(SlotError::too_large(size, capacity_));
    auto handle = reserve();
    if (!handle) return tl::unexpected(handle.error());
    auto data = backend_->slot_data_ptr(*handle);
    if (!data || data->size() < size) {
      (void)backend_->discard_slot(*handle);
      if (!data) return tl::unexpected(data.error());
      return tl::unexpected(SlotError::too_large(size, data->size()));
    }
    return Loan(backend_, *handle, data->first(size));
  }

  /// loan(), waiting for readers to free a slot until `limit` gives up (TimedOut, Stopped).
  tl::expected<Loan, SlotError> loan_blocking(std::size_t size, const WaitLimit& limit) {
    return wait_until(*backend_, limit, [&] { return unless_full(loan(size)); });
  }

  /// On a full segment, free samples older than `max_age` that some active reader has not read
  /// (SlotBackend::evict_stale; each such reader's eviction counter records it) instead of failing
  /// or waiting. nullopt (the default): never evict.
  void set_max_sample_age(std::optional<std::chrono::nanoseconds> max_age) { max_age_ = max_age; }

  /// Replaces the active readers with an explicit mask; nullopt: the registered readers.
  void set_active_readers(std::optional<ReaderMask> mask) {
    use_explicit_ = mask.has_value();
    explicit_active_ = mask.value_or(0);
  }
  /// The readers a slot waits for, as the next reservation will see them.
  ReaderMask active_readers() const { return use_explicit_ ? explicit_active_ : backend_->registered_readers(); }
  /// The explicit mask, or nullopt when the writer follows the registered readers.
  std::optional<ReaderMask> explicit_active_readers() const {
    return use_explicit_ ? std::optional<ReaderMask>(explicit_active_) : std::nullopt;
  }
  /// Payload bytes per slot: the largest sample.
  std::size_t capacity() const { return capacity_; }
  /// The backend this writer publishes into.
  Backend& backend() const { return *backend_; }

 private:
  [[gnu::always_inline]] tl::expected<SlotHandle, SlotError> reserve() {
    const ReaderMask active = active_readers();
    auto handle = backend_->reserve_slot(active);
    if (handle || handle.error().code != SlotErrorCode::NoFreeSlot || !max_age_) return handle;
    auto evicted = backend_->evict_stale(*max_age_, active);
    if (!evicted || *evicted == 0) return handle;
    return backend_->reserve_slot(active);
  }

  Backend* backend_;
  std::size_t capacity_;  // fixed for a segment's life: read once, not per sample
  // A flag beside a plain mask rather than std::optional: g++ 12 under ASan at -O2 reports a false
  // maybe-uninitialized on the optional's payload.
  ReaderMask explicit_active_ = 0;
  bool use_explicit_ = false;
  std::optional<std::chrono::nanoseconds> max_age_;
};

/// A loan of any backend's slot.
using Loan = BasicLoan<SlotBackend>;
/// A writer into any backend.
using Writer = BasicWriter<SlotBackend>;

}  // namespace shmslot

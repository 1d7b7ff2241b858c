// Typed publishing over any SlotBackend: copy a value in, or loan a slot and build it in place.
#pragma once

#include <algorithm>
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

/// The result of write_bp.
struct WriteOutcome {
  enum class Kind : std::uint8_t { Written, Dropped, TimedOut } kind = Kind::Dropped;
  std::uint32_t sequence_number = 0;  ///< for Written

  static WriteOutcome written(std::uint32_t sn) { return {Kind::Written, sn}; }
  static WriteOutcome dropped() { return {Kind::Dropped, 0}; }
  static WriteOutcome timed_out() { return {Kind::TimedOut, 0}; }
  friend bool operator==(const WriteOutcome&, const WriteOutcome&) = default;
};

template <FlatStruct T>
class FlatWriter;

/// A loaned slot holding a T under construction. Move-only: `std::move(loan).commit()` publishes
/// it; a loan destroyed without commit is discarded.
template <FlatStruct T>
class FlatLoan {
 public:
  FlatLoan(FlatLoan&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)), handle_(other.handle_), value_(other.value_) {}
  FlatLoan& operator=(FlatLoan&&) = delete;
  FlatLoan(const FlatLoan&) = delete;
  FlatLoan& operator=(const FlatLoan&) = delete;
  ~FlatLoan() {
    if (backend_ != nullptr) (void)backend_->discard_slot(handle_);
  }

  /// The value in the slot, zero-initialised when loaned.
  T& operator*() const { return *value_; }
  T* operator->() const { return value_; }

  /// Publishes the value in place (no copy); returns its sequence number.
  tl::expected<std::uint32_t, SlotError> commit() && {
    SlotBackend* backend = std::exchange(backend_, nullptr);
    return backend->commit_in_place(handle_, sizeof(T));
  }

 private:
  friend class FlatWriter<T>;
  FlatLoan(SlotBackend* backend, SlotHandle handle, T* value) : backend_(backend), handle_(handle), value_(value) {}
  SlotBackend* backend_;
  SlotHandle handle_;
  T* value_;
};

/// Publishes T samples into a backend it does not own (the backend must outlive the writer).
/// The active readers (those that must read a sample before its slot is reused) are the segment's
/// registered readers, read at every write, or an explicit mask.
template <FlatStruct T>
class FlatWriter {
 public:
  /// Active readers: the registered ones (SlotBackend::registered_readers), at each write.
  explicit FlatWriter(SlotBackend& backend) : backend_(&backend) {}
  /// Active readers: exactly `active_readers_mask` (the ZeroDDS way).
  FlatWriter(SlotBackend& backend, ReaderMask active_readers_mask)
      : backend_(&backend), explicit_active_(active_readers_mask), use_explicit_(true) {}

  /// Copies `value` into a free slot and publishes it.
  tl::expected<std::uint32_t, SlotError> write(const T& value) {
    if (auto bad = check_type(); !bad) return tl::unexpected(bad.error());
    auto handle = reserve();
    if (!handle) return tl::unexpected(handle.error());
    auto sn = backend_->commit_slot(*handle, std::as_bytes(std::span<const T, 1>(&value, 1)));
    if (!sn) (void)backend_->discard_slot(*handle);
    return sn;
  }

  /// Loans a free slot to build a T in place.
  tl::expected<FlatLoan<T>, SlotError> loan() {
    if (auto bad = check_type(); !bad) return tl::unexpected(bad.error());
    auto handle = reserve();
    if (!handle) return tl::unexpected(handle.error());
    auto data = backend_->slot_data_ptr(*handle);
    if (!data || data->size() < sizeof(T)) {
      (void)backend_->discard_slot(*handle);
      if (!data) return tl::unexpected(data.error());
      return tl::unexpected(SlotError::too_large(sizeof(T), data->size()));
    }
    // Payloads are 16-byte aligned and alignof(T) <= 16, so T can live there; T is trivially
    // copyable, so zero bytes are a valid start (as ZeroDDS's as_mut does).
    std::memset(data->data(), 0, sizeof(T));
    T* value = std::launder(reinterpret_cast<T*>(data->data()));
    return FlatLoan<T>(backend_, *handle, value);
  }

  /// write() with back-pressure: on a full segment, Reliable waits up to `timeout` for readers to
  /// free a slot; BestEffort returns Dropped at once.
  tl::expected<WriteOutcome, SlotError> write_bp(const T& value, Reliability reliability,
                                                 std::chrono::nanoseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      // Capture the counter before trying: a slot freed after the try moves it, so the wait
      // below returns at once instead of missing that change.
      const std::uint64_t generation = backend_->notify_generation();
      auto sn = write(value);
      if (sn) return WriteOutcome::written(*sn);
      if (sn.error().code != SlotErrorCode::NoFreeSlot) return tl::unexpected(sn.error());
      if (reliability == Reliability::BestEffort) return WriteOutcome::dropped();
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds::zero()) return WriteOutcome::timed_out();
      // Wake at least every half lease: a reader that died wakes nobody, and reaping it (done by
      // reserve_slot when it finds the segment full) is what frees its slots.
      backend_->wait_for_change(generation, std::min<std::chrono::nanoseconds>(left, backend_->lease() / 2));
    }
  }

  /// On a full segment, free samples older than `max_age` that some active reader has not read
  /// (SlotBackend evict_stale; each such reader's eviction counter records it) instead of failing
  /// or waiting. nullopt (the default): never evict.
  void set_max_sample_age(std::optional<std::chrono::nanoseconds> max_age) { max_age_ = max_age; }

  /// Replaces the active readers with an explicit mask; nullopt: the registered readers.
  void set_active_readers(std::optional<ReaderMask> mask) {
    use_explicit_ = mask.has_value();
    explicit_active_ = mask.value_or(0);
  }
  ReaderMask active_readers() const { return use_explicit_ ? explicit_active_ : backend_->registered_readers(); }
  SlotBackend& backend() const { return *backend_; }

 private:
  tl::expected<void, SlotError> check_type() const {
    const auto recorded = backend_->type_hash();
    if (recorded && *recorded != type_hash_of<T>) return tl::unexpected(SlotError::of(SlotErrorCode::TypeMismatch));
    if (backend_->slot_capacity() < sizeof(T)) return tl::unexpected(SlotError::too_large(sizeof(T), backend_->slot_capacity()));
    return {};
  }

  tl::expected<SlotHandle, SlotError> reserve() {
    const ReaderMask active = active_readers();
    auto handle = backend_->reserve_slot(active);
    if (handle || handle.error().code != SlotErrorCode::NoFreeSlot || !max_age_) return handle;
    auto evicted = backend_->evict_stale(*max_age_, active);
    if (!evicted || *evicted == 0) return handle;
    return backend_->reserve_slot(active);
  }

  SlotBackend* backend_;
  // A flag beside a plain mask rather than std::optional: g++ 12 under ASan at -O2 reports a false
  // maybe-uninitialized on the optional's payload.
  ReaderMask explicit_active_ = 0;
  bool use_explicit_ = false;
  std::optional<std::chrono::nanoseconds> max_age_;
};

}  // namespace shmslot

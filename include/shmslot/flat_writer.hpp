// Typed publishing over any SlotBackend: copy a value in, or loan a slot and build it in place; a
// thin layer over Writer (writer.hpp) that sees bytes as a T.
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
#include "shmslot/wait.hpp"
#include "shmslot/writer.hpp"

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
  FlatLoan(FlatLoan&&) noexcept = default;
  FlatLoan& operator=(FlatLoan&&) = delete;
  FlatLoan(const FlatLoan&) = delete;
  FlatLoan& operator=(const FlatLoan&) = delete;
  ~FlatLoan() = default;

  /// The value in the slot, zero-initialised when loaned.
  T& operator*() const { return *value_; }
  T* operator->() const { return value_; }

  /// Publishes the value in place (no copy); returns its sequence number.
  tl::expected<std::uint32_t, SlotError> commit() && { return std::move(loan_).commit(sizeof(T)); }

 private:
  friend class FlatWriter<T>;
  explicit FlatLoan(Loan loan)
      // Payloads are 16-byte aligned and alignof(T) <= 16, so T can live there; T is trivially
      // copyable, so zero bytes are a valid start (as ZeroDDS's as_mut does).
      : loan_(std::move(loan)), value_(std::launder(reinterpret_cast<T*>(loan_.data().data()))) {}
  Loan loan_;
  T* value_;
};

/// Publishes T samples into a backend it does not own (the backend must outlive the writer): a
/// Writer whose samples are T. The segment's type hash and capacity are checked once, here; a
/// writer of the wrong type fails every call with TypeMismatch (or SampleTooLarge).
/// The active readers (those that must read a sample before its slot is reused) are the segment's
/// registered readers, read at every write, or an explicit mask.
template <FlatStruct T>
class FlatWriter {
 public:
  /// Active readers: the registered ones (SlotBackend::registered_readers), at each write.
  explicit FlatWriter(SlotBackend& backend) : writer_(backend), refusal_(check_type(backend)) {}
  /// Active readers: exactly `active_readers_mask` (the ZeroDDS way).
  FlatWriter(SlotBackend& backend, ReaderMask active_readers_mask)
      : writer_(backend, active_readers_mask), refusal_(check_type(backend)) {}

  /// Copies `value` into a free slot and publishes it.
  tl::expected<std::uint32_t, SlotError> write(const T& value) {
    if (refusal_) return tl::unexpected(*refusal_);
    return writer_.write(bytes_of(value));
  }

  /// Loans a free slot to build a T in place.
  tl::expected<FlatLoan<T>, SlotError> loan() {
    if (refusal_) return tl::unexpected(*refusal_);
    auto loan = writer_.loan(sizeof(T));
    if (!loan) return tl::unexpected(loan.error());
    std::memset(loan->data().data(), 0, sizeof(T));
    return FlatLoan<T>(std::move(*loan));
  }

  /// write() with back-pressure: on a full segment, Reliable waits up to `timeout` for readers to
  /// free a slot; BestEffort returns Dropped at once.
  tl::expected<WriteOutcome, SlotError> write_bp(const T& value, Reliability reliability,
                                                 std::chrono::nanoseconds timeout) {
    if (refusal_) return tl::unexpected(*refusal_);
    auto sn = reliability == Reliability::BestEffort
                  ? writer_.write(bytes_of(value))
                  : writer_.write_blocking(bytes_of(value), WaitLimit::within(timeout));
    if (sn) return WriteOutcome::written(*sn);
    if (sn.error().code == SlotErrorCode::NoFreeSlot) return WriteOutcome::dropped();
    if (sn.error().code == SlotErrorCode::TimedOut) return WriteOutcome::timed_out();
    return tl::unexpected(sn.error());
  }

  /// On a full segment, free samples older than `max_age` that some active reader has not read
  /// (SlotBackend evict_stale; each such reader's eviction counter records it) instead of failing
  /// or waiting. nullopt (the default): never evict.
  void set_max_sample_age(std::optional<std::chrono::nanoseconds> max_age) { writer_.set_max_sample_age(max_age); }

  /// Replaces the active readers with an explicit mask; nullopt: the registered readers.
  void set_active_readers(std::optional<ReaderMask> mask) { writer_.set_active_readers(mask); }
  ReaderMask active_readers() const { return writer_.active_readers(); }
  SlotBackend& backend() const { return writer_.backend(); }
  /// The untyped writer underneath.
  Writer& untyped() { return writer_; }

 private:
  static std::optional<SlotError> check_type(const SlotBackend& backend) {
    const auto recorded = backend.type_hash();
    if (recorded && *recorded != type_hash_of<T>) return SlotError::of(SlotErrorCode::TypeMismatch);
    if (backend.slot_capacity() < sizeof(T)) return SlotError::too_large(sizeof(T), backend.slot_capacity());
    return std::nullopt;
  }
  static std::span<const std::byte> bytes_of(const T& value) { return std::as_bytes(std::span<const T, 1>(&value, 1)); }

  Writer writer_;
  std::optional<SlotError> refusal_;  // why every call fails, when the segment is not for T
};

}  // namespace shmslot

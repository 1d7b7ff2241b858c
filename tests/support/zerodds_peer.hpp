// A test peer that behaves like a ZeroDDS process (zerodds-flatdata 1.0.0-rc.3, V3 layout) on a
// POSIX slot segment: what `PosixSlotAllocator` of the Rust crate plus the `shared_memory` 0.12 crate
// do, written from the reference (/work/shared/reference/zerodds-flatdata-spec.md §2.6, §3, §4),
// not from shmslot. It shares no code with shmslot, so the compat tests compare shmslot against an
// independent implementation of the format.
//
// Faithful on purpose, flaws included:
//  - loan flags live in this object (process-local), so only the owner should reserve/commit;
//  - commit copies the payload, then writes the 16-byte slot header with one plain store, then
//    increments `gen` (release) and calls FUTEX_WAKE(INT_MAX) on it (shared futex);
//  - readers use plain reads with no consistency check; next_unread_slot scans by slot index;
//  - an attached consumer takes the capacity as slot_total_size - 16 and checks only the magic.
// Plain (non-atomic) accesses to words another process writes are what the Rust code does; here they
// are memcpy's, which on x86-64 compile to the same loads and stores.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace shmslot::test {

class ZeroDdsPeer {
 public:
  // The layout versions the crate shipped: V3 (rc.3 and later, 0x20 header) is what the peer is;
  // V1 (rc.1, 0x10 header, no gen word) only to make segments shmslot must refuse.
  enum class Layout { V3, V1 };

  static constexpr std::uint32_t kMagic = 0x5A445353;  // "ZDSS"
  static constexpr std::size_t kV3HeaderSize = 0x20;
  static constexpr std::size_t kV1HeaderSize = 0x10;
  static constexpr std::size_t kSlotHeaderSize = 16;
  static constexpr std::size_t kNextSnOffset = 0x0C;
  static constexpr std::size_t kGenOffset = 0x10;

  // ZeroDDS's SlotHeader: #[repr(C, align(4))], native byte order.
  struct Header {
    std::uint32_t sequence_number = 0;
    std::uint32_t sample_size = 0;
    std::uint32_t reader_mask = 0;
    std::uint32_t reserved = 0;
    friend bool operator==(const Header&, const Header&) = default;
  };

  enum class Errc {
    Shm,               // PosixSlotError::Shm (system call failed)
    LinkExists,        // PosixSlotError::Shm(LinkExists): the flink file already exists
    CapacityOverflow,  // PosixSlotError::CapacityOverflow
    InvalidHeader,     // PosixSlotError::InvalidHeader (magic mismatch)
    NoFreeSlot,        // SlotError::NoFreeSlot
    OutOfBounds,       // SlotError::OutOfBounds (also "not a live loan" in slot_data_ptr)
    SampleTooLarge,    // SlotError::SampleTooLarge
  };
  struct Error {
    Errc code = Errc::Shm;
    int sys_errno = 0;
    std::string detail;
    std::string message() const;
  };
  template <class T>
  using Result = tl::expected<T, Error>;

  struct Read {
    Header header;
    std::vector<std::byte> bytes;
  };

  // Where create() may stop, to reproduce the windows a consumer can hit while a real owner is
  // still creating: the flink file exists but is empty, or it names the segment but the header is
  // still zero. finish_create() completes the remaining steps.
  enum class CreateStop { Complete, AfterFlinkCreated, BeforeHeaderInit };

  // Owner side: PosixSlotAllocator::create. Random name "/shmem_<UPPERHEX u64>", shm_open
  // O_CREAT|O_EXCL|O_RDWR 0600, ftruncate to exactly header + count * total, mmap, flink file
  // (create_new: O_CREAT|O_EXCL, 0666 & ~umask) then a write of exactly the name bytes, chmod 0600 on
  // flink and /dev/shm object (V3 only), then the header words and a zeroed slot array.
  static Result<ZeroDdsPeer> create(const std::string& flink_path, std::size_t slot_count, std::size_t slot_capacity,
                                    Layout layout = Layout::V3, CreateStop stop = CreateStop::Complete);
  // Consumer side: PosixSlotAllocator::attach. Reads the flink file, shm_open O_RDWR (5 retries of
  // 50 ms on failure), fstat, mmap the whole object, checks the magic only, capacity = total - 16.
  static Result<ZeroDdsPeer> attach(const std::string& flink_path);

  ZeroDdsPeer(ZeroDdsPeer&&) noexcept;
  ZeroDdsPeer& operator=(ZeroDdsPeer&&) noexcept;
  ZeroDdsPeer(const ZeroDdsPeer&) = delete;
  ZeroDdsPeer& operator=(const ZeroDdsPeer&) = delete;
  // Owner: delete the flink file, munmap, shm_unlink, close. Consumer: munmap, close.
  ~ZeroDdsPeer();

  // Completes a create() that stopped early.
  void finish_create();

  // ---- SlotBackend (V3), as the Rust POSIX backend implements it -------------------------------
  // First fit from slot 0: skip loaned slots, take one with sample_size == 0 || all_read(active).
  Result<std::uint32_t> reserve_slot(std::uint32_t active_readers_mask);
  // SampleTooLarge check, sn = next_sn.fetch_add(1, relaxed), memcpy, plain 16-byte header
  // {sn, len, 0, 0}, clear the loan, gen.fetch_add(1, release) + FUTEX_WAKE(INT_MAX). Does not check
  // that the slot is loaned (neither does ZeroDDS).
  Result<std::uint32_t> commit_slot(std::uint32_t slot_index, std::span<const std::byte> bytes);
  // commit_slot in two halves, split where a real writer can be preempted: begin_commit takes the
  // sequence number and copies the payload (steps 1-3), end_commit writes the header, clears the
  // loan and notifies (steps 4-6). begin + end is byte for byte commit_slot.
  Result<std::uint32_t> begin_commit(std::uint32_t slot_index, std::span<const std::byte> bytes);
  void end_commit(std::uint32_t slot_index, std::uint32_t sn, std::size_t len);
  // Requires a live loan (else OutOfBounds); the payload area, slot_capacity() bytes.
  Result<std::span<std::byte>> slot_data_ptr(std::uint32_t slot_index);
  // commit_slot without the copy.
  Result<std::uint32_t> commit_in_place(std::uint32_t slot_index, std::size_t len);
  // Clears the loan flag, leaves the header alone, bumps gen.
  Result<void> discard_slot(std::uint32_t slot_index);
  // Plain header read and a copy of min(sample_size, capacity) bytes; no consistency check.
  Result<Read> read_slot(std::uint32_t slot_index) const;
  // Zero-copy read: (payload, min(sample_size, capacity)).
  Result<std::span<const std::byte>> slot_read_ptr(std::uint32_t slot_index) const;
  // First slot by index with sample_size > 0 and this reader's bit clear.
  Result<std::optional<std::uint32_t>> next_unread_slot(std::uint32_t reader_index) const;
  // reader_mask.fetch_or(1 << reader, relaxed), then the gen bump and wake.
  Result<void> mark_read(std::uint32_t slot_index, std::uint32_t reader_index);
  // The reader's bit on every slot, then the gen bump and wake.
  Result<void> mark_reader_disconnected(std::uint32_t reader_index);

  std::uint32_t slot_count() const;
  std::uint32_t slot_total_size() const;
  std::size_t slot_capacity() const;
  // gen.load(acquire) (0 for V1, which has no gen word).
  std::uint32_t notify_generation() const;
  // FUTEX_WAIT(gen, last, timeout) (shared futex), as the crate does: returns at once if gen already
  // differs; may return spuriously. Returns whether gen differs from `last` afterwards (the crate
  // returns nothing; the result is for tests).
  bool wait_for_change(std::uint32_t last, std::chrono::nanoseconds timeout) const;

  // ---- introspection for tests --------------------------------------------------------------------
  const std::string& flink_path() const;
  const std::string& shm_name() const;  // "/shmem_<HEX>"
  bool is_owner() const;
  std::size_t mapped_size() const;
  std::size_t header_size() const;  // 0x20 (V3) or 0x10 (V1)
  // A plain read of slot `i`'s header.
  Header raw_header(std::uint32_t slot_index) const;
  // A 32-bit word of the segment header, e.g. kNextSnOffset.
  std::uint32_t header_word(std::size_t offset) const;
  // The whole mapping, for byte-level checks.
  std::span<const std::byte> bytes() const;
  // Whether slot `i` is loaned in this process.
  bool loaned(std::uint32_t slot_index) const;

 private:
  struct State;
  explicit ZeroDdsPeer(std::unique_ptr<State> state);
  void bump_notify();
  void init_header();
  Result<void> write_flink();
  std::byte* slot_ptr(std::uint32_t slot_index) const;
  std::unique_ptr<State> s_;
};

// The futex word thread `tid` of this process is blocked on in FUTEX_WAIT, per
// /proc/self/task/<tid>/syscall; nullopt while it is not in a futex wait. Lets a test make sure a
// waiter is really asleep before it wakes it.
std::optional<std::uintptr_t> futex_wait_address(int tid);

}  // namespace shmslot::test

// The cross-process slot allocator over a POSIX shared-memory segment, byte-compatible with
// ZeroDDS's PosixSlotAllocator (V3 layout). Linux only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shmslot/detail/engine_backend.hpp"
#include "shmslot/locator.hpp"
#include "shmslot/slot_backend.hpp"

namespace shmslot {

/// What went wrong creating or attaching a segment.
enum class PosixErrorCode {
  /// A system call failed; `sys_errno` and `detail` say which and why. Retry helps only if the cause
  /// does (ENOSPC: free /dev/shm; EACCES: permissions).
  Shm,
  /// slot_capacity (or the slot size derived from it) does not fit in 32 bits. Retry does not help.
  CapacityOverflow,
  /// The segment is corrupt, truncated, of an unsupported layout, or not a segment; `detail` says
  /// which check failed. Retry does not help.
  InvalidHeader,
  /// An argument is out of range (slot_count 0 or above 2^24, capacity 0, empty path).
  InvalidArgument,
  /// create: the flink path belongs to a live owner, or to a segment whose owner cannot be checked.
  InUse,
  /// The flink file is a symlink, not a regular file, or does not hold a segment name.
  BadFlink,
  /// The segment records a type hash other than the one the caller expects.
  TypeMismatch,
  /// The segment is owned by another user and the caller did not opt in (AttachOptions).
  ForeignOwner,
  /// The segment was created in another pid namespace (a container that shares /dev/shm but not the
  /// pid namespace): pids there name other processes, so liveness could not be judged. Retry does
  /// not help; run the processes in one pid namespace.
  ForeignPidNamespace,
  /// A slot operation failed (`slot`).
  Slot,
};

/// The error of create and attach.
struct PosixSlotError {
  PosixErrorCode code = PosixErrorCode::Shm;
  int sys_errno = 0;   ///< errno for Shm
  std::string detail;  ///< what failed, or the reason
  SlotError slot{};    ///< for Slot

  /// One line for people, e.g. "shm error: shm_open /shmem_1A2B: No such file or directory".
  std::string message() const;
};

/// Name of the enumerator, e.g. "InvalidHeader".
const char* to_string(PosixErrorCode code);

/// How commits wake sleeping readers (docs/protocol.md, "Notification").
enum class NotifyMode : std::uint8_t {
  /// FUTEX_WAKE only when a shmslot waiter sleeps, or on a commit whose active mask holds a reader
  /// index no registration covers (a ZeroDDS reader sleeps unannounced): no system call per commit
  /// otherwise.
  WakeOnDemand,
  /// FUTEX_WAKE on every commit, discard and mark_read, as ZeroDDS does: needed when ZeroDDS
  /// processes wait on the segment for anything else (a ZeroDDS writer waiting for a free slot).
  WakeAlways,
};

/// Options of PosixSlotAllocator::create.
struct CreateOptions {
  /// Permissions of the segment, set exactly (the umask plays no part); the flink file gets the
  /// same without write bits for group and others (0660 -> 0640). 0660 shares it with `group`.
  mode_t mode = 0600;
  /// Group of segment and flink file. Unset: the group the flink directory gives a new file (a
  /// setgid directory's own group, else the caller's effective group). Set: needs `mode` with group
  /// read and write, and a caller that is root or a member of the group (else EPERM, and nothing is
  /// created). Set before the mode, so the segment is never open to another group.
  std::optional<gid_t> group;
  std::optional<TypeHash> type_hash;    ///< recorded in the segment; checked by attach
  NotifyMode notify = NotifyMode::WakeOnDemand;
  /// How long a dead reader or writer may hold others up before a reap frees what it held
  /// (docs/recovery.md); 1 ms .. 60 s.
  std::chrono::milliseconds lease{kDefaultLease};
  /// Samples kept for readers that join later (register_reader_with_history): the newest
  /// `history_depth` committed samples are never reused or evicted; 0 (the default) keeps none; at
  /// most slot_count - 1. docs/protocol.md, "History for late joiners".
  std::uint32_t history_depth = 0;
};

/// Options of PosixSlotAllocator::attach.
struct AttachOptions {
  std::optional<TypeHash> expected_type_hash;  ///< refused with TypeMismatch if the segment records another
  bool allow_foreign_owner = false;           ///< accept a segment owned by another uid
  /// Accept a segment of another uid that is shared with this group: its group is `group` and its
  /// mode gives the group read and write (created with CreateOptions::group).
  std::optional<gid_t> group;
};

/// A flink argument without '/' names a file in this directory: $SHMSLOT_DIR, else /tmp/shmslot.
std::string default_flink_dir();

/// `flink` itself when it contains '/', else default_flink_dir() + "/" + flink.
std::string resolve_flink_path(const std::string& flink);

/// A POSIX shared-memory slot segment. The creator is its owner: its destruction removes the flink
/// file and unlinks the segment. An attached consumer's destruction only unmaps. Any handle may
/// read and write. Move-only.
class PosixSlotAllocator final : public detail::EngineBackend {
 public:
  /// Creates a segment of `slot_count` slots of `slot_capacity` bytes, owner-only (0600).
  static tl::expected<PosixSlotAllocator, PosixSlotError> create(const std::string& flink_path,
                                                                 std::size_t slot_count, std::size_t slot_capacity);
  /// As above, with options.
  static tl::expected<PosixSlotAllocator, PosixSlotError> create(const std::string& flink_path,
                                                                 std::size_t slot_count, std::size_t slot_capacity,
                                                                 const CreateOptions& options);
  /// Attaches to an existing segment (shmslot's or ZeroDDS's) as a consumer.
  static tl::expected<PosixSlotAllocator, PosixSlotError> attach(const std::string& flink_path);
  /// As above, with options.
  static tl::expected<PosixSlotAllocator, PosixSlotError> attach(const std::string& flink_path,
                                                                 const AttachOptions& options);

  /// The flink file's path (resolved).
  const std::string& flink_path() const;
  /// What ZeroDDS advertises in its locator: the flink path.
  std::string segment_path() const;
  /// The shm object's name, e.g. "/shmem_1A2B3C".
  const std::string& shm_name() const;
  /// True for the creator.
  bool is_owner() const;
  /// False for a segment a ZeroDDS process created: shmslot reads it but cannot write it.
  bool has_extension() const;
  /// The segment's notification mode.
  NotifyMode notify_mode() const;
  /// False once the process that created the segment is gone (readers can stop waiting).
  bool owner_alive() const;
  /// The discovery record for this segment (uid from geteuid, hostname hash of `hostname`).
  ShmLocator locator(const std::string& hostname) const;

  PosixSlotAllocator(PosixSlotAllocator&&) noexcept;
  PosixSlotAllocator& operator=(PosixSlotAllocator&&) noexcept;
  ~PosixSlotAllocator() override;

 private:
  struct Resources;
  explicit PosixSlotAllocator(std::unique_ptr<Resources> resources);
  std::unique_ptr<Resources> res_;
};

}  // namespace shmslot

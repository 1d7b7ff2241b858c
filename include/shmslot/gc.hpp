// Garbage collection of what dead owners left behind: shmslot segments in /dev/shm whose recorded
// owner is gone, and flink files that name no segment any more. `shmslot gc` is a thin layer over
// collect_garbage().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "shmslot/posix_slot_allocator.hpp"

namespace shmslot {

/// How long a file in the flink directory that holds no segment name (empty, or other bytes) must
/// have been left unchanged before collect_garbage removes it: a ZeroDDS owner creates its flink
/// file empty and writes the name a moment later.
inline constexpr std::chrono::seconds kGcNamelessFlinkAge{60};

/// Options of collect_garbage.
struct GcOptions {
  bool dry_run = false;   ///< find and list, remove nothing
  std::string flink_dir;  ///< the flink files to check; empty: default_flink_dir()
  /// Consider only the segments that a flink file in `flink_dir` names, instead of every shmslot
  /// segment in /dev/shm (for tests, and for cleaning one application's directory only).
  bool only_named = false;
};

/// What a leftover is.
enum class GcKind : std::uint8_t {
  Segment,  ///< a shm object in /dev/shm
  Flink,    ///< a flink file
};

/// Name of the enumerator, e.g. "Segment".
const char* to_string(GcKind kind);

/// One leftover collect_garbage found.
struct GcEntry {
  GcKind kind = GcKind::Segment;
  std::string path;      ///< "/dev/shm/shmem_..." for a segment, the file's path for a flink file
  std::string reason;    ///< why it is garbage, e.g. "shmslot segment of dead owner pid 4242"
  bool removed = false;  ///< false in a dry run, or when the removal failed (`error` says why)
  std::string error;     ///< why the removal failed; empty otherwise
};

/// A leftover collect_garbage found but may not remove: in a sticky directory (/dev/shm, /tmp) only
/// the file's owner, the directory's owner or root may remove a file.
struct GcKept {
  GcKind kind = GcKind::Segment;
  std::string path;    ///< as in GcEntry
  std::string reason;  ///< why it is garbage, as in GcEntry
  uid_t owner = 0;     ///< the uid that owns it
  /// Why it stays, e.g. "owned by uid 1001, /dev/shm is sticky: only that user or root may remove it".
  std::string why_kept;
};

/// What collect_garbage found.
struct GcReport {
  /// What it removed (in a dry run: would remove); an entry whose removal failed says why.
  std::vector<GcEntry> entries;
  /// Garbage of another user that this process may not remove; its owner or root can.
  std::vector<GcKept> kept;
};

/// Finds, and unless `dry_run` removes, (a) shm objects named /shmem_* that carry the shmslot
/// extension and whose recorded owner (pid and start time) is dead, and (b) flink files in the
/// flink directory whose segment does not exist or was collected in (a), and (c) the draft flink
/// files ("<flink>.<pid>.<hex>.tmp", unlocked, pid gone) of creates that died midway, with the
/// segments they name, and (d) files in the flink directory that hold no segment name (empty, or
/// other bytes) when they are regular files of this uid, no longer than a segment name can be,
/// unlocked, and unchanged for kGcNamelessFlinkAge. (a) and (b) include other users' segments and
/// flink files that this process can read: those it may remove (it is root, owns the file or the
/// directory, or the directory is writable and not sticky) are removed, the others are listed in
/// `kept` with the reason. (c) and (d) are of this uid only. Never touches an object without the
/// shmslot flag (ZeroDDS uses the same names), one whose owner is alive (by its record, or because
/// a flink file naming it is still locked), a symlink, a directory, or a larger file. Entries of
/// (a) come first, then (b), (c), (d).
/// Fails (Shm) only when /dev/shm or the flink directory cannot be listed; a missing flink
/// directory is empty.
tl::expected<GcReport, PosixSlotError> collect_garbage(const GcOptions& options = {});

}  // namespace shmslot

// Attaching to a segment from the command line, and noticing when its owner took it down.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/segment_snapshot.hpp>
#include <tl/expected.hpp>

namespace shmslot::cli {

/// Attaches to `flink` (checking `type_hash_hex` when not empty; accepting another user's segment
/// shared with `group` when set) as a consumer. On failure prints "shmslot <command>: <why>" and
/// returns the exit code.
tl::expected<PosixSlotAllocator, int> attach_segment(std::string_view command, const std::string& flink,
                                                     const std::string& type_hash_hex = {},
                                                     std::optional<gid_t> group = std::nullopt);

/// What to do about a flink path that holds no segment name (BadFlink): remove it by hand, or let
/// `shmslot gc` do it once it has been left alone long enough. Starts with "; ".
std::string bad_flink_hint(const std::string& flink_path);

/// True while the segment's flink file still names it; false once the owner removed it (the owner
/// exited) or another segment took the path over. Reads one small file.
bool still_published(const PosixSlotAllocator& segment);

/// Why nobody will publish into the segment any more (its flink file no longer names it, or its
/// creator is dead), or nullopt while it is alive. Reads a file and /proc: call it when idle.
std::optional<std::string> segment_gone(const PosixSlotAllocator& segment);

/// What is damaged in the snapshot ("the state words of 3 of 4 slots hold values no shmslot
/// process writes (slots 0, 1, 2)"), or nullopt when nothing is.
std::optional<std::string> damage_of(const SegmentSnapshot& snap);

}  // namespace shmslot::cli

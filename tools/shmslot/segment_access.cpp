#include "segment_access.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include <fmt/core.h>
#include <shmslot/gc.hpp>
#include <shmslot/type_hash.hpp>

#include "command.hpp"
#include "exit_codes.hpp"

namespace shmslot::cli {

tl::expected<PosixSlotAllocator, int> attach_segment(std::string_view command, const std::string& flink,
                                                     const std::string& type_hash_hex, std::optional<gid_t> group) {
  AttachOptions options;
  if (!type_hash_hex.empty()) options.expected_type_hash = type_hash_from_hex(type_hash_hex);
  options.group = group;
  auto segment = PosixSlotAllocator::attach(flink, options);
  if (!segment) {
    const PosixSlotError& e = segment.error();
    struct stat st {};
    if (e.code == PosixErrorCode::Shm && e.sys_errno == ENOENT &&
        ::lstat(resolve_flink_path(flink).c_str(), &st) == 0) {
      // The flink file is there, the segment it names is not: a dead owner's leftover.
      return tl::unexpected(fail(command, exit_code_for(e),
                                 e.message() + " (the flink file outlived its segment; `shmslot gc` removes it)"));
    }
    if (e.code == PosixErrorCode::BadFlink) {
      return tl::unexpected(fail(command, exit_code_for(e), e.message() + bad_flink_hint(resolve_flink_path(flink))));
    }
    return tl::unexpected(fail(command, e));
  }
  return std::move(*segment);
}

std::string bad_flink_hint(const std::string& flink_path) {
  std::string hint =
      fmt::format("; it names no segment: if no process is still writing it, remove it (rm {})", flink_path);
  struct stat st {};
  if (::lstat(flink_path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    hint +=
        fmt::format(", or `shmslot gc` removes it once it has been unchanged for {} s", kGcNamelessFlinkAge.count());
  }
  return hint;
}

bool still_published(const PosixSlotAllocator& segment) {
  std::ifstream in(segment.flink_path(), std::ios::binary);
  if (!in) return false;
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return content == segment.shm_name();
}

std::optional<std::string> segment_gone(const PosixSlotAllocator& segment) {
  if (!still_published(segment)) {
    return segment.flink_path() + " no longer names " + segment.shm_name() + " (its owner removed it)";
  }
  if (!segment.owner_alive()) return "the owner of " + segment.shm_name() + " is dead";
  return std::nullopt;
}

std::optional<std::string> damage_of(const SegmentSnapshot& snap) {
  if (snap.damaged_slots == 0) return std::nullopt;
  constexpr std::size_t kListed = 8;
  std::string which;
  std::size_t listed = 0;
  for (const SlotSnapshot& s : snap.slots) {
    if (!s.damaged) continue;
    if (listed++ == kListed) {
      which += ", ...";
      break;
    }
    which += (which.empty() ? "" : ", ") + std::to_string(s.index);
  }
  return fmt::format(
      "segment damaged: the state words of {} of {} slots hold values no shmslot process writes (slot{} {}); "
      "something other than shmslot wrote into the segment, and those slots are never delivered",
      snap.damaged_slots, snap.slot_count, snap.damaged_slots == 1 ? "" : "s", which);
}

}  // namespace shmslot::cli

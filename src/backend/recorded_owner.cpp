#include "backend/recorded_owner.hpp"

#include "core/layout.hpp"
#include "core/segment_validate.hpp"
#include "platform/mapping.hpp"
#include "platform/process.hpp"

namespace shmslot {

bool RecordedOwner::judgeable() const { return !foreign_pid_namespace(pid_namespace); }

bool RecordedOwner::alive() const {
  return !judgeable() || platform::process_alive(static_cast<pid_t>(pid), start_time);
}

std::optional<std::string> foreign_pid_namespace(std::uint32_t recorded) {
  const std::uint32_t mine = platform::pid_namespace_id();
  if (recorded == 0 || mine == 0 || recorded == mine) return std::nullopt;
  return "it was created in pid namespace " + std::to_string(recorded) + " and this process is in " +
         std::to_string(mine) + ", where its pids name other processes: liveness checks would take live " +
         "peers for dead ones. Run every process of a segment in one pid namespace (containers: share it, " +
         "e.g. docker run --pid=host or --pid=container:NAME)";
}

std::optional<RecordedOwner> read_recorded_owner(int fd, std::uint64_t size) {
  if (size < core::kV1SegmentHeaderSize) return std::nullopt;
  auto map = platform::map_read_only(fd, static_cast<std::size_t>(size), "segment probe");
  if (!map) return std::nullopt;
  auto geometry = core::validate_segment(map->data(), size);
  // Not extended: a ZeroDDS segment, or one whose creator has not stored the extension magic yet
  // (it is stored last); either way no owner can be checked.
  if (!geometry || !geometry->extended) return std::nullopt;
  // Line 0 of the extension is written once, before the segment is published.
  const auto* ctl = reinterpret_cast<const core::ExtControl*>(map->data() + geometry->ext_offset);
  return RecordedOwner{ctl->owner_pid, ctl->owner_start_time, ctl->owner_pid_ns};
}

}  // namespace shmslot

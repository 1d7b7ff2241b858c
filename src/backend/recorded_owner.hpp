// The owner a segment records, read without writing to the segment: what create needs to decide
// whether a leftover flink path may be reused, and what collect_garbage needs to decide whether a
// segment is garbage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace shmslot {

struct RecordedOwner {
  std::uint32_t pid = 0;
  std::uint64_t start_time = 0;  // the process's start time, so a reused pid is not taken for it
  std::uint32_t pid_namespace = 0;  // the creator's pid namespace (0: not recorded)
  // Whether its pid means the same process here: recorded in this process's pid namespace (or
  // either side unknown). Another namespace numbers its processes differently.
  bool judgeable() const;
  // Alive, judged by pid and start time; an owner that cannot be judged counts as alive, so that
  // nothing it holds is ever taken from it.
  bool alive() const;
};

// Why a segment recorded in pid namespace `recorded` cannot be shared from here, or nullopt when it
// can: pids, and so every liveness check, would name other processes.
std::optional<std::string> foreign_pid_namespace(std::uint32_t recorded);

// The owner recorded in the segment open as `fd` (`size` bytes), read through a read-only mapping
// and after the same validation attach does. nullopt when it records none: not a segment shmslot
// created (a ZeroDDS segment, one still being formatted, a corrupt or truncated one) or unmappable.
std::optional<RecordedOwner> read_recorded_owner(int fd, std::uint64_t size);

}  // namespace shmslot

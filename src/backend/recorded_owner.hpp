// The owner a segment records, read without writing to the segment: what create needs to decide
// whether a leftover flink path may be reused, and what collect_garbage needs to decide whether a
// segment is garbage.
#pragma once

#include <cstdint>
#include <optional>

namespace shmslot {

struct RecordedOwner {
  std::uint32_t pid = 0;
  std::uint64_t start_time = 0;  // the process's start time, so a reused pid is not taken for it
  bool alive() const;
};

// The owner recorded in the segment open as `fd` (`size` bytes), read through a read-only mapping
// and after the same validation attach does. nullopt when it records none: not a segment shmslot
// created (a ZeroDDS segment, one still being formatted, a corrupt or truncated one) or unmappable.
std::optional<RecordedOwner> read_recorded_owner(int fd, std::uint64_t size);

}  // namespace shmslot

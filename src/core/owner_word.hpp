// The owner word of a registry entry in shared memory (reader entries, sleeper entries): 0 when
// free, the owner's pid when claimed, or kReleasingOwner | the releaser's pid while somebody frees
// it. The marker lets exactly one process free an entry, and lets another finish the job when the
// releaser dies half-way. docs/recovery.md, "The registry".
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "platform/process.hpp"

namespace shmslot::core {

inline constexpr std::uint64_t kReleasingOwner = std::uint64_t{1} << 63;

// The marker this process puts into an entry it is freeing.
inline std::uint64_t releasing_marker() { return kReleasingOwner | static_cast<std::uint64_t>(platform::current_pid()); }

// Whether the process an owner word names is running: the owner (checked with its start time, 0
// matching any), or for a marker the releaser (by pid alone: it never wrote a start time).
inline bool owner_is_alive(std::uint64_t owner, std::uint64_t start) {
  if ((owner & kReleasingOwner) != 0) return platform::process_alive(static_cast<pid_t>(owner & 0xFFFFFFFFU), 0);
  return platform::process_alive(static_cast<pid_t>(owner), start);
}

}  // namespace shmslot::core

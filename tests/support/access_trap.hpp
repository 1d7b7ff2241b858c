// Stops a process at its k-th access to a memory region, whatever code makes the access (a library
// call included): the region is made inaccessible, so every access faults. The fault handler either
// lets that one access through (x86-64: the region is opened for exactly one instruction, the trap
// flag brings the process back to close it) or, at the k-th access, calls a stop function, which
// normally never returns: the process waits there, inside the call, to be killed.
//
// One trap per process, and the process must be single-threaded while it is armed. Accesses the
// kernel makes on the process's behalf (a futex word passed to a system call) do not fault; they fail
// with EFAULT instead, so the page holding such a word is left out of the region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace shmslot::test {

// Called (in the SIGSEGV handler, so async-signal-safe only) with the number of the access about to
// happen: that access has not happened yet.
using TrapStop = void (*)(std::uint32_t access);

class AccessTrap {
 public:
  // Whether accesses after the first can be reached (single-stepping exists on x86-64 only); elsewhere
  // every arm() stops at the first access.
  static constexpr bool kCountsEveryAccess =
#if defined(__x86_64__)
      true;
#else
      false;
#endif

  // Traps accesses to [begin, begin + length) (whole pages), except the page that holds `spared`.
  // Installs the SIGSEGV and SIGTRAP handlers; the destructor restores them.
  AccessTrap(void* begin, std::size_t length, const void* spared);
  ~AccessTrap();
  AccessTrap(const AccessTrap&) = delete;
  AccessTrap& operator=(const AccessTrap&) = delete;

  // From now on, stop at the k-th access (k >= 1).
  void arm(std::uint32_t k, TrapStop stop);
  // Opens the region again; returns how many accesses were counted since arm().
  std::uint32_t disarm();
};

// The address range a file is mapped at in this process ("/dev/shm/shmem_1A2B", say), read from
// /proc/self/maps; nullopt when it is not mapped exactly once.
struct MappedRange {
  void* begin = nullptr;
  std::size_t length = 0;
};
std::optional<MappedRange> mapped_range(const std::string& path);

}  // namespace shmslot::test

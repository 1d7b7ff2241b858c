// What the multi-process tests need around ChildProcess: memory the parent and its children share
// for progress counters, a pipe to line children up, and waiting for a whole group at once.
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace shmslot::test {

// A T in anonymous MAP_SHARED memory, made before forking: parent and children see one object.
// T must be usable across processes (lock-free atomics, plain data).
template <class T>
class SharedBlock {
 public:
  SharedBlock() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    ptr_ = new (p) T();
  }
  ~SharedBlock() {
    ptr_->~T();
    ::munmap(ptr_, sizeof(T));
  }
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;

  T* operator->() const { return ptr_; }
  T& operator*() const { return *ptr_; }

 private:
  T* ptr_ = nullptr;
};

// How far each child got, for the message when the watchdog fires.
struct Progress {
  static constexpr int kMaxChildren = 8;
  std::atomic<std::uint64_t> count[kMaxChildren]{};
  // A child that creates the segment writes its shm name here, so the parent can check it is gone.
  char shm_name[64]{};
  std::atomic<int> shm_name_ready{0};
};

// A pipe used as a one-byte-per-token gate between parent and children (both ends open in both
// until closed; a token is a single write of one byte, so it is atomic).
class Gate {
 public:
  Gate();
  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Writes `n` tokens.
  bool post(int n = 1) const;
  // Takes one token, waiting up to `timeout`; false on timeout, EOF or error.
  bool take(std::chrono::milliseconds timeout) const;

 private:
  int fds_[2] = {-1, -1};
};

// One child to wait for, with a name for messages.
struct NamedChild {
  std::string name;
  ChildProcess process;
};

// What became of each child: its exit code (128 + signal when killed by one), or nullopt when the
// watchdog had to kill it.
struct GroupOutcome {
  std::vector<std::optional<int>> codes;
  bool all_ok() const;
  // "writer: 0, reader0: 1, reader1: killed by the watchdog, ..."
  std::string describe(const std::vector<NamedChild>& children, const Progress* progress) const;
};

// Waits for every child, up to `watchdog` in total. As soon as one exits non-zero, the others are
// killed (they would otherwise wait forever for it, e.g. a writer blocked on a dead active reader).
// Polls without reaping (waitid WNOWAIT), so ChildProcess stays the only one to reap its pid.
GroupOutcome wait_all(std::vector<NamedChild>& children, std::chrono::milliseconds watchdog);

}  // namespace shmslot::test

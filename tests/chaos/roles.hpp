// The bodies of the harness's child processes: the owner that creates the segment, the one writer,
// and the readers. Each publishes its phase before every step, checks what it can on the spot, and
// reports the first failure in its board entry (prefixed with the invariant it breaks, e.g.
// "torn: ..."); its exit code says what kind of failure it was.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "chaos/board.hpp"

namespace shmslot::chaos {

// Exit codes besides those of recovery_roles.hpp (0 ok, 1 check failed, 2 API error, 3 setup).
inline constexpr int kExitNoPtrace = 77;  // asked to stop for tracing where ptrace is not permitted

// The segment every epoch creates: small, so that the writer often finds it full, with one page per
// slot, so that the access trap sees the segment header's page (which it must leave open) touch
// only slot 0.
struct SegmentShape {
  std::string flink;
  std::size_t slots = 6;
  std::size_t capacity = 0;  // page - 16: slot_total_size is one page
  std::chrono::milliseconds lease{20};
};

struct OwnerPlan {
  SegmentShape shape;
  bool trace_create = false;  // stop for ptrace before create (the create kill point)
};

struct WriterPlan {
  std::string flink;
  std::uint64_t seed = 0;
};

struct ReaderPlan {
  std::string flink;
  std::uint64_t seed = 0;
  bool trace_attach = false;   // stop for ptrace before attach (the attach kill point)
  bool attach_only = false;    // attach and leave: a process started to be killed inside attach
  bool register_only = false;  // attach, register, unregister, leave: one to be killed inside register
};

int run_owner(const OwnerPlan& plan, OwnerBoard& board);
int run_writer(const WriterPlan& plan, WriterBoard& board, Board& shared);
int run_reader(const ReaderPlan& plan, ReaderBoard& board, Board& shared);

}  // namespace shmslot::chaos

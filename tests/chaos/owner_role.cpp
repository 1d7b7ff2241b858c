// The owner: creates the segment at the flink path (recovering what a killed owner left there), holds
// it until told to leave, then destroys it. Killed inside create, while holding, or inside teardown.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include <shmslot/shmslot.hpp>

#include "chaos/roles.hpp"
#include "recovery/recovery_sample.hpp"
#include "support/syscall_stepper.hpp"

namespace shmslot::chaos {

namespace {
void publish(ChildBoard& child, Phase phase) {
  child.phase.store(static_cast<std::uint32_t>(phase), std::memory_order_release);
}
Command command_of(const ChildBoard& child) {
  return static_cast<Command>(child.command.load(std::memory_order_acquire));
}
}  // namespace

int run_owner(const OwnerPlan& plan, OwnerBoard& board) {
  ChildBoard& child = board.child;
  child.pid.store(static_cast<std::int32_t>(::getpid()));
  // Published before the stop: the tracer steps while the phase says create.
  publish(child, Phase::Create);
  if (plan.trace_create && !test::trace_me_and_stop()) return kExitNoPtrace;
  CreateOptions options;
  options.lease = plan.shape.lease;
  options.type_hash = type_hash_of<test::RecoverySample>;
  std::optional<PosixSlotAllocator> segment;
  {
    auto created = PosixSlotAllocator::create(plan.shape.flink, plan.shape.slots, plan.shape.capacity, options);
    if (!created) {
      return child.failure.report(test::kChildSetup,
                                  "recreate: create at " + plan.shape.flink + " failed: " + created.error().message());
    }
    segment.emplace(std::move(*created));
  }
  const std::string& name = segment->shm_name();
  std::memcpy(board.shm_name, name.data(), std::min(name.size(), sizeof board.shm_name - 1));
  board.shm_name[std::min(name.size(), sizeof board.shm_name - 1)] = '\0';
  board.created.store(1, std::memory_order_release);
  publish(child, Phase::Idle);
  child.state.store(static_cast<std::uint32_t>(RunState::Running), std::memory_order_release);
  Command command = Command::Run;
  while ((command = command_of(child)) != Command::Leave && command != Command::LeaveTraced) ::usleep(1000);
  publish(child, Phase::Teardown);
  if (command == Command::LeaveTraced && !test::trace_me_and_stop()) return kExitNoPtrace;
  segment.reset();  // removes flink file and segment
  publish(child, Phase::None);
  return test::kChildOk;
}

}  // namespace shmslot::chaos

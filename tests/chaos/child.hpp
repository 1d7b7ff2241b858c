// A forked child process of the harness: support/child_process.hpp's ChildProcess, which can also
// be reaped by someone else (the ptrace stepper reaps the tracee it kills) and told so, and can stay
// a zombie for a while on purpose: a killed process that its parent has not waited for yet is dead
// for the library too. Its destructor SIGKILLs and reaps a child that is still there, never a
// reaped pid.
#pragma once

#include <optional>
#include <string>

#include "child_process.hpp"

namespace shmslot::chaos {

using Child = support::ChildProcess;

// "exit 0", "killed by signal 9".
std::string describe_result(const std::optional<int>& result);

}  // namespace shmslot::chaos

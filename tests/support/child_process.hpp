// Real child processes for multi-process tests: fork a function, reap it, never leak it. The tests
// know the project's one fork-and-reap helper, support/child_process.hpp, by this name.
#pragma once

#include "../../support/child_process.hpp"  // by path: "child_process.hpp" would name this file

namespace shmslot::test {

using ChildProcess = support::ChildProcess;

}  // namespace shmslot::test

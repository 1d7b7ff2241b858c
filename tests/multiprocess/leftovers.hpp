// The end-of-test check of every multi-process test: no flink file and no shm object left behind.
#pragma once

#include <set>
#include <string>

#include "support/temp_flink.hpp"

namespace shmslot::test {

// Non-fatal gtest expectations that `dir` is empty and that `shm_name` (as shm_name() returns it,
// "/shmem_..."), the one segment the test created, is gone from /dev/shm. Names that appeared in
// /dev/shm since `before` but are not the test's are only reported: other processes on the machine
// create segments too. Removes the test's segment if it is still there, once the failure is recorded.
void expect_nothing_left(const TempFlinkDir& dir, const std::set<std::string>& before, const std::string& shm_name);

}  // namespace shmslot::test

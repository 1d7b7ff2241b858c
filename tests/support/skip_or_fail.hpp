// A test that cannot run here (not root, a missing tool) is skipped on a developer's machine, but
// under CI=true a skip would hide that the check never ran there: it is a failure instead, as the
// shell tests do with their exit 77.
#pragma once

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace shmslot::test {

// True when the environment says this is a CI run (CI=true).
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

}  // namespace shmslot::test

// Skips the current test with `reason`, or fails it under CI=true. Like GTEST_SKIP, it returns from
// the current function (a test body or SetUp).
#define SHMSLOT_SKIP_OR_FAIL_IN_CI(reason)                                                               \
  do {                                                                                                   \
    if (::shmslot::test::running_in_ci()) GTEST_FAIL() << (reason) << " (CI=true: a skip is a failure)"; \
    GTEST_SKIP() << (reason);                                                                            \
  } while (0)

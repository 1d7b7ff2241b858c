#include "leftovers.hpp"

#include <sys/mman.h>

#include <cstdio>

#include <gtest/gtest.h>

namespace shmslot::test {

namespace {
std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

void expect_nothing_left(const TempFlinkDir& dir, const std::set<std::string>& before, const std::string& shm_name) {
  EXPECT_TRUE(dir.entries().empty()) << "left in " << dir.path() << ": " << join(dir.entries());
  ASSERT_FALSE(shm_name.empty()) << "the test never learnt its segment's name";
  const std::string ours = shm_name.front() == '/' ? shm_name.substr(1) : shm_name;
  const std::set<std::string> after = shm_objects();
  EXPECT_EQ(after.count(ours), 0U) << "/dev/shm/" << ours << " is still there";
  // A failed run (an owner killed by the watchdog) must not leave its segment to the next one.
  if (after.count(ours) != 0) ::shm_unlink(("/" + ours).c_str());
  std::set<std::string> foreign;
  for (const auto& n : after) {
    if (before.count(n) == 0 && n != ours) foreign.insert(n);
  }
  if (!foreign.empty()) {
    std::printf("note: /dev/shm gained %s during the test; not this test's segment\n", join(foreign).c_str());
  }
}

}  // namespace shmslot::test

// The test hosts' processes outlive no test: one killed before its destructors run (a crash, a
// SIGKILL to its pid) still has its segment owners and bridges stop and remove their segments.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "host_process.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

TEST(HostProcess, AKilledTestTakesItsProcessesWithIt) {
  TempFlinkDir dir;
  const std::string flink = dir.flink("owner");
  const Host loopback{"A", "", "lo", "127.0.0.1", "127.0.0.1"};
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  // The "test": starts a segment owner, says its pid once it is ready, then waits to be killed.
  const pid_t test = ::fork();
  ASSERT_GE(test, 0);
  if (test == 0) {
    ::close(fds[0]);
    HostProcess owner(loopback, {"create", flink, "--slots", "1", "--capacity", "8"}, dir.path(), "owner");
    const pid_t ready = owner.wait_prefix("ready") ? owner.pid() : -1;
    (void)!::write(fds[1], &ready, sizeof ready);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  pid_t owner = -1;
  const ssize_t n = ::read(fds[0], &owner, sizeof owner);
  ::close(fds[0]);
  ::kill(test, SIGKILL);
  ::waitpid(test, nullptr, 0);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof owner));
  ASSERT_GT(owner, 0) << "the owner never became ready";

  const auto deadline = std::chrono::steady_clock::now() + kBridgeWatchdog;
  while (std::filesystem::exists(flink) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool left = std::filesystem::exists(flink);
  if (left) ::kill(owner, SIGINT);  // not ours to leave running: it removes its segment on SIGINT
  EXPECT_FALSE(left) << "the owner outlived its test and still holds its segment";
}

}  // namespace
}  // namespace shmslot::test

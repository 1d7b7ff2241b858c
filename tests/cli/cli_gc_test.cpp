// `shmslot gc` end to end: the leftovers of a SIGKILLed `shmslot create` are listed by --dry-run and
// removed by gc, while a live `shmslot create`'s segment and a dead ZeroDDS owner's segment are left
// alone. Collections are scoped to the test's directory (--only-named): other tests running at the
// same time keep dead owners' segments in /dev/shm on purpose.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli_process.hpp"
#include "leftovers.hpp"
#include "support/other_user.hpp"
#include "support/skip_or_fail.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

// The shm name from "ready <flink> <shm name>".
std::string ready_name(CliProcess& create) {
  const auto line = create.read_line();
  if (!line) return {};
  std::istringstream in(*line);
  std::string word, flink, name;
  in >> word >> flink >> name;
  return name;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(CliGc, DryRunListsAKilledCreatesLeftoversAndGcRemovesThem) {
  TempFlinkDir dir;
  ShmCleanup cleanup;
  std::string dead;
  {
    CliProcess killed({"create", "killed", "--slots", "4", "--capacity", "64"}, dir.path());
    dead = cleanup.add(ready_name(killed));
    ASSERT_FALSE(dead.empty());
    killed.signal(SIGKILL);
    ASSERT_EQ(killed.wait().exit_code, 128 + SIGKILL);
  }
  CliProcess live({"create", "live", "--slots", "4", "--capacity", "64"}, dir.path());
  const std::string alive = ready_name(live);
  ASSERT_FALSE(alive.empty());
  const std::string zerodds = cleanup.add(killed_zerodds_owner(dir.flink("zerodds")));
  ASSERT_FALSE(zerodds.empty());
  const std::string killed_flink = dir.path() + "/killed";

  // --dry-run, scoped and over all of /dev/shm: both list the leftover, neither removes anything.
  for (const bool only_named : {true, false}) {
    std::vector<std::string> args{"gc", "--dry-run"};
    if (only_named) args.push_back("--only-named");
    const CliResult dry = run_cli(args, dir.path());  // the flink directory is $SHMSLOT_DIR
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_TRUE(contains(dry.out, "would remove segment /dev/shm" + dead + ": ")) << dry.out;
    EXPECT_TRUE(contains(dry.out, "would remove flink " + killed_flink + ": ")) << dry.out;
    EXPECT_FALSE(contains(dry.out, alive)) << dry.out;
    EXPECT_FALSE(contains(dry.out, zerodds)) << dry.out;
    EXPECT_FALSE(contains(dry.out, "/live")) << dry.out;
    EXPECT_TRUE(shm_exists(dead));
    EXPECT_TRUE(file_exists(killed_flink));
  }

  // --dir instead of $SHMSLOT_DIR.
  const CliResult gc = run_cli({"gc", "--only-named", "--dir", dir.path()}, "/nonexistent-shmslot-dir");
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  const auto lines = lines_of(gc.out);
  ASSERT_EQ(lines.size(), 2U) << gc.out;
  EXPECT_EQ(lines[0].rfind("removed segment /dev/shm" + dead + ": shmslot segment of dead owner pid ", 0), 0U)
      << lines[0];
  EXPECT_EQ(lines[1].rfind("removed flink " + killed_flink + ": names " + dead, 0), 0U) << lines[1];
  EXPECT_FALSE(shm_exists(dead));
  EXPECT_FALSE(file_exists(killed_flink));
  // Untouched: the live owner's segment and flink, the ZeroDDS segment and its flink.
  EXPECT_TRUE(shm_exists(alive));
  EXPECT_TRUE(file_exists(dir.path() + "/live"));
  EXPECT_TRUE(shm_exists(zerodds));
  EXPECT_TRUE(file_exists(dir.flink("zerodds")));

  const CliResult again = run_cli({"gc", "--only-named"}, dir.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "nothing to remove\n");

  live.signal(SIGINT);
  EXPECT_EQ(live.wait().exit_code, 0);
  EXPECT_FALSE(shm_exists(alive));
}

// Another user's dead segment in the sticky /dev/shm: gc run by a member of its group keeps it and
// says whose it is and why, and exits 0; gc run by root removes it.
TEST(CliGc, AnotherUsersDeadSegmentIsKeptWithTheReasonAndRootRemovesIt) {
  if (::geteuid() != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("needs root to run gc as other users");
  constexpr gid_t kGroup = 61000;
  const Identity user_a{61001, 61001, {kGroup}};
  const Identity user_b{61002, 61002, {kGroup}};
  const SharedDir dir = SharedDir::group_dir(kGroup);
  ASSERT_TRUE(dir.ok());
  const std::string flink = dir.path() + "/killed";
  ASSERT_EQ(run_as(user_a,
                   [&] {
                     CliProcess create(
                         {"create", "killed", "--slots", "4", "--capacity", "64", "--group", std::to_string(kGroup)},
                         dir.path());
                     if (!create.read_line()) return int{kFirstCheck};
                     create.signal(SIGKILL);
                     return create.wait().exit_code == 128 + SIGKILL ? int{kOk} : kFirstCheck + 1;
                   }),
            kOk);
  ShmCleanup cleanup;
  const std::string name = cleanup.add(slurp(flink));
  ASSERT_FALSE(name.empty());

  EXPECT_EQ(run_as(user_b,
                   [&] {
                     const CliResult r = run_cli({"gc", "--only-named"}, dir.path());
                     if (r.exit_code != 0) return int{kFirstCheck};
                     if (!contains(r.out, "kept segment /dev/shm" + name + ": shmslot segment of dead owner pid ")) {
                       return kFirstCheck + 1;
                     }
                     if (!contains(r.out,
                                   "; owned by uid 61001, /dev/shm is sticky: only that user or root may "
                                   "remove it\n")) {
                       return kFirstCheck + 2;
                     }
                     if (!contains(r.out, "kept flink " + flink + ": names " + name)) return kFirstCheck + 3;
                     return contains(r.out, "nothing to remove") ? int{kOk} : kFirstCheck + 4;
                   }),
            kOk);
  EXPECT_TRUE(shm_exists(name));

  const CliResult r = run_cli({"gc", "--only-named"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "removed segment /dev/shm" + name)) << r.out;
  EXPECT_TRUE(contains(r.out, "removed flink " + flink)) << r.out;
  EXPECT_FALSE(contains(r.out, "kept")) << r.out;
  EXPECT_FALSE(shm_exists(name));
}

}  // namespace
}  // namespace shmslot::test

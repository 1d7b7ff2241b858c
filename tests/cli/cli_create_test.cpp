// `shmslot create`: the ready line, ownership until a signal, and the cleanup after it.
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/type_hash.hpp>

#include "cli_process.hpp"
#include "leftovers.hpp"
#include "support/skip_or_fail.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

struct Ready {
  std::string flink;
  std::string shm_name;
};

// Parses "ready <flink> <shm name>".
Ready parse_ready(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  Ready r;
  in >> word >> r.flink >> r.shm_name;
  EXPECT_EQ(word, "ready") << line;
  return r;
}

void expect_created_then_removed_on(int sig) {
  TempFlinkDir dir;
  CliProcess create({"create", "seg", "--slots", "8", "--capacity", "128"}, dir.path());
  const auto line = create.read_line();
  ASSERT_TRUE(line) << "no ready line";
  const Ready ready = parse_ready(*line);
  EXPECT_EQ(ready.flink, dir.path() + "/seg");  // a name without '/' lives in $SHMSLOT_DIR
  EXPECT_EQ(slurp(ready.flink), ready.shm_name);
  EXPECT_TRUE(shm_exists(ready.shm_name));
  {
    auto consumer = PosixSlotAllocator::attach(ready.flink);
    ASSERT_TRUE(consumer) << consumer.error().message();
    EXPECT_EQ(*consumer->slot_count(), 8U);
    EXPECT_EQ(consumer->slot_capacity(), 128U);
  }
  create.signal(sig);
  const CliResult r = create.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(file_exists(ready.flink));
  EXPECT_FALSE(shm_exists(ready.shm_name));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CliCreate, PrintsReadyAndCleansUpOnSigint) { expect_created_then_removed_on(SIGINT); }

TEST(CliCreate, CleansUpOnSigterm) { expect_created_then_removed_on(SIGTERM); }

TEST(CliCreate, RecordsModeTypeHashAndNotifyMode) {
  TempFlinkDir dir;
  const std::string hash = "00112233445566778899aabbccddeeff";
  CliProcess create({"create", dir.flink("seg"), "--slots", "2", "--capacity", "64", "--mode", "0660", "--type-hash",
                     hash, "--wake-always"},
                    dir.path());
  const auto line = create.read_line();
  ASSERT_TRUE(line);
  const Ready ready = parse_ready(*line);
  {
    auto consumer = PosixSlotAllocator::attach(ready.flink);
    ASSERT_TRUE(consumer) << consumer.error().message();
    ASSERT_TRUE(consumer->type_hash());
    EXPECT_EQ(to_hex(*consumer->type_hash()), hash);
    EXPECT_EQ(consumer->notify_mode(), NotifyMode::WakeAlways);
  }
  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm" + ready.shm_name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660U);
  create.signal(SIGINT);
  EXPECT_EQ(create.wait().exit_code, 0);
  EXPECT_FALSE(shm_exists(ready.shm_name));
}

TEST(CliCreate, ASecondCreateOnALiveOwnersPathIsInUse) {
  TempFlinkDir dir;
  CliProcess first({"create", "seg", "--slots", "2", "--capacity", "64"}, dir.path());
  const auto line = first.read_line();
  ASSERT_TRUE(line);
  const Ready ready = parse_ready(*line);
  const CliResult second = run_cli({"create", "seg", "--slots", "2", "--capacity", "64"}, dir.path());
  EXPECT_EQ(second.exit_code, 7);
  EXPECT_EQ(second.err.rfind("shmslot create: ", 0), 0U) << second.err;
  EXPECT_NE(second.err.find("live owner"), std::string::npos) << second.err;
  EXPECT_EQ(slurp(ready.flink), ready.shm_name);  // untouched
  first.signal(SIGINT);
  EXPECT_EQ(first.wait().exit_code, 0);
  EXPECT_FALSE(shm_exists(ready.shm_name));
}

TEST(CliCreate, RecoversTheLeftoversOfAKilledCreate) {
  TempFlinkDir dir;
  std::string old_name;
  {
    CliProcess killed({"create", "seg", "--slots", "2", "--capacity", "64"}, dir.path());
    const auto line = killed.read_line();
    ASSERT_TRUE(line);
    old_name = parse_ready(*line).shm_name;
    killed.signal(SIGKILL);
    EXPECT_EQ(killed.wait().exit_code, 128 + SIGKILL);
  }
  EXPECT_TRUE(shm_exists(old_name));
  CliProcess again({"create", "seg", "--slots", "2", "--capacity", "64"}, dir.path());
  const auto line = again.read_line();
  ASSERT_TRUE(line);
  const Ready ready = parse_ready(*line);
  EXPECT_NE(ready.shm_name, old_name);
  EXPECT_FALSE(shm_exists(old_name));
  again.signal(SIGINT);
  EXPECT_EQ(again.wait().exit_code, 0);
  EXPECT_FALSE(shm_exists(ready.shm_name));
}

// A group other than this process's own, so that the segment's group shows that --group set it.
std::optional<std::pair<std::string, gid_t>> another_group() {
  ::setgrent();
  std::optional<std::pair<std::string, gid_t>> found;
  while (const group* g = ::getgrent()) {
    if (g->gr_gid != ::getegid()) {
      found.emplace(g->gr_name, g->gr_gid);
      break;
    }
  }
  ::endgrent();
  return found;
}

TEST(CliCreate, GroupByNameOrGidSharesSegmentAndFlinkFile) {
  if (::geteuid() != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("needs root to give a segment to a group it is not in");
  const auto other = another_group();
  ASSERT_TRUE(other) << "no group besides our own in the group database";
  TempFlinkDir dir;
  for (const std::string& group : {other->first, std::to_string(other->second)}) {
    CliProcess create({"create", "seg", "--slots", "2", "--capacity", "64", "--group", group}, dir.path());
    const auto line = create.read_line();
    ASSERT_TRUE(line) << group << ": " << create.wait().err;
    const Ready ready = parse_ready(*line);
    struct stat seg {};
    ASSERT_EQ(::stat(("/dev/shm" + ready.shm_name).c_str(), &seg), 0);
    EXPECT_EQ(seg.st_mode & 07777, 0660U) << group;  // --group alone means 0660
    EXPECT_EQ(seg.st_gid, other->second) << group;
    struct stat file {};
    ASSERT_EQ(::lstat(ready.flink.c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 07777, 0640U) << group;  // never writable by the group
    EXPECT_EQ(file.st_gid, other->second) << group;
    create.signal(SIGINT);
    EXPECT_EQ(create.wait().exit_code, 0);
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CliCreate, AnUnknownGroupIsAUsageErrorAndNothingIsCreated) {
  TempFlinkDir dir;
  const CliResult r =
      run_cli({"create", "seg", "--slots", "2", "--capacity", "64", "--group", "no-such-group-x7"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("shmslot create: --group: no group named 'no-such-group-x7'", 0), 0U) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1U) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CliCreate, UsageErrorsExitWith2) {
  TempFlinkDir dir;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"create", "seg", "--capacity", "64"},                                    // --slots missing
           {"create", "seg", "--slots", "0", "--capacity", "64"},                    // out of range
           {"create", "seg", "--slots", "2", "--capacity", "64", "--mode", "9"},     // not octal
           {"create", "seg", "--slots", "2", "--capacity", "64", "--mode", "0400"},  // refused by the library
           {"create", "seg", "--slots", "2", "--capacity", "64", "--type-hash", "xyz"},
           {"create"},
           {"no-such-subcommand"},
       }) {
    const CliResult r = run_cli(args, dir.path());
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(r.err.rfind("shmslot", 0), 0U) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1U) << r.err;
  }
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace shmslot::test

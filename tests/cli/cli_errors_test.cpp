// The exit codes of docs/cli.md, each provoked for real, and the one-line "shmslot <subcommand>: "
// messages that go with them.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/type_hash.hpp>
#include <shmslot/version.hpp>

#include "cli_process.hpp"
#include "leftovers.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

void write_text(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// Runs each reading subcommand on `flink` and expects `code` with a one-line message.
void expect_attach_exit(const TempFlinkDir& dir, const std::string& flink, int code, const std::string& why) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"inspect", flink}, {"sub", flink, "--timeout", "1"}, {"pub", flink}}) {
    const CliResult r = run_cli(args, dir.path(), "x\n");
    EXPECT_EQ(r.exit_code, code) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err.rfind("shmslot " + args[0] + ": ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1U) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(CliErrors, MissingFlinkIs3) {
  TempFlinkDir dir;
  expect_attach_exit(dir, "nothing-here", 3, "No such file or directory");
}

TEST(CliErrors, DanglingFlinkIs3) {
  TempFlinkDir dir;
  write_text(dir.flink("dangling"), "/shmem_DEADBEEF0BADF00D");
  expect_attach_exit(dir, dir.flink("dangling"), 3, "shmslot gc");
}

TEST(CliErrors, GarbageFlinkIs4) {
  TempFlinkDir dir;
  write_text(dir.flink("garbage"), "this is not a segment name\n");
  expect_attach_exit(dir, dir.flink("garbage"), 4, "bad flink file");
}

TEST(CliErrors, ObjectThatIsNotASegmentIs4) {
  TempFlinkDir dir;
  ShmCleanup cleanup;
  const std::string name = cleanup.add("/shmem_C11B0C5" + std::to_string(::getpid()));
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 4096), 0);
  ASSERT_EQ(::pwrite(fd, "not a segment header", 20, 0), 20);
  ::close(fd);
  write_text(dir.flink("junk"), name);
  expect_attach_exit(dir, dir.flink("junk"), 4, "invalid segment");
}

TEST(CliErrors, TypeMismatchIs6) {
  TempFlinkDir dir;
  CreateOptions options;
  options.type_hash = type_hash_from_hex("00112233445566778899aabbccddeeff");
  auto owner = PosixSlotAllocator::create(dir.flink("typed"), 2, 32, options);
  ASSERT_TRUE(owner) << owner.error().message();
  const std::string other = "ffeeddccbbaa99887766554433221100";
  for (const std::string cmd : {"sub", "pub"}) {
    const CliResult r = run_cli({cmd, dir.flink("typed"), "--type-hash", other}, dir.path(), "x\n");
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_EQ(r.err.rfind("shmslot " + cmd + ": type mismatch", 0), 0U) << r.err;
  }
  EXPECT_EQ(owner->snapshot().next_sequence, 0U);  // nothing published
  // The right hash is accepted.
  const CliResult ok =
      run_cli({"pub", dir.flink("typed"), "--type-hash", "00112233445566778899AABBCCDDEEFF"}, dir.path(), "x\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(owner->snapshot().next_sequence, 1U);
}

TEST(CliErrors, CreateOnALiveOwnersPathIs7) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("busy"), 2, 32);
  ASSERT_TRUE(owner) << owner.error().message();
  const CliResult r = run_cli({"create", dir.flink("busy"), "--slots", "2", "--capacity", "32"}, dir.path());
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.err.rfind("shmslot create: in use", 0), 0U) << r.err;
  EXPECT_EQ(slurp(dir.flink("busy")), owner->shm_name());
}

TEST(CliErrors, UsageErrorsAre2) {
  TempFlinkDir dir;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"pub", "seg", "--generate"},                 // --size missing
           {"pub", "seg", "--size", "64"},               // --size without --generate
           {"pub", "seg", "--generate", "--size", "8"},  // below the 16-byte header
           {"pub", "seg", "--file", "f", "--generate", "--size", "64"},
           {"pub", "seg", "--mask", "xyz"},
           {"sub", "seg", "--reader", "32"},
           {"sub", "seg", "--json", "--hex"},
           {"sub", "seg", "--timeout", "-1"},
           {"sub", "seg", "--timeout", "nan"},    // NaN passes a plain range check
           {"sub", "seg", "--timeout", "1e300"},  // beyond any clock's duration
           {"pub", "seg", "--generate", "--size", "64", "--rate", "inf"},
           {"bench", "--max-seconds", "nan"},
           {"inspect", "seg", "--interval", "100"},  // --interval without --watch
           {"gc", "--unknown"},
       }) {
    const CliResult r = run_cli(args, dir.path());
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.err;
    EXPECT_EQ(r.err.rfind("shmslot " + args[0] + ": ", 0), 0U) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1U) << r.err;
  }
}

TEST(CliErrors, SubRefusesMoreSegmentsThanAWaitSetHolds) {
  TempFlinkDir dir;
  std::vector<std::string> args{"sub"};
  for (int i = 0; i < 129; ++i) args.push_back("seg" + std::to_string(i));
  const CliResult r = run_cli(args, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("at most 128"), std::string::npos) << r.err;
}

TEST(CliErrors, HelpAndVersionExit0AndHelpListsTheExitCodes) {
  TempFlinkDir dir;
  const CliResult help = run_cli({"--help"}, dir.path());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("7  in use"), std::string::npos) << help.out;
  for (const std::string cmd : {"create", "inspect", "pub", "sub", "gc"}) {
    const CliResult r = run_cli({cmd, "--help"}, dir.path());
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << r.out;
  }
  const CliResult version = run_cli({"--version"}, dir.path());
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string(kVersion) + "\n");
}

}  // namespace
}  // namespace shmslot::test

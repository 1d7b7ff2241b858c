// The checks of `shmslot doctor` on a made-up machine in a temp directory: a healthy one first, then
// each unhealthy situation built on purpose, one test each, and the finding it must produce.
#include "doctor_checks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/posix_slot_allocator.hpp>

#include "leftovers.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using cli::DoctorInputs;
using cli::Finding;
using cli::Verdict;

void write_text(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// A healthy machine: a sticky shm directory on a tmpfs with room, a private flink directory,
// logind told RemoveIPC=no, every system call there, and nothing for gc.
struct FakeMachine {
  TempFlinkDir root;
  std::string shm = root.path() + "/shm";
  std::string flinks = root.path() + "/flinks";
  std::string proc = root.path() + "/proc";
  std::string logind = root.path() + "/logind.conf";
  std::string dropins = root.path() + "/logind.conf.d";
  DoctorInputs in;

  FakeMachine() {
    ::mkdir(shm.c_str(), 0700);
    ::chmod(shm.c_str(), 01777);
    ::mkdir(flinks.c_str(), 0700);
    std::filesystem::create_directories(proc + "/self/ns");
    ::mkdir(dropins.c_str(), 0700);
    mounts("tmpfs " + shm + " tmpfs rw,nosuid,nodev 0 0\n");
    ::symlink("pid:[4026531836]", (proc + "/self/ns/pid").c_str());
    write_text(logind, "[Login]\nRemoveIPC=no\n");
    in.shm_dir = shm;
    in.flink_dir = flinks;
    in.only_named = true;  // other tests leave dead owners' segments in /dev/shm on purpose
    in.proc_root = proc;
    in.logind_paths = {logind, dropins};
    in.systemd_marker = root.path() + "/no-such-marker";
    in.uid = ::geteuid();
    in.gids = {::getegid()};
    in.space = [](const std::string&) { return std::optional<cli::Space>(cli::Space{1ULL << 30, 900ULL << 20}); };
    in.probe_futex = [] { return 0; };
    in.probe_futex_waitv = [] { return EINVAL; };
  }

  void mounts(const std::string& text) const {
    write_text(proc + "/self/mounts", "proc /proc proc rw 0 0\n/dev/vda1 / ext4 rw 0 0\n" + text);
  }

  // A uid that is neither root nor the owner of the test's files.
  static uid_t stranger() { return ::geteuid() == 0 ? 12345 : ::geteuid() + 1; }
};

std::vector<Finding> problems(const std::vector<Finding>& all) {
  std::vector<Finding> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [](const Finding& f) { return f.verdict == Verdict::Problem; });
  return out;
}

std::string describe(const std::vector<Finding>& all) {
  std::string out;
  for (const Finding& f : all) out += std::string(cli::to_string(f.verdict)) + " " + f.check + ": " + f.message + "\n";
  return out;
}

// The one problem of check `check`, which must have a fix; fails the test if it is not there.
const Finding* expect_problem(const std::vector<Finding>& all, const std::string& check) {
  for (const Finding& f : all) {
    if (f.check == check && f.verdict == Verdict::Problem) {
      EXPECT_FALSE(f.fix.empty()) << check;
      return &f;
    }
  }
  ADD_FAILURE() << "no problem from " << check << " in:\n" << describe(all);
  return nullptr;
}

bool has_problem(const std::vector<Finding>& all, const std::string& check) {
  return std::any_of(all.begin(), all.end(),
                     [&](const Finding& f) { return f.check == check && f.verdict == Verdict::Problem; });
}

bool mentions(const Finding* f, const std::string& text) {
  return f != nullptr && f->message.find(text) != std::string::npos;
}

TEST(DoctorChecks, AHealthyMachineHasNoProblem) {
  FakeMachine m;
  const auto all = cli::run_doctor_checks(m.in);
  EXPECT_TRUE(cli::healthy(all)) << describe(all);
  EXPECT_TRUE(problems(all).empty()) << describe(all);
  for (const char* check : {"shm-dir", "shm-mount", "shm-space", "flink-dir", "owners", "remove-ipc", "pid-namespace",
                            "futex", "futex-waitv", "gc"}) {
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const Finding& f) { return f.check == check; }))
        << check << " missing:\n"
        << describe(all);
  }
}

TEST(DoctorChecks, AMissingShmDirectory) {
  FakeMachine m;
  m.in.shm_dir = m.root.path() + "/no-shm";
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "shm-dir"), "No such file"));
}

TEST(DoctorChecks, AWorldWritableShmDirectoryWithoutTheStickyBit) {
  FakeMachine m;
  ASSERT_EQ(::chmod(m.shm.c_str(), 0777), 0);
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "shm-dir"), "without the sticky bit"));
}

TEST(DoctorChecks, AShmDirectoryTheUserCannotWriteTo) {
  FakeMachine m;
  ASSERT_EQ(::chmod(m.shm.c_str(), 0755), 0);
  m.in.uid = FakeMachine::stranger();
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "shm-dir"), "cannot create segments"));
}

TEST(DoctorChecks, AShmDirectoryThatIsNoTmpfs) {
  FakeMachine m;
  m.mounts("");  // only / (ext4) covers it
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "shm-mount"), "ext4"));
}

TEST(DoctorChecks, AContainerSizedShm) {
  FakeMachine m;
  m.in.space = [](const std::string&) { return std::optional<cli::Space>(cli::Space{64ULL << 20, 60ULL << 20}); };
  const auto all = cli::run_doctor_checks(m.in);
  const Finding* f = expect_problem(all, "container-shm");
  EXPECT_TRUE(mentions(f, "64.0 MiB"));
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("--shm-size"), std::string::npos) << f->fix;
}

TEST(DoctorChecks, AFullShm) {
  FakeMachine m;
  m.in.space = [](const std::string&) { return std::optional<cli::Space>(cli::Space{1ULL << 30, 1ULL << 20}); };
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "shm-space"), "1.0 MiB free"));
}

TEST(DoctorChecks, AMissingFlinkDirectoryFromShmslotDir) {
  FakeMachine m;
  m.in.flink_dir = m.root.path() + "/typo";
  m.in.flink_dir_from_env = true;
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "flink-dir"), "$SHMSLOT_DIR"));
  // The default directory is made by the first create: worth a line, not a problem.
  m.in.flink_dir_from_env = false;
  EXPECT_FALSE(has_problem(cli::run_doctor_checks(m.in), "flink-dir"));
}

TEST(DoctorChecks, AWorldWritableFlinkDirectoryWithoutTheStickyBit) {
  FakeMachine m;
  ASSERT_EQ(::chmod(m.flinks.c_str(), 0777), 0);
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "flink-dir"), "without the sticky bit"));
}

TEST(DoctorChecks, AFlinkDirectoryOfAnotherUser) {
  FakeMachine m;
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(m.flinks.c_str(), 4242, 4242), 0);
  } else {
    m.in.uid = FakeMachine::stranger();
  }
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "flink-dir"), "belongs to uid"));
}

TEST(DoctorChecks, AFlinkDirectoryTheUserCannotWriteTo) {
  FakeMachine m;
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(m.flinks.c_str(), 4242, 4242), 0);
    m.in.uid = 4242;
  }
  ASSERT_EQ(::chmod(m.flinks.c_str(), 0555), 0);
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "flink-dir"), "cannot create flink files"));
}

TEST(DoctorChecks, AFlinkFileTheUserCannotRead) {
  FakeMachine m;
  write_text(m.flinks + "/private", "/shmem_0D0C7012");
  ASSERT_EQ(::chmod((m.flinks + "/private").c_str(), 0600), 0);
  m.in.uid = FakeMachine::stranger();
  ASSERT_EQ(::chmod(m.flinks.c_str(), 0755), 0);  // the directory itself is fine for the stranger
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "owners"), "cannot read it"));
}

TEST(DoctorChecks, ASegmentTheUserCannotMap) {
  FakeMachine m;
  write_text(m.flinks + "/shared", "/shmem_0D0C7013");
  ASSERT_EQ(::chmod((m.flinks + "/shared").c_str(), 0644), 0);
  write_text(m.shm + "/shmem_0D0C7013", "");
  ASSERT_EQ(::chmod((m.shm + "/shmem_0D0C7013").c_str(), 0600), 0);
  m.in.uid = FakeMachine::stranger();
  ASSERT_EQ(::chmod(m.flinks.c_str(), 0755), 0);
  const auto all = cli::run_doctor_checks(m.in);
  const Finding* f = expect_problem(all, "owners");
  EXPECT_TRUE(mentions(f, "cannot map it"));
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("--mode 0660"), std::string::npos) << f->fix;
}

TEST(DoctorChecks, RemoveIpcByDefaultForARegularUser) {
  FakeMachine m;
  ::unlink(m.logind.c_str());
  m.in.systemd_marker = m.root.path();  // systemd runs, no file sets RemoveIPC: its default, yes
  m.in.uid = 1000;
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "remove-ipc"), "systemd's default"));
}

TEST(DoctorChecks, RemoveIpcTurnedOnAgainByADropIn) {
  FakeMachine m;
  write_text(m.dropins + "/50-site.conf", "# site policy\n[Login]\nRemoveIPC = yes\n");
  write_text(m.dropins + "/README", "[Login]\nRemoveIPC=no\n");  // not a .conf: ignored
  m.in.uid = 1000;
  const auto all = cli::run_doctor_checks(m.in);
  const Finding* f = expect_problem(all, "remove-ipc");
  EXPECT_TRUE(mentions(f, "50-site.conf"));
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("RemoveIPC=no"), std::string::npos) << f->fix;
  // A later drop-in turns it off again; and system users are spared anyway.
  write_text(m.dropins + "/90-shmslot.conf", "[Login]\nRemoveIPC=no\n");
  EXPECT_FALSE(has_problem(cli::run_doctor_checks(m.in), "remove-ipc"));
  ::unlink((m.dropins + "/90-shmslot.conf").c_str());
  m.in.uid = 500;
  EXPECT_FALSE(has_problem(cli::run_doctor_checks(m.in), "remove-ipc"));
}

TEST(DoctorChecks, APeerInAnotherPidNamespace) {
  FakeMachine m;
  auto owner = PosixSlotAllocator::create(m.flinks + "/seg", 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  // To the made-up /proc, the owner (this process) runs in a namespace of its own.
  const std::string dir = m.proc + "/" + std::to_string(::getpid()) + "/ns";
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::symlink("pid:[4026532999]", (dir + "/pid").c_str()), 0);
  const auto all = cli::run_doctor_checks(m.in);
  const Finding* f = expect_problem(all, "pid-namespace");
  EXPECT_TRUE(mentions(f, "pid:[4026532999]"));
  EXPECT_TRUE(mentions(f, "owner of " + owner->shm_name()));
}

TEST(DoctorChecks, FutexMissingOrRefused) {
  for (const int err : {ENOSYS, EPERM}) {
    FakeMachine m;
    m.in.probe_futex = [err] { return err; };
    EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "futex"), err == ENOSYS ? "ENOSYS" : "EPERM"));
  }
}

TEST(DoctorChecks, FutexWaitvMissingIsSaidButIsNoProblem) {
  // shmslot does not wait with futex_waitv: its absence is reported, and the machine stays healthy.
  for (const int err : {ENOSYS, EPERM}) {
    FakeMachine m;
    m.in.probe_futex_waitv = [err] { return err; };
    const auto all = cli::run_doctor_checks(m.in);
    EXPECT_TRUE(cli::healthy(all)) << describe(all);
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const Finding& f) {
      return f.check == "futex-waitv" && f.verdict == Verdict::Info &&
             f.message.find(err == ENOSYS ? "ENOSYS" : "EPERM") != std::string::npos;
    })) << describe(all);
  }
}

TEST(DoctorChecks, ASegmentWhoseOwnerDied) {
  FakeMachine m;
  ShmCleanup cleanup;
  const std::string name = cleanup.add(killed_shmslot_owner(m.flinks + "/dead"));
  ASSERT_FALSE(name.empty());
  const auto all = cli::run_doctor_checks(m.in);
  EXPECT_TRUE(mentions(expect_problem(all, "dead-owner"), "/dev/shm" + name));
  EXPECT_TRUE(mentions(expect_problem(all, "gc"), m.flinks + "/dead"));
  EXPECT_TRUE(shm_exists(name)) << "a dry run removes nothing";
}

TEST(DoctorChecks, ADanglingFlinkFile) {
  FakeMachine m;
  write_text(m.flinks + "/dangling", "/shmem_DEADBEEF0BADF00D");
  EXPECT_TRUE(mentions(expect_problem(cli::run_doctor_checks(m.in), "gc"), "dangling"));
  EXPECT_TRUE(file_exists(m.flinks + "/dangling"));
}

}  // namespace
}  // namespace shmslot::test

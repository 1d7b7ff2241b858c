// Peers in another pid namespace (two containers sharing /dev/shm, not a pid namespace): their pids
// name other processes here, so a liveness check would reap a live peer. Such a process is refused
// at attach and at create over the path, and gc keeps the segment: nothing of a live owner is ever
// taken by a process that cannot see it. Needs root (unshare(CLONE_NEWPID)).
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "core/layout.hpp"
#include "raw_segment.hpp"
#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/skip_or_fail.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

// Exit codes of the process in the new namespace: 0 when every check held, else the failed check.
enum Check : int { kAllHeld = 0, kNotPidOne, kAttachNotRefused, kCreateNotRefused, kGcFailed, kGcTouchedIt, kGcSilent };

// Runs `body` as pid 1 of a new pid namespace (a child of a child that unshared), sharing this
// process's mount namespace, so /dev/shm and the flink directory are the same. Returns its exit code.
std::optional<int> in_new_pid_namespace(const std::function<int()>& body) {
  ChildProcess outer([&]() -> int {
    if (::unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) return 90;  // the same /dev/shm tmpfs, as containers share it
    ChildProcess inner(body);  // the first child after unshare is pid 1 of the new namespace
    const auto code = inner.wait(60s);
    return code ? *code : 91;
  });
  return outer.wait(120s);
}

TEST(PidNamespace, APeerInAnotherPidNamespaceIsRefusedAndNeverReapsTheOwner) {
  if (::geteuid() != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("needs root for unshare(CLONE_NEWPID)");
  TempFlinkDir dir;
  const std::string flink = dir.flink("shared");
  auto owner = PosixSlotAllocator::create(flink, 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_EQ(owner->register_reader(0).value_or(99), 0U);
  const std::string shm = owner->shm_name();

  const auto code = in_new_pid_namespace([&]() -> int {
    if (::getpid() != 1) return kNotPidOne;
    // Here the owner's pid names no process (or another one): attach must not take it for dead.
    auto attached = PosixSlotAllocator::attach(flink);
    if (attached || attached.error().code != PosixErrorCode::ForeignPidNamespace ||
        attached.error().message().find("pid namespace") == std::string::npos) {
      return kAttachNotRefused;
    }
    // A create at the path must not judge the owner dead and replace its segment (the owner's lock
    // on its flink file already says "live" across namespaces: InUse).
    auto created = PosixSlotAllocator::create(flink, 4, 64);
    if (created || (created.error().code != PosixErrorCode::InUse &&
                    created.error().code != PosixErrorCode::ForeignPidNamespace)) {
      return kCreateNotRefused;
    }
    GcOptions gc;
    gc.flink_dir = dir.path();
    gc.only_named = true;  // other tests' segments in /dev/shm are none of this test's business
    auto report = collect_garbage(gc);
    if (!report) return kGcFailed;
    if (!report->entries.empty()) return kGcTouchedIt;
    bool kept = false;
    for (const GcKept& k : report->kept) kept = kept || k.why_kept.find("pid namespace") != std::string::npos;
    return kept ? kAllHeld : kGcSilent;
  });
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, kAllHeld) << "failed check " << *code;
  // The owner, its segment, its flink file and its reader are as they were.
  EXPECT_TRUE(std::filesystem::exists("/dev/shm" + shm));
  EXPECT_TRUE(std::filesystem::exists(flink));
  EXPECT_EQ(owner->registered_readers(), 0b1U);
  EXPECT_TRUE(owner->owner_alive());
  // A process in the owner's own namespace still attaches.
  EXPECT_TRUE(PosixSlotAllocator::attach(flink));
}

// The same refusal without root: a segment whose recorded namespace is not this process's (as if a
// container had created it) is refused by attach, and gc keeps it and says why, even with its owner
// recorded as a pid that runs nowhere.
TEST(PidNamespace, ASegmentRecordedInAnotherNamespaceIsRefusedAndKeptByGc) {
  TempFlinkDir dir;
  const std::string flink = dir.flink("foreign");
  auto owner = PosixSlotAllocator::create(flink, 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  const std::size_t ext = core::align_up(0x20 + 4 * 128, 64);
  {
    RawSegment raw(owner->shm_name());
    raw.set_u32(ext + offsetof(core::ExtControl, owner_pid_ns), 1);  // no process is in namespace 1
  }
  auto attached = PosixSlotAllocator::attach(flink);
  ASSERT_FALSE(attached);
  EXPECT_EQ(attached.error().code, PosixErrorCode::ForeignPidNamespace);
  EXPECT_NE(attached.error().message().find("pid namespace 1"), std::string::npos) << attached.error().message();
  GcOptions gc;
  gc.flink_dir = dir.path();
  gc.only_named = true;
  auto report = collect_garbage(gc);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_TRUE(report->entries.empty());
  ASSERT_EQ(report->kept.size(), 1U);
  EXPECT_NE(report->kept[0].why_kept.find("cannot be judged"), std::string::npos) << report->kept[0].why_kept;
  EXPECT_TRUE(std::filesystem::exists("/dev/shm" + owner->shm_name()));
}

}  // namespace
}  // namespace shmslot::test

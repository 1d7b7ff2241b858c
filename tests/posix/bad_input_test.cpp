// Bad input gets a clear error and loses nothing: arguments, flink files, corrupt segments.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "core/layout.hpp"
#include "raw_segment.hpp"
#include "shmslot/shmslot.hpp"
#include "support/skip_or_fail.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

TEST(PosixBadInput, CreateArgumentsOutOfRange) {
  TempFlinkDir dir;
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("a"), 0, 64).error().code, PosixErrorCode::InvalidArgument);
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("a"), (1U << 24) + 1, 64).error().code,
            PosixErrorCode::InvalidArgument);
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("a"), 4, 0).error().code, PosixErrorCode::InvalidArgument);
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("a"), 4, 0x100000000ULL).error().code,
            PosixErrorCode::CapacityOverflow);
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("a"), 4, 0xFFFFFFFFULL - 16).error().code,
            PosixErrorCode::CapacityOverflow);  // its slot_total_size would overflow u32
  EXPECT_EQ(PosixSlotAllocator::create("", 4, 64).error().code, PosixErrorCode::InvalidArgument);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(PosixBadInput, SegmentTooLargeForMemoryFailsAtCreateAndLeavesNothing) {
  TempFlinkDir dir;
  const auto before = shm_objects();
  // 2^24 slots of ~1 GiB: far beyond /dev/shm, refused by posix_fallocate, never a SIGBUS later.
  auto r = PosixSlotAllocator::create(dir.flink("a"), 1U << 24, 1U << 30);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::Shm);
  EXPECT_NE(r.error().sys_errno, 0);
  EXPECT_NE(r.error().message().find("posix_fallocate"), std::string::npos) << r.error().message();
  // Other tests may run in parallel: only an object this create could have left is a failure, i.e.
  // a new one with the huge size asked for.
  for (const auto& name : shm_objects()) {
    if (before.count(name) != 0) continue;
    struct stat st {};
    if (::stat(("/dev/shm/" + name).c_str(), &st) != 0) continue;  // gone meanwhile
    EXPECT_LT(st.st_size, off_t{1} << 40) << name;
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(PosixBadInput, MissingFlink) {
  TempFlinkDir dir;
  auto r = PosixSlotAllocator::attach(dir.flink("nope"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::Shm);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
}

TEST(PosixBadInput, MalformedFlinkContents) {
  TempFlinkDir dir;
  const std::string cases[] = {
      "",                              // empty
      "shmem_ABC",                     // no leading '/'
      "/",                             // no name
      "/../../etc/passwd",             // tries to leave /dev/shm
      "/a/b",                          // a second '/'
      "/..",                           // parent directory
      "/shmem_ABC\n",                  // a newline
      std::string("/shmem_\0AB", 10),  // an embedded NUL
      "/" + std::string(300, 'A'),     // longer than NAME_MAX
      "/sh mem",                       // a space
  };
  for (const auto& content : cases) {
    write_file(dir.flink("bad"), content);
    auto r = PosixSlotAllocator::attach(dir.flink("bad"));
    ASSERT_FALSE(r) << "accepted flink content of " << content.size() << " bytes";
    EXPECT_EQ(r.error().code, PosixErrorCode::BadFlink) << r.error().message();
  }
}

TEST(PosixBadInput, FlinkThatIsADirectory) {
  TempFlinkDir dir;
  ASSERT_EQ(::mkdir(dir.flink("d").c_str(), 0700), 0);
  auto r = PosixSlotAllocator::attach(dir.flink("d"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::BadFlink);
}

TEST(PosixBadInput, FlinkNamingAMissingSegment) {
  TempFlinkDir dir;
  write_file(dir.flink("a"), "/shmem_0000DEAD0000BEEF");
  auto r = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::Shm);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
}

// Creates a segment, applies `corrupt` to its bytes, and expects attach to refuse it with a
// reason containing `reason`.
void expect_refused(const std::function<void(RawSegment&, PosixSlotAllocator&)>& corrupt, const std::string& reason) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 100);
  ASSERT_TRUE(owner);
  {
    RawSegment raw(owner->shm_name());
    corrupt(raw, *owner);
  }
  auto r = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_FALSE(r) << "accepted a segment corrupted for: " << reason;
  EXPECT_EQ(r.error().code, PosixErrorCode::InvalidHeader);
  EXPECT_NE(r.error().message().find(reason), std::string::npos) << r.error().message();
}

TEST(PosixBadInput, CorruptHeadersAreRefusedWithAReason) {
  using core::Geometry;
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x00, 0x12345678); }, "bad magic 0x12345678");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x04, 0); }, "slot_count is 0");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x04, 0xFFFFFFFF); }, "exceeds the limit");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x04, 5000); }, "header describes");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x08, 100); }, "not a positive multiple of 64");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x08, 0); }, "not a positive multiple of 64");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x08, 0xFFFFFFC0); }, "header describes");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x14, 0xABCDEF01); }, "unknown extension magic");
  // Versions 1 to 4: segments of older shmslot builds (4: a commit stores the header's size first
  // and without release, which the copying take cannot check); 6: a newer one.
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x18, 1); }, "version 1 is not supported");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x18, 2); }, "version 2 is not supported");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x18, 3); }, "version 3 is not supported");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x18, 4); }, "version 4 is not supported");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x18, 6); }, "version 6 is not supported");
  expect_refused([](RawSegment& s, auto&) { s.set_u32(0x1C, 12); }, "extension size");
  expect_refused([](RawSegment& s, auto&) { s.truncate(0x20 + 4 * 128); }, "its layout needs");
  expect_refused([](RawSegment& s, auto&) { s.truncate(0x30); }, "header describes");
  expect_refused([](RawSegment& s, auto&) { s.truncate(8); }, "smaller than a segment header");
  const std::size_t ext = core::align_up(0x20 + 4 * 128, 64);
  expect_refused([ext](RawSegment& s, auto&) { s.set_u32(ext, 0); }, "control block has bad magic");
  expect_refused([ext](RawSegment& s, auto&) { s.set_u32(ext + 4, 0x80); }, "unknown extension flags");
  // History (flag bit 2, depth at ext+0x50): a depth the segment cannot keep, or one without the flag.
  expect_refused([ext](RawSegment& s, auto&) { s.set_u32(ext + 4, 4); }, "history depth 0 is not in 1..3");
  expect_refused(
      [ext](RawSegment& s, auto&) {
        s.set_u32(ext + 4, 4);
        s.set_u32(ext + 0x50, 4);
      },
      "history depth 4 is not in 1..3 for 4 slots");
  expect_refused([ext](RawSegment& s, auto&) { s.set_u32(ext + 0x50, 2); },
                 "history depth 2 recorded without the history flag");
  expect_refused([ext](RawSegment& s, auto&) { s.set_u64(ext + 8, 200); }, "does not fit slot_total_size");
  expect_refused([ext](RawSegment& s, auto&) { s.set_u64(ext + 8, 0); }, "does not fit slot_total_size");
  expect_refused([ext](RawSegment& s, auto&) { s.set_u64(ext + 8, 32); }, "does not fit slot_total_size");
}

TEST(PosixBadInput, V1LayoutIsRecognisedAndRefused) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  {
    RawSegment raw(owner->shm_name());
    raw.set_u32(0x14, 0);  // as ZeroDDS rc.1 would leave it, and sized like an rc.1 segment
    raw.truncate(0x10 + 4 * 128);
  }
  auto r = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("V1"), std::string::npos) << r.error().message();
}

TEST(PosixBadInput, TypeHashIsCheckedWhenBothSidesHaveOne) {
  TempFlinkDir dir;
  const TypeHash a{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  TypeHash b = a;
  b[15] = 99;
  CreateOptions options;
  options.type_hash = a;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64, options);
  ASSERT_TRUE(owner);
  AttachOptions wrong;
  wrong.expected_type_hash = b;
  auto r = PosixSlotAllocator::attach(dir.flink("a"), wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::TypeMismatch);
  EXPECT_NE(r.error().message().find(to_hex(a)), std::string::npos);
  AttachOptions right;
  right.expected_type_hash = a;
  EXPECT_TRUE(PosixSlotAllocator::attach(dir.flink("a"), right));
  auto untyped = PosixSlotAllocator::create(dir.flink("b"), 4, 64);
  ASSERT_TRUE(untyped);
  EXPECT_TRUE(PosixSlotAllocator::attach(dir.flink("b"), wrong));  // only one side has a hash
}

TEST(PosixBadInput, SegmentOfAnotherUserIsRefusedUnlessAllowed) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  const std::string path = "/dev/shm" + owner->shm_name();
  const uid_t other = ::geteuid() + 4242;
  if (::chown(path.c_str(), other, static_cast<gid_t>(-1)) != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("chown needs root");
  auto r = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::ForeignOwner);
  AttachOptions allow;
  allow.allow_foreign_owner = true;
  EXPECT_TRUE(PosixSlotAllocator::attach(dir.flink("a"), allow));
}

}  // namespace
}  // namespace shmslot::test

// A writer that waits for nobody (active mask 0) overwrites a small segment as fast as it can while
// readers outside its mask follow: they may lose samples, but never see a torn one, never see one
// twice or out of order.
//  - Four slots: a copying reader, and a zero-copy one that holds each pin while the writer laps
//    the segment (a pinned slot is never reused); both still get the last sample once the writer
//    stops.
//  - One slot: every reserve reuses the slot the readers are copying from, so copies are caught
//    by the writer all the time and must come back Overwritten, never torn.
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attached.hpp"
#include "leftovers.hpp"
#include "process_group.hpp"
#include "roles.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

constexpr auto kWatchdog = std::chrono::seconds(120);

struct LossyShape {
  const char* name;
  std::size_t slots;
  std::size_t capacity;   // large: a copy takes long enough to be caught in the middle
  std::uint64_t samples;  // times SHMSLOT_MP_SCALE
  std::vector<ReadMethod> readers;
  bool hold_pins;    // the zero-copy readers keep each pin while the writer laps the segment
  bool expect_last;  // see ReaderPlan::expect_last
};

void PrintTo(const LossyShape& s, std::ostream* os) {
  *os << s.slots << " slots of " << s.capacity << " B, " << s.readers.size() << " readers";
}

class LossyReaders : public ::testing::TestWithParam<LossyShape> {};

TEST_P(LossyReaders, OutsideTheActiveMaskLoseSamplesButNeverSeeATornOne) {
  const LossyShape& shape = GetParam();
  const std::uint64_t samples = scaled(shape.samples);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("lossy");
  SharedBlock<Progress> progress;
  std::string shm_name;
  {
    auto owner = PosixSlotAllocator::create(flink, shape.slots, shape.capacity);
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();

    const WriterPlan writer{.writer_id = 0, .samples = samples, .active = 0, .end_marker = true};
    std::vector<ReaderPlan> readers;
    for (std::size_t r = 0; r < shape.readers.size(); ++r) {
      readers.push_back({.reader_index = static_cast<std::uint32_t>(r),
                         .method = shape.readers[r],
                         .samples_per_writer = {samples},
                         .lossless = false,
                         .expect_last = shape.expect_last,
                         .pause_every = 0,
                         .hold_pins = shape.hold_pins && shape.readers[r] == ReadMethod::ZeroCopy});
    }

    std::vector<NamedChild> children;
    children.reserve(readers.size() + 1);
    // Readers first, so they are following when the writer starts.
    for (std::size_t r = 0; r < readers.size(); ++r) {
      children.push_back(
          {"reader" + std::to_string(r) + " (" + to_string(readers[r].method) + ", lossy)", ChildProcess([&, r] {
             return attached(flink,
                             [&](PosixSlotAllocator& s) { return run_reader(s, readers[r], &progress->count[r]); });
           })});
    }
    children.push_back({"writer (mask 0)", ChildProcess([&] {
                          return attached(flink, [&](PosixSlotAllocator& s) {
                            return run_writer(s, writer, &progress->count[readers.size()]);
                          });
                        })});
    const GroupOutcome outcome = wait_all(children, kWatchdog);
    EXPECT_TRUE(outcome.all_ok()) << outcome.describe(children, &*progress);
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, LossyReaders,
    ::testing::Values(
        LossyShape{
            "FourSlotsCopyingAndPinningReaders", 4, 4096, 100000, {ReadMethod::Copy, ReadMethod::ZeroCopy}, true, true},
        LossyShape{"OneSlotTwoCopyingReaders", 1, 4096, 50000, {ReadMethod::Copy, ReadMethod::CopyAlloc}, false, false},
        // The copying take's header-line check: two large slots, so that a reader is often on the
        // newest sample (the take's case) while the writer reuses its slot under the copy.
        LossyShape{"TwoSlotsTwoCopyingTakes",
                   2,
                   65536,
                   20000,
                   {ReadMethod::CopyingTake, ReadMethod::CopyingTake},
                   false,
                   false}),
    [](const ::testing::TestParamInfo<LossyShape>& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace shmslot::test

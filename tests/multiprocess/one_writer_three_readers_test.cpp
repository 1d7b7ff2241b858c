// One writer process, three reader processes in its active mask, each reading its own way: every
// sample arrives at every reader exactly once, in sequence order, untorn.
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

struct Shape {
  std::size_t slots;
  std::size_t capacity;
  std::uint64_t samples;
};

// Names the shape in ctest's test list instead of gtest's byte dump.
void PrintTo(const Shape& s, std::ostream* os) { *os << s.slots << " slots of " << s.capacity << " B"; }

class OneWriterThreeReaders : public ::testing::TestWithParam<Shape> {};

TEST_P(OneWriterThreeReaders, EveryReaderGetsEverySampleOnceInOrderUntorn) {
  Shape shape = GetParam();
  shape.samples = scaled(shape.samples);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("one-writer-three-readers");
  SharedBlock<Progress> progress;
  std::string shm_name;
  {
    // The parent owns the segment; every child attaches by path, as an unrelated process would.
    auto owner = PosixSlotAllocator::create(flink, shape.slots, shape.capacity);
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();

    const WriterPlan writer{.writer_id = 0, .samples = shape.samples, .active = 0b111, .end_marker = false};
    auto reader = [&](std::uint32_t index, ReadMethod method, int pause_every) {
      return ReaderPlan{.reader_index = index,
                        .method = method,
                        .samples_per_writer = {shape.samples},
                        .lossless = true,
                        .pause_every = pause_every,
                        .hold_pins = false};
    };
    const ReaderPlan readers[] = {reader(0, ReadMethod::CopyingTake, 0), reader(1, ReadMethod::ZeroCopy, 0),
                                  // The slow one: the writer keeps finding the segment full.
                                  reader(2, ReadMethod::CopyAlloc, 997)};

    std::vector<NamedChild> children;
    children.reserve(4);
    children.push_back({"writer", ChildProcess([&] {
                          return attached(
                              flink, [&](PosixSlotAllocator& s) { return run_writer(s, writer, &progress->count[0]); });
                        })});
    for (int r = 0; r < 3; ++r) {
      children.push_back(
          {"reader" + std::to_string(r) + " (" + to_string(readers[r].method) + ")", ChildProcess([&, r] {
             return attached(flink,
                             [&](PosixSlotAllocator& s) { return run_reader(s, readers[r], &progress->count[r + 1]); });
           })});
    }
    const GroupOutcome outcome = wait_all(children, kWatchdog);
    EXPECT_TRUE(outcome.all_ok()) << outcome.describe(children, &*progress);
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OneWriterThreeReaders,
                         ::testing::Values(Shape{8, 256, 100000}, Shape{64, 256, 100000}),
                         [](const ::testing::TestParamInfo<Shape>& param_info) {
                           return std::to_string(param_info.param.slots) + "Slots" +
                                  std::to_string(param_info.param.capacity) + "Bytes";
                         });

}  // namespace
}  // namespace shmslot::test

// Two writer processes publish into one segment at the same time, one of them its creator and
// owner, the other attached; one reader sees every sample of both exactly once, each writer's in
// its own order, none torn. The owner exits first or last as it happens: either way nothing is
// left behind once all three are gone.
#include <chrono>
#include <cstring>
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
constexpr auto kGateTimeout = std::chrono::seconds(30);
constexpr std::uint64_t kSamplesPerWriter = 50000;  // times SHMSLOT_MP_SCALE
constexpr std::size_t kSlots = 16;
constexpr std::size_t kCapacity = 256;

TEST(TwoWriters, OneReaderGetsBothStreamsWholeOnceAndInOrder) {
  const std::uint64_t samples = scaled(kSamplesPerWriter);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("two-writers");
  SharedBlock<Progress> progress;
  const Gate created;  // writer 0 -> parent: the segment exists
  const Gate ready;    // writer 1, reader -> parent: attached
  const Gate go;       // parent -> all three: start

  const WriterPlan plans[] = {{.writer_id = 0, .samples = samples, .active = 0b1, .end_marker = false},
                              {.writer_id = 1, .samples = samples, .active = 0b1, .end_marker = false}};
  // Alternating copy and zero-copy reads: both read paths see interleaved writers.
  const ReaderPlan reader{.reader_index = 0,
                          .method = ReadMethod::Alternate,
                          .samples_per_writer = {samples, samples},
                          .lossless = true,
                          .pause_every = 0,
                          .hold_pins = false};

  std::vector<NamedChild> children;
  children.reserve(3);
  children.push_back({"writer0 (owner)", ChildProcess([&] {
                        auto segment = PosixSlotAllocator::create(flink, kSlots, kCapacity);
                        if (!segment) {
                          std::fprintf(stderr, "create %s: %s\n", flink.c_str(), segment.error().message().c_str());
                          return kExitSetup;
                        }
                        std::strncpy(progress->shm_name, segment->shm_name().c_str(), sizeof progress->shm_name - 1);
                        progress->shm_name_ready.store(1);
                        // Wait for the others before writing (and so before exiting, which removes
                        // the segment's names): they attach by name.
                        if (!created.post() || !go.take(kGateTimeout)) return kExitSetup;
                        return run_writer(*segment, plans[0], &progress->count[0]);
                      })});
  ASSERT_TRUE(created.take(kGateTimeout)) << "writer 0 did not create the segment";
  ASSERT_EQ(progress->shm_name_ready.load(), 1);
  const std::string shm_name = progress->shm_name;

  children.push_back({"writer1 (attached)", ChildProcess([&] {
                        return attached(flink, [&](PosixSlotAllocator& s) {
                          if (!ready.post() || !go.take(kGateTimeout)) return kExitSetup;
                          return run_writer(s, plans[1], &progress->count[1]);
                        });
                      })});
  children.push_back({"reader0", ChildProcess([&] {
                        return attached(flink, [&](PosixSlotAllocator& s) {
                          if (!ready.post() || !go.take(kGateTimeout)) return kExitSetup;
                          return run_reader(s, reader, &progress->count[2]);
                        });
                      })});
  const bool attached_both = ready.take(kGateTimeout) && ready.take(kGateTimeout);
  ASSERT_TRUE(go.post(3));
  const GroupOutcome outcome = wait_all(children, kWatchdog);
  EXPECT_TRUE(attached_both) << "writer 1 or the reader did not attach";
  EXPECT_TRUE(outcome.all_ok()) << outcome.describe(children, &*progress);
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test

// `shmslot inspect`: text and JSON, on a shmslot segment and on one a ZeroDDS process made, and the
// --watch loop.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <shmslot/posix_slot_allocator.hpp>

#include "cli_process.hpp"
#include "support/temp_flink.hpp"
#include "support/zerodds_peer.hpp"

namespace shmslot::test {
namespace {

using nlohmann::json;

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// A shmslot segment with two samples; reader 0 has read the first.
struct TwoSamples {
  TempFlinkDir dir;
  PosixSlotAllocator owner;
  TwoSamples() : owner(PosixSlotAllocator::create(dir.flink("seg"), 4, 100).value()) {
    for (std::string_view s : {"first", "second!"}) {
      const SlotHandle h = owner.reserve_slot(0b1).value();
      owner.commit_slot(h, bytes_of(s)).value();
    }
    const SlotHandle first = owner.next_unread_slot(0).value().value();
    if (!owner.mark_read(first, 0)) std::abort();
  }
};

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(CliInspect, TextShowsHeaderSlotsAndReaders) {
  TwoSamples seg;
  const CliResult r = run_cli({"inspect", seg.dir.flink("seg")}, seg.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_TRUE(contains(r.out, "segment          " + seg.owner.shm_name())) << r.out;
  EXPECT_TRUE(contains(r.out, "kind             shmslot extension v5")) << r.out;
  EXPECT_TRUE(contains(r.out, "slot_count       4\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "slot_total_size  128\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "capacity         100\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "next_sequence    2\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "notify           wake-on-demand")) << r.out;
  EXPECT_TRUE(contains(r.out, "owner            pid " + std::to_string(::getpid()) + ", alive")) << r.out;
  // Header row, 4 slot rows, reader 0 (recorded for this process when it read) at cursor 1, a note
  // about the 31 unused entries.
  int committed = 0;
  int empty = 0;
  for (const auto& line : lines_of(r.out)) {
    committed += contains(line, "Committed") ? 1 : 0;
    empty += contains(line, "Empty") ? 1 : 0;
  }
  EXPECT_EQ(committed, 2) << r.out;
  EXPECT_EQ(empty, 2) << r.out;
  EXPECT_TRUE(contains(r.out, "reader        cursor  registered  owner             evictions\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "     0             1  yes         pid " + std::to_string(::getpid()))) << r.out;
  EXPECT_TRUE(contains(r.out, "31 of 32 reader entries are unused")) << r.out;
}

TEST(CliInspect, JsonIsOneObjectWithEverything) {
  TwoSamples seg;
  const CliResult r = run_cli({"inspect", seg.dir.flink("seg"), "--json"}, seg.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(lines_of(r.out).size(), 1U) << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["kind"], "shmslot");
  EXPECT_EQ(j["extension_version"], 5);
  EXPECT_EQ(j["shm_name"], seg.owner.shm_name());
  EXPECT_EQ(j["published"], true);
  EXPECT_EQ(j["slot_count"], 4);
  EXPECT_EQ(j["slot_total_size"], 128);
  EXPECT_EQ(j["capacity"], 100);
  EXPECT_EQ(j["next_sequence"], 2);
  EXPECT_EQ(j["next_sn"], 2);
  EXPECT_EQ(j["notify"], "wake-on-demand");
  EXPECT_TRUE(j["type_hash"].is_null());
  EXPECT_EQ(j["owner"]["pid"], ::getpid());
  EXPECT_EQ(j["owner"]["alive"], true);
  ASSERT_EQ(j["slots"].size(), 4U);
  int committed = 0;
  for (const json& s : j["slots"]) {
    if (s["state"] != "Committed") continue;
    ++committed;
    EXPECT_FALSE(s["age_ns"].is_null());
    if (s["sequence"] == 0) {
      EXPECT_EQ(s["size"], 5);
      EXPECT_EQ(s["reader_mask"], 1);
    } else {
      EXPECT_EQ(s["sequence"], 1);
      EXPECT_EQ(s["size"], 7);
      EXPECT_EQ(s["reader_mask"], 0);
    }
    EXPECT_EQ(s["pinned_by"], 0);
    EXPECT_TRUE(s["loaner_pid"].is_null());
  }
  EXPECT_EQ(committed, 2);
  ASSERT_EQ(j["readers"].size(), 1U);  // only the non-zero cursors
  EXPECT_EQ(j["readers"][0]["index"], 0);
  EXPECT_EQ(j["readers"][0]["cursor"], 1);
  EXPECT_EQ(j["readers"][0]["registered"], true);
  EXPECT_EQ(j["readers"][0]["owner_pid"], ::getpid());
  EXPECT_EQ(j["readers"][0]["evictions"], 0);

  const CliResult all = run_cli({"inspect", seg.dir.flink("seg"), "--json", "--all"}, seg.dir.path());
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(json::parse(all.out)["readers"].size(), 32U);
}

TEST(CliInspect, ShowsTheWriterOfALoanedSlot) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("seg"), 2, 32);
  ASSERT_TRUE(owner) << owner.error().message();
  const SlotHandle loan = owner->reserve_slot(0).value();
  const CliResult r = run_cli({"inspect", dir.flink("seg"), "--json"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json slot = json::parse(r.out)["slots"][loan.slot_index];
  EXPECT_EQ(slot["state"], "Writing");
  EXPECT_EQ(slot["loaner_pid"], ::getpid());
  EXPECT_EQ(slot["pinned_by"], 0);
  const CliResult text = run_cli({"inspect", dir.flink("seg")}, dir.path());
  EXPECT_TRUE(contains(text.out, "Writing")) << text.out;
  EXPECT_TRUE(contains(text.out, "pid " + std::to_string(::getpid()))) << text.out;
  ASSERT_TRUE(owner->discard_slot(loan));
}

TEST(CliInspect, ShowsWhatAZeroDdsSegmentHas) {
  TempFlinkDir dir;
  auto peer = ZeroDdsPeer::create(dir.flink("zerodds"), 4, 64);
  ASSERT_TRUE(peer) << peer.error().message();
  const std::uint32_t slot = peer->reserve_slot(0b1).value();
  ASSERT_TRUE(peer->commit_slot(slot, bytes_of("hello")));

  const CliResult text = run_cli({"inspect", dir.flink("zerodds")}, dir.path());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "ZeroDDS V3")) << text.out;
  EXPECT_TRUE(contains(text.out, "capacity         112 (slot_total_size - 16)")) << text.out;
  EXPECT_TRUE(contains(text.out, "owner            n/a")) << text.out;

  const CliResult r = run_cli({"inspect", dir.flink("zerodds"), "--json"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["kind"], "zerodds");
  EXPECT_TRUE(j["extension_version"].is_null());
  EXPECT_EQ(j["slot_count"], 4);
  EXPECT_EQ(j["slot_total_size"], 128);
  EXPECT_EQ(j["capacity"], 112);
  EXPECT_EQ(j["next_sn"], 1);
  EXPECT_TRUE(j["next_sequence"].is_null());
  EXPECT_TRUE(j["owner"].is_null());
  EXPECT_TRUE(j["readers"].is_null());
  EXPECT_EQ(j["notify"], "wake-always");
  ASSERT_EQ(j["slots"].size(), 4U);
  EXPECT_EQ(j["slots"][slot]["state"], "Committed");
  EXPECT_EQ(j["slots"][slot]["size"], 5);
  EXPECT_EQ(j["slots"][slot]["sequence"], 0);
  EXPECT_TRUE(j["slots"][slot]["generation"].is_null());
  EXPECT_TRUE(j["slots"][slot]["age_ns"].is_null());
  // Inspecting never marks anything read.
  EXPECT_EQ(peer->raw_header(slot).reader_mask, 0U);
}

TEST(CliInspect, WatchRedrawsUntilInterrupted) {
  TwoSamples seg;
  CliProcess watch({"inspect", seg.dir.flink("seg"), "--watch", "--interval", "50"}, seg.dir.path());
  int frames = 0;
  while (frames < 3) {
    const auto line = watch.read_line();
    ASSERT_TRUE(line) << "watch output ended after " << frames << " frames";
    if (line->rfind("flink ", 0) == 0) ++frames;  // into a pipe: frames one after another
  }
  watch.signal(SIGINT);
  const CliResult r = watch.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliInspect, WatchJsonIsOneObjectPerRefresh) {
  TwoSamples seg;
  CliProcess watch({"inspect", seg.dir.flink("seg"), "--watch", "--json", "--interval", "50"}, seg.dir.path());
  for (int i = 0; i < 3; ++i) {
    const auto line = watch.read_line();
    ASSERT_TRUE(line);
    EXPECT_EQ(json::parse(*line)["slot_count"], 4);
  }
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait().exit_code, 0);
}

}  // namespace
}  // namespace shmslot::test

// `shmslot pub` and `shmslot sub`: lines and generated payloads through a segment, between real
// processes, in every output format.
#include <signal.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// Parses "verify: received=N lost=N duplicate=N corrupt=N overwritten=N".
struct Verify {
  long received = -1, lost = -1, duplicate = -1, corrupt = -1;
};
Verify parse_verify(const std::string& out) {
  Verify v;
  for (const auto& line : lines_of(out)) {
    long overwritten = 0;
    if (std::sscanf(line.c_str(), "verify: received=%ld lost=%ld duplicate=%ld corrupt=%ld overwritten=%ld",
                    &v.received, &v.lost, &v.duplicate, &v.corrupt, &overwritten) == 5) {
      return v;
    }
  }
  ADD_FAILURE() << "no verify line in: " << out;
  return v;
}

TEST(CliPubSub, GeneratedPayloadsRoundTripBetweenProcesses) {
  // Every piece a process of its own: the owner (`create`), the reader and the writer. The segment
  // is smaller than the run, so the writer waits for the reader many times.
  TempFlinkDir dir;
  CliProcess create({"create", "seg", "--slots", "8", "--capacity", "512"}, dir.path());
  ASSERT_TRUE(create.read_line());
  constexpr int kCount = 5000;
  CliProcess sub({"sub", "seg", "--verify", "--max", std::to_string(kCount)}, dir.path());
  const CliResult pub =
      run_cli({"pub", "seg", "--generate", "--size", "300", "--count", std::to_string(kCount)}, dir.path());
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  const CliResult got = sub.wait();
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const Verify v = parse_verify(got.out);
  EXPECT_EQ(v.received, kCount);
  EXPECT_EQ(v.lost, 0);
  EXPECT_EQ(v.duplicate, 0);
  EXPECT_EQ(v.corrupt, 0);
  create.signal(SIGINT);
  EXPECT_EQ(create.wait().exit_code, 0);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CliPubSub, TwoReadersAtARateBothSeeEverything) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  CliProcess r0({"sub", "seg", "--verify", "--count", "--max", "200"}, dir.path());
  CliProcess r5({"sub", "seg", "--reader", "5", "--verify", "--max", "200"}, dir.path());
  const CliResult pub = run_cli(
      {"pub", "seg", "--generate", "--size", "64", "--count", "200", "--rate", "2000", "--mask", "0x21"}, dir.path());
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  const CliResult a = r0.wait();
  const CliResult b = r5.wait();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(lines_of(a.out).front(), "200");  // --count comes first
  for (const CliResult* r : {&a, &b}) {
    const Verify v = parse_verify(r->out);
    EXPECT_EQ(v.received, 200);
    EXPECT_EQ(v.lost, 0);
    EXPECT_EQ(v.corrupt, 0);
  }
}

TEST(CliPubSub, LinesOfStdinArriveAsTextLines) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 16, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  const CliResult pub = run_cli({"pub", "seg"}, dir.path(), std::string("hello\nwith\ttab\x01\n\nno newline", 27));
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  const CliResult sub = run_cli({"sub", "seg", "--max", "4"}, dir.path());
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "hello\nwith\\ttab\\x01\n\nno newline\n");
}

TEST(CliPubSub, LinesOfAFileAndHexOutput) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 16, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  const std::string file = dir.path() + "/input.txt";
  {
    FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("AB\nz\n", f);
    std::fclose(f);
  }
  const CliResult pub = run_cli({"pub", "seg", "--file", file}, dir.path());
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  std::remove(file.c_str());
  const CliResult sub = run_cli({"sub", "seg", "--hex", "--timeout", "0.5"}, dir.path());
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "4142\n7a\n");
}

TEST(CliPubSub, JsonLinesCarrySequenceSizeAndBase64) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 8, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_EQ(run_cli({"pub", "seg"}, dir.path(), "hello\nab\n").exit_code, 0);
  const CliResult sub = run_cli({"sub", "seg", "--json", "--max", "2"}, dir.path());
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const auto lines = lines_of(sub.out);
  ASSERT_EQ(lines.size(), 2U) << sub.out;
  const json first = json::parse(lines[0]);
  const json second = json::parse(lines[1]);
  EXPECT_EQ(first["seq"], 0);
  EXPECT_EQ(first["size"], 5);
  EXPECT_EQ(first["data"], "aGVsbG8=");
  EXPECT_EQ(second["seq"], 1);
  EXPECT_EQ(second["size"], 2);
  EXPECT_EQ(second["data"], "YWI=");
  EXPECT_EQ(lines[0], R"({"seq":0,"size":5,"data":"aGVsbG8="})");
}

TEST(CliPubSub, JsonVerifySummaryIsJsonToo) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 8, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_EQ(run_cli({"pub", "seg", "--generate", "--size", "16", "--count", "3"}, dir.path()).exit_code, 0);
  const CliResult sub = run_cli({"sub", "seg", "--json", "--verify", "--max", "3"}, dir.path());
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const auto lines = lines_of(sub.out);
  ASSERT_EQ(lines.size(), 4U) << sub.out;
  const json summary = json::parse(lines[3]);
  EXPECT_EQ(summary["verify"]["received"], 3);
  EXPECT_EQ(summary["verify"]["corrupt"], 0);
}

TEST(CliPubSub, SubOnSeveralSegmentsLeadsEachSampleWithItsSegment) {
  TempFlinkDir dir;
  std::vector<PosixSlotAllocator> owners;
  for (const char* name : {"a", "b", "c"}) {
    auto owner = PosixSlotAllocator::create(dir.path() + "/" + name, 8, 64);
    ASSERT_TRUE(owner) << owner.error().message();
    owners.push_back(std::move(*owner));
  }
  ASSERT_EQ(run_cli({"pub", "a"}, dir.path(), "one\ntwo\n").exit_code, 0);
  ASSERT_EQ(run_cli({"pub", "b"}, dir.path(), "three\n").exit_code, 0);
  // A sub that waits on all three; c gets its sample only once sub sleeps in its WaitSet.
  CliProcess sub({"sub", "a", "b", "c", "--max", "4"}, dir.path());
  EXPECT_EQ(sub.read_line(), std::optional<std::string>("a: one"));
  EXPECT_EQ(sub.read_line(), std::optional<std::string>("a: two"));
  EXPECT_EQ(sub.read_line(), std::optional<std::string>("b: three"));
  ASSERT_EQ(run_cli({"pub", "c"}, dir.path(), "late\n").exit_code, 0);
  EXPECT_EQ(sub.read_line(), std::optional<std::string>("c: late"));
  EXPECT_EQ(sub.wait().exit_code, 0);

  ASSERT_EQ(run_cli({"pub", "b"}, dir.path(), "ab\n").exit_code, 0);
  const CliResult as_json = run_cli({"sub", "a", "b", "--json", "--max", "1"}, dir.path());
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_EQ(as_json.out, "{\"segment\":\"b\",\"seq\":1,\"size\":2,\"data\":\"YWI=\"}\n");
}

TEST(CliPubSub, SubOnSeveralSegmentsVerifiesEachStream) {
  TempFlinkDir dir;
  std::vector<PosixSlotAllocator> owners;
  for (const char* name : {"a", "b"}) {
    auto owner = PosixSlotAllocator::create(dir.path() + "/" + name, 8, 512);
    ASSERT_TRUE(owner) << owner.error().message();
    owners.push_back(std::move(*owner));
  }
  constexpr int kCount = 2000;
  CliProcess sub({"sub", "a", "b", "--verify", "--max", std::to_string(2 * kCount)}, dir.path());
  CliProcess pub_a({"pub", "a", "--generate", "--size", "100", "--count", std::to_string(kCount)}, dir.path());
  CliProcess pub_b({"pub", "b", "--generate", "--size", "300", "--count", std::to_string(kCount)}, dir.path());
  EXPECT_EQ(pub_a.wait().exit_code, 0);
  EXPECT_EQ(pub_b.wait().exit_code, 0);
  const CliResult got = sub.wait();
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto lines = lines_of(got.out);
  ASSERT_EQ(lines.size(), 2U) << got.out;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string lead = i == 0 ? "a: " : "b: ";
    ASSERT_EQ(lines[i].rfind(lead, 0), 0U) << lines[i];
    const Verify v = parse_verify(lines[i].substr(lead.size()));
    EXPECT_EQ(v.received, kCount) << lines[i];
    EXPECT_EQ(v.lost, 0);
    EXPECT_EQ(v.duplicate, 0);
    EXPECT_EQ(v.corrupt, 0);
  }
}

TEST(CliPubSub, SubWithHistoryReadsWhatCreateHistoryKept) {
  TempFlinkDir dir;
  CliProcess create({"create", "seg", "--slots", "8", "--capacity", "64", "--history", "3"}, dir.path());
  ASSERT_TRUE(create.read_line());
  // Ten lines into eight slots, nobody reading: the writer reuses slots, all but the newest three.
  ASSERT_EQ(run_cli({"pub", "seg", "--mask", "0"}, dir.path(), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n").exit_code, 0);
  const CliResult late = run_cli({"sub", "seg", "--history", "--reader", "2", "--timeout", "0.5"}, dir.path());
  ASSERT_EQ(late.exit_code, 0) << late.err;
  EXPECT_EQ(late.out, "h\ni\nj\n");
  const CliResult shown = run_cli({"inspect", "seg", "--json"}, dir.path());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["history"], 3);
  const CliResult too_deep = run_cli({"create", "deep", "--slots", "4", "--capacity", "64", "--history", "4"}, dir.path());
  EXPECT_EQ(too_deep.exit_code, 2) << too_deep.err;
  EXPECT_NE(too_deep.err.find("history_depth 4 must be below slot_count 4"), std::string::npos) << too_deep.err;
  create.signal(SIGINT);
  EXPECT_EQ(create.wait().exit_code, 0);
}

TEST(CliPubSub, VerifyReportsCorruptAndLostSamplesAndFails) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 8, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  // Generated 0 and 1, a line that is no generated payload, then 0 and 1 again from a second run.
  ASSERT_EQ(run_cli({"pub", "seg", "--generate", "--size", "32", "--count", "2"}, dir.path()).exit_code, 0);
  ASSERT_EQ(run_cli({"pub", "seg"}, dir.path(), "not a generated payload\n").exit_code, 0);
  ASSERT_EQ(run_cli({"pub", "seg", "--generate", "--size", "32", "--count", "2"}, dir.path()).exit_code, 0);
  const CliResult sub = run_cli({"sub", "seg", "--verify", "--timeout", "0.5"}, dir.path());
  EXPECT_EQ(sub.exit_code, 1);
  const Verify v = parse_verify(sub.out);
  EXPECT_EQ(v.received, 5);
  EXPECT_EQ(v.corrupt, 1);
  EXPECT_EQ(v.duplicate, 2);
  EXPECT_EQ(sub.err, "shmslot sub: 1 corrupt samples\n");
}

TEST(CliPubSub, VerifyCountsWhatAnInactiveReaderLost) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  // No active reader (--mask 0): the writer reuses slots freely, only samples 3 and 4 remain.
  ASSERT_EQ(run_cli({"pub", "seg", "--generate", "--size", "16", "--count", "5", "--mask", "0"}, dir.path()).exit_code,
            0);
  const CliResult sub = run_cli({"sub", "seg", "--verify", "--timeout", "0.5"}, dir.path());
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  const Verify v = parse_verify(sub.out);
  EXPECT_EQ(v.received, 2);
  EXPECT_EQ(v.lost, 3);
  EXPECT_EQ(v.corrupt, 0);
}

TEST(CliPubSub, SubTimesOutWithoutSamples) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 2, 16);
  ASSERT_TRUE(owner) << owner.error().message();
  const CliResult sub = run_cli({"sub", "seg", "--count", "--timeout", "0.2"}, dir.path());
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "0\n");
}

TEST(CliPubSub, SubStopsOnSigintAndPrintsItsCount) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 2, 16);
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_EQ(run_cli({"pub", "seg"}, dir.path(), "x\n").exit_code, 0);
  CliProcess sub({"sub", "seg", "--count"}, dir.path());
  // The sample is read long before this: wait until the reader's cursor moved, then interrupt.
  for (int i = 0; i < 100000 && owner->snapshot().readers[0].cursor == 0; ++i) ::usleep(1000);
  sub.signal(SIGINT);
  const CliResult r = sub.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

TEST(CliPubSub, SubEndsWhenTheOwnerRemovesTheSegment) {
  TempFlinkDir dir;
  CliProcess create({"create", "seg", "--slots", "2", "--capacity", "16"}, dir.path());
  ASSERT_TRUE(create.read_line());
  CliProcess sub({"sub", "seg", "--count"}, dir.path());
  // Give the reader time to attach before the owner leaves (if it is late, it exits 3 instead,
  // which the test accepts: either way it does not hang).
  ::usleep(200 * 1000);
  create.signal(SIGINT);
  EXPECT_EQ(create.wait().exit_code, 0);
  const CliResult r = sub.wait();
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;
  if (r.exit_code == 0) {
    EXPECT_NE(r.err.find("no longer names"), std::string::npos) << r.err;
  }
}

TEST(CliPubSub, PubWaitsWhileTheSegmentIsFull) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 2, 32);
  ASSERT_TRUE(owner) << owner.error().message();
  // Two slots, reader 0 active: the third sample waits until reader 0 has read the first.
  CliProcess pub({"pub", "seg", "--generate", "--size", "16", "--count", "3"}, dir.path());
  for (int i = 0; i < 100000 && owner->snapshot().next_sequence < 2; ++i) ::usleep(1000);
  ASSERT_EQ(owner->snapshot().next_sequence, 2U);
  ::usleep(100 * 1000);
  EXPECT_EQ(owner->snapshot().next_sequence, 2U) << "published into a full segment";
  const CliResult sub = run_cli({"sub", "seg", "--verify", "--max", "3"}, dir.path());
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(parse_verify(sub.out).received, 3);
  EXPECT_EQ(pub.wait().exit_code, 0);
}

TEST(CliPubSub, SubReadsAZeroDdsSegmentAndPubRefusesIt) {
  TempFlinkDir dir;
  auto peer = ZeroDdsPeer::create(dir.flink("zerodds"), 4, 64);
  ASSERT_TRUE(peer) << peer.error().message();
  for (std::string_view s : {"one", "two"}) {
    const std::uint32_t slot = peer->reserve_slot(0b1).value();
    ASSERT_TRUE(peer->commit_slot(slot, bytes_of(s)));
  }
  const CliResult sub = run_cli({"sub", dir.flink("zerodds"), "--max", "2"}, dir.path());
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "one\ntwo\n");
  const CliResult pub = run_cli({"pub", dir.flink("zerodds")}, dir.path(), "x\n");
  EXPECT_EQ(pub.exit_code, 1);
  EXPECT_NE(pub.err.find("ZeroDDS"), std::string::npos) << pub.err;
}

TEST(CliPubSub, AReaderIndexALiveProcessHoldsIsRefusedWith7) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 4, 32);
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_TRUE(owner->register_reader(2));  // this (live) process is reader 2
  const CliResult taken = run_cli({"sub", "seg", "--reader", "2", "--timeout", "0.1"}, dir.path());
  EXPECT_EQ(taken.exit_code, 7) << taken.err;
  EXPECT_EQ(taken.err.rfind("shmslot sub: reader index 2 is in use by pid " + std::to_string(::getpid()), 0), 0U)
      << taken.err;
  const CliResult other = run_cli({"sub", "seg", "--reader", "3", "--count", "--timeout", "0.1"}, dir.path());
  EXPECT_EQ(other.exit_code, 0) << other.err;
}

TEST(CliPubSub, AReaderIndexADeadSubLeftIsTakenOver) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 4, 32);
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_EQ(run_cli({"pub", "seg", "--mask", "0"}, dir.path(), "a\n").exit_code, 0);
  {
    CliProcess killed({"sub", "seg", "--reader", "4"}, dir.path());
    ASSERT_EQ(killed.read_line(), "a");
    killed.signal(SIGKILL);
    EXPECT_EQ(killed.wait().exit_code, 128 + SIGKILL);
  }
  ASSERT_NE(owner->reader_stats(4).value().owner_pid, 0U);  // still recorded for the dead process
  ASSERT_EQ(run_cli({"pub", "seg", "--mask", "0"}, dir.path(), "b\n").exit_code, 0);
  CliProcess sub({"sub", "seg", "--reader", "4", "--max", "1"}, dir.path());
  // Taken over: it reads from the newest sample on, so "b" (already there) is skipped; "c" arrives.
  for (int i = 0; i < 100000 && owner->reader_stats(4).value().owner_pid != static_cast<std::uint32_t>(sub.pid());
       ++i) {
    ::usleep(1000);
  }
  ASSERT_EQ(run_cli({"pub", "seg", "--mask", "0"}, dir.path(), "c\n").exit_code, 0);
  const CliResult r = sub.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "c\n");
}

TEST(CliPubSub, ALineLongerThanTheCapacityFails) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.path() + "/seg", 4, 8);
  ASSERT_TRUE(owner) << owner.error().message();
  const CliResult pub = run_cli({"pub", "seg"}, dir.path(), "short\nthis line is too long\n");
  EXPECT_EQ(pub.exit_code, 1);
  EXPECT_EQ(pub.err, "shmslot pub: stdin line 2 is longer than the slot capacity of 8 bytes\n");
  EXPECT_EQ(owner->snapshot().next_sequence, 1U);  // the first line went out
}

}  // namespace
}  // namespace shmslot::test

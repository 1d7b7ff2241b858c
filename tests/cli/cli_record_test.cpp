// `shmslot record` and `shmslot replay` end to end: record -> replay -> record keeps every payload
// and its order, channel metadata and missed counts land in the file, best-effort recording counts
// what it missed, ZeroDDS segments are recorded (best effort) but never replayed into, and bad
// files, options and outputs are refused with a clear error.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/type_hash.hpp>

#include "cli_process.hpp"
#include "mcap_reader.hpp"
#include "support/temp_flink.hpp"
#include "support/zerodds_peer.hpp"

namespace shmslot::test {
namespace {

constexpr const char* kTypeHash = "00112233445566778899aabbccddeeff";

struct Recording {
  std::vector<mcap::Channel> channels;
  struct Msg {
    std::string topic;
    std::uint32_t sequence;
    std::uint64_t log_time;
    std::uint64_t publish_time;
    std::vector<std::uint8_t> data;
  };
  std::vector<Msg> messages;
  mcap::KeyValues metadata;  // the shmslot.recording record
};

Recording read_recording(const std::string& path) {
  Recording out;
  auto r = mcap::Reader::open(path);
  EXPECT_TRUE(r) << path << ": " << r.error().message();
  if (!r) return out;
  for (;;) {
    auto m = r->next();
    EXPECT_TRUE(m) << m.error().message();
    if (!m || !*m) break;
    out.messages.push_back({r->channels().at((*m)->channel_id).topic, (*m)->sequence, (*m)->log_time,
                            (*m)->publish_time, std::vector<std::uint8_t>((*m)->data.begin(), (*m)->data.end())});
  }
  for (const auto& [id, c] : r->channels()) out.channels.push_back(c);
  for (const auto& md : r->metadata()) {
    if (md.name == "shmslot.recording") out.metadata = md.metadata;
  }
  return out;
}

// "recorded TOPIC samples=N missed=M" from the recorder's output.
std::pair<long, long> recorded_counts(const std::string& out, const std::string& topic) {
  for (const auto& line : lines_of(out)) {
    long samples = -1;
    long missed = -1;
    if (std::sscanf(line.c_str(), ("recorded " + topic + " samples=%ld missed=%ld").c_str(), &samples, &missed) == 2) {
      return {samples, missed};
    }
  }
  ADD_FAILURE() << "no 'recorded " << topic << "' line in: " << out;
  return {-1, -1};
}

// Publishes `text` for the segment's registered readers.
bool publish(PosixSlotAllocator& segment, const std::string& text) {
  auto h = segment.reserve_slot(segment.registered_readers());
  return h && segment.commit_slot(*h, std::as_bytes(std::span(text.data(), text.size()))).has_value();
}

// Starts `shmslot record ARGS...` and waits for its ready line.
std::unique_ptr<CliProcess> start_recorder(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> full = {"record"};
  full.insert(full.end(), args.begin(), args.end());
  auto p = std::make_unique<CliProcess>(full, dir);
  for (;;) {
    auto line = p->read_line();
    EXPECT_TRUE(line) << "the recorder ended before its ready line: " << p->wait().err;
    if (!line || line->rfind("ready ", 0) == 0) break;
  }
  return p;
}

// Waits until reader `reader` of the segment at `flink` has read up to sequence number `seq`.
void wait_until_read(const std::string& flink, std::uint32_t reader, std::uint64_t seq) {
  auto seg = PosixSlotAllocator::attach(flink);
  ASSERT_TRUE(seg) << seg.error().message();
  const auto deadline = std::chrono::steady_clock::now() + kCliWatchdog;
  while (std::chrono::steady_clock::now() < deadline) {
    auto stats = seg->reader_stats(reader);
    ASSERT_TRUE(stats);
    if (stats->cursor > seq) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL() << "reader " << reader << " never read sequence " << seq;
}

TEST(CliRecord, RecordReplayRecordKeepsEveryPayloadInOrder) {
  TempFlinkDir dir;
  const std::string first = dir.path() + "/first.mcap";
  const std::string second = dir.path() + "/second.mcap";
  constexpr int kCount = 3000;
  std::string shm_name;
  {
    CliProcess create({"create", "src", "--slots", "8", "--capacity", "512", "--type-hash", kTypeHash}, dir.path());
    const auto ready = create.read_line();
    ASSERT_TRUE(ready);
    shm_name = ready->substr(ready->rfind(' ') + 1);
    auto recorder = start_recorder({"src", "-o", first, "--reader", "0", "--chunk-size", "20000"}, dir.path());
    // pub's default mask is reader 0: the recorder's index, so the writer waits for it.
    const CliResult pub = run_cli({"pub", "src", "--generate", "--size", "200", "--count", std::to_string(kCount)},
                                  dir.path());
    ASSERT_EQ(pub.exit_code, 0) << pub.err;
    const CliResult lines = run_cli({"pub", "src"}, dir.path(), "one\ntwo\n\nthree\n");  // text, an empty one
    ASSERT_EQ(lines.exit_code, 0) << lines.err;
    wait_until_read(dir.path() + "/src", 0, kCount + 3);  // sequence numbers start at 0
    recorder->signal(SIGINT);
    const CliResult rec = recorder->wait();
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    EXPECT_EQ(recorded_counts(rec.out, "src"), (std::pair<long, long>{kCount + 4, 0}));
    create.signal(SIGINT);
    EXPECT_EQ(create.wait().exit_code, 0);
  }
  const Recording a = read_recording(first);
  ASSERT_EQ(a.messages.size(), static_cast<std::size_t>(kCount + 4));
  ASSERT_EQ(a.channels.size(), 1U);
  const mcap::KeyValues& meta = a.channels[0].metadata;
  EXPECT_EQ(a.channels[0].topic, "src");
  EXPECT_EQ(meta.at("type_hash"), kTypeHash);
  EXPECT_EQ(meta.at("capacity"), "512");
  EXPECT_EQ(meta.at("slot_count"), "8");
  EXPECT_EQ(meta.at("shm_name"), shm_name);
  EXPECT_EQ(meta.at("flink"), dir.path() + "/src");
  EXPECT_EQ(meta.at("kind"), "shmslot");
  EXPECT_EQ(meta.at("mode"), "registered");
  EXPECT_EQ(a.metadata.at("missed"), "0");
  EXPECT_EQ(a.metadata.at("recorded"), std::to_string(kCount + 4));
  EXPECT_EQ(a.metadata.at("stopped_by"), "signal");
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    EXPECT_EQ(a.messages[i].sequence, i) << i;  // a fresh segment's first sequence number is 0
    EXPECT_GT(a.messages[i].publish_time, 0U);
    if (i > 0) {
      EXPECT_GE(a.messages[i].publish_time, a.messages[i - 1].publish_time) << i;
    }
  }
  EXPECT_EQ(std::string(a.messages[kCount].data.begin(), a.messages[kCount].data.end()), "one");
  EXPECT_TRUE(a.messages[kCount + 2].data.empty());

  // Replay into an existing segment with fewer slots, recorded again: every replayed sample waits
  // for the second recorder.
  {
    CliProcess create({"create", "dst", "--slots", "3", "--capacity", "512", "--type-hash", kTypeHash}, dir.path());
    ASSERT_TRUE(create.read_line());
    auto recorder = start_recorder({"dst", "-o", second, "--compression", "lz4"}, dir.path());
    const CliResult replay = run_cli({"replay", first, "--map", "src=dst", "--rate", "0"}, dir.path());
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_NE(replay.out.find("replayed src samples=" + std::to_string(kCount + 4)), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("attached"), std::string::npos) << replay.out;
    const auto index = PosixSlotAllocator::attach(dir.path() + "/dst");
    ASSERT_TRUE(index);
    const std::uint32_t reader = static_cast<std::uint32_t>(__builtin_ctz(index->registered_readers()));
    wait_until_read(dir.path() + "/dst", reader, kCount + 3);
    recorder->signal(SIGTERM);
    const CliResult rec = recorder->wait();
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    EXPECT_EQ(recorded_counts(rec.out, "dst"), (std::pair<long, long>{kCount + 4, 0}));
    create.signal(SIGINT);
    EXPECT_EQ(create.wait().exit_code, 0);
  }
  const Recording b = read_recording(second);
  ASSERT_EQ(b.messages.size(), a.messages.size());
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    ASSERT_EQ(b.messages[i].data, a.messages[i].data) << "payload " << i;
  }
  EXPECT_EQ(b.channels.at(0).metadata.at("slot_count"), "3");
  ::unlink(first.c_str());
  ::unlink(second.c_str());
}

TEST(CliRecord, OutsideTheWritersMaskItCountsWhatItMissed) {
  TempFlinkDir dir;
  const std::string file = dir.path() + "/lossy.mcap";
  CliProcess create({"create", "seg", "--slots", "4", "--capacity", "64"}, dir.path());
  ASSERT_TRUE(create.read_line());
  auto recorder = start_recorder({"seg", "-o", file, "--reader", "3"}, dir.path());
  ASSERT_EQ(run_cli({"pub", "seg", "--mask", "0"}, dir.path(), "first\n").exit_code, 0);
  wait_until_read(dir.path() + "/seg", 3, 0);
  // Paused, the recorder cannot keep up: --mask 0 overwrites the 4 slots 25 times over.
  ASSERT_EQ(::kill(recorder->pid(), SIGSTOP), 0);
  const CliResult burst = run_cli({"pub", "seg", "--generate", "--size", "32", "--count", "100", "--mask", "0"}, dir.path());
  ASSERT_EQ(::kill(recorder->pid(), SIGCONT), 0);
  ASSERT_EQ(burst.exit_code, 0) << burst.err;
  ASSERT_EQ(run_cli({"pub", "seg", "--mask", "0"}, dir.path(), "last\n").exit_code, 0);
  wait_until_read(dir.path() + "/seg", 3, 101);
  recorder->signal(SIGTERM);
  const CliResult rec = recorder->wait();
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  const auto [samples, missed] = recorded_counts(rec.out, "seg");
  EXPECT_EQ(samples + missed, 102);  // sequence numbers 0..101, the first and last recorded
  EXPECT_GE(missed, 96);
  EXPECT_NE(rec.err.find("missed"), std::string::npos) << rec.err;
  const Recording r = read_recording(file);
  EXPECT_EQ(r.messages.size(), static_cast<std::size_t>(samples));
  EXPECT_EQ(r.metadata.at("missed"), std::to_string(missed));
  EXPECT_EQ(r.metadata.at("seg.missed"), std::to_string(missed));
  EXPECT_EQ(r.channels.at(0).metadata.at("reader"), "3");
  create.signal(SIGINT);
  EXPECT_EQ(create.wait().exit_code, 0);
  ::unlink(file.c_str());
}

TEST(CliRecord, TwoSegmentsBecomeTwoChannelsAndMaxEndsTheRecording) {
  TempFlinkDir dir;
  const std::string file = dir.path() + "/two.mcap";
  auto a = PosixSlotAllocator::create(dir.path() + "/a", 4, 64);
  auto b = PosixSlotAllocator::create(dir.path() + "/b", 4, 64);
  ASSERT_TRUE(a && b);
  CliProcess recorder({"record", "a", "b", "-o", file, "--max", "6", "--compression", "none"}, dir.path());
  std::vector<std::string> lines;
  for (int i = 0; i < 3; ++i) lines.push_back(recorder.read_line().value_or(""));
  EXPECT_EQ(lines[2], "ready " + file);
  for (int i = 0; i < 3; ++i) {  // the registered recorder is in the active mask of both
    ASSERT_TRUE(publish(*a, "a" + std::to_string(i)));
    ASSERT_TRUE(publish(*b, "b" + std::to_string(i)));
  }
  const CliResult rec = recorder.wait();
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_EQ(recorded_counts(rec.out, "a"), (std::pair<long, long>{3, 0}));
  EXPECT_EQ(recorded_counts(rec.out, "b"), (std::pair<long, long>{3, 0}));
  const Recording r = read_recording(file);
  ASSERT_EQ(r.channels.size(), 2U);
  std::vector<std::string> a_payloads;
  for (const auto& m : r.messages) {
    if (m.topic == "a") a_payloads.emplace_back(m.data.begin(), m.data.end());
  }
  EXPECT_EQ(a_payloads, (std::vector<std::string>{"a0", "a1", "a2"}));
  EXPECT_EQ(r.metadata.at("stopped_by"), "max");
  ::unlink(file.c_str());
}

TEST(CliRecord, AZeroDdsSegmentIsRecordedBestEffortButNeverReplayedInto) {
  TempFlinkDir dir;
  const std::string file = dir.path() + "/zerodds.mcap";
  auto peer = ZeroDdsPeer::create(dir.flink("zerodds"), 4, 64);
  ASSERT_TRUE(peer) << peer.error().message();
  for (const std::string text : {"x", "yy", "zzz"}) {
    auto slot = peer->reserve_slot(0b1);  // waits for reader 0 (the recorder): one slot each
    ASSERT_TRUE(slot);
    ASSERT_TRUE(peer->commit_slot(*slot, std::as_bytes(std::span(text.data(), text.size()))));
  }
  const CliResult rec = run_cli({"record", dir.flink("zerodds"), "-o", file, "--max", "3"}, dir.path());
  ASSERT_EQ(rec.exit_code, 0) << rec.out << rec.err;
  EXPECT_NE(rec.out.find("reader 0 best-effort"), std::string::npos) << rec.out;
  const Recording r = read_recording(file);
  ASSERT_EQ(r.messages.size(), 3U);
  EXPECT_EQ(std::string(r.messages[2].data.begin(), r.messages[2].data.end()), "zzz");
  for (const auto& m : r.messages) EXPECT_EQ(m.publish_time, m.log_time);  // ZeroDDS records no commit time
  EXPECT_EQ(r.channels.at(0).metadata.at("kind"), "zerodds");
  EXPECT_EQ(r.channels.at(0).metadata.at("mode"), "best-effort");

  // Replaying into the ZeroDDS segment is refused, and publishes nothing.
  const std::uint32_t next_sn = peer->header_word(ZeroDdsPeer::kNextSnOffset);
  const CliResult replay = run_cli({"replay", file, "--map", dir.flink("zerodds") + "=" + dir.flink("zerodds")}, dir.path());
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_NE(replay.err.find("ZeroDDS"), std::string::npos) << replay.err;
  EXPECT_EQ(peer->header_word(ZeroDdsPeer::kNextSnOffset), next_sn);
  ::unlink(file.c_str());
}

TEST(CliRecord, ReplayPublishesNothingFromADamagedFile) {
  TempFlinkDir dir;
  const std::string file = dir.path() + "/good.mcap";
  const std::string cut = dir.path() + "/cut.mcap";
  const std::string junk = dir.path() + "/junk.mcap";
  {
    auto seg = PosixSlotAllocator::create(dir.path() + "/seg", 4, 64);
    ASSERT_TRUE(seg);
    CliProcess recorder({"record", "seg", "-o", file, "--max", "3"}, dir.path());
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(recorder.read_line());  // "recording seg ...", "ready ..."
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(publish(*seg, "s" + std::to_string(i)));
    ASSERT_EQ(recorder.wait().exit_code, 0);
  }
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 20);
  std::ofstream(junk, std::ios::binary) << "this is not an MCAP file";

  const CliResult truncated = run_cli({"replay", cut}, dir.path());
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("truncated MCAP file"), std::string::npos) << truncated.err;
  const CliResult not_mcap = run_cli({"replay", junk}, dir.path());
  EXPECT_EQ(not_mcap.exit_code, 1);
  EXPECT_NE(not_mcap.err.find("not an MCAP file"), std::string::npos) << not_mcap.err;
  // Neither created a segment.
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"good.mcap", "cut.mcap", "junk.mcap"}));

  // The good file replays into a segment replay creates as recorded (and removes at the end).
  const CliResult good = run_cli({"replay", file, "--rate", "0"}, dir.path());
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("created"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("replayed seg samples=3"), std::string::npos) << good.out;
  for (const std::string& f : {file, cut, junk}) ::unlink(f.c_str());
}

TEST(CliRecord, BadOptionsAndOutputsAreRefusedWithAClearError) {
  TempFlinkDir dir;
  auto seg = PosixSlotAllocator::create(dir.path() + "/seg", 4, 64);
  ASSERT_TRUE(seg);
  const std::string existing = dir.path() + "/existing.mcap";
  std::ofstream(existing) << "keep me";
  const CliResult exists = run_cli({"record", "seg", "-o", existing}, dir.path());
  EXPECT_EQ(exists.exit_code, 1);
  EXPECT_NE(exists.err.find("never overwrites"), std::string::npos) << exists.err;
  EXPECT_EQ(slurp(existing), "keep me");
  ::unlink(existing.c_str());

  const std::string out = dir.path() + "/never.mcap";
  EXPECT_EQ(run_cli({"record", "seg", "-o", out, "--compression", "bz2"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"record", "seg", "-o", out, "--reader", "40"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"record", "seg", "-o", out, "--max", "-5"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"record", "seg", "-o", out, "--chunk-size", "0"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"record", "seg", "seg", "-o", out}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"record", "seg"}, dir.path()).exit_code, 2);  // no --output
  EXPECT_EQ(run_cli({"record", "missing", "-o", out}, dir.path()).exit_code, 3);
  // A reader index a live process holds.
  ASSERT_TRUE(seg->register_reader(5));
  const CliResult busy = run_cli({"record", "seg", "-o", out, "--reader", "5"}, dir.path());
  EXPECT_EQ(busy.exit_code, 7) << busy.err;
  EXPECT_NE(access(out.c_str(), F_OK), 0);  // no file was started for any of these

  EXPECT_EQ(run_cli({"replay", out}, dir.path()).exit_code, 1);  // missing file
  EXPECT_EQ(run_cli({"replay", out, "--rate", "-1"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"replay", out, "--map", "nothing"}, dir.path()).exit_code, 2);
}

TEST(CliRecord, ReplayKeepsTheRecordedPace) {
  TempFlinkDir dir;
  const std::string file = dir.path() + "/paced.mcap";
  {
    CliProcess create({"create", "seg", "--slots", "4", "--capacity", "64"}, dir.path());
    ASSERT_TRUE(create.read_line());
    auto recorder = start_recorder({"seg", "-o", file, "--reader", "0"}, dir.path());
    // 11 samples 50 ms apart: half a second from first to last.
    ASSERT_EQ(run_cli({"pub", "seg", "--generate", "--size", "16", "--count", "11", "--rate", "20"}, dir.path()).exit_code, 0);
    wait_until_read(dir.path() + "/seg", 0, 10);
    recorder->signal(SIGINT);
    ASSERT_EQ(recorder->wait().exit_code, 0);
    create.signal(SIGINT);
    ASSERT_EQ(create.wait().exit_code, 0);
  }
  const Recording r = read_recording(file);
  ASSERT_EQ(r.messages.size(), 11U);
  const std::uint64_t span_ns = r.messages.back().log_time - r.messages.front().log_time;
  ASSERT_GT(span_ns, 400'000'000U);
  // At half the recorded pace the replay takes at least twice the recorded span (a lower bound only).
  const auto start = std::chrono::steady_clock::now();
  const CliResult replay = run_cli({"replay", file, "--rate", "0.5", "--map", "seg=copy"}, dir.path());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_GE(took, std::chrono::nanoseconds(2 * span_ns));
  ::unlink(file.c_str());
}

}  // namespace
}  // namespace shmslot::test

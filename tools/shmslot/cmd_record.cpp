// shmslot record FLINK... --output PATH [--compression none|zstd|lz4] [--chunk-size BYTES] [--reader N]
//                         [--max N] [--duration SEC] [--group NAME|GID]
// Records the samples of one or more segments into an MCAP file, one channel per segment, until
// Ctrl-C, --max, --duration or every segment is gone; the file is finished (summary, footer) in
// each of these cases.
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <shmslot/type_hash.hpp>
#include <shmslot/version.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "group_option.hpp"
#include "mcap_writer.hpp"
#include "recording_format.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "record";
// How long one idle wait sleeps before looking at the stop flag, the clock and the flink files.
constexpr auto kWaitSlice = std::chrono::milliseconds(100);
// With several segments, each idle wait is split between them.
constexpr auto kWaitSliceEach = std::chrono::milliseconds(5);
constexpr auto kGoneCheckInterval = std::chrono::milliseconds(500);
// Samples taken from one segment before looking at the next, so that a busy one starves no other.
constexpr int kDrainBatch = 256;

struct Options {
  std::vector<std::string> flinks;
  std::string output;
  std::string compression = "zstd";
  std::size_t chunk_size = 1024 * 1024;
  std::optional<std::uint32_t> reader;
  std::uint64_t max = 0;
  double duration_s = 0;
  std::string group;
};

// A line on stdout that cannot throw: a reader of our output that went away (`record ... | head -1`)
// must not stop the recording half way and leave a file without its summary.
void say(const std::string& line) { (void)std::fputs(line.c_str(), stdout); }

std::int64_t clock_ns(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_REALTIME minus CLOCK_MONOTONIC_COARSE, measured once at start: it turns the commit times a
// segment records (monotonic, coarse) into the realtime epoch of log_time. A later step of the
// realtime clock (NTP, a manual change) moves log_time but not publish_time.
std::int64_t realtime_offset_ns() {
  const std::int64_t before = clock_ns(CLOCK_MONOTONIC_COARSE);
  const std::int64_t realtime = clock_ns(CLOCK_REALTIME);
  const std::int64_t after = clock_ns(CLOCK_MONOTONIC_COARSE);
  return realtime - (before + (after - before) / 2);
}

// One recorded segment.
struct Source {
  Source(std::string flink, PosixSlotAllocator attached)
      : topic(std::move(flink)), segment(std::move(attached)), buffer(segment.slot_capacity()) {}

  std::string topic;  // the FLINK argument, the channel's topic
  PosixSlotAllocator segment;
  std::uint32_t reader = 0;
  bool registered = false;  // a registered reader (shmslot segments); otherwise best effort
  std::uint16_t channel = 0;
  std::vector<std::byte> buffer;
  std::optional<std::uint32_t> last_sequence;
  std::uint64_t recorded = 0;
  std::uint64_t missed = 0;  // sequence numbers skipped between two recorded samples
  bool gone = false;
};

// Why recording ended.
enum class End { Stopped, Max, Duration, AllGone, Error };

const char* to_string(End end) {
  switch (end) {
    case End::Stopped: return "signal";
    case End::Max: return "max";
    case End::Duration: return "duration";
    case End::AllGone: return "segments gone";
    case End::Error: return "error";
  }
  return "";
}

// Claims a reader index on the segment. A shmslot segment gets a registered reader (the one given
// with --reader, else a free one): writers that follow the registered readers, or whose mask has
// that index, wait for the recorder, and nothing is lost. A ZeroDDS segment has no registry: the
// recorder reads as --reader (default 0), best effort.
int claim_reader(const Options& o, Source& s) {
  if (!s.segment.has_extension()) {
    s.reader = o.reader.value_or(0);
    return kExitOk;
  }
  auto index = s.segment.register_reader(o.reader);
  if (!index) {
    if (index.error().code == SlotErrorCode::ReaderIndexInUse) {
      std::string holder;
      if (auto stats = s.segment.reader_stats(*o.reader); stats && stats->owner_pid != 0) {
        holder = fmt::format(" by pid {}", stats->owner_pid);
      }
      return fail(kCommand, kExitInUse,
                  fmt::format("reader index {} of {} is in use{}; pick another with --reader", *o.reader, s.topic,
                              holder));
    }
    return fail(kCommand, kExitFailure, fmt::format("register_reader on {}: {}", s.topic, index.error().message()));
  }
  s.reader = *index;
  s.registered = true;
  return kExitOk;
}

mcap::KeyValues channel_metadata(const Source& s) {
  const auto type_hash = s.segment.type_hash();
  const auto slots = s.segment.slot_count();
  return {{recording::kFlink, s.segment.flink_path()},
          {recording::kShmName, s.segment.shm_name()},
          {recording::kTypeHash, type_hash ? to_hex(*type_hash) : std::string()},
          {recording::kCapacity, std::to_string(s.segment.slot_capacity())},
          {recording::kSlotCount, std::to_string(slots ? *slots : 0)},
          {recording::kKind, s.segment.has_extension() ? "shmslot" : "zerodds"},
          {recording::kReader, std::to_string(s.reader)},
          {recording::kMode, s.registered ? "registered" : "best-effort"}};
}

class Recorder {
 public:
  Recorder(const Options& o, std::vector<Source>& sources, mcap::Writer& writer)
      : o_(o), sources_(sources), writer_(writer), offset_ns_(realtime_offset_ns()) {}

  End run() {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.duration_s));
    auto last_check = start;
    for (;;) {
      if (stop_requested()) return End::Stopped;
      if (o_.max != 0 && total_ >= o_.max) return End::Max;
      if (o_.duration_s > 0 && Clock::now() - start >= duration) return End::Duration;
      bool took = false;
      for (std::size_t i = 0; i < sources_.size(); ++i) {
        Source& s = sources_[i];
        if (s.gone) continue;
        for (int n = 0; n < kDrainBatch && (o_.max == 0 || total_ < o_.max); ++n) {
          const auto got = take_one(s);
          if (!got) return End::Error;
          if (!*got) break;
          took = true;
        }
      }
      if (took) continue;
      if (std::all_of(sources_.begin(), sources_.end(), [](const Source& s) { return s.gone; })) return End::AllGone;
      wait(o_.duration_s > 0 ? start + duration - Clock::now() : Clock::duration(kWaitSlice));
      if (Clock::now() - last_check >= kGoneCheckInterval) {
        last_check = Clock::now();
        check_gone();
      }
    }
  }

  int exit_code() const { return exit_code_; }
  std::int64_t offset_ns() const { return offset_ns_; }

 private:
  // Records the oldest unread sample of `s`: true if there was one, false if none, an error
  // (already reported) if the segment or the file failed.
  tl::expected<bool, int> take_one(Source& s) {
    auto next = s.segment.next_unread_slot(s.reader);
    if (!next) return error(fmt::format("next_unread_slot on {}: {}", s.topic, next.error().message()));
    if (!*next) return false;
    const SlotHandle handle = **next;
    auto header = s.segment.read_slot_into(handle, s.buffer);
    if (!header) {
      // Overwritten before the copy completed: its sequence number shows up as a gap. Nothing was
      // taken; the overwrite moved the change counter, so the wait that follows returns at once.
      if (header.error().code == SlotErrorCode::Overwritten) return false;
      return error(fmt::format("read_slot_into on {}: {}", s.topic, header.error().message()));
    }
    // Before mark_read: until then a writer that waits for this reader cannot reuse the slot.
    const auto committed = s.segment.commit_time(handle);
    const auto log_time = static_cast<std::uint64_t>(clock_ns(CLOCK_REALTIME));
    if (auto marked = s.segment.mark_read(handle, s.reader);
        !marked && marked.error().code != SlotErrorCode::Overwritten) {
      return error(fmt::format("mark_read on {}: {}", s.topic, marked.error().message()));
    }
    const std::uint64_t publish_time =
        committed ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, committed->count() + offset_ns_)) : log_time;
    const std::uint32_t seq = header->sequence_number;
    if (s.last_sequence) {
      // Modulo 2^32: the header keeps the low 32 bits of the segment's 64-bit sequence number.
      const std::uint32_t gap = seq - *s.last_sequence - 1U;
      if (gap < 0x80000000U) s.missed += gap;
    }
    s.last_sequence = seq;
    const auto data = std::span<const std::byte>(s.buffer).first(std::min<std::size_t>(header->sample_size, s.buffer.size()));
    if (auto w = writer_.write_message(s.channel, seq, log_time, publish_time, data); !w) {
      return error(fmt::format("write {}: {}", writer_.path(), w.error().message()));
    }
    ++s.recorded;
    ++total_;
    return true;
  }

  tl::unexpected<int> error(const std::string& message) {
    exit_code_ = fail(kCommand, kExitFailure, message);
    return tl::unexpected(exit_code_);
  }

  // Sleeps until a segment has something unread or `limit` (at most one slice) passes: one segment
  // after the other, each for its share of the slice, announcing the sleep before the last look so
  // that a commit after that look ends it.
  void wait(std::chrono::steady_clock::duration limit) {
    limit = std::clamp<std::chrono::steady_clock::duration>(limit, std::chrono::steady_clock::duration::zero(),
                                                            kWaitSlice);
    std::size_t live = 0;
    for (const Source& s : sources_) live += s.gone ? 0 : 1;
    for (Source& s : sources_) {
      if (s.gone) continue;
      const auto slice = live == 1 ? limit : std::min<std::chrono::steady_clock::duration>(limit, kWaitSliceEach);
      const SlotBackend::WaitAnnouncement announced = s.segment.announce_wait(WaitFor::Sample);
      const auto next = s.segment.next_unread_slot(s.reader);
      if (!next || *next) {  // something to take (an error shows up again when it is taken)
        s.segment.withdraw_wait(announced);
        return;
      }
      if (s.segment.sleep_announced(announced, slice)) return;
    }
  }

  // A segment whose owner removed it or died is done once nothing is left to read in it.
  void check_gone() {
    for (Source& s : sources_) {
      if (s.gone) continue;
      const auto why = segment_gone(s.segment);
      if (!why) continue;
      if (auto last = s.segment.next_unread_slot(s.reader); last && *last) continue;  // drain first
      s.gone = true;
      note(kCommand, fmt::format("{}; stopping recording it after {} samples", *why, s.recorded));
    }
  }

  const Options& o_;
  std::vector<Source>& sources_;
  mcap::Writer& writer_;
  std::int64_t offset_ns_;
  std::uint64_t total_ = 0;
  int exit_code_ = kExitOk;
};

mcap::Compression parse_compression(const std::string& name) {
  if (name == "none") return mcap::Compression::None;
  if (name == "lz4") return mcap::Compression::Lz4;
  return mcap::Compression::Zstd;
}

// Finishes the file: the recording's metadata, the summary, the footer. Prints the summary lines.
int finish(const Options& o, std::vector<Source>& sources, mcap::Writer& writer, const Recorder& recorder, End end,
           std::int64_t started_ns) {
  std::uint64_t recorded = 0;
  std::uint64_t missed = 0;
  mcap::KeyValues meta{{"recorder", fmt::format("shmslot {}", kVersion)},
                       {"clock_offset_ns", std::to_string(recorder.offset_ns())},
                       {"started_ns", std::to_string(started_ns)},
                       {"stopped_ns", std::to_string(clock_ns(CLOCK_REALTIME))},
                       {"stopped_by", to_string(end)}};
  for (const Source& s : sources) {
    recorded += s.recorded;
    missed += s.missed;
    meta[s.topic + ".recorded"] = std::to_string(s.recorded);
    meta[s.topic + ".missed"] = std::to_string(s.missed);
    meta[s.topic + ".mode"] = s.registered ? "registered" : "best-effort";
  }
  meta["recorded"] = std::to_string(recorded);
  meta["missed"] = std::to_string(missed);
  int code = end == End::Error ? recorder.exit_code() : kExitOk;
  if (auto w = writer.write_metadata(recording::kMetadataName, meta); !w) {
    code = fail(kCommand, kExitFailure, fmt::format("write {}: {}", o.output, w.error().message()));
  }
  if (auto closed = writer.close(); !closed) {
    return fail(kCommand, kExitFailure, fmt::format("finish {}: {}", o.output, closed.error().message()));
  }
  for (const Source& s : sources) {
    say(fmt::format("recorded {} samples={} missed={}\n", s.topic, s.recorded, s.missed));
    if (s.missed > 0) {
      note(kCommand, fmt::format("missed {} samples of {}{}", s.missed, s.topic,
                                 s.registered ? " (the writer's active mask did not include reader " +
                                                    std::to_string(s.reader) + ")"
                                              : " (best effort: a ZeroDDS segment does not wait for the recorder)"));
    }
  }
  say(fmt::format("wrote {} samples={} missed={}\n", o.output, recorded, missed));
  return code;
}

int run(const Options& o) {
  std::set<std::string> seen;
  for (const std::string& flink : o.flinks) {
    if (!seen.insert(resolve_flink_path(flink)).second) {
      return fail(kCommand, kExitUsage, fmt::format("{} is given twice", flink));
    }
  }
  struct stat st {};
  if (::lstat(o.output.c_str(), &st) == 0) {
    return fail(kCommand, kExitFailure, fmt::format("{} exists; the recorder never overwrites a file", o.output));
  }
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  // Stop signals from here on end in a finished file, whatever the recorder is doing.
  install_stop_handlers();
  std::vector<Source> sources;
  for (const std::string& flink : o.flinks) {
    auto segment = attach_segment(kCommand, flink, {}, *group);
    if (!segment) return segment.error();
    sources.emplace_back(flink, std::move(*segment));
  }
  for (Source& s : sources) {
    if (int code = claim_reader(o, s); code != kExitOk) return code;
  }
  mcap::WriterOptions options;
  options.compression = parse_compression(o.compression);
  options.chunk_size = o.chunk_size;
  options.library = fmt::format("shmslot {}", kVersion);
  auto writer = mcap::Writer::create(o.output, options);
  if (!writer) return fail(kCommand, kExitFailure, writer.error().message());
  for (Source& s : sources) {
    auto channel = writer->add_channel(s.topic, recording::kMessageEncoding, channel_metadata(s));
    if (!channel) return fail(kCommand, kExitFailure, fmt::format("write {}: {}", o.output, channel.error().message()));
    s.channel = *channel;
    say(fmt::format("recording {} reader {} {}\n", s.topic, s.reader, s.registered ? "registered" : "best-effort"));
  }
  say(fmt::format("ready {}\n", o.output));
  std::fflush(stdout);
  const std::int64_t started_ns = clock_ns(CLOCK_REALTIME);
  Recorder recorder(o, sources, *writer);
  const End end = recorder.run();
  return finish(o, sources, *writer, recorder, end, started_ns);
}

}  // namespace

void register_record(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(
      app, kCommand, "Record the samples of segments into an MCAP file",
      "One MCAP channel per segment (topic: the FLINK argument; metadata: flink, shm_name, type_hash,\n"
      "capacity, slot_count, kind, reader, mode). Each sample is a message: log_time is when the\n"
      "recorder read it (CLOCK_REALTIME), publish_time when it was committed (the segment's commit\n"
      "time moved to the realtime epoch; log_time on ZeroDDS segments), sequence the low 32 bits of\n"
      "its sequence number. On a shmslot segment the recorder is a registered reader: lossless for\n"
      "writers that wait for the registered readers, or whose --mask has its index. Otherwise (another\n"
      "mask, a ZeroDDS segment) it is best effort, and what it missed is counted and reported.\n"
      "Ends on Ctrl-C/SIGTERM, --max, --duration, or once every segment is gone; the file is finished\n"
      "(summary, footer) in each case.");
  cmd->add_option("flink", o->flinks, "Flink paths of the segments to record (a name without '/' lives in "
                                      "$SHMSLOT_DIR or /tmp/shmslot)")
      ->required();
  cmd->add_option("-o,--output", o->output, "The MCAP file to write (never overwritten)")->required();
  cmd->add_option("--compression", o->compression, "Chunk compression")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "zstd", "lz4"}));
  cmd->add_option("--chunk-size", o->chunk_size, "Uncompressed bytes per chunk")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, mcap::kMaxChunkSize));
  cmd->add_option("--reader", o->reader,
                  "Reader index (0..31) on every segment; default: a free one is registered "
                  "(ZeroDDS segments: 0); exit 7 if a live process holds it")
      ->check(CLI::Range(0U, 31U));
  add_group_option(*cmd, o->group, kAttachGroupHelp);
  cmd->add_option("--max", o->max, "Stop after N samples in all (0: no limit)")
      ->capture_default_str()
      ->check(finite_range_validator(0, 1e18));
  cmd->add_option("--duration", o->duration_s, "Stop after SEC seconds (0: no limit)")
      ->capture_default_str()
      ->check(finite_range_validator(0, kMaxSeconds));
  set_action(*cmd, [o] { return run(*o); });
}

}  // namespace shmslot::cli

// shmslot replay FILE [--map TOPIC=FLINK]... [--rate X] [--slots N] [--mask HEX] [--wait-for-readers N]
//                     [--group NAME|GID]
// Publishes the messages of an MCAP file into segments, one per channel: the recorded segments
// (created with the recorded capacity, slot count and type hash, or attached when a shmslot
// segment is there), at the recorded pace, X times faster, or as fast as possible (--rate 0).
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <shmslot/type_hash.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "group_option.hpp"
#include "mcap_reader.hpp"
#include "progress.hpp"
#include "recording_format.hpp"
#include "sample_publisher.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "replay";
// Slot count of a created segment when the file does not record one (a file another tool wrote).
constexpr std::size_t kDefaultSlots = 16;
constexpr std::size_t kMaxSlots = std::size_t{1} << 24;
constexpr auto kReaderPoll = std::chrono::milliseconds(20);

struct Options {
  std::string file;
  std::vector<std::string> maps;
  double rate = 1.0;
  std::size_t slots = 0;
  std::string mask;
  std::uint32_t wait_for_readers = 0;
  std::string group;
};

// What the first pass over the file learned about one channel.
struct ChannelScan {
  std::uint64_t messages = 0;
  std::size_t max_size = 0;
};

// One channel's destination.
struct Target {
  std::string topic;
  std::string flink;
  std::optional<PosixSlotAllocator> segment;
  std::optional<SamplePublisher> publisher;
  bool created = false;
  std::uint64_t published = 0;
};

int file_error(const Options& o, const mcap::McapError& e) {
  return fail(kCommand, kExitFailure, fmt::format("{}: {}", o.file, e.message()));
}

std::optional<std::size_t> parse_size(const mcap::KeyValues& meta, const char* key) {
  const auto it = meta.find(key);
  if (it == meta.end()) return std::nullopt;
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) return std::nullopt;
  return value;
}

// The whole file once, before anything is published: a damaged file is refused as a whole, and
// the sizes and counts it yields shape the segments.
tl::expected<std::map<std::uint16_t, ChannelScan>, int> scan(const Options& o, mcap::Reader& reader,
                                                             std::uint64_t& total) {
  std::map<std::uint16_t, ChannelScan> out;
  for (;;) {
    auto m = reader.next();
    if (!m) return tl::unexpected(file_error(o, m.error()));
    if (!*m) break;
    ChannelScan& c = out[(*m)->channel_id];
    ++c.messages;
    c.max_size = std::max(c.max_size, (*m)->data.size());
    ++total;
  }
  return out;
}

// Attaches a live shmslot segment at the target's flink path, or creates one as recorded.
int open_target(const Options& o, std::optional<gid_t> group, const mcap::Channel& channel, const ChannelScan& scanned,
                Target& t) {
  const mcap::KeyValues& meta = channel.metadata;
  std::optional<TypeHash> type_hash;
  if (const auto it = meta.find(recording::kTypeHash); it != meta.end() && !it->second.empty()) {
    type_hash = type_hash_from_hex(it->second);
    if (!type_hash) {
      return fail(kCommand, kExitFailure,
                  fmt::format("{}: channel {} records type hash '{}', not 32 hex digits", o.file, t.topic, it->second));
    }
  }
  AttachOptions attach_options;
  attach_options.expected_type_hash = type_hash;
  attach_options.group = group;
  auto attached = PosixSlotAllocator::attach(t.flink, attach_options);
  if (attached && attached->owner_alive()) {
    if (!attached->has_extension()) {
      return fail(kCommand, kExitFailure,
                  fmt::format("{} ({}) was created by a ZeroDDS process; replay publishes only into shmslot segments",
                              attached->flink_path(), attached->shm_name()));
    }
    if (attached->slot_capacity() < scanned.max_size) {
      return fail(kCommand, kExitFailure,
                  fmt::format("{} holds {} bytes per slot; {} records samples of up to {} bytes", t.flink,
                              attached->slot_capacity(), t.topic, scanned.max_size));
    }
    t.segment.emplace(std::move(*attached));
    return kExitOk;
  }
  if (!attached) {
    const PosixSlotError& e = attached.error();
    const bool missing = (e.code == PosixErrorCode::Shm && e.sys_errno == ENOENT);
    if (!missing) return fail(kCommand, e);
  }
  // Nothing there, or the leftovers of a dead owner (which create recovers): create it as recorded.
  const std::size_t recorded_capacity = parse_size(meta, recording::kCapacity).value_or(0);
  const std::size_t capacity = std::max({recorded_capacity, scanned.max_size, std::size_t{1}});
  std::size_t slots = o.slots != 0 ? o.slots : parse_size(meta, recording::kSlotCount).value_or(kDefaultSlots);
  if (slots == 0 || slots > kMaxSlots) slots = kDefaultSlots;
  CreateOptions create_options;
  create_options.type_hash = type_hash;
  create_options.group = group;
  if (group) create_options.mode = 0660;
  auto created = PosixSlotAllocator::create(t.flink, slots, capacity, create_options);
  if (!created) return fail(kCommand, created.error());
  t.segment.emplace(std::move(*created));
  t.created = true;
  return kExitOk;
}

// Waits until every target has `n` registered readers (or a stop signal); false if stopped.
bool wait_for_readers(std::vector<Target>& targets, std::uint32_t n) {
  for (Target& t : targets) {
    while (static_cast<std::uint32_t>(std::popcount(t.segment->registered_readers())) < n) {
      if (!sleep_unless_stopped(kReaderPoll)) return false;
    }
  }
  return true;
}

// Sleeps until log time `log_time` is due at `rate` times the recorded pace; false if stopped.
bool pace(std::chrono::steady_clock::time_point start, std::uint64_t first_log_time, std::uint64_t log_time,
          double rate) {
  if (rate <= 0 || log_time <= first_log_time) return !stop_requested();
  const double offset_s = static_cast<double>(log_time - first_log_time) / 1e9 / rate;
  const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(offset_s));
  const auto now = std::chrono::steady_clock::now();
  if (due <= now) return !stop_requested();
  return sleep_unless_stopped(due - now);
}

tl::expected<std::map<std::string, std::string>, int> parse_maps(const Options& o) {
  std::map<std::string, std::string> out;
  for (const std::string& m : o.maps) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
      return tl::unexpected(fail(kCommand, kExitUsage, fmt::format("--map wants TOPIC=FLINK, got '{}'", m)));
    }
    if (!out.emplace(m.substr(0, eq), m.substr(eq + 1)).second) {
      return tl::unexpected(fail(kCommand, kExitUsage, fmt::format("--map names {} twice", m.substr(0, eq))));
    }
  }
  return out;
}

int run(const Options& o) {
  auto maps = parse_maps(o);
  if (!maps) return maps.error();
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  auto reader = mcap::Reader::open(o.file);
  if (!reader) return file_error(o, reader.error());
  std::uint64_t total = 0;
  auto scanned = scan(o, *reader, total);
  if (!scanned) return scanned.error();

  if (total == 0) {
    note(kCommand, fmt::format("{} holds no messages; nothing to publish", o.file));
    return kExitOk;
  }
  for (const auto& [topic, flink] : *maps) {
    const bool known = std::any_of(reader->channels().begin(), reader->channels().end(),
                                   [&](const auto& c) { return c.second.topic == topic; });
    if (!known) return fail(kCommand, kExitUsage, fmt::format("--map {}: {} has no channel {}", topic, o.file, topic));
  }
  install_stop_handlers();
  // One target per channel that has messages, in channel order.
  std::vector<Target> targets;
  std::map<std::uint16_t, std::size_t> target_of;
  std::set<std::string> flinks;
  for (const auto& [id, scan_result] : *scanned) {
    const mcap::Channel& channel = reader->channels().at(id);
    Target t;
    t.topic = channel.topic;
    const auto mapped = maps->find(channel.topic);
    t.flink = mapped != maps->end() ? mapped->second : channel.topic;
    if (!flinks.insert(resolve_flink_path(t.flink)).second) {
      return fail(kCommand, kExitUsage,
                  fmt::format("two channels would be replayed into {}; give one of them another with --map", t.flink));
    }
    if (int code = open_target(o, *group, channel, scan_result, t); code != kExitOk) return code;
    target_of[id] = targets.size();
    targets.push_back(std::move(t));
  }
  std::optional<ReaderMask> mask;
  if (!o.mask.empty()) mask = parse_hex32(o.mask);
  for (Target& t : targets) {
    t.publisher.emplace(kCommand, *t.segment, mask);  // once the target no longer moves
    fmt::print("replaying {} into {} {} {}\n", t.topic, t.segment->flink_path(), t.segment->shm_name(),
               t.created ? "created" : "attached");
  }
  std::fflush(stdout);
  if (o.wait_for_readers > 0 && !wait_for_readers(targets, o.wait_for_readers)) return kExitOk;

  reader->rewind();
  Progress progress(kCommand, ::isatty(STDERR_FILENO) == 1, total);
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::uint64_t> first_log_time;
  std::uint64_t done = 0;
  int code = kExitOk;
  for (;;) {
    auto m = reader->next();
    if (!m) {
      code = file_error(o, m.error());  // the file changed since the first pass
      break;
    }
    if (!*m) break;
    if (!first_log_time) first_log_time = (*m)->log_time;
    if (!pace(start, *first_log_time, (*m)->log_time, o.rate)) break;
    Target& t = targets[target_of.at((*m)->channel_id)];
    const auto bytes = std::as_bytes(std::span<const std::uint8_t>((*m)->data));
    if (!t.publisher->publish_bytes(bytes)) {
      code = t.publisher->exit_code();
      break;
    }
    ++t.published;
    progress.update(++done);
  }
  progress.finish(done);
  for (const Target& t : targets) fmt::print("replayed {} samples={}\n", t.topic, t.published);
  if (code == kExitOk && done < total) note(kCommand, fmt::format("stopped after {} of {} samples", done, total));
  return code;
}

}  // namespace

void register_replay(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(
      app, kCommand, "Publish the messages of an MCAP recording into segments",
      "Each channel with messages is published into the segment its topic names (another one with\n"
      "--map TOPIC=FLINK): a live shmslot segment there is attached (a ZeroDDS-created one is\n"
      "refused); otherwise one is created with the recorded capacity, slot count and type hash and\n"
      "removed when replay ends. Messages go out in file order, at the pace of their log_time\n"
      "(--rate 2: twice as fast; --rate 0: as fast as possible); a slot waits for the segment's\n"
      "registered readers (or --mask). The file is read through once before anything is published,\n"
      "so a damaged file publishes nothing. A progress line goes to stderr when it is a terminal.");
  cmd->add_option("file", o->file, "The MCAP file to replay")->required();
  cmd->add_option("--map", o->maps, "Publish channel TOPIC into FLINK instead of the flink its topic names")
      ->type_name("TOPIC=FLINK");
  cmd->add_option("--rate", o->rate, "Speed: 1 the recorded pace, 2 twice as fast, 0 as fast as possible")
      ->capture_default_str()
      ->check(finite_range_validator(0, 1e6));
  cmd->add_option("--slots", o->slots, "Slot count of created segments (default: as recorded)")
      ->check(CLI::Range(std::size_t{1}, kMaxSlots));
  cmd->add_option("--mask", o->mask, "Active readers (hex) instead of the registered readers; 0: never wait")
      ->check(hex32_validator());
  cmd->add_option("--wait-for-readers", o->wait_for_readers,
                  "Before publishing, wait until every segment has N registered readers")
      ->check(CLI::Range(0U, 32U));
  add_group_option(*cmd, o->group,
                   "Share the segments it creates with this group (name or numeric gid; mode 0660), and accept "
                   "another member's segment shared with it");
  set_action(*cmd, [o] { return run(*o); });
}

}  // namespace shmslot::cli

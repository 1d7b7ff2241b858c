// shmslot bridge FLINK --to-dds   --topic NAME [--reader N] [--type-hash HEX] [--group NAME|GID] [QOS]
//                                 [--stats SEC]
// shmslot bridge FLINK --from-dds --topic NAME --slots N --capacity BYTES [--type-hash HEX] [--mask HEX]
//                                 [--group NAME|GID] [QOS] [--stats SEC]
// Forwards samples between a segment and a DDS topic over Cyclone DDS (docs/bridge.md): --to-dds
// reads an existing segment as a registered reader, --from-dds creates and owns the segment it
// writes. QOS: --domain N --qos reliable|best-effort --depth N.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>
#include <shmslot/bridge.hpp>
#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/type_hash.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "group_option.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "bridge";
// One pump's budget: how often the loop looks at the stop flag, matches and the stats timer.
constexpr auto kPumpSlice = std::chrono::milliseconds(100);
constexpr auto kGoneCheckInterval = std::chrono::milliseconds(500);

struct Options {
  std::string flink;
  bool to_dds = false;
  bool from_dds = false;
  std::string topic;
  std::uint32_t domain = 0;
  std::string qos = "reliable";
  std::uint32_t depth = 64;
  double stats_s = 0;
  std::string type_hash;
  std::optional<std::uint32_t> reader;
  std::size_t slots = 0;
  std::size_t capacity = 0;
  std::string mask;
  std::string group;
};

bridge::LinkOptions link_options(const Options& o) {
  bridge::LinkOptions link;
  link.topic = o.topic;
  link.domain = o.domain;
  link.qos.reliability = o.qos == "best-effort" ? Reliability::BestEffort : Reliability::Reliable;
  link.qos.depth = o.depth;
  return link;
}

int fail_bridge(const bridge::BridgeError& e) {
  switch (e.code) {
    case bridge::BridgeErrorCode::InvalidArgument: return fail(kCommand, kExitUsage, e.message());
    case bridge::BridgeErrorCode::ReaderIndexInUse: return fail(kCommand, kExitInUse, e.message());
    case bridge::BridgeErrorCode::Dds:
    case bridge::BridgeErrorCode::Slot: break;
  }
  return fail(kCommand, kExitFailure, e.message());
}

void print_line(const std::string& line) {
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

// The periodic and final "stats <direction> ..." lines, and "matched N" whenever DDS matches change.
class Reporter {
 public:
  Reporter(const char* direction, double interval_s)
      : direction_(direction),
        interval_(
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(interval_s))),
        next_(std::chrono::steady_clock::now() + interval_) {}

  void tick(const bridge::BridgeStats& stats, std::uint32_t matched) {
    if (matched != matched_) {
      matched_ = matched;
      print_line(fmt::format("matched {}", matched));
    }
    if (interval_ <= std::chrono::steady_clock::duration::zero()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) return;
    next_ = now + interval_;
    final(stats);
  }

  void final(const bridge::BridgeStats& stats) const {
    print_line(fmt::format("stats {} {}", direction_, bridge::to_string(stats)));
  }

 private:
  const char* direction_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point next_;
  std::uint32_t matched_ = 0;
};

int run_to_dds(const Options& o) {
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  auto segment = attach_segment(kCommand, o.flink, o.type_hash, *group);
  if (!segment) return segment.error();
  install_stop_handlers();
  bridge::ToDdsOptions options;
  options.link = link_options(o);
  options.reader_index = o.reader;
  auto link = bridge::ToDdsBridge::open(*segment, options);
  if (!link) return fail_bridge(link.error());
  print_line(fmt::format("ready to-dds {} reader {} topic {} domain {} writer {:016x}", segment->flink_path(),
                         link->reader_index(), o.topic, o.domain, link->writer_id()));
  Reporter report("to-dds", o.stats_s);
  auto last_check = std::chrono::steady_clock::now();
  int code = kExitOk;
  while (!stop_requested()) {
    auto forwarded = link->pump(kPumpSlice);
    if (!forwarded) {
      code = fail_bridge(forwarded.error());
      break;
    }
    report.tick(link->stats(), link->matched());
    const auto now = std::chrono::steady_clock::now();
    if (*forwarded == 0 && now - last_check >= kGoneCheckInterval) {
      last_check = now;
      if (auto why = segment_gone(*segment)) {
        note(kCommand, fmt::format("{}; stopping", *why));
        break;
      }
    }
  }
  report.final(link->stats());
  return code;
}

int run_from_dds(const Options& o) {
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  install_stop_handlers();  // before the segment exists: a Ctrl-C from now on still removes it
  CreateOptions create;
  create.group = *group;
  if (create.group) create.mode = 0660;
  if (!o.type_hash.empty()) create.type_hash = type_hash_from_hex(o.type_hash);
  auto segment = PosixSlotAllocator::create(o.flink, o.slots, o.capacity, create);
  if (!segment) return fail(kCommand, segment.error());
  bridge::FromDdsOptions options;
  options.link = link_options(o);
  if (!o.mask.empty()) options.active_readers = parse_hex32(o.mask);
  auto link = bridge::FromDdsBridge::open(*segment, options);
  if (!link) return fail_bridge(link.error());
  print_line(fmt::format("ready from-dds {} {} topic {} domain {}", segment->flink_path(), segment->shm_name(), o.topic,
                         o.domain));
  Reporter report("from-dds", o.stats_s);
  std::optional<TypeHash> reported_refusal;
  int code = kExitOk;
  while (!stop_requested()) {
    auto forwarded = link->pump(kPumpSlice);
    if (!forwarded) {
      code = fail_bridge(forwarded.error());
      break;
    }
    if (auto refused = link->last_refused_type_hash(); refused && refused != reported_refusal) {
      reported_refusal = refused;
      const auto own = segment->type_hash();
      note(kCommand, fmt::format("refusing samples of type hash {}: the segment's is {}", to_hex(*refused),
                                 own ? to_hex(*own) : std::string("none")));
    }
    report.tick(link->stats(), link->matched());
  }
  report.final(link->stats());
  return code;  // the segment's destructor removes flink file and segment
}

CLI::Validator qos_validator() { return CLI::IsMember({"reliable", "best-effort"}); }

}  // namespace

void register_bridge(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd =
      add_command(app, kCommand, "Forward samples between a segment and a DDS topic (Cyclone DDS)",
                  "--to-dds reads FLINK as a registered reader and writes every sample to the DDS topic.\n"
                  "--from-dds creates FLINK (--slots, --capacity) and writes every sample of the topic into it;\n"
                  "it refuses samples of another type hash. Reliable QoS never drops: a full segment or a slow\n"
                  "link holds the sender back. Best effort drops and counts. Prints 'ready ...' once running,\n"
                  "'matched N' when DDS peers come and go, and 'stats <direction> forwarded=...' at exit (and\n"
                  "every --stats seconds). Network settings come from CYCLONEDDS_URI (docs/bridge.md).");
  cmd->add_option("flink", o->flink, "Flink path (a name without '/' lives in $SHMSLOT_DIR or /tmp/shmslot)")
      ->required();
  CLI::Option* to = cmd->add_flag("--to-dds", o->to_dds, "Segment -> DDS: attach FLINK as a registered reader");
  CLI::Option* from = cmd->add_flag("--from-dds", o->from_dds, "DDS -> segment: create FLINK and own it");
  to->excludes(from);
  cmd->add_option("--topic", o->topic, "DDS topic name (the same on both sides)")->required();
  cmd->add_option("--domain", o->domain, "DDS domain id")->capture_default_str()->check(whole_number_validator(0, 232));
  cmd->add_option("--qos", o->qos, "reliable (KEEP_ALL up to --depth, blocks) or best-effort (KEEP_LAST --depth)")
      ->capture_default_str()
      ->check(qos_validator());
  cmd->add_option("--depth", o->depth, "DDS history depth")
      ->capture_default_str()
      ->check(whole_number_validator(1, 1U << 30));
  cmd->add_option("--stats", o->stats_s, "Print a stats line every SEC seconds (0: only at exit)")
      ->capture_default_str()
      ->check(finite_range_validator(0, kMaxSeconds));
  cmd->add_option("--type-hash", o->type_hash,
                  "--to-dds: refuse (exit 6) a segment of another type hash; --from-dds: record it in the segment")
      ->check(type_hash_validator());
  cmd->add_option("--reader", o->reader, "--to-dds: reader index (0..31; default: a free one, from the newest sample)")
      ->check(whole_number_validator(0, kMaxReaders - 1))
      ->needs(to);
  cmd->add_option("--slots", o->slots, "--from-dds: number of slots (1..16777216)")
      ->check(whole_number_validator(1, kMaxSlotCount))
      ->needs(from);
  cmd->add_option("--capacity", o->capacity, "--from-dds: payload bytes per slot")
      ->check(whole_number_validator(1, kMaxSlotCapacity))
      ->needs(from);
  cmd->add_option("--mask", o->mask, "--from-dds: active readers (hex); default: the registered readers")
      ->check(hex32_validator())
      ->needs(from);
  add_group_option(*cmd, o->group,
                   "--from-dds: share the segment with this group (mode 0660); --to-dds: accept another member's "
                   "segment shared with it (name or numeric gid)");
  set_action(*cmd, [o] {
    if (o->to_dds == o->from_dds) return fail(kCommand, kExitUsage, "give one of --to-dds and --from-dds");
    if (o->from_dds && (o->slots == 0 || o->capacity == 0)) {
      return fail(kCommand, kExitUsage, "--from-dds needs --slots N and --capacity BYTES");
    }
    return o->to_dds ? run_to_dds(*o) : run_from_dds(*o);
  });
}

}  // namespace shmslot::cli

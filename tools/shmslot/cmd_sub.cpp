// shmslot sub FLINK... [--group NAME|GID] [--reader N] [--json|--hex|--count] [--verify] [--max N] [--timeout SEC]
// Reads as reader N in sequence order (Reader::take_into through wait_until), sleeping on the
// change counter while there is nothing new, and prints each sample. Several segments are read by
// one thread through a WaitSet (sub_many.cpp), each sample after its segment's name.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <shmslot/reader.hpp>
#include <shmslot/wait.hpp>
#include <shmslot/wait_set.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "generated_payload.hpp"
#include "group_option.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"
#include "sub_shared.hpp"

namespace shmslot::cli {

namespace {

using sub::DamageWatch;
using sub::End;
using sub::kCommand;
using sub::kPublishedCheckInterval;
using sub::kWaitSlice;
using sub::Options;
using sub::Tally;

// One segment: its own announced waits (wait_until), no WaitSet needed.
End read_loop(const Options& o, PosixSlotAllocator& segment, Tally& tally, std::string& gone, int& exit_code) {
  using Clock = std::chrono::steady_clock;
  DamageWatch damage(segment);
  Reader reader(segment, o.reader);
  std::vector<std::byte> buffer(segment.slot_capacity());
  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
  auto last_check = Clock::now();
  // Looks that found nothing since the last sample. wait_until looks once, once more after announcing
  // its sleep, then once after each wake-up: the third empty look comes after a sleep that ended
  // without a sample (by its slice, or early by a rarer change: a discard, an unregistration).
  std::uint32_t empty_looks = 0;
  constexpr std::uint32_t kEmptyLooksWhenIdle = 3;
  WaitLimit limit;
  limit.max_sleep = kWaitSlice;  // the stop flag, the pipe and the flink file are looked at between sleeps
  for (;;) {
    if (stop_requested()) return End::Stopped;
    if (o.max != 0 && tally.received >= o.max) return End::Max;
    if (o.timeout_s > 0) limit.deadline = Clock::now() + timeout;  // measured from the last sample
    std::optional<End> end;  // why the wait below gave up, when it was not for a slot error
    auto header = wait_until(segment, limit, WaitFor::Sample, [&]() -> tl::expected<std::optional<SlotHeader>, SlotError> {
      auto got = reader.take_into(buffer);
      if (!got || *got) return got;
      const auto stop = [&](End why) -> tl::expected<std::optional<SlotHeader>, SlotError> {
        end = why;
        return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
      };
      // Nothing new: hand over what was printed, then sleep.
      if (stop_requested()) return stop(End::Stopped);
      if (std::fflush(stdout) != 0) return stop(End::OutputClosed);
      const auto now = Clock::now();
      if (++empty_looks >= kEmptyLooksWhenIdle) {
        // A whole sleep without a sample: truly idle, so the looks that cost a system call or a
        // snapshot happen here, never once per sample. A reader that closed the pipe while nothing
        // was written (`| head` after its lines) is seen now, not at the next sample, which may never come.
        if (stdout_closed()) return stop(End::OutputClosed);
        damage.on_idle(segment, now);
      }
      if (now - last_check >= kPublishedCheckInterval) {
        last_check = now;
        if (auto why = segment_gone(segment)) {
          // Nothing more will come; one last look for a commit that landed since.
          if (auto last = reader.take_into(buffer); !last || *last) return last;
          gone = *why;
          return stop(End::SegmentGone);
        }
      }
      return std::optional<SlotHeader>{};
    });
    tally.overwritten = reader.overwritten();
    if (!header) {
      if (end) return *end;
      if (header.error().code == SlotErrorCode::TimedOut) return End::Timeout;
      exit_code = fail(kCommand, kExitFailure, "read: " + header.error().message());
      return End::Error;
    }
    empty_looks = 0;
    ++tally.received;
    const auto data =
        std::span<const std::byte>(buffer).first(std::min<std::size_t>(header->sample_size, buffer.size()));
    if (o.verify) tally.verifier.add(data);
    if (o.per_sample()) sub::print_sample(o, nullptr, *header, data);
  }
}

// Makes sure the reader index is this process's before reading with it. A free index is recorded
// by the library on first use (next_unread_slot), keeping its cursor: the samples already in the
// segment are read. An index a live process holds is refused: two processes reading as one index
// would each miss what the other marked. An index a dead process left is freed and taken over
// (register_reader), since otherwise the next reap would disconnect it under us; it then reads from
// the newest sample on. ZeroDDS segments have no registry: nothing to check.
int claim_reader_index(const Options& o, PosixSlotAllocator& segment) {
  const auto me = static_cast<std::uint32_t>(::getpid());
  if (o.history) {
    // A late joiner registers (so the cursor starts at the oldest retained sample) whoever held
    // the index before, unless a live process holds it now.
    auto claimed = segment.register_reader_with_history(o.reader);
    if (claimed) return kExitOk;
    if (claimed.error().code == SlotErrorCode::ReaderIndexInUse) {
      const auto stats = segment.reader_stats(o.reader);
      return fail(kCommand, kExitInUse,
                  fmt::format("reader index {} is in use by pid {}; pick another with --reader", o.reader,
                              stats ? stats->owner_pid : 0));
    }
    if (claimed.error().code == SlotErrorCode::Unsupported) {
      return fail(kCommand, kExitFailure,
                  fmt::format("--history: {} was created by ZeroDDS, which keeps no history", segment.flink_path()));
    }
    return fail(kCommand, kExitFailure, "register_reader_with_history: " + claimed.error().message());
  }
  auto stats = segment.reader_stats(o.reader);
  if (!stats || stats->owner_pid == me) return kExitOk;
  auto in_use = [&](std::uint32_t pid) {
    return fail(kCommand, kExitInUse,
                fmt::format("reader index {} is in use by pid {}; pick another with --reader", o.reader, pid));
  };
  if (stats->owner_pid == 0) {
    (void)segment.next_unread_slot(o.reader);  // records the index for this process if still free
    stats = segment.reader_stats(o.reader);
    if (stats && stats->owner_pid != me && stats->owner_pid != 0) return in_use(stats->owner_pid);
    return kExitOk;
  }
  auto claimed = segment.register_reader(o.reader);
  if (claimed) return kExitOk;
  if (claimed.error().code == SlotErrorCode::ReaderIndexInUse) return in_use(stats->owner_pid);
  return fail(kCommand, kExitFailure, "register_reader: " + claimed.error().message());
}

// The end of a run: the closing lines, and the exit code they imply.
int finish(const Options& o, const std::vector<Tally>& tallies) {
  const bool several = tallies.size() > 1;
  std::uint64_t corrupt = 0;
  for (std::size_t i = 0; i < tallies.size(); ++i) {
    sub::print_summary(o, several ? &o.flinks[i] : nullptr, tallies[i]);
    corrupt += tallies[i].verifier.corrupt();
  }
  std::fflush(stdout);
  if (o.verify && corrupt > 0) return fail(kCommand, kExitFailure, fmt::format("{} corrupt samples", corrupt));
  return kExitOk;
}

int run(const Options& o) {
  if (o.flinks.size() > WaitSet::kMaxSegments) {
    return fail(kCommand, kExitUsage,
                fmt::format("{} segments given; one sub reads at most {}", o.flinks.size(), WaitSet::kMaxSegments));
  }
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  std::vector<PosixSlotAllocator> segments;
  segments.reserve(o.flinks.size());
  for (const std::string& flink : o.flinks) {
    auto segment = attach_segment(kCommand, flink, o.type_hash, *group);
    if (!segment) return segment.error();
    segments.push_back(std::move(*segment));
  }
  install_stop_handlers();
  for (auto& segment : segments) {
    if (int code = claim_reader_index(o, segment); code != kExitOk) return code;
  }
  std::vector<Tally> tallies(segments.size());
  std::string gone;
  int exit_code = kExitOk;
  const End end = segments.size() == 1 ? read_loop(o, segments.front(), tallies.front(), gone, exit_code)
                                       : sub::read_many(o, segments, tallies, exit_code);
  if (end == End::Error) return exit_code;
  if (end == End::OutputClosed) return kExitOk;  // like `head` closing the pipe
  const int code = finish(o, tallies);
  if (end == End::SegmentGone && segments.size() == 1) {
    note(kCommand, fmt::format("{}; stopping after {} samples", gone, tallies.front().received));
  } else if (end == End::SegmentGone) {
    note(kCommand, "every segment is gone; stopping");
  }
  return code;
}

}  // namespace

void register_sub(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd =
      add_command(app, kCommand, "Read samples as one reader and print them",
                  "Reads in sequence order as reader --reader, marks each sample read, and prints one line\n"
                  "per sample. Given several segments, one thread waits on all of them (a WaitSet) and each\n"
                  "line starts with the segment's name as given (\"name: \"; a \"segment\" field with --json);\n"
                  "--count and --verify then print a line per segment. Output per\n"
                  "per sample: text with non-printable bytes escaped (default), --hex, or --json.\n"
                  "Ends on --max, --timeout, Ctrl-C, a closed stdout, or once nothing is left to read and the\n"
                  "segment's owner is gone. At exit the library releases the reader index but keeps its\n"
                  "position: the next sub with that index continues where the last one stopped. An index a\n"
                  "dead process left is taken over from the newest sample on.");
  cmd->add_option("flink", o->flinks,
                  "Flink path(s), up to 128 (a name without '/' lives in $SHMSLOT_DIR or /tmp/shmslot)")
      ->required();
  add_group_option(*cmd, o->group, kAttachGroupHelp);
  cmd->add_option("--reader", o->reader, "Reader index (0..31); exit 7 if a live process holds it")
      ->capture_default_str()
      ->check(whole_number_validator(0, kMaxReaders - 1));
  CLI::Option* json =
      cmd->add_flag("--json", o->json, R"(One JSON object per sample: {"seq":N,"size":N,"data":"<base64>"})");
  CLI::Option* hex = cmd->add_flag("--hex", o->hex, "One line of lower-case hex per sample");
  CLI::Option* count = cmd->add_flag("--count", o->count, "Print only the number of samples read, at the end");
  json->excludes(hex)->excludes(count);
  hex->excludes(count);
  cmd->add_flag("--verify", o->verify,
                "Check `pub --generate` payloads (index continuity, checksum, content); print "
                "'verify: received= lost= duplicate= corrupt= overwritten=' at the end; exit 1 if any is corrupt. "
                "Without --json/--hex, prints no per-sample lines");
  cmd->add_flag("--history", o->history,
                "Join late: read the samples the segment retains (`create --history N`) first, in order, then "
                "the live ones (none retained without history); registers the --reader index");
  cmd->add_option("--max", o->max, "Stop after N samples in all (0: no limit)")
      ->capture_default_str()
      ->check(whole_number_validator(0, UINT64_MAX));
  cmd->add_option("--timeout", o->timeout_s, "Stop after SEC seconds without a sample (0: never)")
      ->capture_default_str()
      ->check(finite_range_validator(0, kMaxSeconds));
  cmd->add_option("--type-hash", o->type_hash, "Refuse (exit 6) a segment that records another type hash")
      ->check(type_hash_validator());
  set_action(*cmd, [o] { return run(*o); });
}

}  // namespace shmslot::cli

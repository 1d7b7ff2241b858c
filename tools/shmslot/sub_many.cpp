// `shmslot sub a b c`: one thread reads several segments through a WaitSet (docs/waitset.md) and
// prints each sample after the name of its segment.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

#include <fmt/core.h>
#include <shmslot/reader.hpp>
#include <shmslot/wait_set.hpp>

#include "command.hpp"
#include "exit_codes.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"
#include "sub_shared.hpp"

namespace shmslot::cli::sub {

namespace {

// One segment being read: its reader, its buffer, what was read, and whether it is still read.
struct Source {
  PosixSlotAllocator* segment;
  Reader reader;
  std::vector<std::byte> buffer;
  DamageWatch damage;
  std::optional<std::size_t> id;  // in the WaitSet; empty once the segment is gone
};

}  // namespace

End read_many(const Options& o, std::vector<PosixSlotAllocator>& segments, std::vector<Tally>& tallies,
              int& exit_code) {
  using Clock = std::chrono::steady_clock;
  std::vector<Source> sources;
  sources.reserve(segments.size());
  WaitSet set;
  for (auto& segment : segments) {
    sources.push_back({&segment, Reader(segment, o.reader), std::vector<std::byte>(segment.slot_capacity()),
                       DamageWatch(segment), std::nullopt});
    auto id = set.add(sources.back().reader);
    if (!id) {
      exit_code = fail(kCommand, kExitFailure, "wait set: " + id.error().message());
      return End::Error;
    }
    sources.back().id = *id;
  }
  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
  auto last_sample = Clock::now();
  auto last_check = Clock::now();
  std::uint64_t received = 0;
  std::size_t live = sources.size();
  for (;;) {
    if (stop_requested()) return End::Stopped;
    if (o.max != 0 && received >= o.max) return End::Max;
    // Short sleeps: the stop flag, the pipe and the flink files are looked at between them.
    auto found = set.wait(WaitLimit::within(kWaitSlice));
    if (!found && found.error().code != SlotErrorCode::TimedOut) {
      exit_code = fail(kCommand, kExitFailure, "wait: " + found.error().message());
      return End::Error;
    }
    const auto now = Clock::now();
    if (!found) {  // a whole slice without a sample: idle
      if (std::fflush(stdout) != 0 || stdout_closed()) return End::OutputClosed;
      if (o.timeout_s > 0 && now - last_sample >= timeout) return End::Timeout;
      for (Source& s : sources) s.damage.on_idle(*s.segment, now);
    }
    if (now - last_check >= kPublishedCheckInterval) {
      last_check = now;
      for (Source& s : sources) {
        if (!s.id) continue;
        auto why = segment_gone(*s.segment);
        if (!why) continue;
        // Nothing more will come from it; what is left is read first.
        if (auto left = s.segment->next_unread_slot(o.reader); left && *left) continue;
        note(kCommand, fmt::format("{}: {}", s.segment->flink_path(), *why));
        (void)set.remove(*s.id);
        s.id.reset();
        --live;
      }
      if (live == 0) return End::SegmentGone;
    }
    if (!found) continue;
    for (const WaitSetEvent& e : found->events) {
      const auto at = std::find_if(sources.begin(), sources.end(), [&](const Source& s) { return s.id == e.id; });
      if (at == sources.end() || e.kind != WaitSetEventKind::Data) continue;
      Source& s = *at;
      Tally& tally = tallies[static_cast<std::size_t>(at - sources.begin())];
      const std::string& name = o.flinks[static_cast<std::size_t>(at - sources.begin())];
      // Everything this segment has now, up to --max.
      while (o.max == 0 || received < o.max) {
        auto header = s.reader.take_into(s.buffer);
        if (!header) {
          exit_code = fail(kCommand, kExitFailure, fmt::format("{}: read: {}", name, header.error().message()));
          return End::Error;
        }
        if (!*header) break;
        ++received;
        ++tally.received;
        const auto data = std::span<const std::byte>(s.buffer).first(
            std::min<std::size_t>((*header)->sample_size, s.buffer.size()));
        if (o.verify) tally.verifier.add(data);
        if (o.per_sample()) print_sample(o, &name, **header, data);
      }
      tally.overwritten = s.reader.overwritten();
      last_sample = Clock::now();
    }
  }
}

}  // namespace shmslot::cli::sub

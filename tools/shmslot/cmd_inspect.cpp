// shmslot inspect FLINK [--group NAME|GID] [--json] [--all] [--watch [--interval MS]]
// Attaches as a consumer and prints a snapshot: header, every slot, the reader cursors. Never takes
// part in the protocol (no mark_read, no pin, no reserve); the snapshot's fields are each current
// but not mutually consistent under load.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "group_option.hpp"
#include "inspect_render.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "inspect";

struct Options {
  std::string flink;
  std::string group;
  bool json = false;
  bool all = false;
  bool watch = false;
  unsigned interval_ms = 1000;
};

int run(const Options& o) {
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  auto segment = attach_segment(kCommand, o.flink, {}, *group);
  if (!segment) return segment.error();
  install_stop_handlers();
  InspectView view;
  view.flink = segment->flink_path();
  view.shm_name = segment->shm_name();
  view.notify = segment->notify_mode();
  view.all_readers = o.all;
  // Screen control only for a person at a terminal; a pipe or file gets frames one after another.
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  std::optional<std::string> damage;
  do {
    const SegmentSnapshot snap = segment->snapshot();
    view.published = still_published(*segment);
    damage = damage_of(snap);
    if (o.json) {
      // --watch --json: one object per line, a stream for other tools.
      fmt::print("{}\n", render_json(view, snap).dump());
    } else if (o.watch && terminal) {
      // Home, clear screen, redraw: a `top`-like view.
      fmt::print("\x1b[H\x1b[2J{}\nevery {} ms; Ctrl-C to quit\n", render_text(view, snap), o.interval_ms);
    } else if (o.watch) {
      fmt::print("{}\n", render_text(view, snap));  // a blank line between frames
    } else {
      fmt::print("{}", render_text(view, snap));
    }
    if (std::fflush(stdout) != 0) break;  // nobody reads our output any more
  } while (o.watch && sleep_unless_stopped(std::chrono::milliseconds(o.interval_ms)));
  if (damage) return fail(kCommand, kExitNotASegment, *damage);
  return kExitOk;
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(app, kCommand, "Print a segment's header, slots and reader cursors",
                              "Works on shmslot and ZeroDDS segments. Read-only: never reads as a reader, never pins,\n"
                              "never marks a slot. A segment whose slot state words hold values no shmslot process\n"
                              "writes is shown with those slots marked 'damaged', and exits 4.");
  cmd->add_option("flink", o->flink, "Flink path (a name without '/' lives in $SHMSLOT_DIR or /tmp/shmslot)")
      ->required();
  add_group_option(*cmd, o->group, kAttachGroupHelp);
  cmd->add_flag("--json", o->json, "Print one JSON object (with --watch: one per line and refresh)");
  cmd->add_flag("--all", o->all, "Show all 32 reader cursors, not only the non-zero ones");
  CLI::Option* watch = cmd->add_flag(
      "--watch", o->watch,
      "Redraw every --interval until Ctrl-C, like top (on a terminal; into a pipe or file: one frame after another)");
  cmd->add_option("--interval", o->interval_ms, "Refresh interval of --watch in milliseconds")
      ->capture_default_str()
      ->check(whole_number_validator(10, 3'600'000))
      ->needs(watch);
  set_action(*cmd, [o] { return run(*o); });
}

}  // namespace shmslot::cli

// shmslot gc [--dry-run] [--dir DIR] [--only-named]
// Lists and removes what dead owners left behind (collect_garbage in shmslot/gc.hpp), and lists
// what other users left that this user may not remove.
#include <memory>
#include <string>

#include <fmt/core.h>
#include <shmslot/gc.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "gc";

struct Options {
  bool dry_run = false;
  std::string dir;
  bool only_named = false;
};

const char* kind_name(GcKind kind) { return kind == GcKind::Segment ? "segment" : "flink"; }

int run(const Options& o) {
  GcOptions options;
  options.dry_run = o.dry_run;
  options.flink_dir = o.dir;
  options.only_named = o.only_named;
  auto report = collect_garbage(options);
  if (!report) return fail(kCommand, report.error());
  int code = kExitOk;
  for (const GcEntry& e : report->entries) {
    if (o.dry_run) {
      fmt::print("would remove {} {}: {}\n", kind_name(e.kind), e.path, e.reason);
    } else if (e.removed) {
      fmt::print("removed {} {}: {}\n", kind_name(e.kind), e.path, e.reason);
    } else {
      code = fail(kCommand, kExitFailure,
                  fmt::format("could not remove {} {} ({}): {}", kind_name(e.kind), e.path, e.reason, e.error));
    }
  }
  // Another user's garbage this user may not remove is not a failure of gc: it says whose it is and
  // who can remove it.
  for (const GcKept& k : report->kept) {
    fmt::print("kept {} {}: {}; {}\n", kind_name(k.kind), k.path, k.reason, k.why_kept);
  }
  if (report->entries.empty()) fmt::print("nothing to remove\n");
  return code;
}

}  // namespace

void register_gc(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(
      app, kCommand, "Remove what dead owners left behind",
      fmt::format("Removes shmslot segments in /dev/shm whose owner process is gone, and flink files in the\n"
                  "flink directory that name no segment (or one removed here). A file there that holds no\n"
                  "segment name (empty, or other bytes) is removed only when it is a regular file of this\n"
                  "user, at most 255 bytes, unlocked, and unchanged for {} s. Never touches a ZeroDDS\n"
                  "segment, a live owner's segment, a symlink or a directory. Another user's dead segment or\n"
                  "flink file is removed only where this user may remove it (root; or the file's or the\n"
                  "directory's owner, in a sticky directory such as /dev/shm); otherwise a line 'kept ...'\n"
                  "says whose it is and why it stays.",
                  kGcNamelessFlinkAge.count()));
  cmd->add_flag("--dry-run", o->dry_run, "List what would be removed; remove nothing");
  cmd->add_option("--dir", o->dir, "Flink directory to clean (default: $SHMSLOT_DIR, else /tmp/shmslot)");
  cmd->add_flag("--only-named", o->only_named,
                "Consider only the segments a flink file in the directory names, not all of /dev/shm");
  set_action(*cmd, [o] { return run(*o); });
}

}  // namespace shmslot::cli

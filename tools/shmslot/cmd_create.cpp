// shmslot create FLINK --slots N --capacity BYTES [--mode 0660] [--group NAME|GID] [--type-hash HEX] [--wake-always]
// Creates a segment and owns it until SIGINT, SIGTERM or SIGHUP; then removes flink and segment.
#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>

#include <fmt/core.h>
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

constexpr const char* kCommand = "create";

struct Options {
  std::string flink;
  std::size_t slots = 0;
  std::size_t capacity = 0;
  std::string mode = "0600";
  std::string group;
  std::string type_hash;
  bool wake_always = false;
  std::uint32_t history = 0;
};

CLI::Validator octal_mode_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        bool ok = !text.empty() && text.size() <= 4;
        for (const char c : text) ok = ok && c >= '0' && c <= '7';
        return ok ? std::string() : "expected an octal mode such as 0660, got '" + text + "'";
      },
      "OCTAL");
}

int run(const Options& o, bool mode_given) {
  // Blocked before the segment exists: a Ctrl-C that arrives while creating waits, and then
  // removes what was created, instead of killing the process with the segment half made.
  block_stop_signals();
  CreateOptions options;
  // Resolved before anything is created: a mistyped group leaves nothing behind.
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  options.group = *group;
  options.mode = static_cast<mode_t>(std::stoul(o.mode, nullptr, 8));
  if (options.group && !mode_given) options.mode = 0660;  // --group alone shares the segment
  if (!o.type_hash.empty()) options.type_hash = type_hash_from_hex(o.type_hash);
  options.notify = o.wake_always ? NotifyMode::WakeAlways : NotifyMode::WakeOnDemand;
  options.history_depth = o.history;
  auto segment = PosixSlotAllocator::create(o.flink, o.slots, o.capacity, options);
  if (!segment) {
    const PosixSlotError& e = segment.error();
    if (e.code == PosixErrorCode::BadFlink) {
      return fail(kCommand, exit_code_for(e), e.message() + bad_flink_hint(resolve_flink_path(o.flink)));
    }
    return fail(kCommand, e);
  }
  fmt::print("ready {} {}\n", segment->flink_path(), segment->shm_name());
  std::fflush(stdout);
  wait_for_stop_signal();
  return kExitOk;  // the owner's destructor removes flink file and segment
}

}  // namespace

void register_create(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(app, kCommand, "Create a segment and own it until Ctrl-C",
                              "Prints 'ready <flink path> <shm name>' once the segment can be attached, then waits.\n"
                              "SIGINT, SIGTERM or SIGHUP remove flink file and segment, and exit 0.");
  cmd->add_option("flink", o->flink, "Flink path (a name without '/' lives in $SHMSLOT_DIR or /tmp/shmslot)")
      ->required();
  cmd->add_option("--slots", o->slots, "Number of slots")->required()->check(whole_number_validator(1, kMaxSlotCount));
  cmd->add_option("--capacity", o->capacity, "Payload bytes per slot")
      ->required()
      ->check(whole_number_validator(1, kMaxSlotCapacity));
  cmd->add_option("--mode", o->mode, "Permissions of segment and flink file, octal (must include 0600)")
      ->capture_default_str()
      ->check(octal_mode_validator());
  add_group_option(*cmd, o->group, std::string(kCreateGroupHelp) + " (--mode defaults to 0660 then)");
  cmd->add_option("--type-hash", o->type_hash, "Type hash recorded in the segment (32 hex digits)")
      ->check(type_hash_validator());
  cmd->add_flag("--wake-always", o->wake_always,
                "Wake waiters on every commit (needed when ZeroDDS processes wait on the segment)");
  cmd->add_option("--history", o->history,
                  "Keep the newest N samples for readers that join later (`sub --history`); below --slots")
      ->capture_default_str()
      ->check(whole_number_validator(0, kMaxSlotCount - 1));
  set_action(*cmd, [o, cmd] { return run(*o, cmd->count("--mode") > 0); });
}

}  // namespace shmslot::cli

// shmslot: the command-line tool. Each subcommand lives in cmd_<name>.cpp and registers itself
// (commands.hpp); this file parses, dispatches, and turns every outcome into an exit code
// (exit_codes.hpp): CLI11's own codes are not used, a usage error is always 2.
#include <signal.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <CLI/CLI.hpp>
#include <shmslot/version.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"

namespace {

// The subcommand the error belongs to, for the "shmslot <subcommand>: " prefix.
std::string command_name(const CLI::App& app, int argc, char** argv) {
  for (const CLI::App* sub : app.get_subcommands()) return sub->get_name();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == arg) return sub->get_name();
    }
  }
  return {};
}

// The first word that is not an option, when it names no subcommand ("shmslot frobnicate").
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.empty() || arg[0] == '-') continue;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == arg) return std::nullopt;
    }
    return std::string(arg);
  }
  return std::nullopt;
}

int on_parse_error(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  const std::string name = e.get_name();
  if (name == "RuntimeError") return e.get_exit_code();  // a subcommand's own exit code
  if (name == "CallForHelp" || name == "CallForAllHelp" || name == "CallForVersion") return app.exit(e);
  const std::string command = command_name(app, argc, argv);
  if (command.empty()) {
    if (auto unknown = unknown_command(app, argc, argv)) {
      std::string known;
      for (const CLI::App* sub : app.get_subcommands({})) known += (known.empty() ? "" : ", ") + sub->get_name();
      std::fflush(stdout);
      std::fprintf(stderr, "shmslot: unknown subcommand '%s'; the subcommands are %s (see shmslot --help)\n",
                   unknown->c_str(), known.c_str());
      return shmslot::cli::kExitUsage;
    }
  }
  const std::string help = command.empty() ? "shmslot --help" : "shmslot " + command + " --help";
  std::fflush(stdout);
  std::fprintf(stderr, "shmslot%s%s: %s (see %s)\n", command.empty() ? "" : " ", command.c_str(), e.what(),
               help.c_str());
  return shmslot::cli::kExitUsage;
}

int run(int argc, char** argv) {
  // A closed output pipe is an error return from write, not a silent death that would skip the
  // cleanup of `create` or leave a loaned slot behind.
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"shmslot: create, inspect, publish to, subscribe to and clean up shmslot segments"};
  app.name("shmslot");
  app.set_version_flag("--version", shmslot::kVersion);
  app.require_subcommand(1);
  app.footer(shmslot::cli::exit_code_help());
  shmslot::cli::register_create(app);
  shmslot::cli::register_inspect(app);
  shmslot::cli::register_pub(app);
  shmslot::cli::register_sub(app);
  shmslot::cli::register_gc(app);
  shmslot::cli::register_doctor(app);
#ifdef SHMSLOT_HAVE_BENCH
  shmslot::cli::register_bench(app);
#endif
#ifdef SHMSLOT_HAVE_BRIDGE
  shmslot::cli::register_bridge(app);
#endif
#ifdef SHMSLOT_HAVE_MCAP
  shmslot::cli::register_record(app);
  shmslot::cli::register_replay(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return on_parse_error(app, e, argc, argv);
  } catch (const std::system_error& e) {
    // fmt reports a failed write to stdout this way; a closed pipe (`shmslot sub X | head`) is how
    // a reader says it has seen enough, not a failure.
    if (e.code() == std::errc::broken_pipe) return shmslot::cli::kExitOk;
    return shmslot::cli::fail(command_name(app, argc, argv), shmslot::cli::kExitFailure, e.what());
  } catch (const std::exception& e) {
    return shmslot::cli::fail(command_name(app, argc, argv), shmslot::cli::kExitFailure, e.what());
  }
  return shmslot::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (...) {
    // Only a bug gets here (e.g. an option registered twice); the message may not be printable.
    std::fputs("shmslot: internal error\n", stderr);
    return shmslot::cli::kExitFailure;
  }
}

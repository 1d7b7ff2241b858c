// shmslot doctor [--json] [--shm-dir DIR] [--dir DIR] [--proc DIR] [--logind PATH]... [--only-named]
// Says why shared memory does not work here and what to do (doctor_checks.hpp); exit 0 when
// healthy, 8 when any finding is a problem.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <shmslot/posix_slot_allocator.hpp>

#include "command.hpp"
#include "commands.hpp"
#include "doctor_checks.hpp"
#include "exit_codes.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "doctor";

struct Options {
  bool json = false;
  std::string shm_dir;
  std::string dir;
  std::string proc;
  std::vector<std::string> logind;
  bool only_named = false;
};

void print_text(const std::vector<Finding>& findings) {
  std::size_t problems = 0;
  for (const Finding& f : findings) {
    const bool bad = f.verdict == Verdict::Problem;
    problems += bad ? 1 : 0;
    fmt::print("{:<8} {:<14} {}\n", bad ? "PROBLEM" : to_string(f.verdict), f.check, f.message);
    if (!f.fix.empty()) fmt::print("{:<8} {:<14} fix: {}\n", "", "", f.fix);
  }
  if (problems == 0) {
    fmt::print("\nhealthy: nothing here keeps shared memory from working\n");
  } else {
    fmt::print("\nunhealthy: {} problem{}\n", problems, problems == 1 ? "" : "s");
  }
}

void print_json(const std::vector<Finding>& findings) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Finding& f : findings) {
    list.push_back({{"check", f.check},
                    {"verdict", to_string(f.verdict)},
                    {"message", f.message},
                    {"fix", f.fix.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(f.fix)}});
  }
  const nlohmann::ordered_json j{{"healthy", healthy(findings)}, {"findings", std::move(list)}};
  fmt::print("{}\n", j.dump());
}

int run(const Options& o) {
  DoctorInputs in = DoctorInputs::here();
  if (!o.shm_dir.empty()) in.shm_dir = o.shm_dir;
  if (!o.dir.empty()) {
    in.flink_dir = o.dir;
    in.flink_dir_from_env = false;
  }
  if (!o.proc.empty()) in.proc_root = o.proc;
  if (!o.logind.empty()) in.logind_paths = o.logind;
  in.only_named = o.only_named;
  const std::vector<Finding> findings = run_doctor_checks(in);
  if (o.json) {
    print_json(findings);
  } else {
    print_text(findings);
  }
  return healthy(findings) ? kExitOk : kExitUnhealthy;
}

}  // namespace

void register_doctor(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(
      app, kCommand, "Say why shared memory does not work here, and what to do",
      "Checks the shm directory (a tmpfs? its size, free space, mode), the flink directory, the owner and mode\n"
      "of each flink file and segment against this user, systemd-logind's RemoveIPC, container limits (a\n"
      "small /dev/shm; peers in another pid namespace), futex and futex_waitv, and runs gc as a dry run\n"
      "(segments of dead owners, leftover flink files). One line per finding: ok, info or PROBLEM, with a\n"
      "fix for each problem. Exit 0 when healthy, 8 when anything is a problem.");
  cmd->add_flag("--json", o->json, R"(One JSON object: {"healthy":bool,"findings":[{check,verdict,message,fix}]})");
  cmd->add_option("--shm-dir", o->shm_dir, "The shm directory to examine (default /dev/shm)");
  cmd->add_option("--dir", o->dir, "The flink directory (default: $SHMSLOT_DIR, else /tmp/shmslot)");
  cmd->add_option("--proc", o->proc, "Where /proc is (mounts, pid namespaces; default /proc)");
  cmd->add_option("--logind", o->logind,
                  "A logind.conf file or logind.conf.d directory to read instead of systemd's usual ones (repeatable)");
  cmd->add_flag("--only-named", o->only_named,
                "gc dry run: only the segments a flink file in the directory names, not all of /dev/shm");
  set_action(*cmd, [o] { return run(*o); });
}

}  // namespace shmslot::cli

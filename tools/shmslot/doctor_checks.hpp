// The checks behind `shmslot doctor`: why shared memory does not work on this machine, and what to
// do about it. Every input (directories, /proc, logind configuration, the user, free space, the
// system call probes) comes from DoctorInputs, so that a test can build each unhealthy situation.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace shmslot::cli {

/// How a finding bears on whether shared memory works here.
enum class Verdict : std::uint8_t {
  Ok,       ///< checked, fine
  Info,     ///< worth knowing, nothing to do
  Problem,  ///< segments fail, or will be lost or reaped: the machine is not healthy
};

/// "ok", "info" or "problem".
const char* to_string(Verdict verdict);

/// One result of one check.
struct Finding {
  std::string check;  ///< which check, e.g. "shm-mount" (docs/cli.md lists them)
  Verdict verdict = Verdict::Ok;
  std::string message;  ///< what was found
  std::string fix;      ///< what to do; empty unless a Problem
};

/// Size and free space of a file system, in bytes.
struct Space {
  std::uint64_t size = 0;
  std::uint64_t free = 0;  ///< available to this user
};

/// Docker's default /dev/shm: a container that did not ask for more gets this much.
inline constexpr std::uint64_t kDockerDefaultShm = 64ULL << 20;
/// Less free space than this in the shm directory is a problem.
inline constexpr std::uint64_t kMinFreeShm = 16ULL << 20;
/// The largest uid systemd counts as a system user (SYS_UID_MAX); RemoveIPC spares those and root.
inline constexpr uid_t kSystemUidMax = 999;

/// Everything the checks look at.
struct DoctorInputs {
  std::string shm_dir = "/dev/shm";  ///< mount, space, mode and owners are checked here
  std::string flink_dir;             ///< flink files; empty: default_flink_dir()
  bool flink_dir_from_env = false;   ///< flink_dir came from $SHMSLOT_DIR (a missing one is refused)
  bool only_named = false;           ///< gc dry run: only segments a flink file names
  std::string proc_root = "/proc";   ///< <root>/self/mounts, <root>/self/ns/pid, <root>/PID/ns/pid
  /// logind configuration: files are read in order, then the *.conf of the directories (by file
  /// name; of equal names the first directory's), later settings winning, as systemd-logind does.
  std::vector<std::string> logind_paths = {"/usr/lib/systemd/logind.conf",         "/etc/systemd/logind.conf",
                                           "/etc/systemd/logind.conf.d",           "/run/systemd/logind.conf.d",
                                           "/usr/local/lib/systemd/logind.conf.d", "/usr/lib/systemd/logind.conf.d"};
  /// Exists when systemd runs the machine (then logind's defaults apply without a file).
  std::string systemd_marker = "/run/systemd/system";
  uid_t uid = 0;            ///< the user the checks are for
  std::vector<gid_t> gids;  ///< that user's groups (primary and supplementary)
  /// The file system holding a path; nullopt if it cannot be asked.
  std::function<std::optional<Space>(const std::string&)> space;
  /// errno of a harmless call of each system call (0: it returned without error).
  std::function<int()> probe_futex;
  std::function<int()> probe_futex_waitv;

  /// The inputs for this process on this machine (geteuid, getgroups, statvfs, real probes).
  static DoctorInputs here();
};

/// Runs every check; the findings in check order.
std::vector<Finding> run_doctor_checks(const DoctorInputs& in);

/// True when no finding is a Problem.
bool healthy(const std::vector<Finding>& findings);

}  // namespace shmslot::cli

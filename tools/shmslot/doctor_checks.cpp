#include "doctor_checks.hpp"

#include <dirent.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <utility>

#include <fmt/core.h>
#include <shmslot/gc.hpp>
#include <shmslot/posix_slot_allocator.hpp>

namespace shmslot::cli {

namespace {

// Not in every libc's headers; the number is the same on every architecture.
constexpr long kSysFutexWaitv = 449;

std::string mode_text(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (1ULL << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ULL << 30));
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ULL << 20));
}

// Whether `uid` (with `gids`) has every `want` bit (4 read, 2 write, 1 search) by the mode bits.
bool may(const struct stat& st, const DoctorInputs& in, unsigned want) {
  if (in.uid == 0) return true;
  unsigned bits = st.st_mode & 7U;
  if (st.st_uid == in.uid) {
    bits = (st.st_mode >> 6) & 7U;
  } else if (std::find(in.gids.begin(), in.gids.end(), st.st_gid) != in.gids.end()) {
    bits = (st.st_mode >> 3) & 7U;
  }
  return (bits & want) == want;
}

std::string read_text(const std::string& path, std::size_t limit = 1 << 20) {
  std::ifstream file(path, std::ios::binary);
  std::string out;
  for (std::istreambuf_iterator<char> it(file), end; it != end && out.size() < limit; ++it) out += *it;
  return out;
}

std::string read_link(const std::string& path) {
  char buf[256];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Entries of a directory, sorted; empty if it cannot be listed.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// /proc/self/mounts escapes blanks and backslashes in paths as \ooo.
std::string unescape_mount_path(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

Finding problem(std::string check, std::string message, std::string fix) {
  return Finding{std::move(check), Verdict::Problem, std::move(message), std::move(fix)};
}
Finding ok(std::string check, std::string message) {
  return Finding{std::move(check), Verdict::Ok, std::move(message), {}};
}
Finding info(std::string check, std::string message) {
  return Finding{std::move(check), Verdict::Info, std::move(message), {}};
}

void check_shm_dir(const DoctorInputs& in, std::vector<Finding>& out) {
  struct stat st {};
  if (::stat(in.shm_dir.c_str(), &st) != 0) {
    out.push_back(
        problem("shm-dir", fmt::format("{}: {}", in.shm_dir, std::strerror(errno)),
                "shm_open needs a tmpfs at /dev/shm: mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm"));
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    out.push_back(problem("shm-dir", in.shm_dir + " is not a directory", "mount a tmpfs there (mode 1777)"));
    return;
  }
  const bool world_writable = (st.st_mode & S_IWOTH) != 0;
  if (world_writable && (st.st_mode & S_ISVTX) == 0) {
    out.push_back(problem("shm-dir",
                          fmt::format("{} is mode {}: world-writable without the sticky bit, so any user can remove "
                                      "or replace any segment",
                                      in.shm_dir, mode_text(st.st_mode)),
                          "chmod 1777 " + in.shm_dir));
  } else if (!may(st, in, 3)) {
    out.push_back(problem("shm-dir",
                          fmt::format("{} is mode {}, owner uid {}: uid {} cannot create segments in it", in.shm_dir,
                                      mode_text(st.st_mode), st.st_uid, in.uid),
                          "chmod 1777 " + in.shm_dir + " (the usual mode of /dev/shm)"));
  } else {
    out.push_back(
        ok("shm-dir", fmt::format("{} is mode {}{}", in.shm_dir, mode_text(st.st_mode),
                                  (st.st_mode & S_ISVTX) != 0 ? " (sticky: only owners remove their objects)" : "")));
  }
}

void check_shm_mount(const DoctorInputs& in, std::vector<Finding>& out) {
  char resolved[PATH_MAX];
  const std::string dir = ::realpath(in.shm_dir.c_str(), resolved) != nullptr ? resolved : in.shm_dir;
  std::istringstream mounts(read_text(in.proc_root + "/self/mounts"));
  std::string best_point;
  std::string best_type;
  std::string best_source;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::string source, point, type;
    if (!(fields >> source >> point >> type)) continue;
    point = unescape_mount_path(point);
    const bool covers =
        dir == point || point == "/" ||
        (dir.size() > point.size() && dir.compare(0, point.size(), point) == 0 && dir[point.size()] == '/');
    // The longest covering mount point wins; of equal ones the last, which is mounted on top.
    if (covers && point.size() >= best_point.size()) {
      best_point = point;
      best_type = type;
      best_source = source;
    }
  }
  if (best_type.empty()) {
    out.push_back(
        info("shm-mount", "cannot tell what is mounted at " + dir + " (" + in.proc_root + "/self/mounts unreadable)"));
  } else if (best_type != "tmpfs") {
    out.push_back(problem("shm-mount",
                          fmt::format("{} lies on {} ({} mounted at {}), not on a tmpfs: segments would be files on "
                                      "that file system, written back to its device",
                                      dir, best_type, best_source, best_point),
                          "mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs " + dir));
  } else {
    out.push_back(ok("shm-mount", fmt::format("{} is a tmpfs (mounted at {})", dir, best_point)));
  }
}

void check_shm_space(const DoctorInputs& in, std::vector<Finding>& out) {
  const std::optional<Space> space = in.space ? in.space(in.shm_dir) : std::nullopt;
  if (!space) {
    out.push_back(info("shm-space", "cannot tell the size of " + in.shm_dir));
    return;
  }
  const std::string sizes = fmt::format("{}: {}, {} free", in.shm_dir, size_text(space->size), size_text(space->free));
  bool fine = true;
  if (space->size <= kDockerDefaultShm) {
    fine = false;
    out.push_back(problem("container-shm",
                          sizes + "; as small as a container's default (Docker gives 64 MiB): a few segments fill it, "
                                  "and a create then fails with ENOSPC",
                          "give the container more: docker run --shm-size=1g (or --ipc=host to share the host's); "
                          "Kubernetes: an emptyDir volume with medium: Memory mounted at /dev/shm"));
  }
  if (space->free < kMinFreeShm) {
    fine = false;
    out.push_back(problem(
        "shm-space", sizes + fmt::format("; less than {} free", size_text(kMinFreeShm)),
        "remove what dead owners left (`shmslot gc`), or grow the tmpfs: mount -o remount,size=2g " + in.shm_dir));
  }
  if (fine) out.push_back(ok("shm-space", sizes));
}

void check_flink_dir(const DoctorInputs& in, std::vector<Finding>& out) {
  struct stat st {};
  if (::stat(in.flink_dir.c_str(), &st) != 0) {
    if (in.flink_dir_from_env) {
      out.push_back(problem("flink-dir", in.flink_dir + " (from $SHMSLOT_DIR) does not exist: create refuses it",
                            "mkdir -m 1777 " + in.flink_dir +
                                " (shared by several users), -m 700 (one user), or "
                                "correct $SHMSLOT_DIR"));
    } else {
      out.push_back(info("flink-dir", in.flink_dir + " does not exist yet; the first create makes it"));
    }
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    out.push_back(
        problem("flink-dir", in.flink_dir + " is not a directory", "remove it, or point $SHMSLOT_DIR elsewhere"));
  } else if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    out.push_back(problem("flink-dir",
                          fmt::format("{} is mode {}: world-writable without the sticky bit; create refuses it, since "
                                      "anyone could replace its flink files",
                                      in.flink_dir, mode_text(st.st_mode)),
                          "chmod 1777 " + in.flink_dir));
  } else if (st.st_uid != in.uid && st.st_uid != 0) {
    out.push_back(problem(
        "flink-dir",
        fmt::format("{} belongs to uid {}; create refuses a flink directory of another user", in.flink_dir, st.st_uid),
        "use a directory of your own (SHMSLOT_DIR=...), or have root own it with mode 1777"));
  } else if (!may(st, in, 3)) {
    out.push_back(problem("flink-dir",
                          fmt::format("{} is mode {}: uid {} cannot create flink files in it", in.flink_dir,
                                      mode_text(st.st_mode), in.uid),
                          "chmod 1777 " + in.flink_dir + " (shared) or use a directory of your own"));
  } else {
    out.push_back(
        ok("flink-dir", fmt::format("{} is mode {}, uid {}", in.flink_dir, mode_text(st.st_mode), st.st_uid)));
  }
}

// The flink files of the directory (regular files, not drafts) and the segment each names.
struct NamedSegment {
  std::string flink;
  std::string name;  // "/shmem_..."; empty when the file holds none or cannot be read
};

std::vector<NamedSegment> named_segments(const DoctorInputs& in) {
  std::vector<NamedSegment> out;
  for (const std::string& file : list_dir(in.flink_dir)) {
    if (file.size() > 4 && file.compare(file.size() - 4, 4, ".tmp") == 0) continue;  // a create's draft
    const std::string path = in.flink_dir + "/" + file;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string name = st.st_size <= 255 ? read_text(path, 256) : std::string();
    if (name.rfind("/shmem_", 0) != 0 || name.find_first_of("/\n", 1) != std::string::npos) name.clear();
    out.push_back(NamedSegment{path, std::move(name)});
  }
  return out;
}

void check_owners(const DoctorInputs& in, const std::vector<NamedSegment>& named, std::vector<Finding>& out) {
  std::size_t fine = 0;
  for (const NamedSegment& n : named) {
    struct stat st {};
    if (::stat(n.flink.c_str(), &st) != 0) continue;
    if (!may(st, in, 4)) {
      out.push_back(problem("owners",
                            fmt::format("flink file {} belongs to uid {} and is mode {}: uid {} cannot read it, so "
                                        "cannot attach (exit 5)",
                                        n.flink, st.st_uid, mode_text(st.st_mode), in.uid),
                            fmt::format("its owner (uid {}) creates the segment with --mode 0660 for a group uid {} "
                                        "is in, or the processes run as one user",
                                        st.st_uid, in.uid)));
      continue;
    }
    if (n.name.empty()) continue;  // holds no segment name: the gc check says what to do
    const std::string object = in.shm_dir + n.name;
    struct stat seg {};
    if (::stat(object.c_str(), &seg) != 0) continue;  // dangling: the gc check
    if (!may(seg, in, 6)) {
      out.push_back(problem("owners",
                            fmt::format("segment {} (flink {}) belongs to uid {} and is mode {}: uid {} cannot map it "
                                        "(attach fails, exit 5)",
                                        object, n.flink, seg.st_uid, mode_text(seg.st_mode), in.uid),
                            fmt::format("its owner (uid {}) creates it with --mode 0660 for a group uid {} is in, or "
                                        "the processes run as one user",
                                        seg.st_uid, in.uid)));
      continue;
    }
    ++fine;
  }
  if (fine > 0 || named.empty()) {
    out.push_back(ok("owners", fmt::format("{} of {} flink files in {} and their segments are readable and writable "
                                           "by uid {}",
                                           fine, named.size(), in.flink_dir, in.uid)));
  }
}

// A logind boolean ("yes", "no", "1", "0", "true", "false", "on", "off"); nullopt for anything else.
std::optional<bool> parse_bool(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "yes" || v == "1" || v == "true" || v == "on") return true;
  if (v == "no" || v == "0" || v == "false" || v == "off") return false;
  return std::nullopt;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Applies the RemoveIPC= lines of the [Login] section of one file; returns true if it was read.
bool apply_logind_file(const std::string& path, std::optional<bool>& remove_ipc, std::string& where) {
  std::ifstream file(path);
  if (!file) return false;
  bool login = false;
  for (std::string line; std::getline(file, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      login = line == "[Login]";
      continue;
    }
    const auto eq = line.find('=');
    if (!login || eq == std::string::npos || trim(line.substr(0, eq)) != "RemoveIPC") continue;
    if (auto value = parse_bool(trim(line.substr(eq + 1)))) {
      remove_ipc = *value;
      where = path;
    }
  }
  return true;
}

void check_remove_ipc(const DoctorInputs& in, std::vector<Finding>& out) {
  std::optional<bool> remove_ipc;
  std::string where;
  bool any = false;
  std::map<std::string, std::string> dropins;  // file name -> path; the first directory's wins
  for (const std::string& p : in.logind_paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      for (const std::string& f : list_dir(p)) {
        if (f.size() > 5 && f.compare(f.size() - 5, 5, ".conf") == 0) dropins.emplace(f, p + "/" + f);
      }
    } else {
      any = apply_logind_file(p, remove_ipc, where) || any;
    }
  }
  for (const auto& [name, path] : dropins) any = apply_logind_file(path, remove_ipc, where) || any;
  struct stat marker {};
  const bool systemd = any || ::stat(in.systemd_marker.c_str(), &marker) == 0;
  if (!systemd) {
    out.push_back(
        ok("remove-ipc", "no systemd-logind configuration and no systemd: nothing removes segments at logout"));
    return;
  }
  const bool on = remove_ipc.value_or(true);  // systemd's default
  const std::string setting = fmt::format("RemoveIPC={}{}", on ? "yes" : "no",
                                          where.empty() ? " (systemd's default: not set in any file)" : " in " + where);
  if (!on) {
    out.push_back(ok("remove-ipc", setting + ": logind leaves segments alone at logout"));
  } else if (in.uid == 0 || in.uid <= kSystemUidMax) {
    out.push_back(info("remove-ipc", setting + fmt::format(", but it spares uid {} (root and system users, uid <= {})",
                                                           in.uid, kSystemUidMax)));
  } else {
    out.push_back(problem(
        "remove-ipc",
        setting + fmt::format(": when the last login session of uid {} ends, systemd-logind removes every shared "
                              "memory object of that user, live segments included, under their processes' feet",
                              in.uid),
        "put \"[Login]\\nRemoveIPC=no\" in /etc/systemd/logind.conf.d/shmslot.conf and run systemctl restart "
        "systemd-logind; or run the processes as a system user (uid <= 999), or keep a session open "
        "(loginctl enable-linger does not prevent it)"));
  }
}

void check_pid_namespaces(const DoctorInputs& in, const std::vector<NamedSegment>& named, std::vector<Finding>& out) {
  const std::string mine = read_link(in.proc_root + "/self/ns/pid");
  if (mine.empty()) {
    out.push_back(info("pid-namespace", "cannot read " + in.proc_root + "/self/ns/pid"));
    return;
  }
  std::size_t peers = 0;
  std::size_t segments = 0;
  for (const NamedSegment& n : named) {
    if (n.name.empty()) continue;
    auto segment = PosixSlotAllocator::attach(n.flink);
    if (!segment && segment.error().code == PosixErrorCode::ForeignPidNamespace) {
      out.push_back(problem("pid-namespace", fmt::format("{} (flink {}): {}", n.name, n.flink, segment.error().detail),
                            "run every process that shares the segment in one pid namespace: docker run --pid=host, "
                            "or --pid=container:<first>; Kubernetes: shareProcessNamespace: true"));
      continue;
    }
    if (!segment || !segment->has_extension()) continue;  // ZeroDDS segments record no peers
    ++segments;
    const SegmentSnapshot snap = segment->snapshot();
    std::vector<std::pair<std::uint32_t, std::string>> pids{{snap.owner_pid, "owner"}};
    for (const ReaderSnapshot& r : snap.readers) {
      if (r.owner_pid != 0) pids.emplace_back(r.owner_pid, fmt::format("reader {}", r.index));
    }
    for (const auto& [pid, role] : pids) {
      if (pid == 0) continue;
      const std::string theirs = read_link(fmt::format("{}/{}/ns/pid", in.proc_root, pid));
      if (theirs.empty()) continue;  // not a process here: dead, or not visible (the gc check)
      ++peers;
      if (theirs != mine) {
        out.push_back(problem(
            "pid-namespace",
            fmt::format("pid {} ({} of {}, flink {}) is in pid namespace {}, this process in {}: shmslot judges "
                        "liveness by pid and start time, which do not cross pid namespaces, so its peers may take it "
                        "for dead and reap it",
                        pid, role, n.name, n.flink, theirs, mine),
            "run every process that shares the segment in one pid namespace: docker run --pid=host, or "
            "--pid=container:<first>; Kubernetes: shareProcessNamespace: true"));
      }
    }
  }
  out.push_back(ok("pid-namespace", fmt::format("this process is in {}; {} registered peers of {} segments are "
                                                "processes here",
                                                mine, peers, segments)));
}

void check_futex(const DoctorInputs& in, std::vector<Finding>& out) {
  const int err = in.probe_futex ? in.probe_futex() : ENOSYS;
  if (err == 0) {
    out.push_back(ok("futex", "futex (FUTEX_WAIT/FUTEX_WAKE on shared memory) works"));
  } else if (err == ENOSYS || err == EPERM) {
    out.push_back(problem("futex",
                          fmt::format("futex fails with {}: {}", err == ENOSYS ? "ENOSYS" : "EPERM",
                                      err == ENOSYS ? "the kernel lacks it" : "a seccomp filter refuses it"),
                          "shmslot's waits need futex: run without that seccomp profile (docker run --security-opt "
                          "seccomp=...) or on a Linux kernel with futex"));
  } else {
    out.push_back(info("futex", fmt::format("futex probe returned {}", std::strerror(err))));
  }
}

void check_futex_waitv(const DoctorInputs& in, std::vector<Finding>& out) {
  const int err = in.probe_futex_waitv ? in.probe_futex_waitv() : ENOSYS;
  // With no waiters the call is refused for its arguments (EINVAL or EFAULT) once it exists.
  if (err == EINVAL || err == EFAULT || err == 0) {
    out.push_back(ok("futex-waitv", "futex_waitv (Linux 5.16+) is available"));
  } else if (err == ENOSYS) {
    out.push_back(info("futex-waitv",
                       "futex_waitv fails with ENOSYS: the kernel is older than 5.16; shmslot does not need it "
                       "(one wait covers one segment)"));
  } else if (err == EPERM) {
    out.push_back(
        info("futex-waitv", "futex_waitv fails with EPERM: a seccomp filter refuses it; shmslot does not need it"));
  } else {
    out.push_back(info("futex-waitv", fmt::format("futex_waitv probe returned {}", std::strerror(err))));
  }
}

void check_gc(const DoctorInputs& in, std::vector<Finding>& out) {
  GcOptions options;
  options.dry_run = true;
  options.flink_dir = in.flink_dir;
  options.only_named = in.only_named;
  auto report = collect_garbage(options);
  if (!report) {
    out.push_back(problem("gc", "a dry run of gc failed: " + report.error().message(),
                          "make " + in.flink_dir + " and /dev/shm listable"));
    return;
  }
  for (const GcEntry& e : report->entries) {
    if (e.kind == GcKind::Segment) {
      out.push_back(problem(
          "dead-owner", fmt::format("{}: {}", e.path, e.reason),
          "`shmslot gc` removes it. If its owner runs in another pid namespace (a container sharing /dev/shm), it "
          "is not dead: run the processes in one pid namespace instead (see pid-namespace)"));
    } else {
      out.push_back(problem("gc", fmt::format("{}: {}", e.path, e.reason), "`shmslot gc` removes it"));
    }
  }
  // Another user's garbage is that user's (or root's) to remove: worth knowing, not a fault here.
  for (const GcKept& k : report->kept) {
    out.push_back(info("gc", fmt::format("{}: {}; {}; `shmslot gc` run by uid {} or by root removes it", k.path,
                                         k.reason, k.why_kept, k.owner)));
  }
  if (report->entries.empty() && report->kept.empty()) {
    out.push_back(ok("gc", "a dry run of gc finds nothing to remove"));
  }
}

std::optional<Space> statvfs_space(const std::string& path) {
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0) return std::nullopt;
  return Space{static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize,
               static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
}

// A FUTEX_WAKE of a private word nobody waits on: harmless, and refused only if futex is.
int real_futex_probe() {
  std::uint32_t word = 0;
  return ::syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0) < 0 ? errno : 0;
}

// futex_waitv with no waiters: EINVAL where the call exists, ENOSYS or EPERM where it does not.
int real_futex_waitv_probe() {
  return ::syscall(kSysFutexWaitv, nullptr, 0, 0, nullptr, CLOCK_MONOTONIC) < 0 ? errno : 0;
}

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Ok: return "ok";
    case Verdict::Info: return "info";
    case Verdict::Problem: return "problem";
  }
  return "unknown";
}

DoctorInputs DoctorInputs::here() {
  DoctorInputs in;
  in.flink_dir = default_flink_dir();
  const char* env = std::getenv("SHMSLOT_DIR");
  in.flink_dir_from_env = env != nullptr && *env != '\0';
  in.uid = ::geteuid();
  in.gids.push_back(::getegid());
  const int n = ::getgroups(0, nullptr);
  if (n > 0) {
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    if (::getgroups(n, groups.data()) == n) in.gids.insert(in.gids.end(), groups.begin(), groups.end());
  }
  in.space = statvfs_space;
  in.probe_futex = real_futex_probe;
  in.probe_futex_waitv = real_futex_waitv_probe;
  return in;
}

std::vector<Finding> run_doctor_checks(const DoctorInputs& in) {
  std::vector<Finding> out;
  check_shm_dir(in, out);
  check_shm_mount(in, out);
  check_shm_space(in, out);
  check_flink_dir(in, out);
  const std::vector<NamedSegment> named = named_segments(in);
  check_owners(in, named, out);
  check_remove_ipc(in, out);
  check_pid_namespaces(in, named, out);
  check_futex(in, out);
  check_futex_waitv(in, out);
  check_gc(in, out);
  return out;
}

bool healthy(const std::vector<Finding>& findings) {
  return std::none_of(findings.begin(), findings.end(), [](const Finding& f) { return f.verdict == Verdict::Problem; });
}

}  // namespace shmslot::cli

// collect_garbage: finds segments of dead owners and flink files that name nothing, and removes them.
// A candidate's owner is read with read_recorded_owner (the validation attach uses, through a
// read-only mapping), so a probe never writes to a segment it does not end up removing.
#include "shmslot/gc.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "backend/recorded_owner.hpp"
#include "platform/flink_file.hpp"
#include "platform/shm.hpp"

namespace shmslot {

namespace {

constexpr const char* kShmDir = "/dev/shm";
constexpr const char* kSegmentPrefix = "shmem_";

tl::unexpected<PosixSlotError> shm_error(int err, std::string what) {
  return tl::unexpected(PosixSlotError{PosixErrorCode::Shm, err, std::move(what), {}});
}

// What a probe of one shm object found.
enum class Verdict {
  Missing,  // no such object
  NotOurs,  // not a shmslot segment, or unreadable: never touched
  Alive,    // a shmslot segment whose recorded owner runs
  Dead,     // a shmslot segment whose recorded owner is gone
  Foreign,  // a shmslot segment of another pid namespace: its owner cannot be judged from here
};

struct Probe {
  Verdict verdict = Verdict::NotOurs;
  std::uint32_t owner_pid = 0;
  uid_t uid = 0;  // the object's owner
  std::string why_foreign;  // Foreign: why its owner cannot be judged
};

// Whether `name` is a shmslot segment this process can read, and whether its recorded owner is
// alive.
Probe probe_segment(const std::string& name) {
  auto fd = platform::shm_open_existing(name, /*read_only=*/true);
  if (!fd) return Probe{fd.error().err == ENOENT ? Verdict::Missing : Verdict::NotOurs, 0, 0, {}};
  auto info = platform::stat_fd(fd->get(), name);
  if (!info || !info->regular) return Probe{};
  const auto owner = read_recorded_owner(fd->get(), info->size);
  if (!owner) return Probe{};
  if (auto why = foreign_pid_namespace(owner->pid_namespace)) {
    return Probe{Verdict::Foreign, owner->pid, info->uid, std::move(*why)};
  }
  return Probe{owner->alive() ? Verdict::Alive : Verdict::Dead, owner->pid, info->uid, {}};
}

// A flink file in the directory, of any uid, with a valid segment name.
struct FlinkFile {
  std::string path;
  std::string name;  // "/shmem_..."
  uid_t uid = 0;
};

// Why this process may not remove a file of `owner` from directory `dir` (unlink(2)): it needs
// write and search permission on the directory, and in a sticky one (/dev/shm, /tmp) to own the
// file or the directory. Root may always. nullopt when it may.
std::optional<std::string> removal_refused(const std::string& dir, uid_t owner) {
  const uid_t me = ::geteuid();
  if (me == 0) return std::nullopt;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return "cannot stat " + dir + ": " + std::generic_category().message(errno);
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    return "owned by uid " + std::to_string(owner) + ", and uid " + std::to_string(me) + " may not write to " + dir +
           ": only its owner (uid " + std::to_string(st.st_uid) + ") or root may remove it";
  }
  if ((st.st_mode & S_ISVTX) != 0 && owner != me && st.st_uid != me) {
    return "owned by uid " + std::to_string(owner) + ", " + dir + " is sticky: only that user or root may remove it";
  }
  return std::nullopt;
}

// The entries of `dir` (names only); ENOENT is an empty directory.
tl::expected<std::vector<std::string>, PosixSlotError> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return names;
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return shm_error(ec.value(), "list " + dir);
  return names;
}

// Flink files in `dir` that this process can read and that hold a valid segment name, of any uid.
// Anything else (a symlink, an unreadable, empty or malformed file) is not a candidate.
tl::expected<std::vector<FlinkFile>, PosixSlotError> scan_flinks(const std::string& dir) {
  auto names = list_dir(dir);
  if (!names) return tl::unexpected(names.error());
  std::vector<FlinkFile> out;
  for (const auto& n : *names) {
    std::string path = dir;
    path += '/';
    path += n;
    auto flink = platform::read_flink(path);
    if (!flink) continue;
    auto info = platform::stat_fd(flink->fd.get(), path);
    if (!info) continue;
    out.push_back(FlinkFile{path, flink->name, info->uid});
  }
  return out;
}

// True when some process holds the flink file's lock: a live shmslot owner, whatever its pid says
// (a pid from another pid namespace, say). Takes the lock for an instant if it is free.
bool flink_locked(const std::string& path, const std::string& expected_name) {
  auto flink = platform::read_flink(path);
  if (!flink || flink->name != expected_name) return false;
  auto locked = platform::try_lock_exclusive(flink->fd.get(), path);
  return locked && !*locked;
}

// True while `path` still names the file open as `fd`.
bool same_file(const std::string& path, int fd) {
  struct stat by_path {};
  struct stat by_fd {};
  if (::lstat(path.c_str(), &by_path) != 0 || ::fstat(fd, &by_fd) != 0) return false;
  return by_path.st_dev == by_fd.st_dev && by_path.st_ino == by_fd.st_ino;
}

// Removes segment `name` for entry `e` unless it is a dry run, recording the outcome in `e`.
void remove_segment(GcEntry& e, const std::string& name, bool dry_run) {
  if (dry_run) return;
  auto removed = platform::shm_remove(name);
  e.removed = removed.has_value();
  if (!removed) e.error = "shm_unlink: " + std::generic_category().message(removed.error().err);
}

// Removes file `path` for entry `e` unless it is a dry run, and only while `path` still names the
// file open as `fd` (a file replaced since the scan is not this one).
void remove_file(GcEntry& e, const std::string& path, int fd, bool dry_run) {
  if (dry_run || !same_file(path, fd)) return;
  e.removed = ::unlink(path.c_str()) == 0;
  if (!e.removed) e.error = "unlink: " + std::generic_category().message(errno);
}

// A file in the flink directory that holds no segment name and looks abandoned: a regular file of
// this uid, not a draft, at most NAME_MAX bytes (a flink file can be no longer), content not a
// segment name, unchanged for kGcNamelessFlinkAge. Returns the open file, locked, and why it is
// garbage; nullopt to leave it alone.
std::optional<std::pair<platform::UniqueFd, std::string>> abandoned_nameless_file(const std::string& path,
                                                                                  const std::string& file, uid_t me) {
  if (file.size() > 4 && file.compare(file.size() - 4, 4, ".tmp") == 0) return std::nullopt;  // drafts: (c)
  auto flink = platform::read_flink(path);
  if (flink) return std::nullopt;
  using Kind = platform::FlinkReadError::Kind;
  if (flink.error().kind != Kind::Empty && flink.error().kind != Kind::Malformed) return std::nullopt;
  platform::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != me || st.st_size > NAME_MAX) {
    return std::nullopt;
  }
  const auto age =
      std::chrono::system_clock::now() - std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec));
  if (age < kGcNamelessFlinkAge) return std::nullopt;
  auto locked = platform::try_lock_exclusive(fd.get(), path);
  if (!locked || !*locked) return std::nullopt;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  std::string reason = st.st_size == 0 ? "names no segment: empty" : "names no segment: " + flink.error().reason;
  reason += ", unchanged for " + std::to_string(seconds) + " s";
  return std::make_pair(std::move(fd), std::move(reason));
}

}  // namespace

const char* to_string(GcKind kind) {
  switch (kind) {
    case GcKind::Segment: return "Segment";
    case GcKind::Flink: return "Flink";
  }
  return "unknown";
}

tl::expected<GcReport, PosixSlotError> collect_garbage(const GcOptions& options) {
  const uid_t me = ::geteuid();
  const std::string dir = options.flink_dir.empty() ? default_flink_dir() : options.flink_dir;
  auto flinks = scan_flinks(dir);
  if (!flinks) return tl::unexpected(flinks.error());

  // (a) Candidate segments: every /dev/shm/shmem_*, or only those the directory's flinks name.
  std::set<std::string> candidates;
  if (options.only_named) {
    for (const auto& f : *flinks) candidates.insert(f.name);
  } else {
    auto names = list_dir(kShmDir);
    if (!names) return tl::unexpected(names.error());
    for (const auto& n : *names) {
      const std::string name = "/" + n;
      if (n.rfind(kSegmentPrefix, 0) == 0 && platform::valid_segment_name(name)) candidates.insert(name);
    }
  }

  GcReport report;
  std::vector<GcEntry>& out = report.entries;
  std::map<std::string, std::uint32_t> collected;  // segment name -> its dead owner's pid
  std::map<std::string, std::uint32_t> kept_segments;  // dead, but this process may not remove it
  for (const auto& name : candidates) {
    Probe probe = probe_segment(name);
    if (probe.verdict == Verdict::Foreign) {
      report.kept.push_back(GcKept{GcKind::Segment, std::string(kShmDir) + name,
                                   "shmslot segment of owner pid " + std::to_string(probe.owner_pid) +
                                       " in another pid namespace, alive or not",
                                   probe.uid, "its owner's liveness cannot be judged here: " + probe.why_foreign});
      continue;
    }
    if (probe.verdict != Verdict::Dead) continue;
    bool locked = false;
    for (const auto& f : *flinks) locked = locked || (f.name == name && flink_locked(f.path, name));
    if (locked) continue;
    std::string reason = "shmslot segment of dead owner pid " + std::to_string(probe.owner_pid);
    if (auto refused = removal_refused(kShmDir, probe.uid)) {
      report.kept.push_back(
          GcKept{GcKind::Segment, std::string(kShmDir) + name, std::move(reason), probe.uid, std::move(*refused)});
      kept_segments.emplace(name, probe.owner_pid);
      continue;
    }
    GcEntry e{GcKind::Segment, std::string(kShmDir) + name, std::move(reason), false, {}};
    remove_segment(e, name, options.dry_run);
    collected.emplace(name, probe.owner_pid);
    out.push_back(std::move(e));
  }

  // (b) Flink files whose segment is gone, or was collected above.
  for (const auto& f : *flinks) {
    std::string reason;
    if (auto it = collected.find(f.name); it != collected.end()) {
      reason = "names " + f.name + ", the segment of dead owner pid " + std::to_string(it->second);
    } else if (probe_segment(f.name).verdict == Verdict::Missing) {
      reason = "dangling: names " + f.name + ", which does not exist";
    } else if (auto k = kept_segments.find(f.name); k != kept_segments.end()) {
      // Removing it would leave the segment with no flink file naming it: it goes with its segment.
      report.kept.push_back(GcKept{
          GcKind::Flink, f.path, "names " + f.name + ", the segment of dead owner pid " + std::to_string(k->second),
          f.uid, "its segment " + f.name + " is kept (above), so the file that names it stays"});
      continue;
    } else {
      continue;
    }
    // Hold the file's lock while removing it: a live owner's file is never removed (nor listed as
    // kept), and a file that was replaced since the scan is not this one.
    auto flink = platform::read_flink(f.path);
    if (!flink || flink->name != f.name) continue;
    auto locked = platform::try_lock_exclusive(flink->fd.get(), f.path);
    if (!locked || !*locked) continue;
    if (auto refused = removal_refused(platform::parent_of(f.path), f.uid)) {
      report.kept.push_back(GcKept{GcKind::Flink, f.path, std::move(reason), f.uid, std::move(*refused)});
      continue;
    }
    GcEntry e{GcKind::Flink, f.path, std::move(reason), false, {}};
    remove_file(e, f.path, flink->fd.get(), options.dry_run);
    out.push_back(std::move(e));
  }

  // (c) Drafts of creates that died midway, and the segments they name: created, perhaps never
  //     formatted (so (a) cannot recognise them), never published.
  for (auto& stale : platform::stale_drafts(dir, {})) {
    if (stale.owns_object && collected.count(stale.name) == 0) {
      GcEntry e{GcKind::Segment, std::string(kShmDir) + stale.name,
                "segment of a create that died midway (draft " + stale.draft_path + ")", false, {}};
      remove_segment(e, stale.name, options.dry_run);
      out.push_back(std::move(e));
    }
    GcEntry e{GcKind::Flink, stale.draft_path, "draft flink file of a create that died midway", false, {}};
    remove_file(e, stale.draft_path, stale.fd.get(), options.dry_run);
    out.push_back(std::move(e));
  }

  // (d) Files that hold no segment name, abandoned (a ZeroDDS owner that died before writing the
  //     name, or anything else): they block a create at their path.
  auto names = list_dir(dir);
  if (!names) return tl::unexpected(names.error());
  for (const auto& n : *names) {
    const std::string path = dir + "/" + n;
    auto found = abandoned_nameless_file(path, n, me);
    if (!found) continue;
    GcEntry e{GcKind::Flink, path, std::move(found->second), false, {}};
    remove_file(e, path, found->first.get(), options.dry_run);
    out.push_back(std::move(e));
  }
  return report;
}

}  // namespace shmslot

#include "chaos/leftovers.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace shmslot::chaos {

namespace {

bool exists(const std::string& shm_name) { return std::filesystem::exists("/dev/shm" + shm_name); }

// What a leftover segment is, for the report: whether `shmslot gc` would ever recognise it (it
// collects only segments that carry shmslot's extension flag, docs/recovery.md).
std::string describe(const std::string& shm_name) {
  const int fd = ::open(("/dev/shm" + shm_name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unreadable";
  struct stat st {};
  std::uint32_t header[6] = {};
  const bool sized = ::fstat(fd, &st) == 0;
  const ssize_t n = ::pread(fd, header, sizeof header, 0);
  ::close(fd);
  const std::string size = sized ? std::to_string(st.st_size) + " bytes" : "size unknown";
  constexpr std::uint32_t kExtMagic = 0x544C5353;  // "SSLT" at 0x14: the extension flag
  if (n == static_cast<ssize_t>(sizeof header) && header[5] == kExtMagic) {
    return size + ", formatted: only a full `shmslot gc` finds it, no flink file names it";
  }
  return size + ", never formatted: neither create nor `shmslot gc` will ever remove it";
}

std::string origin_text(Leftovers::Origin origin) {
  switch (origin) {
    case Leftovers::Origin::Live: return "owner alive";
    case Leftovers::Origin::LeftCleanly: return "owner left cleanly";
    case Leftovers::Origin::KilledHolding: return "owner killed, its flink file naming it";
    case Leftovers::Origin::KilledCreating: return "owner killed inside create";
    case Leftovers::Origin::KilledTearingDown: return "owner killed inside teardown";
  }
  return "?";
}

}  // namespace

Leftovers::Leftovers(std::string flink_dir, std::string flink)
    : dir_(std::move(flink_dir)),
      flink_(std::move(flink)),
      flink_base_(std::filesystem::path(flink_).filename().string()) {}

void Leftovers::created(const std::string& shm_name) {
  for (Entry& e : entries_) {
    if (e.name == shm_name) {
      e.origin = Origin::Live;
      return;
    }
  }
  entries_.push_back(Entry{shm_name, Origin::Live, "", false});
}

Leftovers::Origin Leftovers::unless_named(const std::string& shm_name, Origin how) const {
  if (how != Origin::KilledCreating && how != Origin::KilledTearingDown) return how;
  std::ifstream in(flink_);
  std::string named;
  std::getline(in, named, '\0');
  return named == shm_name ? Origin::KilledHolding : how;
}

void Leftovers::owner_ended(const std::string& shm_name, Origin how, const std::string& where) {
  for (Entry& e : entries_) {
    if (e.name == shm_name) {
      e.origin = unless_named(shm_name, how);
      e.where = where;
    }
  }
}

void Leftovers::killed_creating(pid_t pid, const std::vector<std::string>& open_files, const std::string& where) {
  killed_creators_.insert(pid);
  for (const std::string& f : open_files) {
    if (f.rfind("/dev/shm/", 0) != 0) continue;
    const std::string name = f.substr(8);  // "/shmem_..."
    bool known = false;
    for (const Entry& e : entries_) known = known || e.name == name;
    if (!known) entries_.push_back(Entry{name, unless_named(name, Origin::KilledCreating), where, false});
  }
}

bool Leftovers::check_segment(Entry& e, const std::string& invariant, const std::string& why, Report& report,
                              const std::string& context) {
  if (e.settled || !exists(e.name)) {
    e.settled = true;
    return true;
  }
  report.violation(invariant,
                   "/dev/shm" + e.name + " is still there (" + origin_text(e.origin) +
                       (e.where.empty() ? "" : ", " + e.where) + "; " + describe(e.name) + ") " + why,
                   context);
  ::shm_unlink(e.name.c_str());
  e.settled = true;
  return false;
}

bool Leftovers::check_clean_exit(const std::string& shm_name, Report& report, const std::string& context) {
  bool ok = true;
  for (Entry& e : entries_) {
    if (e.name == shm_name) ok = check_segment(e, "leftover", "after its owner left cleanly", report, context) && ok;
  }
  return check_directory(false, report, context) && ok;
}

bool Leftovers::check_after_create(const std::string& live_name, Report& report, const std::string& context) {
  bool ok = true;
  for (Entry& e : entries_) {
    if (e.name == live_name || e.settled) continue;
    switch (e.origin) {
      case Origin::Live: break;  // an owner we lost track of: the final check finds it
      case Origin::LeftCleanly:
        ok = check_segment(e, "leftover", "after its owner left cleanly", report, context) && ok;
        break;
      case Origin::KilledHolding:
        // docs/recovery.md: a new create on the same flink path removes the dead owner's segment.
        ok = check_segment(e, "recreate", "after a new create on its flink path", report, context) && ok;
        break;
      case Origin::KilledCreating:
        ok = check_segment(e, "create-leftover", "after a new create on the same flink path", report, context) && ok;
        break;
      case Origin::KilledTearingDown:
        ok = check_segment(e, "teardown-leftover", "after a new create on the same flink path", report, context) && ok;
        break;
    }
  }
  return check_directory(true, report, context) && ok;
}

bool Leftovers::check_final(Report& report, const std::string& context) {
  bool ok = true;
  for (Entry& e : entries_) {
    const std::string invariant = e.origin == Origin::KilledCreating      ? "create-leftover"
                                  : e.origin == Origin::KilledTearingDown ? "teardown-leftover"
                                                                          : "leftover";
    ok = check_segment(e, invariant, "after the last owner left", report, context) && ok;
  }
  return check_directory(false, report, context) && ok;
}

bool Leftovers::check_directory(bool live_flink_expected, Report& report, const std::string& context) {
  bool ok = true;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (live_flink_expected && name == flink_base_) continue;
    // A create killed between writing its temporary flink file and renaming it leaves
    // "<flink>.<pid>.<random>.tmp".
    std::string invariant = "leftover";
    for (const pid_t pid : killed_creators_) {
      if (name.rfind(flink_base_ + "." + std::to_string(pid) + ".", 0) == 0) invariant = "create-leftover";
    }
    report.violation(invariant,
                     entry.path().string() + " is left in the flink directory" +
                         (invariant == "create-leftover"
                              ? " by a create killed midway; a create on the path does not remove it"
                              : (live_flink_expected ? " beside the live flink file" : " after its owner left")),
                     context);
    std::filesystem::remove(entry.path(), ec);
    ok = false;
  }
  return ok;
}

void Leftovers::remove_all() {
  for (Entry& e : entries_) {
    if (!e.settled && exists(e.name)) ::shm_unlink(e.name.c_str());
    e.settled = true;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) std::filesystem::remove(entry.path(), ec);
}

}  // namespace shmslot::chaos

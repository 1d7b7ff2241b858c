// Creating, attaching and tearing down POSIX segments; the slot protocol itself is in src/core.
#include "shmslot/posix_slot_allocator.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "backend/recorded_owner.hpp"
#include "core/layout.hpp"
#include "core/segment_validate.hpp"
#include "core/slot_engine.hpp"
#include "platform/flink_file.hpp"
#include "platform/mapping.hpp"
#include "platform/process.hpp"
#include "platform/shm.hpp"

namespace shmslot {

struct PosixSlotAllocator::Resources {
  std::string flink_path;
  std::string shm_name;
  bool owner = false;
  platform::UniqueFd segment_fd;  // kept open by the owner for its lifetime
  platform::UniqueFd flink_fd;    // the owner's flock on the flink file: proof of life for create
  platform::Mapping mapping;
};

namespace {

constexpr std::uint64_t kMaxCapacity = kMaxSlotCapacity;
static_assert(core::kMaxSlotCount == kMaxSlotCount);
constexpr int kAttachRetries = 5;                               // as ZeroDDS: an owner may still be writing
constexpr auto kAttachRetryDelay = std::chrono::milliseconds(50);

tl::unexpected<PosixSlotError> shm_error(const platform::SysError& e) {
  return tl::unexpected(PosixSlotError{PosixErrorCode::Shm, e.err, e.what, {}});
}
tl::unexpected<PosixSlotError> error(PosixErrorCode code, std::string detail) {
  return tl::unexpected(PosixSlotError{code, 0, std::move(detail), {}});
}

tl::unexpected<PosixSlotError> flink_error(const platform::FlinkReadError& e, const std::string& path) {
  using Kind = platform::FlinkReadError::Kind;
  switch (e.kind) {
    case Kind::Missing:
    case Kind::Io: return shm_error(e.sys);
    case Kind::Empty:
    case Kind::Symlink:
    case Kind::NotRegular:
    case Kind::Malformed: return error(PosixErrorCode::BadFlink, "flink " + path + " " + e.reason);
  }
  return error(PosixErrorCode::BadFlink, path);
}

// What an existing flink file at the create path means.
enum class Leftover { None, Removed };

// A flink file already exists at `path`. Removes it (and its segment) only when both are ours and
// the segment's owner is dead; otherwise says why the path is in use. Never removes a file that is
// not a flink file, a file or segment of another user, a segment shmslot did not create, or a
// segment whose recorded owner is alive (a flink file copied from a live one, say).
tl::expected<Leftover, PosixSlotError> clear_leftover(const std::string& path) {
  auto flink = platform::read_flink(path);
  if (!flink) {
    if (flink.error().kind == platform::FlinkReadError::Kind::Missing) return Leftover::None;
    return flink_error(flink.error(), path);
  }
  const uid_t me = ::geteuid();
  auto flink_info = platform::stat_fd(flink->fd.get(), path);
  if (!flink_info) return shm_error(flink_info.error());
  if (flink_info->uid != me) {
    return error(PosixErrorCode::InUse, "flink " + path + " belongs to uid " + std::to_string(flink_info->uid));
  }
  auto locked = platform::try_lock_exclusive(flink->fd.get(), path);
  if (!locked) return shm_error(locked.error());
  if (!*locked) return error(PosixErrorCode::InUse, "flink " + path + " belongs to a live owner");
  // We hold the lock: no shmslot owner holds this flink file open.
  auto seg = platform::shm_open_existing(flink->name, true);
  if (!seg) {
    if (seg.error().err != ENOENT) return shm_error(seg.error());
    platform::unlink_if_same(path, flink->fd.get());  // dangling: its segment is gone
    return Leftover::Removed;
  }
  auto info = platform::stat_fd(seg->get(), flink->name);
  if (!info) return shm_error(info.error());
  if (info->uid != me) {
    return error(PosixErrorCode::InUse, "flink " + path + " names " + flink->name + " of uid " +
                                            std::to_string(info->uid) + "; not touched");
  }
  const auto owner = info->regular ? read_recorded_owner(seg->get(), info->size) : std::nullopt;
  if (!owner) {
    return error(PosixErrorCode::InUse, "flink " + path + " names " + flink->name +
                                            ", which is not a segment shmslot created; its owner's liveness cannot "
                                            "be checked (remove the flink file if that owner is gone)");
  }
  if (auto why = foreign_pid_namespace(owner->pid_namespace)) {
    return error(PosixErrorCode::ForeignPidNamespace, "flink " + path + " names " + flink->name + "; " + *why);
  }
  if (owner->alive()) {
    return error(PosixErrorCode::InUse, "flink " + path + " names " + flink->name + ", whose owner (pid " +
                                            std::to_string(owner->pid) + ") is alive");
  }
  (void)platform::shm_remove(flink->name);
  platform::unlink_if_same(path, flink->fd.get());
  return Leftover::Removed;
}

// Removes what creates at `path` that died midway left: their drafts, and the segments the drafts
// name (created, maybe never formatted, never published; no flink file names them).
void remove_stale_drafts(const std::string& path) {
  for (auto& stale : platform::stale_drafts(platform::parent_of(path), path)) {
    if (stale.owns_object) (void)platform::shm_remove(stale.name);
    platform::unlink_if_same(stale.draft_path, stale.fd.get());
  }
}

// "0660"
std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::uint32_t notify_flags(const CreateOptions& options) {
  std::uint32_t flags = 0;
  if (options.notify == NotifyMode::WakeAlways) flags |= core::kFlagWakeAlways;
  if (options.type_hash) flags |= core::kFlagHasTypeHash;
  return flags;
}

}  // namespace

const char* to_string(PosixErrorCode code) {
  switch (code) {
    case PosixErrorCode::Shm: return "Shm";
    case PosixErrorCode::CapacityOverflow: return "CapacityOverflow";
    case PosixErrorCode::InvalidHeader: return "InvalidHeader";
    case PosixErrorCode::InvalidArgument: return "InvalidArgument";
    case PosixErrorCode::InUse: return "InUse";
    case PosixErrorCode::BadFlink: return "BadFlink";
    case PosixErrorCode::TypeMismatch: return "TypeMismatch";
    case PosixErrorCode::ForeignOwner: return "ForeignOwner";
    case PosixErrorCode::ForeignPidNamespace: return "ForeignPidNamespace";
    case PosixErrorCode::Slot: return "Slot";
  }
  return "unknown";
}

std::string PosixSlotError::message() const {
  switch (code) {
    case PosixErrorCode::Shm: return "shm error: " + detail + ": " + std::strerror(sys_errno);
    case PosixErrorCode::CapacityOverflow: return "slot capacity too large: " + detail;
    case PosixErrorCode::InvalidHeader: return "invalid segment: " + detail;
    case PosixErrorCode::InvalidArgument: return "invalid argument: " + detail;
    case PosixErrorCode::InUse: return "in use: " + detail;
    case PosixErrorCode::BadFlink: return "bad flink file: " + detail;
    case PosixErrorCode::TypeMismatch: return "type mismatch: " + detail;
    case PosixErrorCode::ForeignOwner: return "foreign owner: " + detail;
    case PosixErrorCode::ForeignPidNamespace: return "foreign pid namespace: " + detail;
    case PosixErrorCode::Slot: return "slot error: " + slot.message();
  }
  return detail;
}

std::string default_flink_dir() {
  const char* dir = std::getenv("SHMSLOT_DIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string("/tmp/shmslot");
}

std::string resolve_flink_path(const std::string& flink) {
  if (flink.find('/') != std::string::npos) return flink;
  return default_flink_dir() + "/" + flink;
}

PosixSlotAllocator::PosixSlotAllocator(std::unique_ptr<Resources> resources) : res_(std::move(resources)) {}

tl::expected<PosixSlotAllocator, PosixSlotError> PosixSlotAllocator::create(const std::string& flink_path,
                                                                            std::size_t slot_count,
                                                                            std::size_t slot_capacity) {
  return create(flink_path, slot_count, slot_capacity, CreateOptions{});
}

tl::expected<PosixSlotAllocator, PosixSlotError> PosixSlotAllocator::create(const std::string& flink_arg,
                                                                            std::size_t slot_count,
                                                                            std::size_t slot_capacity,
                                                                            const CreateOptions& options) {
  if (flink_arg.empty()) return error(PosixErrorCode::InvalidArgument, "empty flink path");
  if (slot_capacity > kMaxCapacity) {
    std::string why = "slot_capacity " + std::to_string(slot_capacity) + " is larger than the maximum ";
    why += std::to_string(kMaxSlotCapacity) + " (header plus payload, rounded up to 64 bytes, must fit u32)";
    return error(PosixErrorCode::CapacityOverflow, std::move(why));
  }
  if (slot_capacity == 0) return error(PosixErrorCode::InvalidArgument, "slot_capacity is 0");
  if (slot_count == 0 || slot_count > core::kMaxSlotCount) {
    return error(PosixErrorCode::InvalidArgument,
                 "slot_count " + std::to_string(slot_count) + " is not in 1.." + std::to_string(core::kMaxSlotCount));
  }
  if (options.lease < std::chrono::milliseconds(1) || options.lease > std::chrono::seconds(60)) {
    return error(PosixErrorCode::InvalidArgument, "lease must be 1 ms .. 60 s");
  }
  if (options.history_depth >= slot_count) {
    return error(PosixErrorCode::InvalidArgument,
                 "history_depth " + std::to_string(options.history_depth) + " must be below slot_count " +
                     std::to_string(slot_count) + " (a writer needs one slot that is not retained)");
  }
  if ((options.mode & ~mode_t{0666}) != 0 || (options.mode & 0600) != 0600) {
    return error(PosixErrorCode::InvalidArgument, "mode must include 0600 and have no bits beyond 0666");
  }
  if (options.group) {
    if ((options.mode & 0060) != 0060) {
      return error(PosixErrorCode::InvalidArgument,
                   "a group (gid " + std::to_string(*options.group) +
                       ") needs a mode that lets it read and write the segment, such as 0660");
    }
    // Checked before anything exists, so that a wrong group leaves nothing behind.
    if (!platform::may_use_group(*options.group)) {
      return tl::unexpected(PosixSlotError{PosixErrorCode::Shm,
                                           EPERM,
                                           "give the segment to gid " + std::to_string(*options.group) + ": uid " +
                                               std::to_string(::geteuid()) + " is not a member of that group",
                                           {}});
    }
  }
  core::Geometry g = core::make_geometry(slot_count, core::slot_total_size_for(slot_capacity), slot_capacity, true);
  g.history_depth = options.history_depth;  // what validation would read back from the formatted segment
  const std::string path = resolve_flink_path(flink_arg);
  const bool in_default_dir = flink_arg.find('/') == std::string::npos;
  // $SHMSLOT_DIR is typed by people: a missing one is a typo far more often than a wish for a new
  // shared directory, so it is never created (only /tmp/shmslot is).
  if (const char* env = std::getenv("SHMSLOT_DIR"); in_default_dir && env != nullptr && *env != '\0') {
    struct stat st {};
    if (::stat(env, &st) != 0 && errno == ENOENT) {
      std::string why = std::string("flink directory ") + env + " (from $SHMSLOT_DIR) does not exist; create it ";
      why += "(mkdir -m 1777 to share it between users, -m 700 for yours alone) or correct $SHMSLOT_DIR";
      return tl::unexpected(PosixSlotError{PosixErrorCode::Shm, ENOENT, std::move(why), {}});
    }
  }
  // The default directory /tmp/shmslot is shared by every user, like /tmp (sticky, world-writable);
  // the files in it are owner-only. A directory the caller names explicitly is created private.
  if (auto dir = platform::ensure_parent_directory(path, in_default_dir ? 01777 : 0700); !dir) {
    return shm_error(dir.error());
  }

  for (int attempt = 0; attempt < 3; ++attempt) {
    remove_stale_drafts(path);
    auto leftover = clear_leftover(path);
    if (!leftover) return tl::unexpected(leftover.error());

    auto res = std::make_unique<Resources>();
    res->flink_path = path;
    res->owner = true;
    // The flink file's draft records each name before the object exists, so that whatever a kill
    // leaves from here on is found by the next create at this path (remove_stale_drafts). The
    // flink file is never writable by others, even when the segment is (mode 0660).
    auto draft = platform::FlinkDraft::begin(path, options.mode & ~mode_t{022}, options.group);
    if (!draft) return shm_error(draft.error());
    // The segment's group is the flink file's: the one asked for, else the one the flink directory
    // gave (a setgid directory's own, else ours), so that one group reaches both.
    const gid_t group = draft->group();
    // A fresh random name; EEXIST (a collision) just draws again.
    for (int tries = 0; tries < 8; ++tries) {
      res->shm_name = platform::random_segment_name();
      if (auto r = draft->record(res->shm_name); !r) return shm_error(r.error());
      auto fd = platform::shm_create_exclusive(res->shm_name);
      if (fd) {
        res->segment_fd = std::move(*fd);
        break;
      }
      if (fd.error().err != EEXIST) return shm_error(fd.error());
    }
    if (!res->segment_fd) return error(PosixErrorCode::Shm, "no unused segment name after 8 random draws");
    auto unlink_segment = [&] { (void)platform::shm_remove(res->shm_name); };
    // The object exists from shm_open on, under a name no flink file publishes yet, mode 0600 (or
    // less, by the umask): closed to everybody else. Its group is set while it is so closed, then
    // its exact mode (whatever the umask took away), and only afterwards is it formatted and its
    // flink file linked into place: nobody can open it with the wrong group or a wider mode.
    auto info = platform::stat_fd(res->segment_fd.get(), res->shm_name);
    if (!info) {
      unlink_segment();
      return shm_error(info.error());
    }
    if (info->gid != group && platform::may_use_group(group)) {
      if (auto gr = platform::set_group(res->segment_fd.get(), group, res->shm_name); !gr) {
        unlink_segment();
        return shm_error(gr.error());
      }
    }
    if (auto m = platform::set_mode(res->segment_fd.get(), options.mode, res->shm_name); !m) {
      unlink_segment();
      return shm_error(m.error());
    }
    if (auto r = platform::reserve_memory(res->segment_fd.get(), g.total_size, res->shm_name); !r) {
      unlink_segment();
      return shm_error(r.error());
    }
    auto mapping = platform::map_shared(res->segment_fd.get(), g.total_size, res->shm_name.c_str());
    if (!mapping) {
      unlink_segment();
      return shm_error(mapping.error());
    }
    res->mapping = std::move(*mapping);
    core::FormatOptions format;
    format.flags = notify_flags(options);
    format.lease_ms = static_cast<std::uint32_t>(options.lease.count());
    format.history_depth = options.history_depth;
    if (options.type_hash) format.type_hash = *options.type_hash;
    format.owner_pid = static_cast<std::uint32_t>(::getpid());
    format.owner_start_time = platform::process_start_time(::getpid()).value_or(0);
    format.owner_pid_ns = platform::pid_namespace_id();
    core::format_segment(res->mapping.data(), g, format);

    auto flink_fd = draft->publish();
    if (!flink_fd) {
      unlink_segment();
      if (flink_fd.error().err == EEXIST) continue;  // another creator won the path: look again
      return shm_error(flink_fd.error());
    }
    res->flink_fd = std::move(*flink_fd);
    auto engine = core::make_engine(res->mapping.data(), g, 0);
    PosixSlotAllocator out(std::move(res));
    out.set_engine(std::move(engine));
    return out;
  }
  return error(PosixErrorCode::InUse, "flink " + path + " keeps being created by another process");
}

tl::expected<PosixSlotAllocator, PosixSlotError> PosixSlotAllocator::attach(const std::string& flink_path) {
  return attach(flink_path, AttachOptions{});
}

tl::expected<PosixSlotAllocator, PosixSlotError> PosixSlotAllocator::attach(const std::string& flink_arg,
                                                                            const AttachOptions& options) {
  if (flink_arg.empty()) return error(PosixErrorCode::InvalidArgument, "empty flink path");
  const std::string path = resolve_flink_path(flink_arg);
  for (int attempt = 0;; ++attempt) {
    const bool last = attempt + 1 >= kAttachRetries;
    auto flink = platform::read_flink(path);
    if (!flink) {
      if (flink.error().kind == platform::FlinkReadError::Kind::Empty && !last) {
        std::this_thread::sleep_for(kAttachRetryDelay);  // a ZeroDDS owner between create and write
        continue;
      }
      return flink_error(flink.error(), path);
    }
    auto fd = platform::shm_open_existing(flink->name, false);
    if (!fd) {
      if (fd.error().err == ENOENT && !last) {
        std::this_thread::sleep_for(kAttachRetryDelay);
        continue;
      }
      return shm_error(fd.error());
    }
    auto info = platform::stat_fd(fd->get(), flink->name);
    if (!info) return shm_error(info.error());
    if (!info->regular) return error(PosixErrorCode::InvalidHeader, flink->name + " is not a regular object");
    // A segment shared with the group the caller names (its group, read and write for the group)
    // is as good as the caller's own.
    const bool shared_with_group = options.group && info->gid == *options.group && (info->mode & 0060) == 0060;
    if (info->uid != ::geteuid() && !options.allow_foreign_owner && !shared_with_group) {
      std::string why =
          flink->name + " is owned by uid " + std::to_string(info->uid) + ", not " + std::to_string(::geteuid());
      if (options.group) {
        why += ", and is not shared with gid " + std::to_string(*options.group) + " (its group is gid " +
               std::to_string(info->gid) + ", mode " + octal_mode(info->mode) + ")";
      } else if ((info->mode & 0060) == 0060) {
        why += "; it is shared with gid " + std::to_string(info->gid) + ", which an attach may name to accept it";
      }
      return error(PosixErrorCode::ForeignOwner, std::move(why));
    }
    if (info->size < core::kV1SegmentHeaderSize) {
      if (info->size == 0 && !last) {  // a ZeroDDS owner between shm_open and ftruncate
        std::this_thread::sleep_for(kAttachRetryDelay);
        continue;
      }
      return error(PosixErrorCode::InvalidHeader, flink->name + " is " + std::to_string(info->size) +
                                                      " bytes, smaller than a segment header");
    }
    auto mapping = platform::map_shared(fd->get(), static_cast<std::size_t>(info->size), flink->name.c_str());
    if (!mapping) return shm_error(mapping.error());
    auto geometry = core::validate_segment(mapping->data(), info->size);
    if (!geometry) {
      if (geometry.error().not_initialised && !last) {
        std::this_thread::sleep_for(kAttachRetryDelay);
        continue;
      }
      return error(PosixErrorCode::InvalidHeader, flink->name + ": " + geometry.error().reason);
    }
    if (geometry->extended) {
      // Line 0 of the extension is written once, before the segment is published.
      const auto* ctl = reinterpret_cast<const core::ExtControl*>(mapping->data() + geometry->ext_offset);
      if (auto why = foreign_pid_namespace(ctl->owner_pid_ns)) {
        return error(PosixErrorCode::ForeignPidNamespace, flink->name + ": " + *why);
      }
    }
    auto engine = core::make_engine(mapping->data(), *geometry, 0);
    if (options.expected_type_hash) {
      const auto recorded = engine->type_hash();
      if (recorded && *recorded != *options.expected_type_hash) {
        return error(PosixErrorCode::TypeMismatch, "segment records type hash " + to_hex(*recorded) +
                                                       ", expected " + to_hex(*options.expected_type_hash));
      }
    }
    auto res = std::make_unique<Resources>();
    res->flink_path = path;
    res->shm_name = flink->name;
    res->mapping = std::move(*mapping);
    PosixSlotAllocator out(std::move(res));
    out.set_engine(std::move(engine));
    return out;
  }
}

PosixSlotAllocator::PosixSlotAllocator(PosixSlotAllocator&&) noexcept = default;

PosixSlotAllocator& PosixSlotAllocator::operator=(PosixSlotAllocator&& other) noexcept {
  if (this != &other) {
    // Tear down our own segment first, exactly as the destructor would.
    PosixSlotAllocator doomed(std::move(*this));
    EngineBackend::operator=(std::move(other));
    res_ = std::move(other.res_);
  }
  return *this;
}

PosixSlotAllocator::~PosixSlotAllocator() {
  // The engine releases this process's reader entries in the mapping: before the unmap (members
  // are destroyed before the base that holds the engine).
  set_engine(nullptr);
  if (!res_ || !res_->owner) return;  // a consumer only unmaps (the Mapping member does it)
  // The name first, then the flink file: killed in between, the owner leaves a flink file naming
  // nothing, which the next create at the path and gc remove; the other order would leave a
  // segment no flink file names. Mapped consumers keep their memory until they unmap.
  (void)platform::shm_remove(res_->shm_name);
  if (res_->flink_fd) platform::unlink_if_same(res_->flink_path, res_->flink_fd.get());
}

const std::string& PosixSlotAllocator::flink_path() const {
  static const std::string kEmpty;
  return res_ ? res_->flink_path : kEmpty;
}

std::string PosixSlotAllocator::segment_path() const { return flink_path(); }

const std::string& PosixSlotAllocator::shm_name() const {
  static const std::string kEmpty;
  return res_ ? res_->shm_name : kEmpty;
}

bool PosixSlotAllocator::owner_alive() const { return engine() != nullptr && engine()->owner_alive(); }

bool PosixSlotAllocator::is_owner() const { return res_ && res_->owner; }

bool PosixSlotAllocator::has_extension() const { return engine() != nullptr && engine()->extended(); }

NotifyMode PosixSlotAllocator::notify_mode() const {
  if (engine() == nullptr || !engine()->extended()) return NotifyMode::WakeAlways;  // ZeroDDS writers always wake
  return (engine()->flags() & core::kFlagWakeAlways) != 0 ? NotifyMode::WakeAlways : NotifyMode::WakeOnDemand;
}

ShmLocator PosixSlotAllocator::locator(const std::string& hostname) const {
  ShmLocator loc;
  loc.hostname_hash = fnv1a_32(hostname);
  loc.uid = static_cast<std::uint32_t>(::geteuid());
  loc.slot_count = static_cast<std::uint32_t>(engine() != nullptr ? engine()->slot_count() : 0);
  loc.slot_size = static_cast<std::uint32_t>(slot_total_size());
  loc.segment_path = segment_path();
  return loc;
}

}  // namespace shmslot

// The flink file: a small file whose whole content is the segment's shm name (ZeroDDS format: the
// name bytes, no newline, no NUL). The owner holds an exclusive flock on it while alive.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "platform/sys_error.hpp"
#include "platform/unique_fd.hpp"

namespace shmslot::platform {

// Why a flink file could not be read.
struct FlinkReadError {
  enum class Kind { Missing, Empty, Symlink, NotRegular, Malformed, Io } kind;
  SysError sys;        // errno and operation for Missing and Io
  std::string reason;  // for the others
};

struct OpenFlink {
  UniqueFd fd;
  std::string name;  // validated segment name
};

// Opens without following a symlink and validates the content (at most NAME_MAX bytes, a valid
// segment name).
tl::expected<OpenFlink, FlinkReadError> read_flink(const std::string& path);

// A flink file being written, "<path>.<pid>.<random>.tmp": created 0600 and locked by its creator,
// then given `group` (when set) and only then `mode`, so it is never open to a group it was not
// meant for; without `group` it keeps the group its directory gives it (a setgid directory's own).
// create writes the segment's name into it *before* it creates the segment, so a create killed at
// any point leaves a trail: a draft whose lock is free and whose creator is gone, naming the segment
// it may have left (stale_drafts finds them).
class FlinkDraft {
 public:
  static tl::expected<FlinkDraft, SysError> begin(const std::string& path, mode_t mode,
                                                  std::optional<gid_t> group = std::nullopt);
  FlinkDraft(FlinkDraft&& other) noexcept;
  FlinkDraft& operator=(FlinkDraft&&) = delete;
  FlinkDraft(const FlinkDraft&) = delete;
  FlinkDraft& operator=(const FlinkDraft&) = delete;
  // Removes the draft file unless it was published.
  ~FlinkDraft();

  // The group the draft file has: `group` if one was given, else the one its directory gave it.
  gid_t group() const { return group_; }
  // Replaces the draft's content with `name`.
  tl::expected<void, SysError> record(const std::string& name);
  // link()s the draft into place, which fails with EEXIST if `path` exists, then removes the draft
  // name. The returned descriptor holds the lock; it is released when the owner closes it or dies.
  tl::expected<UniqueFd, SysError> publish();

 private:
  FlinkDraft(std::string path, std::string draft, UniqueFd fd);
  std::string path_;
  std::string draft_;
  UniqueFd fd_;
  gid_t group_ = 0;
};

// A draft left behind by a create that died: its lock is free and the pid in its name runs no
// more. `name` is the segment it recorded ("" if it recorded none); `owns_object` is true when that
// object exists and belongs to this uid (the dead create made it). `fd` holds the draft's lock.
struct StaleDraft {
  std::string draft_path;
  std::string name;
  bool owns_object = false;
  UniqueFd fd;
};

// The stale drafts of flink `path` (`only_path`), or of every flink file in directory `dir` when
// `only_path` is empty, owned by this uid.
std::vector<StaleDraft> stale_drafts(const std::string& dir, const std::string& only_path);

// Exclusive flock without blocking: true when taken, false when another process holds it.
tl::expected<bool, SysError> try_lock_exclusive(int fd, const std::string& what);

// Removes `path` only while it still names the file open as `fd` (never a successor's file).
void unlink_if_same(const std::string& path, int fd);

// The directory part of `path`: "." when it has no '/', "/" for a file in the root.
std::string parent_of(const std::string& path);

// Creates the parent directory of `path` if missing, with `mode` (not masked by umask).
tl::expected<void, SysError> ensure_parent_directory(const std::string& path, mode_t mode);

}  // namespace shmslot::platform

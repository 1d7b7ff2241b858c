// libFuzzer target: the input is the content of a flink file.
//
// attach: the content is written to a flink file in a private temp dir and attached. Expected:
// errors, never a crash; a content that is not a plain name inside /dev/shm ('/' then one path
// component of [A-Za-z0-9._-], not "." or "..") is refused with BadFlink before any shm_open, so no
// path outside /dev/shm is ever opened.
//
// create: create() on a path where a flink file with that content already exists. It must refuse
// or recover, and never delete a file that does not hold a valid segment name: when create fails
// with BadFlink or InUse, the file is still there with the same content.
//
// A content that is a valid segment name gets, depending on a hash of the name, no object (a
// dangling flink), an object with garbage bytes (not a shmslot segment: create must say InUse and
// keep the flink file), or a valid shmslot segment with a dead owner (attach succeeds; create
// recovers: removes both and creates a fresh segment). A name that already exists in /dev/shm and
// is not ours is never touched: such an input is skipped.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "core/slot_engine.hpp"
#include "fuzz_common.hpp"
#include "platform/shm.hpp"
#include "shmslot/posix_slot_allocator.hpp"

namespace {

std::string g_flink;  // the flink file of the current iteration
std::string g_made;   // the shm object this iteration created (only ours are ever removed)

void cleanup() {
  if (!g_made.empty()) ::shm_unlink(g_made.c_str());
  if (!g_flink.empty()) ::unlink(g_flink.c_str());
}

std::string describe(const shmslot::PosixSlotError& e) { return std::string(shmslot::to_string(e.code)) + ": " + e.message(); }

// Independent of platform::valid_segment_name: does shm_open(content) stay inside /dev/shm, and
// does the content look like a name at all? '/' followed by one component of safe characters.
bool stays_in_dev_shm(const std::string& s) {
  if (s.size() < 2 || s[0] != '/') return false;
  const std::string rest = s.substr(1);
  if (rest == "." || rest == "..") return false;
  for (const char c : rest) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;  // '/', NUL, newline, anything else
  }
  return s.size() <= 255;
}

// A valid shmslot segment (2 slots of 8 bytes) whose owner is dead (pid 0 never runs code).
std::vector<std::byte> dead_owner_segment() {
  namespace core = shmslot::core;
  const core::Geometry g = core::make_geometry(2, core::slot_total_size_for(8), 8, true);
  std::vector<std::byte> bytes(g.total_size);
  core::FormatOptions options;
  options.owner_pid = 0;
  core::format_segment(bytes.data(), g, options);
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::install_cleanup(&cleanup);
  (void)fuzz::temp_dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using shmslot::PosixErrorCode;
  using shmslot::PosixSlotAllocator;
  const std::string content(reinterpret_cast<const char*>(data), size);
  const bool valid_name = shmslot::platform::valid_segment_name(content);
  const bool safe = stays_in_dev_shm(content);
  // The library's check must never be looser than "inside /dev/shm".
  FUZZ_CHECK(!valid_name || safe, "valid_segment_name accepts a name that leaves /dev/shm: " + content);

  // An object of that name we did not create: never touch it (it may be a live segment).
  if (valid_name && fuzz::shm_exists(content)) return 0;

  g_flink = fuzz::temp_dir() + "/f.flink";
  g_made.clear();
  int variant = 0;  // 0: no object; 1: garbage object; 2: shmslot segment with a dead owner
  if (valid_name) {
    variant = static_cast<int>(shmslot::fnv1a_32(content) % 3);
    if (variant == 1) {
      const char garbage[64] = "not a segment";
      if (fuzz::make_shm(content, garbage, sizeof garbage, true)) g_made = content;
      else variant = 0;
    } else if (variant == 2) {
      static const std::vector<std::byte> segment = dead_owner_segment();
      if (fuzz::make_shm(content, segment.data(), segment.size(), true)) g_made = content;
      else variant = 0;
    }
  }

  // --- attach. Empty content and a dangling name make attach wait 5 x 50 ms (a ZeroDDS owner may
  // be between creating the file and writing it): skipped for speed, the errors are the same.
  const bool slow = size == 0 || (valid_name && variant == 0);
  if (!slow) {
    fuzz::write_file(g_flink, data, size);
    auto attached = PosixSlotAllocator::attach(g_flink);
    if (!valid_name) {
      FUZZ_CHECK(!attached.has_value(), "attach accepted an invalid flink name");
      FUZZ_CHECK(attached.error().code == PosixErrorCode::BadFlink,
                 "invalid flink name refused with " + describe(attached.error()) + " instead of BadFlink");
    } else if (variant == 2) {
      FUZZ_CHECK(attached.has_value(), "attach refused a valid segment: " + describe(attached.error()));
    } else if (attached.has_value()) {
      FUZZ_CHECK(variant == 2, "attach accepted a garbage object");
    }
    ::unlink(g_flink.c_str());
  }

  // --- create on a path that already holds a flink file with this content.
  fuzz::write_file(g_flink, data, size);
  {
    auto created = PosixSlotAllocator::create(g_flink, 1, 8);
    std::string now;
    const bool still_there = fuzz::read_file(g_flink, now);
    if (!created) {
      const auto code = created.error().code;
      if (!valid_name) {
        FUZZ_CHECK(code == PosixErrorCode::BadFlink, "create on an invalid flink: " + describe(created.error()));
      }
      if (code == PosixErrorCode::BadFlink || code == PosixErrorCode::InUse) {
        FUZZ_CHECK(still_there && now == content, "create failed with " + describe(created.error()) +
                                                      " but removed or changed the flink file");
      }
      if (valid_name && variant == 1) {
        FUZZ_CHECK(code == PosixErrorCode::InUse || code == PosixErrorCode::Shm,
                   "create over a foreign object: " + describe(created.error()));
      }
    } else {
      FUZZ_CHECK(valid_name, "create replaced a flink file that holds no segment name");
      FUZZ_CHECK(variant != 1, "create removed a flink file naming an object shmslot did not create");
      FUZZ_CHECK(created->is_owner(), "create is not the owner");
      FUZZ_CHECK(still_there && now == created->shm_name(), "the new flink file does not name the new segment");
      if (variant == 2) FUZZ_CHECK(!fuzz::shm_exists(content), "recovered segment not removed");
      if (variant == 2) g_made.clear();  // create removed it
    }
    // The owner's destruction removes its flink file and its segment.
  }
  if (variant == 1) FUZZ_CHECK(fuzz::shm_exists(content), "a foreign object was removed");
  cleanup();
  g_flink.clear();
  g_made.clear();
  return 0;
}

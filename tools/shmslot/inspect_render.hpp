// What `shmslot inspect` prints: a segment snapshot as text (a header block, a slot table, the
// reader cursors) or as one JSON object.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/segment_snapshot.hpp>
#include <shmslot/slot_backend.hpp>

namespace shmslot::cli {

/// What is shown besides the snapshot itself.
struct InspectView {
  std::string flink;
  std::string shm_name;
  bool published = true;  ///< the flink file still names this segment
  NotifyMode notify = NotifyMode::WakeOnDemand;
  bool all_readers = false;  ///< every reader entry, not only those in use
};

/// Several lines, each ending in '\n'.
std::string render_text(const InspectView& view, const SegmentSnapshot& snap);

/// One object; fields that a ZeroDDS segment does not record are null.
nlohmann::ordered_json render_json(const InspectView& view, const SegmentSnapshot& snap);

/// A duration for people: "850us", "12.3ms", "4.56s", "3m07s", "5h02m".
std::string format_age(std::chrono::nanoseconds age);

}  // namespace shmslot::cli

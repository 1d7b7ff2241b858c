// The blocking calls: wait_until over the handle's segment, each try run under the table's lock and
// the sleep outside it. The segment is held by a shared_ptr while sleeping, so a close from another
// thread cannot free it under the sleeper; the handle is looked up again at every try, and one
// closed during the wait ends it with SHMSLOT_E_INVALID_HANDLE.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "objects.hpp"
#include "shmslot/shmslot.h"
#include "shmslot/wait.hpp"
#include "status.hpp"

namespace shmslot::c_api {

/// Waits up to `timeout_ms`, calling `step(Obj&, HandleTable&)` (which returns
/// tl::expected<std::optional<V>, SlotError>, nullopt for "nothing yet") with the lock held; returns
/// `deliver(V)` once a try delivers.
template <class Obj, class Step, class Deliver>
shmslot_status wait_on(std::uint64_t handle, Kind kind, const char* kind_name, std::uint32_t timeout_ms, Step&& step,
                       Deliver&& deliver) {
  return guarded([&] {
    auto& table = HandleTable::instance();
    Segment segment;
    {
      auto lock = table.lock();
      auto* obj = table.find<Obj>(handle, kind);
      if (obj == nullptr) return invalid_handle(kind_name);
      segment = obj->segment;
    }
    using Attempt = decltype(step(std::declval<Obj&>(), table));
    bool gone = false;
    // A reader waits for a sample, which a mark_read never brings; a writer for a free slot.
    const WaitFor what = kind == Kind::Reader ? WaitFor::Sample : WaitFor::Change;
    auto result = wait_until(*segment, wait_limit_ms(timeout_ms), what, [&]() -> Attempt {
      auto lock = table.lock();
      auto* obj = table.find<Obj>(handle, kind);
      if (obj == nullptr) {
        gone = true;  // ends the wait; reported below as what it is
        return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
      }
      return step(*obj, table);
    });
    if (gone) return invalid_handle(kind_name);
    if (!result) return fail(result.error());
    return deliver(std::move(*result));
  });
}

}  // namespace shmslot::c_api

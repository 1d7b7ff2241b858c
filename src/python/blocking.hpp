// Every blocking call of the module: wait_until (wait.hpp) with the GIL released, each try run
// under the segment's mutex after checking that the node is still open, and Python's signal
// handlers run at least every kSignalCheck, so Ctrl-C ends a wait with KeyboardInterrupt.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

#include "errors.hpp"
#include "node.hpp"
#include "shmslot/wait.hpp"

namespace shmslot::python {

/// How long a blocking call may go without running Python's signal handlers. A signal also
/// interrupts the futex sleep, but the sleep resumes; the slice bounds the delay at about this long.
inline constexpr std::chrono::milliseconds kSignalCheck{50};

/// A timeout in seconds from Python as a WaitLimit: None waits forever, 0 tries once; a negative or
/// NaN timeout raises ValueError.
WaitLimit wait_limit(std::optional<double> timeout_s);

/// Waits as wait_until does for `attempt()` (tl::expected<std::optional<V>, SlotError>; nullopt:
/// nothing yet) to deliver, with the GIL released; `wait_for` as wait_until takes it. Raises
/// shmslot.Closed if `node` is closed before or during the wait, the attempt's error, TimedOut, or
/// what a signal handler raised.
template <class V, class Attempt>
V wait_interruptibly(const SegmentNode& segment, const Node& node, const char* what, WaitFor wait_for,
                     std::optional<double> timeout, Attempt&& attempt) {
  WaitLimit limit = wait_limit(timeout);
  limit.max_sleep = kSignalCheck;
  Mapping mapping;  // keeps the segment mapped while the wait sleeps outside the mutex
  {
    std::lock_guard lock(segment.mutex());
    if (node.closed() || !segment.mapping()) raise_closed(what);
    mapping = segment.mapping();
  }
  bool interrupted = false;
  bool closed = false;
  std::optional<tl::expected<V, SlotError>> result;
  {
    pybind11::gil_scoped_release no_gil;
    auto last_check = std::chrono::steady_clock::now();
    result = wait_until(*mapping, limit, wait_for, [&]() -> tl::expected<std::optional<V>, SlotError> {
      if (const auto now = std::chrono::steady_clock::now(); now - last_check >= kSignalCheck) {
        last_check = now;
        pybind11::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
          interrupted = true;  // the handler's exception is set; ends the wait, raised below
          return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
        }
      }
      std::lock_guard lock(segment.mutex());
      if (node.closed()) {
        closed = true;
        return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
      }
      return attempt();
    });
  }
  if (interrupted) throw pybind11::error_already_set();
  if (closed) raise_closed(what);
  return value_or_raise(std::move(*result));
}

}  // namespace shmslot::python

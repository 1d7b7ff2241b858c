// Reaping: freeing what dead processes held (reader entries, pins, unread marks, loans), at most
// once per half lease across all processes when a writer finds no free slot. docs/recovery.md.
#pragma once

#include <cstddef>

#include "core/notifier.hpp"
#include "core/reader_registry.hpp"
#include "core/segment_view.hpp"

namespace shmslot::core {

class Reaper {
 public:
  Reaper(const SegmentView& view, ReaderRegistry& registry, const Notifier& notifier)
      : view_(view), registry_(registry), notifier_(notifier) {}

  // Disconnects dead registered readers and frees loans of dead writers; returns how many. Also
  // frees dead sleepers' entries (not counted). Waits for a release another live process has begun
  // (ReaderRegistry::InFlightRelease::Await).
  std::size_t reap() { return reap(ReaderRegistry::InFlightRelease::Await); }
  // A writer's reap on its blocked path: reap(), unless some process reaped within the last half
  // lease, and never waiting for another process's release.
  std::size_t maybe_reap();

 private:
  std::size_t reap(ReaderRegistry::InFlightRelease in_flight);

  std::size_t free_dead_loans();

  const SegmentView view_;  // a copy: one indirection less on every access
  ReaderRegistry& registry_;
  const Notifier& notifier_;
};

}  // namespace shmslot::core

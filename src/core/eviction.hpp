// Eviction: a writer held back by a slow reader frees samples older than an age, and each reader
// that lost one is told through its eviction counter. docs/recovery.md, "Slow readers".
#pragma once

#include <chrono>
#include <cstddef>

#include "core/notifier.hpp"
#include "core/reader_registry.hpp"
#include "core/segment_view.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

// Frees committed, unpinned samples older than `max_age` that some reader in `active` has neither
// read nor passed; returns how many.
std::size_t evict_stale(const SegmentView& view, const ReaderRegistry& registry, const Notifier& notifier,
                        std::chrono::nanoseconds max_age, ReaderMask active);

}  // namespace shmslot::core

// The harness checking itself: faults are injected one at a time, each into a fresh run (a writer
// commits a torn sample, a slot stays loaned, a reader's cursor is wound back, ...), and each must be
// reported by the check that exists for it. A check that cannot fail would otherwise pass unnoticed.
#pragma once

#include "chaos/options.hpp"

namespace shmslot::chaos {

// Prints one line per injected fault; 0 when every fault was caught by its check.
int run_self_test(const Options& options);

}  // namespace shmslot::chaos

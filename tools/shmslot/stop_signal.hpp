// Ctrl-C and friends: SIGINT, SIGTERM and SIGHUP end a subcommand's loop cleanly (a loan given
// back, a summary printed, a segment removed) instead of killing the process mid-protocol.
#pragma once

#include <chrono>

namespace shmslot::cli {

/// The stop signals set a flag instead of ending the process. Installed without SA_RESTART, so a
/// blocking read returns EINTR and its caller can look at the flag.
void install_stop_handlers();

/// True once a stop signal arrived (after install_stop_handlers).
bool stop_requested();

/// Sleeps for `duration`, less if a stop signal arrives; returns !stop_requested().
bool sleep_unless_stopped(std::chrono::nanoseconds duration);

/// Blocks the stop signals, so that one arriving from now on waits for wait_for_stop_signal().
void block_stop_signals();

/// Waits until a stop signal arrives (after block_stop_signals); returns its number.
int wait_for_stop_signal();

}  // namespace shmslot::cli

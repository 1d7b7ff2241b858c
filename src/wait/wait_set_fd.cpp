// WaitSet::event_fd: a thread of the set sleeps in the set's own wait while the fd is armed and
// turns what it finds into one eventfd write, then waits for drain(). Another process cannot
// write an eventfd it does not hold, and no daemon runs, so the futex wake-up is turned into fd
// readiness here, in the listening process. docs/waitset.md, "The file descriptor".
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "platform/futex.hpp"
#include "shmslot/wait_set.hpp"
#include "wait/wait_set_state.hpp"

namespace shmslot {

namespace {

// The thread: while armed, one wait of the set; what it finds makes the fd readable once and
// disarms, so no announcement stands (and no commit pays a wake-up) until drain() re-arms.
void signal_loop(WaitSet::State& s, WaitSet::State::EventFd& efd, const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    // SYNC: acquire; pairs with drain()'s release store: the re-arm and what came before it.
    if (efd.armed.load(std::memory_order_acquire) == 0) {
      // The kernel compares `armed` with 0 before sleeping, so a drain() in between is not lost.
      platform::futex_wait(efd.armed, 0, std::chrono::seconds(1));
      continue;
    }
    auto found = s.run(WaitLimit::until(std::chrono::steady_clock::time_point::max(), stop));
    if (!found && found.error().code == SlotErrorCode::Stopped) return;
    {
      // What poll() cannot find again by looking: dead peers, a wake(), or why this wait failed.
      const std::lock_guard lock(s.found_mutex);
      if (!found) {
        s.found_error = found.error();
      } else {
        for (const WaitSetEvent& e : found->events) {
          if (e.kind == WaitSetEventKind::PeerDied) s.found_died.push_back(e);
        }
        s.found_woken = s.found_woken || found->woken;
      }
    }
    // Disarmed before the write: a drain() that follows the write re-arms after this store, never
    // before it (docs/model/waitset.pml catches the other order). An error is signalled too, once
    // per arm cycle: the owner's poll() reports it.
    // SYNC: relaxed; the eventfd write below is the signal, and drain() stores 1 after reading it.
    efd.armed.store(0, std::memory_order_relaxed);
    const std::uint64_t one = 1;
    // EAGAIN only when the counter is near overflow: the fd is readable then anyway.
    (void)!::write(efd.fd.get(), &one, sizeof one);
  }
}

}  // namespace

tl::expected<int, SlotError> WaitSet::event_fd() {
  State& s = *state_;
  if (s.event_fd) return s.event_fd->fd.get();
  platform::UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
  auto& efd = s.event_fd.emplace();
  efd.fd = std::move(fd);
  try {
    efd.thread = std::jthread([&s, &efd](const std::stop_token& stop) { signal_loop(s, efd, stop); });
  } catch (const std::system_error&) {  // no thread could be started: no fd either
    s.event_fd.reset();
    return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
  }
  return efd.fd.get();
}

void WaitSet::drain() {
  State& s = *state_;
  if (!s.event_fd) return;
  std::uint64_t count = 0;
  // Non-blocking: nothing to read (EAGAIN) means it was not readable; either way it is clear now.
  (void)!::read(s.event_fd->fd.get(), &count, sizeof count);
  // SYNC: release; pairs with the thread's acquire load of `armed`.
  s.event_fd->armed.store(1, std::memory_order_release);
  platform::futex_wake_all(s.event_fd->armed);
}

void WaitSet::close_event_fd() {
  State& s = *state_;
  if (!s.event_fd) return;
  s.event_fd->thread.request_stop();  // its stop callback interrupts a running wait
  s.event_fd->armed.store(1, std::memory_order_release);
  platform::futex_wake_all(s.event_fd->armed);  // and a thread waiting for drain() looks at the stop
  if (s.event_fd->thread.joinable()) s.event_fd->thread.join();
  s.event_fd.reset();
}

}  // namespace shmslot

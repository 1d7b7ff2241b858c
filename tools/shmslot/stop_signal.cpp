#include "stop_signal.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

namespace shmslot::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_stop(int /*sig*/) { g_stop = 1; }

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

bool stop_requested() { return g_stop != 0; }

bool sleep_unless_stopped(std::chrono::nanoseconds duration) {
  // Slices of at most 50 ms: a signal that lands just before nanosleep starts is seen soon anyway.
  constexpr std::chrono::nanoseconds kSlice = std::chrono::milliseconds(50);
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stop_requested()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) break;
    const auto slice = std::min<std::chrono::nanoseconds>(left, kSlice);
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(slice.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(slice.count() % 1'000'000'000);
    ::nanosleep(&ts, nullptr);  // EINTR: the loop looks at the flag
  }
  return !stop_requested();
}

void block_stop_signals() {
  const sigset_t set = stop_set();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
  const sigset_t set = stop_set();
  int sig = 0;
  while (::sigwait(&set, &sig) != 0) {
  }
  g_stop = 1;
  return sig;
}

}  // namespace shmslot::cli

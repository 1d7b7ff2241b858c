// The WaitSet's members, segments and wake-up words, shared by the waiting code (wait_set.cpp) and
// the event-fd thread (wait_set_fd.cpp). docs/waitset.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <tl/expected.hpp>

#include "platform/unique_fd.hpp"
#include "shmslot/wait_set.hpp"

namespace shmslot {

struct WaitSet::State {
  using Clock = std::chrono::steady_clock;

  struct Member {
    SlotBackend* backend = nullptr;
    const std::atomic<std::uint32_t>* word = nullptr;  // its segment's
    bool writer = false;
    std::uint32_t reader = 0;               // readers
    std::optional<ReaderMask> active;       // writers: nullopt = the registered readers
  };
  // Members on one segment share its futex word, so the set announces and sleeps once per word.
  struct Segment {
    SlotBackend* backend = nullptr;  // the first member's: every member's backend maps this word
    const std::atomic<std::uint32_t>* word = nullptr;
    std::size_t members = 0;
    std::size_t writers = 0;
    std::chrono::nanoseconds half_lease{};
    Clock::time_point next_reap{};
  };
  // The event fd's thread and its arm word (wait_set_fd.cpp).
  struct EventFd {
    platform::UniqueFd fd;
    std::atomic<std::uint32_t> armed{1};  // a futex word: 1 armed, 0 signalled and waiting for drain()
    std::jthread thread;
  };

  explicit State(WaitSetOptions options);

  tl::expected<std::size_t, SlotError> add(Member member);
  // One wait: what WaitSet::wait does, and what the event fd's thread runs while armed.
  tl::expected<WaitSetResult, SlotError> run(const WaitLimit& limit);
  // The ready members now (no announcement, no reap).
  tl::expected<void, SlotError> look(std::vector<WaitSetEvent>& events);
  // Reaps each segment whose half lease has passed; a reap that freed something makes every
  // member of that segment PeerDied.
  void reap_due(Clock::time_point now, std::vector<WaitSetEvent>& events);
  // Ends the current or next sleep without a wake-up flag (a stop request).
  void interrupt();
  void request_wake();
  // Moves what the fd thread (or a failed wait) left into `result`; keeps what a failing wait found
  // (dead peers, a wake) for the next wait or poll, and returns `error`.
  void take_found(WaitSetResult& result);
  tl::unexpected<SlotError> keep_found(const WaitSetResult& result, SlotError error);

  WaitSetOptions options;
  // Vectored or SingleWord, settled at construction; a vectored sleep the kernel refuses later
  // moves it to SingleWord, unless Vectored was forced.
  std::atomic<WaitSetMode> mode{WaitSetMode::SingleWord};
  bool vectored_forced = false;
  bool vectored_refused = false;  // forced, and the kernel has no futex_waitv: every wait fails
  std::vector<std::optional<Member>> members;  // by id; removed ones stay empty
  std::vector<Segment> segments;

  // Moved by wake() and interrupt() and part of every vectored sleep: a wake from this process.
  std::atomic<std::uint32_t> local{0};
  std::atomic<bool> wake_requested{false};
  // The backend whose word a sleep that leaves `local` out is on (SingleWord, or 128 segments):
  // interrupt() moves that segment's counter instead.
  std::atomic<const SlotBackend*> sleeping_on{nullptr};
  std::mutex interrupt_mutex;  // held by interrupt() while it uses sleeping_on, and to change it

  std::optional<EventFd> event_fd;
  // What poll() or the next wait cannot find again by looking: dead peers and a wake() the event
  // fd's thread (or a wait that then failed) found, and the error that thread's wait ended with.
  std::mutex found_mutex;
  std::vector<WaitSetEvent> found_died;
  bool found_woken = false;
  std::optional<SlotError> found_error;
};

}  // namespace shmslot

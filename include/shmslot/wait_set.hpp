// Waiting on many segments at once: one thread sleeps until a reader of any of them has a sample,
// a held-back writer has a free slot, a dead peer was found, another thread calls wake(), or the
// deadline. Daemonless: the sleep is the segments' own announced futex wait (docs/protocol.md,
// "Notification"), on all their words in one futex_waitv, so a commit nobody sleeps on stays free
// of system calls. docs/waitset.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <tl/expected.hpp>

#include "shmslot/reader.hpp"
#include "shmslot/slot_backend.hpp"
#include "shmslot/types.hpp"
#include "shmslot/wait.hpp"
#include "shmslot/writer.hpp"

namespace shmslot {

/// How a WaitSet sleeps.
enum class WaitSetMode : std::uint8_t {
  /// Vectored when the kernel allows it, else SingleWord; the environment variable
  /// SHMSLOT_WAITSET_MODE (`vectored` or `single-word`) overrides it.
  Automatic,
  /// One futex_waitv over every segment's word (Linux 5.16+): any commit wakes the set at once.
  Vectored,
  /// A FUTEX_WAIT on the first segment's word, waking every poll_interval to look at the others:
  /// for kernels without futex_waitv and container seccomp profiles that refuse it. A commit on
  /// another segment is seen within poll_interval.
  SingleWord,
};

/// Why a member of the set is ready.
enum class WaitSetEventKind : std::uint8_t {
  Data,      ///< a reader has a sample it has not read
  SlotFree,  ///< a writer would find a free slot
  PeerDied,  ///< the set found a dead process on the member's segment and freed what it held
};

/// One ready member: `id` is what add_reader / add_writer returned.
struct WaitSetEvent {
  std::size_t id = 0;
  WaitSetEventKind kind = WaitSetEventKind::Data;
  friend bool operator==(const WaitSetEvent&, const WaitSetEvent&) = default;
};

/// What a wait or poll found: the ready members, and whether wake() was called.
struct WaitSetResult {
  std::vector<WaitSetEvent> events;
  bool woken = false;
};

struct WaitSetOptions {
  WaitSetMode mode = WaitSetMode::Automatic;
  /// SingleWord only: how often the segments other than the first are looked at.
  std::chrono::nanoseconds poll_interval = std::chrono::milliseconds(1);
};

/// A set of readers and writers on up to 128 segments (futex_waitv's limit; members of one
/// backend object share its word and count once). Members are added and removed by the thread that waits;
/// wake() may be called from any thread. The backends must outlive the set (or their removal).
class WaitSet {
 public:
  static constexpr std::size_t kMaxSegments = 128;

  explicit WaitSet(WaitSetOptions options = {});
  ~WaitSet();
  WaitSet(const WaitSet&) = delete;
  WaitSet& operator=(const WaitSet&) = delete;

  /// Adds reader `reader_index` of `backend`: ready (Data) while it has a sample to read.
  /// Refuses a reader index of 32 or more (ReaderIndexOutOfRange), a backend without a futex word
  /// (Unsupported), a 129th segment (Unsupported), and any change while event_fd() is open.
  tl::expected<std::size_t, SlotError> add_reader(SlotBackend& backend, std::uint32_t reader_index);
  /// Adds a writer of `backend` publishing for `active` (nullopt: the registered readers at each
  /// look): ready (SlotFree) while a reserve would find a slot. Add a writer while it is held back
  /// by a slow reader; a writer with room is always ready.
  tl::expected<std::size_t, SlotError> add_writer(SlotBackend& backend, std::optional<ReaderMask> active = std::nullopt);
  template <class Backend>
  tl::expected<std::size_t, SlotError> add(BasicReader<Backend>& reader) {
    return add_reader(reader.backend(), reader.reader_index());
  }
  template <class Backend>
  tl::expected<std::size_t, SlotError> add(BasicWriter<Backend>& writer) {
    return add_writer(writer.backend(), writer.explicit_active_readers());
  }
  /// Removes a member; its id is never handed out again.
  tl::expected<void, SlotError> remove(std::size_t id);
  /// Members, and distinct segments among them.
  std::size_t size() const;
  std::size_t segment_count() const;

  /// Sleeps until a member is ready, a dead peer is found (the set reaps every segment at least
  /// every half lease while it sleeps), or wake() is called; returns what it found. TimedOut once
  /// `limit.deadline` passes, Stopped when `limit.stop` is requested; Unsupported while event_fd()
  /// is open (its thread does the waiting) or when Vectored was forced and the kernel refuses it.
  tl::expected<WaitSetResult, SlotError> wait(const WaitLimit& limit = {});
  /// The ready members now, without sleeping or reaping (and the dead peers the event_fd()
  /// thread found since the last poll).
  tl::expected<WaitSetResult, SlotError> poll();
  /// Ends a wait() (or, while armed, makes event_fd() readable) from any thread; a wake with nobody
  /// waiting is kept for the next wait.
  void wake();
  /// The mode in use: Vectored or SingleWord (Automatic probes the kernel when the set is made).
  WaitSetMode mode() const;

  /// A file descriptor for epoll, asio, libuv and executor loops (an eventfd, owned by the set):
  /// readable once anything is ready after it was armed; re-armed by drain(). At most one
  /// wake-up per arm cycle, and none while disarmed, so writers pay no system call for a set that
  /// is not listening. A thread of the set does the sleeping (docs/waitset.md); while the fd is
  /// open, wait() is refused and members cannot change. Created armed on the first call.
  tl::expected<int, SlotError> event_fd();
  /// Clears the fd's readiness and re-arms it; then poll() says what is ready. Call it before
  /// poll(), so that what arrives after the poll makes the fd readable again.
  void drain();
  /// Stops the fd's thread and closes the fd (the destructor does too).
  void close_event_fd();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace shmslot

// WaitSet: members, the look at every member, and the announced sleep on every segment's word at
// once. docs/waitset.md ("The handshake") says why each step is where it is; docs/model/waitset.pml
// checks it.
#include "shmslot/wait_set.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>

#include "platform/futex.hpp"
#include "wait/wait_set_state.hpp"

namespace shmslot {

namespace {

tl::unexpected<SlotError> fail(SlotErrorCode code) { return tl::unexpected(SlotError::of(code)); }

// The mode a set asks for: the option, unless Automatic, where the environment may force one.
WaitSetMode requested_mode(WaitSetMode option) {
  if (option != WaitSetMode::Automatic) return option;
  const char* env = std::getenv("SHMSLOT_WAITSET_MODE");
  if (env == nullptr) return WaitSetMode::Automatic;
  if (std::strcmp(env, "vectored") == 0) return WaitSetMode::Vectored;
  if (std::strcmp(env, "single-word") == 0) return WaitSetMode::SingleWord;
  return WaitSetMode::Automatic;
}

// One announcement per segment slept on, each withdrawn once however the round ends (after the
// sleep, never before it).
class Announcements {
 public:
  // Announces on the first `count` segments (all of them in a vectored sleep; the one slept on in
  // SingleWord mode, where the others are only looked at every poll interval).
  Announcements(const std::vector<WaitSet::State::Segment>& segments, std::size_t count) : segments_(segments) {
    taken_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& s = segments[i];
      // A segment with a writer member waits for a free slot too, so mark_read must wake it.
      taken_.push_back(s.backend->announce_wait(s.writers > 0 ? WaitFor::Change : WaitFor::Sample));
    }
  }
  ~Announcements() {
    for (std::size_t i = 0; i < taken_.size(); ++i) segments_[i].backend->withdraw_wait(taken_[i]);
  }
  Announcements(const Announcements&) = delete;
  Announcements& operator=(const Announcements&) = delete;
  // The counter value the announcement read: the expected value of the segment's futex word.
  std::uint32_t expected(std::size_t i) const { return static_cast<std::uint32_t>(taken_[i].generation); }

 private:
  const std::vector<WaitSet::State::Segment>& segments_;
  std::vector<SlotBackend::WaitAnnouncement> taken_;
};

// Names the backend a sleep without `local` is on (State::sleeping_on) for as long as it sleeps,
// and clears it under the mutex, so that no interrupt() still uses it once the sleep has ended:
// the caller may remove and destroy that backend next.
class SleepingOn {
 public:
  SleepingOn(WaitSet::State& s, const SlotBackend* backend) : s_(s) {
    const std::lock_guard lock(s_.interrupt_mutex);
    s_.sleeping_on.store(backend, std::memory_order_relaxed);
  }
  ~SleepingOn() {
    const std::lock_guard lock(s_.interrupt_mutex);
    s_.sleeping_on.store(nullptr, std::memory_order_relaxed);
  }
  SleepingOn(const SleepingOn&) = delete;
  SleepingOn& operator=(const SleepingOn&) = delete;

 private:
  WaitSet::State& s_;
};

// No sleep shorter than this: a zero lease, poll interval or max_sleep would make the loop spin.
constexpr std::chrono::nanoseconds kShortestSleep = std::chrono::microseconds(100);

}  // namespace

WaitSet::State::State(WaitSetOptions opts) : options(opts) {
  options.poll_interval = std::max(options.poll_interval, kShortestSleep);
  const WaitSetMode asked = requested_mode(options.mode);
  vectored_forced = asked == WaitSetMode::Vectored;
  if (asked == WaitSetMode::SingleWord) {
    mode.store(WaitSetMode::SingleWord, std::memory_order_relaxed);
    return;
  }
  // One futex_waitv on a word that differs from its expected value: returns at once where the
  // kernel has the call, and fails where it has not (or a seccomp filter refuses it).
  const std::atomic<std::uint32_t> probe{1};
  const platform::FutexWaitWord word{&probe, 0};
  const bool works =
      platform::futex_waitv({&word, 1}, std::chrono::milliseconds(1)) == platform::WaitvOutcome::Returned;
  mode.store(works ? WaitSetMode::Vectored : WaitSetMode::SingleWord, std::memory_order_relaxed);
  vectored_refused = !works && vectored_forced;
}

tl::expected<std::size_t, SlotError> WaitSet::State::add(Member member) {
  if (event_fd) return fail(SlotErrorCode::Unsupported);
  member.word = member.backend->change_word();
  if (member.word == nullptr) return fail(SlotErrorCode::Unsupported);
  auto seg = std::find_if(segments.begin(), segments.end(), [&](const Segment& s) { return s.word == member.word; });
  if (seg == segments.end()) {
    if (segments.size() == kMaxSegments) return fail(SlotErrorCode::Unsupported);
    Segment s;
    s.backend = member.backend;
    s.word = member.word;
    // In nanoseconds: half of a 1 ms lease is not 0.
    s.half_lease = std::max(std::chrono::nanoseconds(member.backend->lease()) / 2, kShortestSleep);
    s.next_reap = Clock::now();
    segments.push_back(s);
    seg = segments.end() - 1;
  }
  ++seg->members;
  if (member.writer) ++seg->writers;
  members.emplace_back(member);
  return members.size() - 1;
}

tl::expected<void, SlotError> WaitSet::State::look(std::vector<WaitSetEvent>& events) {
  for (std::size_t id = 0; id < members.size(); ++id) {
    if (!members[id]) continue;
    const Member& m = *members[id];
    // A backend moved from since it was added has no word (or another one): it is unusable.
    if (m.backend->change_word() != m.word) return fail(SlotErrorCode::LockPoisoned);
    if (m.writer) {
      if (m.backend->has_free_slot(m.active.value_or(m.backend->registered_readers()))) {
        events.push_back({id, WaitSetEventKind::SlotFree});
      }
      continue;
    }
    auto next = m.backend->next_unread_slot(m.reader);
    if (!next) return tl::unexpected(next.error());
    if (*next) events.push_back({id, WaitSetEventKind::Data});
  }
  return {};
}

void WaitSet::State::reap_due(Clock::time_point now, std::vector<WaitSetEvent>& events) {
  for (Segment& s : segments) {
    if (now < s.next_reap) continue;
    s.next_reap = now + s.half_lease;
    if (s.backend->reap() == 0) continue;
    for (std::size_t id = 0; id < members.size(); ++id) {
      if (members[id] && members[id]->word == s.word) events.push_back({id, WaitSetEventKind::PeerDied});
    }
  }
}

void WaitSet::State::interrupt() {
  // SYNC: seq_cst; `local` is in every vectored sleep, compared by the kernel against the value
  // the sleeper read before its look, so a move after that read ends the sleep (or prevents it).
  local.fetch_add(1, std::memory_order_seq_cst);
  platform::futex_wake_all(local);
  // A sleep without `local` (SingleWord, or 128 segments) names its backend here. The mutex orders
  // this with the sleeper's SleepingOn: either this sees the backend and moves its counter, or the
  // sleeper names it after this unlock and then sees the wake flag or the stop set before (run()).
  const std::lock_guard lock(interrupt_mutex);
  if (const SlotBackend* b = sleeping_on.load(std::memory_order_relaxed)) b->wake_waiters();
}

void WaitSet::State::request_wake() {
  // SYNC: seq_cst; read by the sleeper's exchange after it has read `local` (run()).
  wake_requested.store(true, std::memory_order_seq_cst);
  interrupt();
}

void WaitSet::State::take_found(WaitSetResult& result) {
  const std::lock_guard lock(found_mutex);
  result.events.insert(result.events.end(), found_died.begin(), found_died.end());
  found_died.clear();
  result.woken = std::exchange(found_woken, false) || result.woken;
}

tl::unexpected<SlotError> WaitSet::State::keep_found(const WaitSetResult& result, SlotError error) {
  // PeerDied is reported once and wake() once: a wait that fails after finding them keeps them for
  // the next wait or poll.
  const std::lock_guard lock(found_mutex);
  for (const WaitSetEvent& e : result.events) {
    if (e.kind == WaitSetEventKind::PeerDied) found_died.push_back(e);
  }
  found_woken = found_woken || result.woken;
  return tl::unexpected(error);
}

tl::expected<WaitSetResult, SlotError> WaitSet::State::run(const WaitLimit& limit) {
  if (vectored_refused) return fail(SlotErrorCode::Unsupported);
  WaitSetResult result;
  take_found(result);
  // A stop request ends the sleep at once (interrupt) without looking like a wake().
  const std::stop_callback on_stop(limit.stop, [this] { interrupt(); });
  bool woke_up = false;
  for (;;) {
    // SYNC: seq_cst; read before the wake flag and the look: a wake() or stop after this read moves
    // `local` past it, so the sleep below does not begin (or ends).
    const std::uint32_t local_seen = local.load(std::memory_order_seq_cst);
    if (limit.stop.stop_requested()) return keep_found(result, SlotError::of(SlotErrorCode::Stopped));
    if (wake_requested.exchange(false, std::memory_order_seq_cst)) result.woken = true;
    reap_due(Clock::now(), result.events);
    if (std::exchange(woke_up, false) || result.woken || !result.events.empty()) {
      // After a wake-up, one look before announcing again: what woke the set is usually there, and
      // finding it unannounced spares the writers the wake-up a standing announcement costs them.
      if (auto looked = look(result.events); !looked) return keep_found(result, looked.error());
      if (result.woken || !result.events.empty()) return result;
    }
    // Relaxed: only this thread (the waiting one) changes it.
    const bool vectored = mode.load(std::memory_order_relaxed) == WaitSetMode::Vectored;
    // Announced before the look: a commit or mark_read after the look finds the announcement and
    // moves the word the sleep below compares (docs/protocol.md, "Notification").
    const Announcements announced(segments, vectored ? segments.size() : std::min<std::size_t>(segments.size(), 1));
    if (auto looked = look(result.events); !looked) return keep_found(result, looked.error());
    if (!result.events.empty()) return result;
    const auto now = Clock::now();
    if (now >= limit.deadline) return fail(SlotErrorCode::TimedOut);

    std::chrono::nanoseconds timeout = std::min<std::chrono::nanoseconds>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(limit.deadline - now),
        std::max(limit.max_sleep, kShortestSleep));
    for (const Segment& s : segments) timeout = std::min(timeout, s.half_lease);

    // `local` rides in the vector while there is room for it; otherwise (and in SingleWord mode)
    // interrupt() wakes this sleep through the first segment's counter.
    const bool local_in_sleep = segments.empty() || (vectored && segments.size() < kMaxSegments);
    std::optional<SleepingOn> sleeping;
    if (!local_in_sleep) {
      sleeping.emplace(*this, segments.front().backend);
      // After naming the backend (see interrupt()): a wake or stop from now on moves its counter.
      if (limit.stop.stop_requested() || wake_requested.load(std::memory_order_seq_cst)) continue;
    }
    woke_up = true;
    if (segments.empty()) {
      platform::futex_wait(local, local_seen, timeout);
    } else if (vectored) {
      std::vector<platform::FutexWaitWord> words;
      words.reserve(segments.size() + 1);
      for (std::size_t i = 0; i < segments.size(); ++i) words.push_back({segments[i].word, announced.expected(i)});
      if (local_in_sleep) words.push_back({&local, local_seen});
      const platform::WaitvOutcome slept = platform::futex_waitv(words, timeout);
      if (slept == platform::WaitvOutcome::Failed) return fail(SlotErrorCode::Unsupported);
      if (slept == platform::WaitvOutcome::Unsupported) {
        // Refused after the probe allowed it (a filter installed since): single words from now on.
        if (vectored_forced) return fail(SlotErrorCode::Unsupported);
        mode.store(WaitSetMode::SingleWord, std::memory_order_relaxed);
      }
    } else {
      if (segments.size() > 1) timeout = std::min(timeout, options.poll_interval);
      platform::futex_wait(*segments.front().word, announced.expected(0), timeout);
    }
    // Leaving the scope withdraws the announcements (after the sleep) and clears sleeping_on.
  }
}

WaitSet::WaitSet(WaitSetOptions options) : state_(std::make_unique<State>(options)) {}

WaitSet::~WaitSet() { close_event_fd(); }

tl::expected<std::size_t, SlotError> WaitSet::add_reader(SlotBackend& backend, std::uint32_t reader_index) {
  if (reader_index >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  State::Member m;
  m.backend = &backend;
  m.reader = reader_index;
  return state_->add(m);
}

tl::expected<std::size_t, SlotError> WaitSet::add_writer(SlotBackend& backend, std::optional<ReaderMask> active) {
  State::Member m;
  m.backend = &backend;
  m.writer = true;
  m.active = active;
  return state_->add(m);
}

tl::expected<void, SlotError> WaitSet::remove(std::size_t id) {
  State& s = *state_;
  if (s.event_fd) return fail(SlotErrorCode::Unsupported);
  if (id >= s.members.size() || !s.members[id]) return fail(SlotErrorCode::OutOfBounds);
  const State::Member m = *s.members[id];
  s.members[id].reset();
  auto seg = std::find_if(s.segments.begin(), s.segments.end(), [&](const State::Segment& g) { return g.word == m.word; });
  if (m.writer) --seg->writers;
  if (--seg->members == 0) {
    s.segments.erase(seg);
  } else if (seg->backend == m.backend) {
    // Another member's backend maps the same word; the removed one may be destroyed next.
    for (const auto& other : s.members) {
      if (other && other->word == m.word) {
        seg->backend = other->backend;
        break;
      }
    }
  }
  return {};
}

std::size_t WaitSet::size() const {
  return static_cast<std::size_t>(
      std::count_if(state_->members.begin(), state_->members.end(), [](const auto& m) { return m.has_value(); }));
}

std::size_t WaitSet::segment_count() const { return state_->segments.size(); }

tl::expected<WaitSetResult, SlotError> WaitSet::wait(const WaitLimit& limit) {
  if (state_->event_fd) return fail(SlotErrorCode::Unsupported);
  return state_->run(limit);
}

tl::expected<WaitSetResult, SlotError> WaitSet::poll() {
  State& s = *state_;
  WaitSetResult result;
  {
    const std::lock_guard lock(s.found_mutex);
    if (s.found_error) return tl::unexpected(*std::exchange(s.found_error, std::nullopt));
  }
  s.take_found(result);
  if (!s.event_fd && s.wake_requested.exchange(false, std::memory_order_seq_cst)) result.woken = true;
  if (auto looked = s.look(result.events); !looked) return s.keep_found(result, looked.error());
  return result;
}

void WaitSet::wake() { state_->request_wake(); }

// Relaxed: a report; the value only ever moves from Vectored to SingleWord.
WaitSetMode WaitSet::mode() const { return state_->mode.load(std::memory_order_relaxed); }

}  // namespace shmslot

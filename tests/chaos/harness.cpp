#include "chaos/harness.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "chaos/ring_probe.hpp"
#include "chaos/roles.hpp"
#include "recovery/recovery_roles.hpp"
#include "support/syscall_stepper.hpp"

namespace shmslot::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long anything may take before the harness calls it a hang. Never a performance bound: each
// is many leases long, and reaching one is a violation (a stall).
constexpr auto kWatchdog = 20s;
// How long an aimed kill waits for its phase before it kills wherever the child is.
constexpr auto kAimTimeout = 3s;

bool wait_for(const std::function<bool()>& done, Clock::duration watchdog) {
  const auto deadline = Clock::now() + watchdog;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20us);
  }
}

std::string landing_text(const test::SteppingOutcome& outcome) {
  return test::syscall_name(outcome.at.number) + (outcome.at.entry ? " (entry)" : " (exit)");
}

// The invariant a child's report names ("torn: ..."), or what its exit says.
std::string invariant_of(const std::string& note, const std::optional<int>& result) {
  static const char* const kKnown[] = {"torn", "order", "loss",     "history",    "stall",
                                       "api",  "setup", "recreate", "uncommitted"};
  for (const char* k : kKnown) {
    const std::string prefix = std::string(k) + ":";
    if (note.rfind(prefix, 0) == 0) return k;
  }
  return result && *result >= 128 ? "crash" : "exit";
}

// The system-call stop to kill at: below the most stops a call of the phase was seen to make. A phase
// never measured, and every eighth aim after, lets one call run through to count them.
std::uint32_t aim_syscall(const Board& board, Phase phase, std::uint64_t draw) {
  const std::uint32_t seen = board.seen[static_cast<int>(phase)].load(std::memory_order_relaxed);
  if (seen == 0 || draw % 8 == 7) return 0xFFFFFFFF;
  return 1 + static_cast<std::uint32_t>((draw / 8) % seen);
}

void learn(Board& board, Phase phase, std::uint32_t stops) {
  auto& seen = board.seen[static_cast<int>(phase)];
  std::uint32_t old = seen.load(std::memory_order_relaxed);
  while (stops > old && !seen.compare_exchange_weak(old, stops, std::memory_order_relaxed)) {
  }
}

}  // namespace

Harness::Harness(const Options& options, Report& report)
    : opt_(options),
      report_(report),
      rng_(options.seed),
      start_(Clock::now()),
      flink_(dir_.flink("chaos")),
      leftovers_(dir_.path(), flink_) {}

Harness::~Harness() {
  // Children first (their destructors SIGKILL and reap), then whatever they left.
  extra_ = Child();
  writer_ = Child();
  for (Child& r : readers_) r = Child();
  owner_ = Child();
  zombies_.clear();
  leftovers_.remove_all();
}

std::string Harness::context() const {
  return "seed " + std::to_string(opt_.seed) + ", epoch " + std::to_string(epoch_) + ", round " +
         std::to_string(round_) + (round_log_.empty() ? "" : "; kills this round: " + round_log_);
}

bool Harness::time_up() const { return opt_.time_limit.count() > 0 && Clock::now() - start_ >= opt_.time_limit; }

bool Harness::done() const {
  return report_.kills() >= opt_.kills || time_up() || (opt_.stop_on_violation && report_.violations() > 0);
}

SegmentShape Harness::shape() const {
  SegmentShape s;
  s.flink = flink_;
  s.slots = opt_.slots;
  s.capacity = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) - kSlotHeaderSize;
  s.lease = opt_.lease;
  return s;
}

// ---- the run ------------------------------------------------------------------------------------

void Harness::run() {
  std::uint64_t next_progress = 1000;
  int failed_in_a_row = 0;
  while (!done()) {
    if (!begin_epoch(true)) {
      abort_epoch();
      // A path on which no segment can be created any more ends the run rather than looping.
      if (++failed_in_a_row == 5) {
        std::fprintf(stderr, "five epochs in a row could not start: the run stops here\n");
        break;
      }
      continue;
    }
    failed_in_a_row = 0;
    const auto rounds = static_cast<int>(1 + random(5));
    // A third of the owners are killed while others use their segment, in one of the rounds.
    const int owner_round = enabled(opt_, KillPoint::OwnerIdle) && random(3) == 0
                                ? static_cast<int>(random(static_cast<std::uint64_t>(rounds)))
                                : -1;
    bool ok = true;
    for (int r = 0; r < rounds && ok && !done(); ++r) ok = run_round(r == owner_round);
    if (ok) ok = end_epoch(!done());
    if (!ok) abort_epoch();
    if (report_.kills() >= next_progress) {
      std::fprintf(stderr, "... %llu kills, %zu violations, %.0f s\n", static_cast<unsigned long long>(report_.kills()),
                   report_.violations(), std::chrono::duration<double>(Clock::now() - start_).count());
      next_progress += 1000;
    }
  }
  // The last owner must leave cleanly, so that "nothing left" can be checked: if it was killed,
  // one more epoch re-creates the segment over its remains and ends it without kills.
  if (!owner_left_cleanly_) {
    ++report_.rounds;
    if (!begin_epoch(false) || !quiesce() || !end_epoch(false)) abort_epoch();
  }
  final_check();
}

bool Harness::begin_epoch(bool owner_kills) {
  ++epoch_;
  ++report_.epochs;
  round_ = 0;
  round_log_.clear();
  writers_.clear();
  if (hooks.before_create) hooks.before_create();
  // Owners killed inside create; each next create must clear what they left.
  for (int i = 0; owner_kills && enabled(opt_, KillPoint::OwnerCreate) && i < 3 && !done() && random(2) == 0; ++i) {
    if (!kill_creating()) break;
  }
  if (!owner_.exists()) start_owner(false);
  const bool created = wait_owner_created();
  if (hooks.after_create) hooks.after_create();
  if (!created) return false;
  shm_name_ = board_->owner.shm_name;
  if (had_owner_ && !owner_left_cleanly_) ++report_.recreated;
  had_owner_ = true;
  owner_alive_ = true;
  owner_left_cleanly_ = false;
  leftovers_.created(shm_name_);
  (void)leftovers_.check_after_create(shm_name_, report_, context());
  report_.settle();
  for (int slot = 0; slot < kReaders; ++slot) {
    if (!start_reader(slot, kNoIndex)) return false;
  }
  return start_writer();
}

bool Harness::run_round(bool kill_owner) {
  ++round_;
  ++report_.rounds;
  round_log_.clear();
  const auto kills = 1 + random(3);
  for (std::uint64_t i = 0; i < kills && !done(); ++i) {
    let_run();
    const auto point = choose_point();
    if (!point) break;  // --points names only kills at epoch boundaries
    if (!kill_at(*point)) return false;
    if (!children_ok()) return false;
  }
  if (kill_owner && owner_alive_) kill_owner_holding();
  if (!children_ok()) return false;
  const bool ok = quiesce();
  if (opt_.verbose) {
    std::fprintf(stderr, "epoch %llu round %llu: %s%s\n", static_cast<unsigned long long>(epoch_),
                 static_cast<unsigned long long>(round_), round_log_.c_str(), ok ? "" : " -- VIOLATION");
  }
  return ok;
}

bool Harness::end_epoch(bool teardown_kill) {
  bool ok = true;
  writer_ended(false);
  board_->writer.child.command.store(static_cast<std::uint32_t>(Command::Leave));
  if (!wait_end(writer_, kWatchdog) || *writer_.result() != 0) {
    child_failed("the writer (leaving)", writer_, board_->writer.child);
    ok = false;
  }
  for (int slot = 0; slot < kReaders; ++slot) {
    board_->readers[slot].child.command.store(static_cast<std::uint32_t>(Command::Leave));
  }
  for (int slot = 0; slot < kReaders; ++slot) {
    if (!wait_end(readers_[slot], kWatchdog) || *readers_[slot].result() != 0) {
      child_failed("reader " + std::to_string(slot) + " (leaving)", readers_[slot], board_->readers[slot].child);
      ok = false;
    }
    absorb(board_->readers[slot]);
  }
  zombies_.clear();
  if (!ok) return false;
  {
    // Nobody is attached now but the harness: a sleeper mark can only be one a reader killed inside
    // wait_for_change left. Counted, then one reap must clear every such mark, or every later commit
    // of the segment calls FUTEX_WAKE for nobody.
    auto observer = PosixSlotAllocator::attach(flink_);
    if (observer) {
      report_.waiters_left(observer->snapshot().waiters);
      observer->reap();
      const std::uint32_t after = observer->snapshot().waiters;
      if (after != 0) {
        report_.violation("sleeper",
                          std::to_string(after) + " sleeper mark(s) left after every process had left and a reap ran",
                          context());
        ok = false;
      }
    }
  }
  if (!owner_alive_) return ok;  // killed holding it: the next create clears what it left
  if (teardown_kill && ptrace_ok_ && enabled(opt_, KillPoint::OwnerTeardown) && random(3) == 0) {
    board_->owner.child.command.store(static_cast<std::uint32_t>(Command::LeaveTraced));
    const std::uint32_t k = aim_syscall(*board_, Phase::Teardown, rng_());
    const auto outcome =
        test::step_syscalls(owner_.pid(), k, [&] { return board_->owner.child.current() == Phase::Teardown; });
    if (outcome.end == test::SteppingOutcome::End::Killed) {
      owner_.reaped_as(outcome.wait_status);
      const Landing landing{true, true, landing_text(outcome)};
      log_kill(KillPoint::OwnerTeardown, "owner pid " + std::to_string(owner_.pid()), landing);
      leftovers_.owner_ended(shm_name_, Leftovers::Origin::KilledTearingDown, "killed at " + landing.where);
      owner_alive_ = false;
      owner_ = Child();
      return ok;
    }
    if (outcome.end == test::SteppingOutcome::End::Detached) learn(*board_, Phase::Teardown, outcome.stops);
    if (outcome.end == test::SteppingOutcome::End::Exited) owner_.reaped_as(outcome.wait_status);
  } else {
    board_->owner.child.command.store(static_cast<std::uint32_t>(Command::Leave));
  }
  if (!wait_end(owner_, kWatchdog) || *owner_.result() != 0) {
    child_failed("the owner (leaving)", owner_, board_->owner.child);
    return false;
  }
  owner_alive_ = false;
  owner_left_cleanly_ = true;
  leftovers_.owner_ended(shm_name_, Leftovers::Origin::LeftCleanly);
  const bool clean = leftovers_.check_clean_exit(shm_name_, report_, context());
  report_.settle();
  return clean && ok;
}

void Harness::abort_epoch() {
  // Not chaos kills: the epoch is unusable after a violation. Its segment is left as a killed
  // owner leaves it, and the next create must clear it like any other.
  extra_ = Child();
  writer_ended(true);
  writer_ = Child();
  for (int slot = 0; slot < kReaders; ++slot) {
    absorb(board_->readers[slot]);
    readers_[slot] = Child();
  }
  zombies_.clear();
  if (owner_.exists()) {
    owner_.kill_and_reap();
    if (!shm_name_.empty()) leftovers_.owner_ended(shm_name_, Leftovers::Origin::KilledHolding);
  }
  owner_ = Child();
  owner_alive_ = false;
  owner_left_cleanly_ = false;
  report_.settle();
}

bool Harness::final_check() {
  // What is left is reported and removed by the check; the flink directory is empty afterwards.
  const bool ok = leftovers_.check_final(report_, "seed " + std::to_string(opt_.seed) + ", after the last owner left");
  report_.settle();
  return ok;
}

// ---- rounds ------------------------------------------------------------------------------------

std::optional<KillPoint> Harness::choose_point() {
  // By weight among the points used inside rounds (the owner's are at epoch boundaries).
  unsigned total = 0;
  for (int p = 0; p < kKillPoints; ++p) {
    const auto point = static_cast<KillPoint>(p);
    if (enabled(opt_, point)) total += info(point).weight;
  }
  if (total == 0) return std::nullopt;
  auto pick = static_cast<unsigned>(random(total));
  for (int p = 0; p < kKillPoints; ++p) {
    const auto point = static_cast<KillPoint>(p);
    if (!enabled(opt_, point)) continue;
    if (pick < info(point).weight) return point;
    pick -= info(point).weight;
  }
  return std::nullopt;
}

void Harness::let_run() {
  // A few samples between two kills, so that every kill lands in a stream that moves.
  const std::uint64_t from = board_->writer.committed.load();
  const std::uint32_t id = board_->writer.incarnation.load();
  const auto samples = 1 + random(2 * opt_.slots);
  (void)wait_for(
      [&] { return board_->writer.incarnation.load() != id || board_->writer.committed.load() >= from + samples; },
      300ms);
  std::this_thread::sleep_for(std::chrono::microseconds(random(2000)));
}

bool Harness::kill_at(KillPoint point) {
  switch (point) {
    case KillPoint::ReaderNextUnread:
    case KillPoint::ReaderCopyRead:
    case KillPoint::ReaderPin:
    case KillPoint::ReaderHolding:
    case KillPoint::ReaderMarkRead:
    case KillPoint::ReaderWaiting:
    case KillPoint::ReaderRandom: return kill_reader(point);
    case KillPoint::ReaderLeave: return kill_reader_leaving();
    case KillPoint::Attach: return kill_attaching();
    case KillPoint::Register: return kill_registering();
    case KillPoint::WriterReserve:
    case KillPoint::WriterMidLoan:
    case KillPoint::WriterCommit:
    case KillPoint::WriterWriteBp:
    case KillPoint::WriterRandom: return kill_writer(point);
    case KillPoint::WriterBlocked: return kill_writer_blocked();
    case KillPoint::OwnerCreate:
    case KillPoint::OwnerIdle:
    case KillPoint::OwnerTeardown:
    case KillPoint::kCount: break;
  }
  return true;
}

bool Harness::quiesce() {
  const std::size_t before = report_.violations();
  const std::string ctx = context();
  board_->writer.child.command.store(static_cast<std::uint32_t>(Command::Pause));
  // A writer that makes no progress for 20 leases is looked at once, as readers are in drain().
  std::uint64_t last_committed = board_->writer.committed.load();
  auto last_move = Clock::now();
  bool looked = false;
  std::string gap_stall;
  const bool paused = wait_for(
      [&] {
        if (board_->writer.child.state.load() == static_cast<std::uint32_t>(RunState::Paused) || someone_ended()) {
          return true;
        }
        const std::uint64_t committed = board_->writer.committed.load();
        if (committed != last_committed) {
          last_committed = committed;
          last_move = Clock::now();
        } else if (!looked && Clock::now() - last_move > 20 * opt_.lease) {
          looked = true;
          gap_stall = diagnose_blocked_writer();
          return !gap_stall.empty();
        }
        return false;
      },
      kWatchdog);
  if (!children_ok()) return false;
  if (!gap_stall.empty()) {
    report_.violation("gap-stall", gap_stall, ctx);
    return false;
  }
  if (!paused) {
    const auto ring = read_ring(shm_name_);
    report_.violation(
        "stall",
        "the writer did not pause within 20 s: " + std::string(to_string(board_->writer.child.current())) + ", " +
            std::to_string(board_->writer.committed.load()) + " commits; order ring " +
            (ring ? ring->text() + ", next sequence " + std::to_string(ring->next_sequence) : "unreadable") + "; " +
            describe_readers(),
        ctx);
    return false;
  }
  {
    // Attached only while the checks run: no child forked later inherits the mapping.
    auto observer = PosixSlotAllocator::attach(flink_);
    if (!observer) {
      report_.violation("setup", "the harness could not attach: " + observer.error().message(), ctx);
      return false;
    }
    if (!check_quiesced(*observer, ctx)) return false;
  }
  zombies_.clear();
  const std::uint32_t current = board_->writer.incarnation.load();
  for (std::uint32_t& settled : settled_through_) settled = current - 1;
  board_->writer.child.command.store(static_cast<std::uint32_t>(Command::Run));
  const bool ok = report_.violations() == before;
  report_.rounds_checked += ok ? 1 : 0;
  report_.settle();
  return ok;
}

bool Harness::drain(PosixSlotAllocator& observer, const std::string& ctx) {
  // Readers that stop moving for 20 leases are looked at once: a known stall is reported as such at
  // once; any other is waited for up to the watchdog.
  std::string lagging;
  std::vector<std::uint64_t> cursors;
  std::vector<std::uint64_t> last_cursors;
  auto last_move = Clock::now();
  bool looked = false;
  std::string gap_stall;
  const bool drained = wait_for(
      [&] {
        if (someone_ended()) return true;  // children_ok() below says who
        const std::uint64_t next = observer.snapshot().next_sequence;
        lagging.clear();
        cursors.clear();
        for (int slot = 0; slot < kReaders; ++slot) {
          const ReaderBoard& rb = board_->readers[slot];
          auto stats = observer.reader_stats(rb.index.load());
          const std::uint64_t cursor = stats ? stats->cursor : 0;
          cursors.push_back(cursor);
          if (cursor != next || rb.child.current() != Phase::Waiting) {
            lagging += " reader " + std::to_string(slot) + " (index " + std::to_string(rb.index.load()) + ", pid " +
                       std::to_string(readers_[slot].pid()) + ") at cursor " + std::to_string(cursor) + ", " +
                       to_string(rb.child.current()) + ";";
          }
        }
        if (lagging.empty()) return true;
        lagging = "next sequence " + std::to_string(next) + ":" + lagging;
        if (cursors != last_cursors) {
          last_cursors = cursors;
          last_move = Clock::now();
        } else if (!looked && Clock::now() - last_move > 20 * opt_.lease) {
          looked = true;
          gap_stall = diagnose_gap_stall(cursors, next);
          return !gap_stall.empty();
        }
        return false;
      },
      drain_watchdog_);
  if (!children_ok()) return false;
  if (!gap_stall.empty()) {
    report_.violation("gap-stall", gap_stall + "; " + lagging, ctx);
    return false;
  }
  if (!drained) {
    const auto ring = read_ring(shm_name_);
    report_.violation("stall",
                      "the readers did not drain a paused writer's samples within " +
                          std::to_string(drain_watchdog_.count()) + " ms: " + lagging + " order ring " +
                          (ring ? ring->text() : "unreadable"),
                      ctx);
    return false;
  }
  return true;
}

std::string Harness::describe_readers() const {
  auto observer = PosixSlotAllocator::attach(flink_);
  std::string out;
  for (int slot = 0; slot < kReaders; ++slot) {
    const ReaderBoard& rb = board_->readers[slot];
    auto stats = observer ? observer->reader_stats(rb.index.load()) : tl::unexpected(SlotError{});
    out += (slot == 0 ? "" : ", ") + std::string("reader ") + std::to_string(slot) + " at cursor " +
           (stats ? std::to_string(stats->cursor) : "?") + " (" + to_string(rb.child.current()) + ")";
  }
  return out;
}

std::string Harness::diagnose_blocked_writer() const {
  auto observer = PosixSlotAllocator::attach(flink_);
  if (!observer) return "";
  std::vector<std::uint64_t> cursors;
  for (const ReaderBoard& rb : board_->readers) {
    auto stats = observer->reader_stats(rb.index.load());
    if (!stats) return "";
    cursors.push_back(stats->cursor);
  }
  const std::string stall = diagnose_gap_stall(cursors, observer->snapshot().next_sequence);
  if (stall.empty()) return "";
  return "the writer waits for a free slot (" + std::string(to_string(board_->writer.child.current())) + ") while " +
         stall + "; that sample needs a free slot: a deadlock no lease or reap ends";
}

std::string Harness::diagnose_gap_stall(const std::vector<std::uint64_t>& cursors, std::uint64_t next) const {
  // Every lagging reader must be held by the ring (ring_probe.hpp), or it is some other stall.
  const auto ring = read_ring(shm_name_);
  if (!ring) return "";
  std::string out;
  for (const std::uint64_t s : cursors) {
    if (s >= next) continue;
    const std::string why = ring->why_stuck(s);
    if (why.empty()) return "";
    if (out.find(why) == std::string::npos) out += (out.empty() ? "" : "; ") + why;
  }
  if (out.empty()) return "";
  return "readers wait for over 20 leases with " + std::to_string(next) + " numbers taken, held by the order ring " +
         ring->text() + ": " + out;
}

bool Harness::check_quiesced(PosixSlotAllocator& observer, const std::string& ctx) {
  if (hooks.before_drain) hooks.before_drain(observer);
  if (!drain(observer, ctx)) return false;
  writer_ended(false);
  std::vector<DrainedReader> drained_readers;
  SegmentExpectation expected;
  expected.owner_alive = owner_alive_;
  for (int slot = 0; slot < kReaders; ++slot) {
    const std::uint32_t index = board_->readers[slot].index.load();
    expected.readers[index] = readers_[slot].pid();
    drained_readers.push_back(DrainedReader{"reader " + std::to_string(slot) + " (pid " +
                                                std::to_string(readers_[slot].pid()) + ", index " +
                                                std::to_string(index) + ")",
                                            &board_->readers[slot], &settled_through_[slot]});
  }
  (void)check_streams(writers_, drained_readers, report_, ctx);
  if (hooks.before_checks) hooks.before_checks(observer);
  (void)check_segment(observer, expected, report_, ctx);
  if (hooks.after_checks) hooks.after_checks(observer);
  return true;
}

// ---- processes ---------------------------------------------------------------------------------

void Harness::start_owner(bool traced) {
  board_->owner.reset();
  OwnerPlan plan{shape(), traced};
  OwnerBoard& ob = board_->owner;
  owner_ = Child([plan, &ob] { return run_owner(plan, ob); });
}

bool Harness::wait_owner_created() {
  const bool created = wait_for([&] { return board_->owner.created.load() != 0 || owner_.poll(); }, kWatchdog);
  if (created && board_->owner.created.load() != 0) return true;
  child_failed("the owner (creating)", owner_, board_->owner.child);
  if (!owner_.result()) owner_.kill_and_reap();
  owner_ = Child();
  return false;
}

bool Harness::start_reader(int slot, std::uint32_t explicit_index) {
  ReaderBoard& rb = board_->readers[slot];
  rb.reset();
  rb.way.store(static_cast<std::uint32_t>(ways_[slot]));
  rb.explicit_index.store(explicit_index);
  ReaderPlan plan;
  plan.flink = flink_;
  plan.seed = rng_();
  Board& shared = *board_;
  readers_[slot] = Child([plan, &rb, &shared] { return run_reader(plan, rb, shared); });
  settled_through_[slot] = 0;
  const bool running = wait_for(
      [&] { return rb.child.state.load() == static_cast<std::uint32_t>(RunState::Running) || readers_[slot].poll(); },
      kWatchdog);
  if (running && readers_[slot].exists()) return true;
  child_failed("reader " + std::to_string(slot) + " (starting)", readers_[slot], rb.child);
  return false;
}

bool Harness::start_writer() {
  WriterBoard& wb = board_->writer;
  wb.reset();
  const std::uint32_t id = next_writer_id_++;
  wb.incarnation.store(id);
  writers_.push_back(WriterLife{id, 0, 0, false});
  ++report_.writer_incarnations;
  WriterPlan plan{flink_, rng_()};
  Board& shared = *board_;
  writer_ = Child([plan, &wb, &shared] { return run_writer(plan, wb, shared); });
  const bool running =
      wait_for([&] { return wb.child.state.load() == static_cast<std::uint32_t>(RunState::Running) || writer_.poll(); },
               kWatchdog);
  if (running && writer_.exists()) return true;
  child_failed("writer " + std::to_string(id) + " (starting)", writer_, wb.child);
  return false;
}

bool Harness::replace_reader(int slot, std::uint32_t index) {
  absorb(board_->readers[slot]);
  readers_[slot].kill_and_reap();
  return start_reader(slot, index);
}

bool Harness::wait_end(Child& child, std::chrono::milliseconds watchdog) {
  if (!child.exists()) return child.result().has_value();
  if (wait_for([&] { return child.poll(); }, watchdog)) return true;
  child.kill_and_reap();
  report_.violation("stall",
                    "pid " + std::to_string(child.pid()) + " did not end within " + std::to_string(watchdog.count()) +
                        " ms of being told to leave",
                    context());
  return false;
}

bool Harness::someone_ended() {
  bool ended = writer_.pid() > 0 && writer_.poll();
  for (Child& r : readers_) ended = (r.pid() > 0 && r.poll()) || ended;
  if (owner_alive_) ended = (owner_.pid() > 0 && owner_.poll()) || ended;
  return ended;
}

bool Harness::children_ok() {
  bool ok = true;
  // Every child in these places is one the harness has not killed: if it ended, it failed.
  auto check = [&](const std::string& who, Child& child, const ChildBoard& board) {
    if (child.pid() > 0 && child.poll()) {
      child_failed(who, child, board);
      ok = false;
    }
  };
  check("the writer", writer_, board_->writer.child);
  for (int slot = 0; slot < kReaders; ++slot)
    check("reader " + std::to_string(slot), readers_[slot], board_->readers[slot].child);
  if (owner_alive_) check("the owner", owner_, board_->owner.child);
  return ok;
}

void Harness::child_failed(const std::string& who, Child& child, const ChildBoard& board) {
  const std::string note = board.failure.message();
  report_.violation(invariant_of(note, child.result()),
                    who + " (pid " + std::to_string(child.pid()) + ") ended on its own, " +
                        describe_result(child.result()) + (note.empty() ? "" : ": " + note),
                    context());
}

void Harness::dispose(Child& child) {
  // A quarter of the dead stay zombies until the round ends: the library must take a killed process
  // that nobody has waited for yet as dead (docs/recovery.md, "Who is alive"). A SIGKILL takes effect
  // asynchronously, so "killed" here means the process has finished dying: a zombie, or reaped.
  if (random(4) == 0 && wait_for([&] { return test::process_state(child.pid()) == 'Z'; }, kWatchdog)) {
    zombies_.push_back(std::move(child));
  } else {
    child.reap();
    child = Child();
  }
}

void Harness::absorb(ReaderBoard& board) {
  report_.samples += board.samples.exchange(0);
  report_.copies += board.copies.exchange(0);
  report_.zero_copies += board.zero_copies.exchange(0);
  report_.holds += board.holds.exchange(0);
  report_.overwritten += board.overwritten.exchange(0);
}

void Harness::writer_ended(bool killed) {
  if (writers_.empty()) return;
  WriterLife& w = writers_.back();
  if (w.id != board_->writer.incarnation.load()) return;
  // SYNC: acquire; pairs with the writer's release store of committed after first_seq.
  w.committed = board_->writer.committed.load(std::memory_order_acquire);
  w.first_seq = board_->writer.first_seq.load(std::memory_order_relaxed);
  w.dead = w.dead || killed;
}

int Harness::pick_reader() { return static_cast<int>(random(kReaders)); }

// ---- aimed kills ------------------------------------------------------------------------------

Harness::Landing Harness::aim_and_kill(Child& child, ChildBoard& board, KillPoint point) {
  const KillPointInfo& i = info(point);
  Landing landing;
  switch (i.aim) {
    case Aim::Access: {
      board.parked.store(0);
      board.draw.store(static_cast<std::uint32_t>(rng_()));
      board.target.store(static_cast<std::uint32_t>(i.phase), std::memory_order_release);
      const bool parked =
          wait_for([&] { return board.parked.load(std::memory_order_acquire) != 0 || child.poll(); }, kAimTimeout);
      if (!child.exists()) return landing;  // ended by itself: children_ok() reports it
      landing.exact = parked;
      landing.where = parked ? "access " + std::to_string(board.parked_access.load())
                             : std::string("missed, in ") + to_string(board.current());
      break;
    }
    case Aim::Observe: {
      board.target.store(static_cast<std::uint32_t>(i.phase), std::memory_order_release);  // steers the child
      const bool seen = wait_for([&] { return board.current() == i.phase || child.poll(); }, kAimTimeout);
      if (!child.exists()) return landing;
      landing.exact = seen;
      landing.where =
          seen ? std::string("in ") + to_string(i.phase) : std::string("missed, in ") + to_string(board.current());
      break;
    }
    case Aim::Random:
    case Aim::Syscall: {
      std::this_thread::sleep_for(std::chrono::microseconds(random(10000)));
      if (child.poll()) return landing;
      landing.exact = true;
      landing.where = std::string("in ") + to_string(board.current());
      break;
    }
  }
  child.kill(SIGKILL);
  landing.killed = true;
  return landing;
}

void Harness::log_kill(KillPoint point, const std::string& who, const Landing& landing) {
  report_.kill(point, landing.exact, landing.where);
  round_log_ += (round_log_.empty() ? "" : "; ") + std::string(info(point).name) + " " + who + " " + landing.where;
}

bool Harness::kill_reader(KillPoint point) {
  const int slot = pick_reader();
  ReaderBoard& rb = board_->readers[slot];
  const std::uint32_t index = rb.index.load();
  const std::string who = "reader " + std::to_string(slot) + " pid " + std::to_string(readers_[slot].pid()) +
                          " index " + std::to_string(index);
  const Landing landing = aim_and_kill(readers_[slot], rb.child, point);
  if (!landing.killed) return children_ok();
  log_kill(point, who, landing);
  absorb(rb);
  dispose(readers_[slot]);
  ++report_.reader_restarts;
  // Half the time the new reader asks for the dead one's index before anyone has reaped it.
  return start_reader(slot, random(2) == 0 ? index : kNoIndex);
}

bool Harness::kill_writer(KillPoint point) {
  const std::string who =
      "writer " + std::to_string(board_->writer.incarnation.load()) + " pid " + std::to_string(writer_.pid());
  const Landing landing = aim_and_kill(writer_, board_->writer.child, point);
  if (!landing.killed) return children_ok();
  log_kill(point, who, landing);
  writer_ended(true);
  dispose(writer_);
  return start_writer();
}

bool Harness::kill_reader_leaving() {
  const int slot = pick_reader();
  ReaderBoard& rb = board_->readers[slot];
  const std::uint32_t index = rb.index.load();
  const std::string who = "reader " + std::to_string(slot) + " pid " + std::to_string(readers_[slot].pid()) +
                          " index " + std::to_string(index);
  rb.child.parked.store(0);
  rb.child.draw.store(static_cast<std::uint32_t>(rng_()));
  rb.child.target.store(static_cast<std::uint32_t>(Phase::Leave));
  rb.child.command.store(static_cast<std::uint32_t>(Command::Leave));
  const bool parked = wait_for([&] { return rb.child.parked.load() != 0 || readers_[slot].poll(); }, kAimTimeout);
  absorb(rb);
  if (readers_[slot].exists()) {
    readers_[slot].kill(SIGKILL);
    const Landing landing{true, parked,
                          parked ? "access " + std::to_string(rb.child.parked_access.load())
                                 : std::string("missed, in ") + to_string(rb.child.current())};
    log_kill(KillPoint::ReaderLeave, who, landing);
    dispose(readers_[slot]);
  } else if (*readers_[slot].result() != 0) {
    child_failed(who + " (leaving)", readers_[slot], rb.child);
    return false;
  }
  ++report_.reader_restarts;
  return start_reader(slot, random(2) == 0 ? index : kNoIndex);
}

bool Harness::kill_writer_blocked() {
  // A reader that stops reading but lives: the writer must wait for it (it is never reaped, the
  // loss check proves it), and is killed asleep on the full segment.
  const int slot = pick_reader();
  ChildBoard& wb = board_->writer.child;
  // Steer the writer to loans (write_bp waits inside the call, where its phase word cannot say so)
  // before the reader stops.
  wb.target.store(static_cast<std::uint32_t>(Phase::WaitSpace));
  (void)wait_for(
      [&] {
        const Phase p = wb.current();
        return p == Phase::Reserve || p == Phase::Fill || p == Phase::Commit || p == Phase::WaitSpace || writer_.poll();
      },
      kAimTimeout);
  readers_[slot].kill(SIGSTOP);
  (void)wait_for([&] { return test::process_state(readers_[slot].pid()) == 'T'; }, kAimTimeout);
  const std::string who = "writer " + std::to_string(board_->writer.incarnation.load()) + " pid " +
                          std::to_string(writer_.pid()) + " (reader " + std::to_string(slot) + " stopped)";
  const bool blocked = wait_for([&] { return wb.current() == Phase::WaitSpace || writer_.poll(); }, kAimTimeout);
  if (blocked && writer_.exists()) {
    // Sometimes for more than a lease: a stopped reader is alive and must be left alone.
    std::this_thread::sleep_for(
        std::chrono::microseconds(random(2 * 1000 * static_cast<std::uint64_t>(opt_.lease.count()))));
  }
  bool ok = true;
  if (writer_.exists()) {
    writer_.kill(SIGKILL);
    log_kill(KillPoint::WriterBlocked, who,
             Landing{true, blocked,
                     blocked ? "asleep on a full segment" : std::string("missed, in ") + to_string(wb.current())});
    writer_ended(true);
    dispose(writer_);
    ok = start_writer();
  }
  readers_[slot].kill(SIGCONT);
  return ok && children_ok();
}

bool Harness::kill_attaching() {
  ReaderBoard& xb = board_->extra;
  xb.reset();
  ReaderPlan plan;
  plan.flink = flink_;
  plan.attach_only = true;
  plan.trace_attach = ptrace_ok_;
  Board& shared = *board_;
  extra_ = Child([plan, &xb, &shared] { return run_reader(plan, xb, shared); });
  const std::string who = "pid " + std::to_string(extra_.pid());
  if (ptrace_ok_) {
    const std::uint32_t k = aim_syscall(*board_, Phase::Attach, rng_());
    const auto outcome = test::step_syscalls(extra_.pid(), k, [&] { return xb.child.current() == Phase::Attach; });
    switch (outcome.end) {
      case test::SteppingOutcome::End::Killed:
        extra_.reaped_as(outcome.wait_status);
        log_kill(KillPoint::Attach, who, Landing{true, true, landing_text(outcome)});
        extra_ = Child();
        return true;
      case test::SteppingOutcome::End::Detached: learn(*board_, Phase::Attach, outcome.stops); break;
      case test::SteppingOutcome::End::Exited: extra_.reaped_as(outcome.wait_status); break;
      case test::SteppingOutcome::End::Failed: break;
    }
    if (extra_.result() && *extra_.result() == kExitNoPtrace) {
      ptrace_ok_ = false;
      report_.ptrace = false;
    }
  } else {
    const bool seen = wait_for([&] { return xb.child.current() == Phase::Attach || extra_.poll(); }, kAimTimeout);
    std::this_thread::sleep_for(std::chrono::microseconds(random(300)));
    if (seen && extra_.exists() && !extra_.poll()) {
      extra_.kill(SIGKILL);
      log_kill(KillPoint::Attach, who,
               Landing{true, false, std::string("random delay, in ") + to_string(xb.child.current())});
      extra_.reap();
      extra_ = Child();
      return true;
    }
  }
  // Attached before the aim: it leaves by itself.
  const bool ended = wait_end(extra_, kWatchdog);
  const bool ok = ended && (*extra_.result() == 0 || *extra_.result() == kExitNoPtrace);
  if (!ok) child_failed("an attaching process", extra_, xb.child);
  extra_ = Child();
  return ok;
}

bool Harness::kill_registering() {
  ReaderBoard& xb = board_->extra;
  xb.reset();
  xb.child.draw.store(static_cast<std::uint32_t>(rng_()));
  xb.child.target.store(static_cast<std::uint32_t>(Phase::Register));
  ReaderPlan plan;
  plan.flink = flink_;
  plan.register_only = true;
  Board& shared = *board_;
  extra_ = Child([plan, &xb, &shared] { return run_reader(plan, xb, shared); });
  const std::string who = "pid " + std::to_string(extra_.pid());
  const bool parked = wait_for([&] { return xb.child.parked.load() != 0 || extra_.poll(); }, kAimTimeout);
  if (extra_.exists()) {
    extra_.kill(SIGKILL);
    log_kill(KillPoint::Register, who,
             Landing{true, parked,
                     parked ? "access " + std::to_string(xb.child.parked_access.load())
                            : std::string("missed, in ") + to_string(xb.child.current())});
    dispose(extra_);
    extra_ = Child();
    return true;
  }
  // Registered (and left) before the aim.
  const bool ok = *extra_.result() == 0;
  if (!ok) child_failed("a registering process", extra_, xb.child);
  extra_ = Child();
  return ok;
}

bool Harness::kill_creating() {
  const std::string who_prefix = "owner pid ";
  if (ptrace_ok_) {
    start_owner(true);
    const std::uint32_t k = aim_syscall(*board_, Phase::Create, rng_());
    const auto outcome =
        test::step_syscalls(owner_.pid(), k, [&] { return board_->owner.child.current() == Phase::Create; });
    switch (outcome.end) {
      case test::SteppingOutcome::End::Killed: {
        owner_.reaped_as(outcome.wait_status);
        const Landing landing{true, true, landing_text(outcome)};
        log_kill(KillPoint::OwnerCreate, who_prefix + std::to_string(owner_.pid()), landing);
        leftovers_.killed_creating(owner_.pid(), outcome.open_files, "killed at " + landing.where);
        owner_ = Child();
        return true;
      }
      case test::SteppingOutcome::End::Detached: learn(*board_, Phase::Create, outcome.stops); return false;
      case test::SteppingOutcome::End::Exited: owner_.reaped_as(outcome.wait_status); break;
      case test::SteppingOutcome::End::Failed: break;
    }
    if (owner_.result() && *owner_.result() == kExitNoPtrace) {
      ptrace_ok_ = false;
      report_.ptrace = false;
    }
    owner_ = Child();
    return false;
  }
  // No ptrace: stop the owner at a random moment inside create, look at what it has open, kill it.
  start_owner(false);
  const bool seen =
      wait_for([&] { return board_->owner.child.current() == Phase::Create || owner_.poll(); }, kAimTimeout);
  std::this_thread::sleep_for(std::chrono::microseconds(random(400)));
  if (!seen || !owner_.exists()) return false;
  owner_.kill(SIGSTOP);
  (void)wait_for([&] { return test::process_state(owner_.pid()) == 'T'; }, kAimTimeout);
  if (board_->owner.created.load() != 0) {
    owner_.kill(SIGCONT);  // created before the stop: it is this epoch's owner
    return false;
  }
  const auto files = test::open_files(owner_.pid());
  owner_.kill_and_reap();
  const Landing landing{true, false, "random delay inside create"};
  log_kill(KillPoint::OwnerCreate, who_prefix + std::to_string(owner_.pid()), landing);
  leftovers_.killed_creating(owner_.pid(), files, "killed at a random moment inside create");
  owner_ = Child();
  return true;
}

void Harness::kill_owner_holding() {
  std::this_thread::sleep_for(std::chrono::microseconds(random(3000)));
  const std::string who = "owner pid " + std::to_string(owner_.pid());
  owner_.kill(SIGKILL);
  log_kill(KillPoint::OwnerIdle, who, Landing{true, true, "holding its segment"});
  leftovers_.owner_ended(shm_name_, Leftovers::Origin::KilledHolding);
  owner_alive_ = false;
  dispose(owner_);
  owner_ = Child();
}

}  // namespace shmslot::chaos

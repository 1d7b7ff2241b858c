// The chaos run. An epoch is one segment's life: its owner creates it at the run's flink path (some
// owners are killed inside create first), three readers and one writer join, then come rounds, and the
// owner leaves (or is killed holding it, or inside its teardown); the next epoch's create must clear
// what a killed owner left. A round is a few kills, each followed by the restart of its victim, then
// the quiesce: the writer pauses, the readers drain, and every invariant is checked.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <shmslot/shmslot.hpp>

#include "chaos/board.hpp"
#include "chaos/child.hpp"
#include "chaos/leftovers.hpp"
#include "chaos/options.hpp"
#include "chaos/report.hpp"
#include "chaos/roles.hpp"
#include "chaos/round_checks.hpp"
#include "multiprocess/process_group.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::chaos {

class Harness {
 public:
  Harness(const Options& options, Report& report);
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  // Epochs until the kills are done or the time is up; then the last owner leaves cleanly and
  // nothing may be left behind.
  void run();

  // The steps run() strings together; the self-test drives them one by one. Each returns false
  // when it recorded a violation that leaves the epoch unusable (abort_epoch() then cleans up).
  bool begin_epoch(bool owner_kills);
  bool run_round(bool kill_owner);
  bool quiesce();
  bool end_epoch(bool teardown_kill);
  void abort_epoch();
  bool final_check();

  // Hooks and handles for the self-test's injected faults.
  struct Hooks {
    std::function<void(PosixSlotAllocator&)> before_drain;   // writer paused, readers not yet drained
    std::function<void(PosixSlotAllocator&)> before_checks;  // drained, nothing checked yet
    std::function<void(PosixSlotAllocator&)> after_checks;
    std::function<void()> before_create;  // the owner about to create
    std::function<void()> after_create;
  };
  Hooks hooks;
  void set_reader_way(int slot, ReadWay way) { ways_[slot] = way; }
  void set_drain_watchdog(std::chrono::milliseconds d) { drain_watchdog_ = d; }
  Board& board() { return *board_; }
  Child& reader(int slot) { return readers_[slot]; }
  Child& owner() { return owner_; }
  Leftovers& leftovers() { return leftovers_; }
  const std::string& flink() const { return flink_; }
  const std::string& flink_dir() const { return dir_.path(); }
  const std::string& shm_name() const { return shm_name_; }
  // Kills reader `slot` (not counted as a chaos kill) and starts a new one in its place, registered
  // with `index` (kNoIndex: the lowest free one).
  bool replace_reader(int slot, std::uint32_t index);
  std::string context() const;

 private:
  struct Landing {
    bool killed = false;  // false: it ended by itself first, or the aimed call finished
    bool exact = false;
    std::string where;
  };

  bool time_up() const;
  bool done() const;
  std::mt19937_64::result_type random(std::uint64_t below) { return rng_() % below; }
  SegmentShape shape() const;
  std::optional<KillPoint> choose_point();
  void let_run();
  bool kill_at(KillPoint point);
  bool check_quiesced(PosixSlotAllocator& observer, const std::string& context);
  bool drain(PosixSlotAllocator& observer, const std::string& context);
  std::string diagnose_gap_stall(const std::vector<std::uint64_t>& cursors, std::uint64_t next) const;
  std::string diagnose_blocked_writer() const;
  std::string describe_readers() const;

  // Processes.
  void start_owner(bool traced);
  bool wait_owner_created();
  bool start_reader(int slot, std::uint32_t explicit_index);
  bool start_writer();
  bool wait_end(Child& child, std::chrono::milliseconds watchdog);
  bool children_ok();
  bool someone_ended();  // polls without reporting
  void child_failed(const std::string& who, Child& child, const ChildBoard& board);
  void dispose(Child& child);  // a killed child: reaped now, or left a zombie until the quiesce
  void absorb(ReaderBoard& board);
  void writer_ended(bool killed);
  int pick_reader();

  // Aimed kills.
  Landing aim_and_kill(Child& child, ChildBoard& board, KillPoint point);
  bool kill_reader(KillPoint point);
  bool kill_writer(KillPoint point);
  bool kill_reader_leaving();
  bool kill_writer_blocked();
  bool kill_attaching();
  bool kill_registering();
  bool kill_creating();  // true: an owner was killed inside create
  void kill_owner_holding();
  void log_kill(KillPoint point, const std::string& who, const Landing& landing);

  const Options opt_;
  Report& report_;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point start_;
  test::TempFlinkDir dir_;
  std::string flink_;
  test::SharedBlock<Board> board_;
  Leftovers leftovers_;

  Child owner_;
  Child writer_;
  Child readers_[kReaders];
  Child extra_;
  std::vector<Child> zombies_;
  ReadWay ways_[kReaders] = {ReadWay::Mixed, ReadWay::Mixed, ReadWay::Mixed};
  std::uint32_t settled_through_[kReaders] = {};

  std::vector<WriterLife> writers_;  // this epoch's writer incarnations
  std::uint32_t next_writer_id_ = 1;
  std::string shm_name_;
  bool owner_alive_ = false;        // this epoch's owner has not been killed
  bool owner_left_cleanly_ = true;  // the last owner destroyed its segment itself
  bool had_owner_ = false;          // a create at this path has happened before
  bool ptrace_ok_ = true;
  std::chrono::milliseconds drain_watchdog_{20000};
  std::uint64_t epoch_ = 0;
  std::uint64_t round_ = 0;
  std::string round_log_;
};

}  // namespace shmslot::chaos

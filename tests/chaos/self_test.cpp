#include "chaos/self_test.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "chaos/harness.hpp"
#include "core/layout.hpp"
#include "recovery/recovery_roles.hpp"

namespace shmslot::chaos {

namespace {

using namespace std::chrono_literals;

// Writes into a segment's extension directly (core/layout.hpp): faults the library never makes
// itself, to show that the checks would see them.
class SegmentPoker {
 public:
  explicit SegmentPoker(const std::string& shm_name) {
    const int fd = ::shm_open(shm_name.c_str(), O_RDWR, 0);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      size_ = static_cast<std::size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) base_ = static_cast<std::byte*>(p);
    }
    ::close(fd);
  }
  ~SegmentPoker() {
    if (base_ != nullptr) ::munmap(base_, size_);
  }
  SegmentPoker(const SegmentPoker&) = delete;
  SegmentPoker& operator=(const SegmentPoker&) = delete;

  core::ExtControl* control() const {
    if (base_ == nullptr) return nullptr;
    const auto* header = reinterpret_cast<const core::SegmentHeader*>(base_);
    const core::Geometry g = core::make_geometry(header->slot_count, header->slot_total_size,
                                                 header->slot_total_size - core::kSlotHeaderSize, true);
    return reinterpret_cast<core::ExtControl*>(base_ + g.ext_offset);
  }

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
};

struct SharedName {
  char text[64]{};
};

struct Expectation {
  const char* invariant;
  const char* text;  // part of the violation's detail
};

struct Scenario {
  const char* fault;
  std::vector<Expectation> expected;
  std::function<void(Harness&, Report&)> inject;
};

bool flowing(Harness& h) {
  return test::wait_until(
      [&] {
        for (const ReaderBoard& r : h.board().readers) {
          if (r.samples.load() < 3) return false;
        }
        return true;
      },
      10s);
}

bool any_reader_failed(Harness& h) {
  for (const ReaderBoard& r : h.board().readers) {
    if (r.child.failure.any()) return true;
  }
  return false;
}

// Starts an epoch, lets samples flow, injects a writer fault, then lets the round's checks run.
void writer_fault(Harness& h, WriterFault fault, bool until_a_reader_fails) {
  if (!h.begin_epoch(false) || !flowing(h)) return;
  h.board().writer.fault.store(static_cast<std::uint32_t>(fault));
  (void)test::wait_until([&] { return h.board().writer.fault.load() == 0; }, 10s);
  if (until_a_reader_fails) {
    (void)test::wait_until([&] { return any_reader_failed(h); }, 10s);
    std::this_thread::sleep_for(100ms);  // the others reach the sample too
  } else {
    const std::uint64_t now = h.board().writer.committed.load();
    (void)test::wait_until([&] { return h.board().writer.committed.load() > now + 2; }, 10s);
  }
  (void)h.quiesce();
}

// The writer pauses between two samples (what the quiesce asks too).
bool pause_writer(Harness& h) {
  h.board().writer.child.command.store(static_cast<std::uint32_t>(Command::Pause));
  return test::wait_until(
      [&] { return h.board().writer.child.state.load() == static_cast<std::uint32_t>(RunState::Paused); }, 10s);
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  out.push_back({"a committed sample with one payload byte changed after its checksum",
                 {{"torn", "copied by read_slot"}, {"torn", "in place"}},
                 [](Harness& h, Report&) {
                   h.set_reader_way(0, ReadWay::CopyOnly);
                   h.set_reader_way(1, ReadWay::ZeroCopyOnly);
                   writer_fault(h, WriterFault::TornSample, true);
                 }});
  out.push_back({"the same, read by the copying take",
                 {{"torn", "copied by take_next_into"}, {"torn", "in place"}},
                 [](Harness& h, Report&) {
                   h.set_reader_way(0, ReadWay::TakeOnly);
                   h.set_reader_way(1, ReadWay::ZeroCopyOnly);
                   writer_fault(h, WriterFault::TornSample, true);
                 }});
  out.push_back({"an older sample committed again after a newer one",
                 {{"order", "right after sample"}},
                 [](Harness& h, Report&) { writer_fault(h, WriterFault::Repeated, true); }});
  out.push_back({"a sample never committed in the middle of a writer's stream",
                 {{"loss", "right after sample"}},
                 [](Harness& h, Report&) { writer_fault(h, WriterFault::Skipped, true); }});
  out.push_back({"a writer's last commit that never reaches the readers (the writer claims one more)",
                 {{"loss", "owed"}},
                 [](Harness& h, Report&) { writer_fault(h, WriterFault::Overclaimed, false); }});
  out.push_back({"readers getting a sample beyond the writer's commits (the writer claims one fewer)",
                 {{"uncommitted", "never committed"}},
                 [](Harness& h, Report&) { writer_fault(h, WriterFault::Underclaimed, false); }});
  out.push_back({"a new reader's cursor wound back before its registration",
                 {{"history", "older than this reader's registration"}},
                 [](Harness& h, Report&) {
                   if (!h.begin_epoch(false) || !flowing(h) || !pause_writer(h)) return;
                   // A fresh index: the samples in the segment carry no mark of it.
                   if (!h.replace_reader(2, kNoIndex)) return;
                   ReaderBoard& rb = h.board().readers[2];
                   if (!test::wait_until([&] { return rb.child.current() == Phase::Waiting; }, 10s)) return;
                   {
                     SegmentPoker poker(h.shm_name());
                     core::ExtControl* ctl = poker.control();
                     if (ctl == nullptr) return;
                     auto& cursor = ctl->readers[rb.index.load()].cursor;
                     cursor.store(cursor.load() - 2);
                   }
                   (void)test::wait_until([&] { return rb.child.failure.any(); }, 10s);
                   (void)h.quiesce();
                 }});
  out.push_back(
      {"a slot still loaned when the round's checks run", {{"leak", "could reserve only"}}, [](Harness& h, Report&) {
         std::optional<SlotHandle> loan;
         h.hooks.before_checks = [&](PosixSlotAllocator& s) {
           if (auto l = s.reserve_slot(0)) loan = *l;
         };
         h.hooks.after_checks = [&](PosixSlotAllocator& s) {
           if (loan) (void)s.discard_slot(*loan);
         };
         if (h.begin_epoch(false) && flowing(h)) (void)h.quiesce();
       }});
  out.push_back(
      {"a slot still pinned when every reader is idle", {{"pin", "pinned by reader"}}, [](Harness& h, Report&) {
         std::optional<SlotHandle> pinned;
         constexpr std::uint32_t kIndex = 20;
         h.hooks.before_checks = [&](PosixSlotAllocator& s) {
           auto next = s.next_unread_slot(kIndex);
           if (next && *next && s.slot_read_ptr(**next, kIndex)) pinned = **next;
         };
         h.hooks.after_checks = [&](PosixSlotAllocator& s) {
           if (pinned) (void)s.mark_read(*pinned, kIndex);
           (void)s.unregister_reader(kIndex);
         };
         if (h.begin_epoch(false) && flowing(h)) (void)h.quiesce();
       }});
  out.push_back(
      {"a reader index registered by no live reader", {{"registry", "registered readers"}}, [](Harness& h, Report&) {
         std::optional<std::uint32_t> index;
         h.hooks.before_checks = [&](PosixSlotAllocator& s) {
           if (auto r = s.register_reader()) index = *r;
         };
         h.hooks.after_checks = [&](PosixSlotAllocator& s) {
           if (index) (void)s.unregister_reader(*index);
         };
         if (h.begin_epoch(false) && flowing(h)) (void)h.quiesce();
       }});
  out.push_back({"the owner's recorded start time changed: owner_alive() wrong",
                 {{"owner-alive", "says dead"}},
                 [](Harness& h, Report&) {
                   h.hooks.before_checks = [&](PosixSlotAllocator&) {
                     SegmentPoker poker(h.shm_name());
                     if (core::ExtControl* ctl = poker.control()) ctl->owner_start_time += 1;
                   };
                   h.hooks.after_checks = [&](PosixSlotAllocator&) {
                     SegmentPoker poker(h.shm_name());
                     if (core::ExtControl* ctl = poker.control()) ctl->owner_start_time -= 1;
                   };
                   if (h.begin_epoch(false) && flowing(h)) (void)h.quiesce();
                 }});
  out.push_back({"a sleeper mark no reap can clear, left when every process has gone",
                 {{"sleeper", "sleeper mark(s) left"}},
                 [](Harness& h, Report&) {
                   if (!h.begin_epoch(false) || !flowing(h)) return;
                   {
                     SegmentPoker poker(h.shm_name());
                     // An untracked sleeper: counted, but no entry names a process a reap could find dead.
                     if (core::ExtControl* ctl = poker.control()) ctl->sleepers += core::sleeper_word::kUntrackedOne;
                   }
                   (void)h.end_epoch(false);
                 }});
  out.push_back({"a reader that stops reading (SIGSTOP) while the round quiesces",
                 {{"stall", "did not drain"}},
                 [](Harness& h, Report&) {
                   if (!h.begin_epoch(false) || !flowing(h) || !pause_writer(h)) return;
                   h.reader(0).kill(SIGSTOP);
                   (void)test::wait_until([&] { return test::process_state(h.reader(0).pid()) == 'T'; });
                   // One more sample, which reader 0 cannot read; then the writer pauses again.
                   const std::uint64_t now = h.board().writer.committed.load();
                   h.board().writer.child.command.store(static_cast<std::uint32_t>(Command::Step));
                   (void)test::wait_until([&] { return h.board().writer.committed.load() > now; }, 10s);
                   h.set_drain_watchdog(500ms);
                   (void)h.quiesce();
                   h.reader(0).kill(SIGCONT);
                 }});
  out.push_back({"a reader that crashes", {{"crash", "signal 11"}}, [](Harness& h, Report&) {
                   if (!h.begin_epoch(false) || !flowing(h)) return;
                   ::kill(h.reader(1).pid(), SIGSEGV);
                   (void)test::wait_until([&] { return test::process_state(h.reader(1).pid()) == 'Z'; }, 10s);
                   (void)h.quiesce();
                 }});
  out.push_back({"a killed owner's flink file held locked, as by a live owner: create refused",
                 {{"recreate", "in use"}},
                 [](Harness& h, Report&) {
                   if (!h.begin_epoch(false)) return;
                   h.abort_epoch();  // the owner is killed holding its segment
                   int fd = -1;
                   h.hooks.before_create = [&] {
                     fd = ::open(h.flink().c_str(), O_RDONLY | O_CLOEXEC);
                     if (fd >= 0) ::flock(fd, LOCK_EX);
                   };
                   h.hooks.after_create = [&] {
                     if (fd >= 0) ::close(fd);
                   };
                   (void)h.begin_epoch(false);
                 }});
  out.push_back({"an owner that exits without removing its segment and flink file",
                 {{"leftover", "after its owner left cleanly"}, {"leftover", "flink directory"}},
                 [](Harness& h, Report& report) {
                   test::SharedBlock<SharedName> name;
                   const std::string flink = h.flink_dir() + "/stray.flink";
                   Child stray([&] {
                     auto s = PosixSlotAllocator::create(flink, 2, 64);
                     if (!s) return 3;
                     const std::string& n = s->shm_name();
                     std::memcpy(name->text, n.data(), std::min(n.size(), sizeof name->text - 1));
                     ::_exit(0);  // no destructor: what a teardown that removes nothing leaves
                   });
                   stray.reap();
                   const std::string shm(name->text);
                   if (shm.empty()) return;
                   h.leftovers().created(shm);
                   h.leftovers().owner_ended(shm, Leftovers::Origin::LeftCleanly);
                   (void)h.leftovers().check_clean_exit(shm, report, "self-test");
                 }});
  return out;
}

}  // namespace

int run_self_test(const Options& options) {
  int missed = 0;
  const auto all = scenarios();
  std::printf("shmslot chaos self-test: %zu injected faults, each must be reported by its check\n", all.size());
  for (const Scenario& s : all) {
    Options o = options;
    o.kills = 0;  // no chaos kills: only the fault
    o.known_defects.clear();
    Report report({});
    report.echo = false;
    const auto started = std::chrono::steady_clock::now();
    {
      Harness h(o, report);
      s.inject(h, report);
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (const Expectation& e : s.expected) {
      const bool caught = report.saw(e.invariant, e.text);
      missed += caught ? 0 : 1;
      std::string seen;
      for (const Violation& v : report.all()) {
        if (v.invariant == e.invariant && v.detail.find(e.text) != std::string::npos) {
          seen = v.detail;
          break;
        }
      }
      std::printf("%-8s %-60s (%.1f s) -> %s%s%s\n", caught ? "caught" : "MISSED", s.fault, took, e.invariant,
                  caught ? ": " : "", caught ? seen.substr(0, 160).c_str() : "");
      if (!caught) {
        for (const Violation& v : report.all())
          std::printf("           (reported instead: %s: %s)\n", v.invariant.c_str(), v.detail.c_str());
      }
    }
  }
  std::printf("self-test: %s\n", missed == 0 ? "every injected fault was caught" : "SOME FAULTS WERE NOT CAUGHT");
  return missed == 0 ? 0 : 1;
}

}  // namespace shmslot::chaos

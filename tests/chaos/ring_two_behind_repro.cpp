// Reproducer of the "gap-stall" defect the chaos harness finds (docs/reliability.md, "Findings"),
// without chaos: two writers die inside commit holding sequence numbers s and s + n (n: the slot
// count), which share an order-ring entry, and neither number reaches the ring. At s + n,
// next_unread_slot sees an entry two numbers behind: it neither passes s + n as a gap nor finds it by
// the resync scan (its frontier stops at s), so the reader waits until s + 2n is published.
//   (a) s + n never committed: the sample after it is not delivered while the writer publishes
//       nothing more (docs/recovery.md promises it a lease after a later number is published);
//   (b) s + n committed but not entered in the ring: it occupies a slot no reader will read, the
//       writer fills the others and waits for a free slot, the reader waits for s + 2n: a deadlock.
// The writers that die stand in with RawSegmentAccess for the one step a signal rarely hits (as in
// recovery/writer_kill_test.cpp). Exit code 0 when both scenarios deliver everything, 1 otherwise.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <shmslot/shmslot.hpp>

#include "recovery/recovery_roles.hpp"
#include "support/temp_flink.hpp"

namespace {

using namespace shmslot;

constexpr std::size_t kSlots = 3;

// A writer process that dies inside commit: after taking a number (step 3), or after marking its
// slot COMMITTED (step 5) but before the ring (step 6).
void writer_dies_inside_commit(const PosixSlotAllocator& seg, bool committed) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto attached = PosixSlotAllocator::attach(seg.flink_path());
    test::RawSegmentAccess raw(seg.shm_name());
    if (!attached || !raw.ok()) ::_exit(3);
    std::uint64_t seq = 0;
    if (committed) {
      auto h = attached->reserve_slot(attached->registered_readers());
      if (!h) ::_exit(3);
      std::memset(attached->slot_data_ptr(*h)->data(), 7, 8);
      seq = raw.commit_without_publishing(h->slot_index, 8);
    } else {
      seq = raw.take_sequence_number();
    }
    std::printf("  a writer dies inside commit holding sequence %llu (%s)\n", static_cast<unsigned long long>(seq),
                committed ? "committed, not in the ring" : "never committed");
    ::raise(SIGKILL);
  }
  ::waitpid(pid, nullptr, 0);
}

bool commit(PosixSlotAllocator& seg) {
  const std::vector<std::byte> payload(8, std::byte{7});
  auto h = seg.reserve_slot(seg.registered_readers());
  if (!h) {
    std::printf("  reserve_slot: %s\n", to_string(h.error().code));
    return false;
  }
  std::printf("  committed %u\n", *seg.commit_slot(*h, payload));
  return true;
}

// Reads for 100 leases; returns how many samples arrived.
std::size_t drain(PosixSlotAllocator& seg, std::uint32_t reader, const char* when) {
  std::printf("  %s, the reader gets:", when);
  std::size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 100 * seg.lease();
  while (std::chrono::steady_clock::now() < deadline) {
    auto next = seg.next_unread_slot(reader);
    if (next && *next) {
      std::printf(" %u", seg.read_slot(**next)->header.sequence_number);
      (void)seg.mark_read(**next, reader);
      ++got;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::printf(" (cursor %llu, next sequence %llu)\n", static_cast<unsigned long long>(seg.reader_stats(reader)->cursor),
              static_cast<unsigned long long>(seg.snapshot().next_sequence));
  return got;
}

// True when the reader got every sample it was owed.
bool scenario(const std::string& flink, bool committed) {
  std::printf("(%c) the second number %s\n", committed ? 'b' : 'a',
              committed ? "committed but not in the ring" : "never committed");
  CreateOptions options;
  options.lease = std::chrono::milliseconds(20);
  auto seg = PosixSlotAllocator::create(flink, kSlots, 64, options);
  if (!seg) {
    std::printf("create: %s\n", seg.error().message().c_str());
    return false;
  }
  const std::uint32_t reader = *seg->register_reader();
  (void)commit(*seg);                            // 0
  writer_dies_inside_commit(*seg, committed);    // 1
  (void)commit(*seg);                            // 2
  (void)drain(*seg, reader, "after the first");  // 0 (1) 2: passed, or found, after a lease
  (void)commit(*seg);                            // 3
  (void)drain(*seg, reader, "then");             // 3
  writer_dies_inside_commit(*seg, committed);    // 4 = 1 + kSlots: the ring entry of 1
  (void)commit(*seg);                            // 5
  const std::size_t owed = committed ? 2 : 1;    // (4) 5
  const std::size_t got = drain(*seg, reader, "after the second");
  std::printf("  %s\n", got == owed ? "delivered" : "NOT DELIVERED: the reader waits for sequence 7");
  // Sequence 7 unblocks the reader, if the writer can publish it: in (b) sequence 4 holds a slot.
  (void)commit(*seg);  // 6
  if (!commit(*seg)) std::printf("  the writer finds no free slot while the reader waits for sequence 7: a deadlock\n");
  (void)drain(*seg, reader, "at the end");
  return got == owed;
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IONBF, 0);  // nothing buffered when the dying writers fork
  const shmslot::test::TempFlinkDir dir;
  const bool a = scenario(dir.flink("never-committed"), false);
  const bool b = scenario(dir.flink("committed"), true);
  return a && b ? 0 : 1;
}

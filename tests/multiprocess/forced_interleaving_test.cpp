// Interleavings that chance produces only now and then, forced: the reader process takes away its
// own access to one page of its mapping (support/page_trap.hpp), so its next touch of that page
// traps; the trap handler asks the writer process to act and waits for it, then gives the access
// back and lets the reader continue. The writer thus runs at an exact point inside a reader's call.
//
// With slots exactly one page long, slot i's 16-byte header sits alone at the start of page i + 1
// of the mapping (after the 32-byte segment header and slot i - 1's payload tail); the extension
// block with the slot words, the ring and the cursors lies after the last slot. So a reader whose
// slot-1 header page is protected traps exactly when it first reads that header.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attached.hpp"
#include "leftovers.hpp"
#include "process_group.hpp"
#include "roles.hpp"
#include "stamped_sample.hpp"
#include "support/page_trap.hpp"
#include "support/temp_flink.hpp"
#include "support/token_channel.hpp"

namespace shmslot::test {
namespace {

constexpr auto kWatchdog = std::chrono::seconds(60);
constexpr std::size_t kPayload = 8;

int reader_fail(const std::string& what) {
  std::fprintf(stderr, "reader: %s\n", what.c_str());
  return kExitCheckFailed;
}

// Reads the next sample in order (copying), checks it is writer 0's #`index`, marks it read.
tl::expected<SlotHandle, std::string> read_in_order(SlotBackend& s, std::uint64_t index) {
  auto next = s.next_unread_slot(0);
  if (!next || !*next) return tl::unexpected("no sample #" + std::to_string(index) + " to read");
  auto read = s.read_slot(**next);
  if (!read) return tl::unexpected("read_slot: " + read.error().message());
  auto checked = check_sample(read->bytes);
  if (auto* problem = std::get_if<std::string>(&checked)) return tl::unexpected(*problem);
  if (const auto got = std::get<Stamp>(checked).index; got != index) {
    return tl::unexpected("expected #" + std::to_string(index) + ", got #" + std::to_string(got));
  }
  if (auto m = s.mark_read(**next, 0); !m) return tl::unexpected("mark_read: " + m.error().message());
  return **next;
}

tl::expected<SlotHandle, std::string> publish(SlotBackend& s, std::uint64_t index) {
  auto slot = s.reserve_slot(0b1);
  if (!slot) return tl::unexpected("reserve_slot: " + slot.error().message());
  std::vector<std::byte> bytes(kStampSize + kPayload);
  write_sample(bytes, 0, index, kPayload);
  if (auto c = s.commit_slot(*slot, bytes); !c) return tl::unexpected("commit_slot: " + c.error().message());
  return *slot;
}

// The interleaving (3 slots, reader 0 in the writer's active mask). The reader marks #1 before #0,
// by slot index (a handle with kAnyGeneration, as ZeroDDS readers use), so marking #1 leaves its
// cursor where it is; marking #0 then moves the cursor to #1, which is read already.
//
//   writer                                reader 0
//   commit #0 -> slot 0, #1 -> 1, #2 -> 2
//                                         slot_read_ptr + mark_read slot 1 (#1), out of order
//                                         read #0 in order, mark_read: cursor 0 -> 1
//   commit #3 -> slot 0 (#0 was read)
//                                         next_unread_slot(0): cursor 1, the ring says #1 is in
//                                         slot 1, slot 1's word and seq say COMMITTED #1, stable;
//                                         then it reads slot 1's reader_mask: TRAP
//   reserve -> slot 1 (#1 was read), commit #4 -> slot 1, which resets its reader_mask to 0
//                                         ... reader_mask shows no bit 0
//
// #1 was marked before the call began and #2 is unread, so the one right answer is slot 2. An
// answer of slot 1 (with #1's generation) offers a sample already marked read, and reading it fails
// with Overwritten although reader 0 is in the writer's active mask.
TEST(ForcedInterleaving, SlotReusedInsideNextUnreadDoesNotBringBackASampleAlreadyRead) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("forced");
  std::string shm_name;
  {
    auto writer = PosixSlotAllocator::create(flink, 3, page - kSlotHeaderSize);
    ASSERT_TRUE(writer) << writer.error().message();
    ASSERT_EQ(writer->slot_total_size(), page) << "a slot must be exactly one page for the trap to be precise";
    shm_name = writer->shm_name();
    for (std::uint32_t i = 0; i < 3; ++i) {
      auto h = publish(*writer, i);
      ASSERT_TRUE(h) << h.error();
      ASSERT_EQ(h->slot_index, i) << "setup assumes reserve_slot fills slots in order";
    }

    const TokenChannel to_writer;
    const TokenChannel to_reader;
    std::vector<NamedChild> children;
    children.push_back(
        {"reader0", ChildProcess([&] {
           return attached(flink, [&](PosixSlotAllocator& s) -> int {
             // #1 first, by slot index, zero-copy: this also says where slot 1 is mapped.
             const SlotHandle slot1_any{0, 1, kAnyGeneration};
             auto slot1 = s.slot_read_ptr(slot1_any, 0);
             if (!slot1) return reader_fail("slot_read_ptr(slot 1): " + slot1.error().message());
             auto first = check_sample(*slot1);
             if (!std::holds_alternative<Stamp>(first) || std::get<Stamp>(first).index != 1) {
               return reader_fail("slot 1 does not hold an intact #1");
             }
             if (auto m = s.mark_read(slot1_any, 0); !m) return reader_fail("mark_read: " + m.error().message());
             if (auto h0 = read_in_order(s, 0); !h0) return reader_fail(h0.error());
             if (!to_writer.send('M') || to_reader.receive() != 'A') {
               return reader_fail("the writer did not publish #3");
             }
             const auto header = reinterpret_cast<std::uintptr_t>(slot1->data()) - kSlotHeaderSize;
             auto* trapped = reinterpret_cast<char*>(header & ~(std::uintptr_t{page} - 1));
             tl::expected<std::optional<SlotHandle>, SlotError> next;
             bool fired = false;
             {
               const PageTrap trap(trapped, page, [&] {
                 to_writer.send('T');
                 to_reader.receive();  // the writer has acted (or given up)
               });
               next = s.next_unread_slot(0);
               fired = trap.fired();
             }
             if (!fired) {
               to_writer.send('N');
               return reader_fail("next_unread_slot never read slot 1's header: the interleaving was not forced");
             }
             if (!next) return reader_fail("next_unread_slot: " + next.error().message());
             if (!*next) return reader_fail("next_unread_slot found nothing, but #2 is unread");
             if ((*next)->slot_index != 2) {
               auto read = s.read_slot(**next);
               return reader_fail("next_unread_slot offered slot " + std::to_string((*next)->slot_index) +
                                  " generation " + std::to_string((*next)->generation) +
                                  " (the sample #1 this reader had already marked read; the writer reused the slot "
                                  "while next_unread_slot ran) instead of slot 2 (#2); reading it: " +
                                  (read ? "sequence " + std::to_string(read->header.sequence_number)
                                        : std::string(to_string(read.error().code))));
             }
             auto h2 = read_in_order(s, 2);
             return h2 ? kExitOk : reader_fail(h2.error());
           });
         })});

    ASSERT_EQ(to_writer.receive(), 'M') << "the reader did not read #1 and #0";
    auto h3 = publish(*writer, 3);
    ASSERT_TRUE(h3) << h3.error();
    ASSERT_EQ(h3->slot_index, 0U) << "setup assumes #3 goes to slot 0";
    ASSERT_TRUE(to_reader.send('A'));
    if (to_writer.receive() == 'T') {  // the reader is inside next_unread_slot, trapped
      auto h4 = publish(*writer, 4);
      EXPECT_TRUE(h4) << h4.error();
      if (h4) {
        EXPECT_EQ(h4->slot_index, 1U) << "the writer was to reuse slot 1 (#1 was read)";
      }
      to_reader.send('C');
    }
    const GroupOutcome outcome = wait_all(children, kWatchdog);
    EXPECT_TRUE(outcome.all_ok()) << outcome.describe(children, nullptr);
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test

// The README's example: publish one sample and read it back through a second attachment.
#include <cstdio>
#include <span>
#include <string_view>

#include <shmslot/shmslot.hpp>

int main() {
  using namespace shmslot;
  // The creator owns the segment: its destructor removes the flink file and the shm object.
  auto owner = PosixSlotAllocator::create("readme-example", /*slot_count=*/8, /*slot_capacity=*/256);
  auto consumer = PosixSlotAllocator::attach("readme-example");  // normally in another process
  if (!owner || !consumer) {
    std::fprintf(stderr, "%s\n", (owner ? consumer.error() : owner.error()).message().c_str());
    return 1;
  }

  constexpr std::string_view kText = "hello over shared memory";
  const SlotHandle loan = owner->reserve_slot(/*active_readers_mask=*/0b1).value();  // reader 0 must read it
  owner->commit_slot(loan, std::as_bytes(std::span(kText))).value();

  const SlotHandle slot = consumer->next_unread_slot(/*reader_index=*/0).value().value();
  const SlotRead sample = consumer->read_slot(slot).value();
  if (!consumer->mark_read(slot, 0)) return 1;  // now the writer may reuse the slot
  std::printf("sample %u, %u bytes: %.*s\n", sample.header.sequence_number, sample.header.sample_size,
              static_cast<int>(sample.bytes.size()), reinterpret_cast<const char*>(sample.bytes.data()));
}

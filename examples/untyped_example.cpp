// The README's untyped example: bytes of any size up to the slot capacity, loaned and filled in
// place, then read in place through a guard, waiting with a deadline and a stop token.
#include <cstdio>
#include <cstring>
#include <stop_token>

#include <shmslot/shmslot.hpp>

int main() {
  using namespace shmslot;
  using namespace std::chrono_literals;
  auto owner = PosixSlotAllocator::create("untyped-example", /*slot_count=*/8, /*slot_capacity=*/4096);
  auto consumer = PosixSlotAllocator::attach("untyped-example");  // normally in another process
  if (!owner || !consumer) return 1;
  auto reader = Reader::registered(*consumer);  // claims a free reader index
  Writer writer(*owner);                        // waits for every registered reader
  std::stop_source stop;                        // request_stop() from another thread ends a wait

  auto loan = writer.loan_blocking(5, WaitLimit::within(1s, stop.get_token()));
  if (!reader || !loan) return 1;
  std::memcpy(loan->data().data(), "hello", 5);  // written where the reader will read it
  if (!std::move(*loan).commit()) return 1;      // a loan dropped uncommitted is given back

  auto sample = reader->take_blocking(WaitLimit::within(1s, stop.get_token()));  // TimedOut, Stopped
  if (!sample) {
    std::fprintf(stderr, "%s\n", sample.error().message().c_str());
    return 1;
  }
  std::printf("%.*s\n", static_cast<int>(sample->size()), reinterpret_cast<const char*>(sample->data()));
}  // the guard goes first, marking the sample read; the segment goes last

// shmslot_bench_instructions: one process moving samples through a POSIX segment in a loop, for
// counting the instructions per sample with valgrind's callgrind (bench/count_instructions.sh).
//
// Method. One writer and one registered reader in the same thread, one sample in flight, through
// BasicWriter / BasicReader of the POSIX backend: reserve with the registered readers as active
// mask, fill, commit; next_unread, read, mark_read. The
// script runs the loop twice, with --samples A and B, and divides the difference of the two
// instruction totals by B - A, so setup, segment creation and teardown cancel out. Instruction counts
// do not move with the load of the machine: the same binary and arguments give the same figure.
//
//   copy   Writer::write (reserve_slot + commit_slot) and Reader::take_into (next_unread_slot,
//          read_slot_into, mark_read)
//   loan   Writer::loan (reserve_slot + slot_data_ptr, payload stored in place, commit_in_place)
//          and Reader::take (slot_read_ptr) whose bytes are copied out, as the copying read does
//   write  Writer::write only, mask 0 (the writer's share)
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <shmslot/shmslot.hpp>

#include "bench_scratch.hpp"

namespace {

using namespace shmslot;

int fail(const char* what, const SlotError& e) {
  std::fprintf(stderr, "shmslot_bench_instructions: %s: %s\n", what, e.message().c_str());
  return 1;
}
int undelivered(std::size_t k) {
  std::fprintf(stderr, "shmslot_bench_instructions: sample %zu not delivered\n", k);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Moves samples through a segment in one thread; run under callgrind to count instructions"};
  std::string path = "copy";
  std::size_t samples = 1000;
  std::size_t size = 64;
  std::size_t slots = 16;
  app.add_option("--path", path, "copy | loan | write")->check(CLI::IsMember({"copy", "loan", "write"}));
  app.add_option("--samples", samples, "samples to move")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32));
  app.add_option("--size", size, "payload bytes")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--slots", slots, "slot count")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  CLI11_PARSE(app, argc, argv);

  shmslot::bench::TempDir dir;
  if (!dir.ok()) return 1;
  auto segment = PosixSlotAllocator::create(dir.path() + "/instructions.flink", slots, size);
  if (!segment) {
    std::fprintf(stderr, "shmslot_bench_instructions: create: %s\n", segment.error().message().c_str());
    return 1;
  }
  auto reader = segment->register_reader();
  if (!reader) return fail("register_reader", reader.error());
  // Decided once: a string compare per sample would be counted with the library's instructions.
  const bool loan = path == "loan";
  const bool write_only = path == "write";
  const ReaderMask active = write_only ? 0 : segment->registered_readers();
  const std::vector<std::byte> payload(size, std::byte{0x5A});
  std::vector<std::byte> out(size);
  // Bound to the final class, as an application that knows its backend would: direct calls.
  BasicWriter<PosixSlotAllocator> writer(*segment, active);
  BasicReader<PosixSlotAllocator> taker(*segment, *reader);
  unsigned sink = 0;
  for (std::size_t k = 0; k < samples; ++k) {
    if (loan) {
      auto l = writer.loan(size);
      if (!l) return fail("loan", l.error());
      std::memcpy(l->data().data(), payload.data(), size);
      if (auto c = std::move(*l).commit(); !c) return fail("commit", c.error());
    } else if (auto c = writer.write(payload); !c) {
      return fail("write", c.error());
    }
    if (write_only) continue;
    if (loan) {
      auto sample = taker.take();
      if (!sample) return fail("take", sample.error());
      if (!*sample) return undelivered(k);
      std::memcpy(out.data(), (*sample)->data(), (*sample)->size());  // the reader uses every byte, as a copy does
      sink += static_cast<unsigned>(out[0]);
      if (auto m = (*sample)->release(); !m) return fail("mark_read", m.error());
    } else {
      auto header = taker.take_into(out);
      if (!header) return fail("take_into", header.error());
      if (!*header) return undelivered(k);
      sink += static_cast<unsigned>(out[0]);
    }
  }
  std::printf("%s: %zu samples of %zu B (checksum %u)\n", path.c_str(), samples, size, sink);
  return 0;
}

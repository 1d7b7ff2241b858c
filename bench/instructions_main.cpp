// shmslot_bench_instructions: one process moving samples through a POSIX segment in a loop, for
// counting the instructions per sample with valgrind's callgrind (bench/count_instructions.sh).
//
// Method. One writer and one registered reader in the same thread, one sample in flight: reserve
// with the registered readers as active mask, fill, commit; next_unread, read, mark_read. The
// script runs the loop twice, with --samples A and B, and divides the difference of the two
// instruction totals by B - A, so setup, segment creation and teardown cancel out. Instruction counts
// do not move with the load of the machine: the same binary and arguments give the same figure.
//
//   copy   write_slot by copy (commit_slot) and a copying read (read_slot_into)
//   loan   loan (reserve_slot + slot_data_ptr, payload stored in place, commit_in_place) and a
//          zero-copy read (slot_read_ptr) whose bytes are copied out, as the copying read does
//   write  reserve + commit only, mask 0 (the writer's share)
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
  unsigned sink = 0;
  for (std::size_t k = 0; k < samples; ++k) {
    auto h = segment->reserve_slot(active);
    if (!h) return fail("reserve_slot", h.error());
    if (loan) {
      auto span = segment->slot_data_ptr(*h);
      if (!span) return fail("slot_data_ptr", span.error());
      std::memcpy(span->data(), payload.data(), size);
      if (auto c = segment->commit_in_place(*h, size); !c) return fail("commit_in_place", c.error());
    } else if (auto c = segment->commit_slot(*h, payload); !c) {
      return fail("commit_slot", c.error());
    }
    if (write_only) continue;
    auto next = segment->next_unread_slot(*reader);
    if (!next || !*next) {
      std::fprintf(stderr, "shmslot_bench_instructions: sample %zu not delivered\n", k);
      return 1;
    }
    if (loan) {
      auto view = segment->slot_read_ptr(**next, *reader);
      if (!view) return fail("slot_read_ptr", view.error());
      std::memcpy(out.data(), view->data(), view->size());  // the reader uses every byte, as a copy does
      sink += static_cast<unsigned>(out[0]);
    } else if (auto r = segment->read_slot_into(**next, out); !r) {
      return fail("read_slot_into", r.error());
    } else {
      sink += static_cast<unsigned>(out[0]);
    }
    if (auto m = segment->mark_read(**next, *reader); !m) return fail("mark_read", m.error());
  }
  std::printf("%s: %zu samples of %zu B (checksum %u)\n", path.c_str(), samples, size, sink);
  return 0;
}

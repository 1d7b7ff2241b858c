// Uses only the installed public header: one sample written, found and read back. Exit code 0 only
// when the bytes read are the bytes written.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>

#include <shmslot/shmslot.hpp>

namespace {
int fail(const char* step, const shmslot::SlotError& e) {
  std::fprintf(stderr, "%s: %s\n", step, e.message().c_str());
  return 1;
}
}  // namespace

int main() {
  shmslot::InMemorySlotAllocator backend(0, 4, 64);
  const std::array<std::byte, 3> sample{std::byte{0x11}, std::byte{0x22}, std::byte{0x33}};

  auto handle = backend.reserve_slot(0b1);  // reader 0 is the only active reader
  if (!handle) return fail("reserve_slot", handle.error());
  auto seq = backend.commit_slot(*handle, sample);
  if (!seq) return fail("commit_slot", seq.error());

  auto next = backend.next_unread_slot(0);
  if (!next) return fail("next_unread_slot", next.error());
  if (!next->has_value()) {
    std::fprintf(stderr, "next_unread_slot: no sample after a commit\n");
    return 1;
  }
  auto read = backend.read_slot(**next);
  if (!read) return fail("read_slot", read.error());

  const bool same = std::equal(read->bytes.begin(), read->bytes.end(), sample.begin(), sample.end());
  std::printf("shmslot %s: wrote %zu bytes, read %zu back, %s\n", shmslot::kVersion, sample.size(), read->bytes.size(),
              same ? "identical" : "DIFFERENT");
  return same ? 0 : 1;
}

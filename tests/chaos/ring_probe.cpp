#include "chaos/ring_probe.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/layout.hpp"

namespace shmslot::chaos {

std::uint64_t RingSnapshot::frontier() const {
  std::uint64_t f = next_sequence;
  for (const std::uint64_t e : newest) f = std::min(f, e + slot_count());
  return f;
}

std::string RingSnapshot::why_stuck(std::uint64_t s) const {
  const std::uint64_t n = slot_count();
  if (n == 0 || s + 1 >= next_sequence) return "";
  const std::uint64_t e = newest[s % n];
  if (e == s || e + n == s) return "";  // delivered, or passed a lease after a later number
  const std::uint64_t f = frontier();
  if (f > s) return "";  // the resync scan reaches s
  std::uint64_t k = 0;
  while (k < n && newest[k] + n != f) ++k;
  return "cursor " + std::to_string(s) + ": its ring entry holds " + std::to_string(e) +
         " (neither it nor its predecessor " + std::to_string(s - n) + "), and the resync frontier is " +
         std::to_string(f) + " because entry " + std::to_string(k) + " holds " + std::to_string(f - n) + ": sequence " +
         std::to_string(f) + " was never entered in the ring (its writer died inside commit)";
}

std::string RingSnapshot::text() const {
  std::string out = "[";
  for (std::size_t k = 0; k < newest.size(); ++k) out += (k == 0 ? "" : " ") + std::to_string(newest[k]);
  return out + "]";
}

std::optional<RingSnapshot> read_ring(const std::string& shm_name) {
  const int fd = ::shm_open(shm_name.c_str(), O_RDONLY, 0);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  void* p = MAP_FAILED;
  std::size_t size = 0;
  if (::fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) >= core::kSegmentHeaderSize) {
    size = static_cast<std::size_t>(st.st_size);
    p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  }
  ::close(fd);
  if (p == MAP_FAILED) return std::nullopt;
  const auto* base = static_cast<const std::byte*>(p);
  const auto* header = reinterpret_cast<const core::SegmentHeader*>(base);
  const core::Geometry g = core::make_geometry(header->slot_count, header->slot_total_size,
                                               header->slot_total_size - core::kSlotHeaderSize, true);
  std::optional<RingSnapshot> out;
  if (g.slot_count > 0 && g.ring_offset + g.slot_count * sizeof(core::RingEntry) <= size) {
    RingSnapshot r;
    const auto* ctl = reinterpret_cast<const core::ExtControl*>(base + g.ext_offset);
    r.next_sequence = ctl->next_seq.load(std::memory_order_acquire);
    const auto* ring = reinterpret_cast<const core::RingEntry*>(base + g.ring_offset);
    for (std::uint64_t k = 0; k < g.slot_count; ++k) {
      const std::uint64_t e = ring[k].load(std::memory_order_acquire);
      // Unwrapped against next_sequence, as the resync scan does (entries compare modulo 2^40).
      r.newest.push_back(r.next_sequence + static_cast<std::uint64_t>(core::ring::distance(e, r.next_sequence)));
    }
    out = std::move(r);
  }
  ::munmap(p, size);
  return out;
}

}  // namespace shmslot::chaos

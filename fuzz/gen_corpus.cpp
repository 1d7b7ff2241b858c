// Writes the seed corpus of the fuzz targets (fuzz/corpus/<target>/): segment images made by the
// library's own formatter and engine, ZeroDDS V3 and V1 images laid out per docs/format.md,
// truncated images, flink names and a locator. Run by hand after a format change:
//   fuzz/build.sh && build/fuzz/gen_corpus fuzz/corpus
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "core/slot_engine.hpp"
#include "shmslot/locator.hpp"

namespace core = shmslot::core;

namespace {

std::string g_root;

void put(const std::string& target, const std::string& name, const void* data, std::size_t size) {
  const std::string dir = g_root + "/" + target;
  ::mkdir(g_root.c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
}
void put(const std::string& target, const std::string& name, const std::vector<std::byte>& v) {
  put(target, name, v.data(), v.size());
}
void put(const std::string& target, const std::string& name, const std::string& s) {
  put(target, name, s.data(), s.size());
}

void put_u32(std::vector<std::byte>& v, std::size_t off, std::uint32_t x) { std::memcpy(v.data() + off, &x, 4); }

// A shmslot segment formatted by the library, with `samples` samples committed and reader 0
// registered; `history`: the depth kept for late joiners (flag bit 2 when not 0).
std::vector<std::byte> shmslot_image(std::uint64_t count, std::uint64_t capacity, int samples, std::uint32_t flags,
                                     std::uint32_t history = 0) {
  core::Geometry g = core::make_geometry(count, core::slot_total_size_for(capacity), capacity, true);
  g.history_depth = history;
  std::vector<std::byte> bytes(g.total_size);
  core::FormatOptions options;
  options.flags = flags;
  options.history_depth = history;
  for (std::size_t i = 0; i < options.type_hash.size(); ++i) options.type_hash[i] = static_cast<std::uint8_t>(i * 7);
  core::format_segment(bytes.data(), g, options);
  auto engine_ptr = core::make_engine(bytes.data(), g, 0);
  core::SlotEngine& engine = *engine_ptr;
  (void)engine.register_reader(0U, shmslot::StartAt::Newest);
  for (int s = 0; s < samples; ++s) {
    auto h = engine.reserve(0);
    if (!h) break;
    std::vector<std::byte> payload(static_cast<std::size_t>(1 + s * 13) % (capacity + 1), std::byte{0x40});
    (void)engine.commit(*h, payload);
  }
  // Leave the registration in the image but do not let the destructor release it.
  std::vector<std::byte> out = bytes;
  return out;
}

// A ZeroDDS V3 segment: 0x20 header (ext_magic 0), then `count` slots of `total` bytes.
std::vector<std::byte> zerodds_v3(std::uint32_t count, std::uint32_t total, int samples) {
  std::vector<std::byte> v(0x20 + std::size_t{count} * total);
  put_u32(v, 0x00, core::kSegmentMagic);
  put_u32(v, 0x04, count);
  put_u32(v, 0x08, total);
  put_u32(v, 0x0C, static_cast<std::uint32_t>(samples));
  put_u32(v, 0x10, static_cast<std::uint32_t>(samples));
  for (int s = 0; s < samples && s < static_cast<int>(count); ++s) {
    const std::size_t slot = 0x20 + static_cast<std::size_t>(s) * total;
    put_u32(v, slot + 0, static_cast<std::uint32_t>(s));          // sequence_number
    put_u32(v, slot + 4, static_cast<std::uint32_t>(8 + s));      // sample_size
    put_u32(v, slot + 8, s == 0 ? 1U : 0U);                       // reader_mask
    std::memset(v.data() + slot + 16, 'a' + s, 8 + s);
  }
  return v;
}

// A ZeroDDS rc.1 (V1) segment: 0x10 header, then the slots (refused by attach).
std::vector<std::byte> zerodds_v1(std::uint32_t count, std::uint32_t total) {
  std::vector<std::byte> v(0x10 + std::size_t{count} * total);
  put_u32(v, 0x00, core::kSegmentMagic);
  put_u32(v, 0x04, count);
  put_u32(v, 0x08, total);
  return v;
}

std::vector<std::byte> prefix(const std::vector<std::byte>& v, std::size_t n) {
  return {v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(n, v.size()))};
}

}  // namespace

int main(int argc, char** argv) {
  g_root = argc > 1 ? argv[1] : "fuzz/corpus";

  // fuzz_attach: segment images.
  const auto seg = shmslot_image(4, 100, 3, 0);  // docs/format.md's worked example, 3008 bytes
  put("fuzz_attach", "shmslot-4x100-3samples", seg);
  put("fuzz_attach", "shmslot-2x8-wake-typehash",
      shmslot_image(2, 8, 5, core::kFlagWakeAlways | core::kFlagHasTypeHash));
  put("fuzz_attach", "shmslot-1x1-empty", shmslot_image(1, 1, 0, 0));
  put("fuzz_attach", "shmslot-4x64-history2", shmslot_image(4, 64, 6, 0, 2));
  {
    // Well formed, but created in another pid namespace: attach refuses it (ForeignPidNamespace).
    auto foreign = seg;
    const std::uint64_t ext = core::make_geometry(4, core::slot_total_size_for(100), 100, true).ext_offset;
    put_u32(foreign, ext + offsetof(core::ExtControl, owner_pid_ns), 1);
    put("fuzz_attach", "shmslot-4x100-foreign-pid-namespace", foreign);
  }
  put("fuzz_attach", "zerodds-v3-4x64", zerodds_v3(4, 64, 3));
  put("fuzz_attach", "zerodds-v3-1x128", zerodds_v3(1, 128, 1));
  put("fuzz_attach", "zerodds-v1-2x64", zerodds_v1(2, 64));
  put("fuzz_attach", "trunc-header-15", prefix(seg, 15));
  put("fuzz_attach", "trunc-header-16", prefix(seg, 16));
  put("fuzz_attach", "trunc-slots-100", prefix(seg, 100));
  put("fuzz_attach", "trunc-ext-600", prefix(seg, 600));
  put("fuzz_attach", "trunc-ring-2900", prefix(seg, 2900));
  put("fuzz_attach", "one-byte", std::string("S"));

  // fuzz_flink: flink contents.
  put("fuzz_flink", "valid-shmem", std::string("/shmem_1A2B3C4D5E6F"));
  put("fuzz_flink", "valid-dots", std::string("/a.b-c_d"));
  put("fuzz_flink", "dotdot", std::string("/.."));
  put("fuzz_flink", "dot", std::string("/."));
  put("fuzz_flink", "traversal", std::string("/../etc/passwd"));
  put("fuzz_flink", "relative-traversal", std::string("../shmem_1"));
  put("fuzz_flink", "no-slash", std::string("shmem_1"));
  put("fuzz_flink", "newline", std::string("/shmem_1\n"));
  put("fuzz_flink", "nul", std::string("/shmem_1\0x", 10));
  put("fuzz_flink", "slash-only", std::string("/"));
  put("fuzz_flink", "long-254", "/" + std::string(254, 'A'));
  put("fuzz_flink", "long-253", "/" + std::string(253, 'B'));
  put("fuzz_flink", "too-long-256", "/" + std::string(255, 'C'));

  // fuzz_locator: a valid locator, one with a 256-byte path, and broken ones.
  shmslot::ShmLocator loc{0x811C9DC5U, 1000, 4, 128, "/tmp/shmslot/demo"};
  auto bytes = loc.to_bytes_le();
  put("fuzz_locator", "valid", bytes->data(), bytes->size());
  loc.segment_path = std::string(256, 'p');
  bytes = loc.to_bytes_le();
  put("fuzz_locator", "path-256", bytes->data(), bytes->size());
  loc.segment_path = "/tmp/\xC3\xA9t\xC3\xA9";
  bytes = loc.to_bytes_le();
  put("fuzz_locator", "utf8", bytes->data(), bytes->size());
  put("fuzz_locator", "truncated-header", bytes->data(), 12);
  put("fuzz_locator", "truncated-string", bytes->data(), 22);
  std::printf("corpus written under %s\n", g_root.c_str());
  return 0;
}

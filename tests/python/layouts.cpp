// The C++ side of the dtype rule's test (test_dtype_layouts.py): FlatStructs with their layout
// strings and type hashes, and what the compiler made of them (size, alignment, field offsets), as
// JSON on stdout. The Python test builds the same structs as numpy dtypes and requires the same
// string, hash, size and offsets.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "shmslot/flat_struct.hpp"

namespace {

using shmslot::layout_type_hash;
using shmslot::TypeHash;

struct Pose {
  double x, y, z;
  static constexpr const char* kLayout = "Pose{x:f64,y:f64,z:f64}";
  static constexpr TypeHash kTypeHash = layout_type_hash(kLayout);
};

// Padding after `flag` (to 8) and at the end (to 24).
struct Padded {
  std::uint8_t flag;
  double value;
  std::uint16_t count;
  static constexpr const char* kLayout = "Padded{flag:u8,value:f64,count:u16}";
  static constexpr TypeHash kTypeHash = layout_type_hash(kLayout);
};

// Arrays, one of them two-dimensional, and every scalar width.
struct Arrays {
  std::uint32_t id;
  float samples[4];
  std::uint8_t grid[2][3];
  std::int8_t a;
  std::int16_t b;
  std::int32_t c;
  std::int64_t d;
  std::uint64_t e;
  bool ok;
  static constexpr const char* kLayout =
      "Arrays{id:u32,samples:[f32;4],grid:[[u8;3];2],a:i8,b:i16,c:i32,d:i64,e:u64,ok:bool}";
  static constexpr TypeHash kTypeHash = layout_type_hash(kLayout);
};

// A nested struct is named, not spelled out (the derive macro sees the type's name).
struct Stamped {
  std::uint16_t tag;
  Pose pose;
  Pose history[2];
  std::uint32_t seq;
  static constexpr const char* kLayout = "Stamped{tag:u16,pose:Pose,history:[Pose;2],seq:u32}";
  static constexpr TypeHash kTypeHash = layout_type_hash(kLayout);
};

static_assert(shmslot::FlatStruct<Pose> && shmslot::FlatStruct<Padded> && shmslot::FlatStruct<Arrays> &&
              shmslot::FlatStruct<Stamped>);

struct Row {
  const char* name;
  const char* layout;
  TypeHash hash;
  std::size_t size;
  std::size_t alignment;
  std::vector<std::pair<const char*, std::size_t>> offsets;
};

#define SHMSLOT_FIELD(T, f) std::pair<const char*, std::size_t>(#f, offsetof(T, f))
#define SHMSLOT_ROW(T, ...) Row{#T, T::kLayout, T::kTypeHash, sizeof(T), alignof(T), {__VA_ARGS__}}

}  // namespace

int main() {
  const std::vector<Row> rows = {
      SHMSLOT_ROW(Pose, SHMSLOT_FIELD(Pose, x), SHMSLOT_FIELD(Pose, y), SHMSLOT_FIELD(Pose, z)),
      SHMSLOT_ROW(Padded, SHMSLOT_FIELD(Padded, flag), SHMSLOT_FIELD(Padded, value), SHMSLOT_FIELD(Padded, count)),
      SHMSLOT_ROW(Arrays, SHMSLOT_FIELD(Arrays, id), SHMSLOT_FIELD(Arrays, samples), SHMSLOT_FIELD(Arrays, grid),
                  SHMSLOT_FIELD(Arrays, a), SHMSLOT_FIELD(Arrays, b), SHMSLOT_FIELD(Arrays, c),
                  SHMSLOT_FIELD(Arrays, d), SHMSLOT_FIELD(Arrays, e), SHMSLOT_FIELD(Arrays, ok)),
      SHMSLOT_ROW(Stamped, SHMSLOT_FIELD(Stamped, tag), SHMSLOT_FIELD(Stamped, pose), SHMSLOT_FIELD(Stamped, history),
                  SHMSLOT_FIELD(Stamped, seq)),
  };
  std::printf("[\n");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    std::printf("  {\"name\": \"%s\", \"layout\": \"%s\", \"hash\": \"%s\", \"size\": %zu, \"alignment\": %zu, "
                "\"offsets\": {",
                r.name, r.layout, shmslot::to_hex(r.hash).c_str(), r.size, r.alignment);
    for (std::size_t f = 0; f < r.offsets.size(); ++f) {
      std::printf("%s\"%s\": %zu", f == 0 ? "" : ", ", r.offsets[f].first, r.offsets[f].second);
    }
    std::printf("}}%s\n", i + 1 == rows.size() ? "" : ",");
  }
  std::printf("]\n");
}

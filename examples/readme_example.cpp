// The README's example: a typed sample published into a segment and read back through a second
// attachment (normally another process).
#include <cstdio>

#include <shmslot/shmslot.hpp>

struct Pose {
  double x, y, z;
  static constexpr shmslot::TypeHash kTypeHash = shmslot::layout_type_hash("Pose{x:f64,y:f64,z:f64}");
};

int main() {
  using namespace shmslot;
  CreateOptions options;
  options.type_hash = Pose::kTypeHash;  // a reader of another type is refused
  auto owner = PosixSlotAllocator::create("readme-example", /*slot_count=*/8, sizeof(Pose), options);
  auto consumer = PosixSlotAllocator::attach("readme-example");  // normally in another process
  if (!owner || !consumer) {
    std::fprintf(stderr, "%s\n", (owner ? consumer.error() : owner.error()).message().c_str());
    return 1;
  }
  auto reader = FlatReader<Pose>::registered(*consumer);  // claims a free reader index
  FlatWriter<Pose> writer(*owner);                        // waits for every registered reader
  if (!reader || !writer.write(Pose{1.0, 2.0, 3.0})) return 1;

  auto pose = reader->take();  // every sample, in order; read() keeps only the newest
  if (!pose || !*pose) return 1;
  std::printf("pose %.1f %.1f %.1f\n", (*pose)->x, (*pose)->y, (*pose)->z);
}

// Byte-level access to a segment's shm object, for tests that corrupt or inspect it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace shmslot::test {

class RawSegment {
 public:
  // Maps /dev/shm/<name without '/'> read-write; aborts the test process if it cannot.
  explicit RawSegment(const std::string& shm_name);
  ~RawSegment();
  RawSegment(const RawSegment&) = delete;
  RawSegment& operator=(const RawSegment&) = delete;

  std::byte* data() const { return base_; }
  std::size_t size() const { return size_; }
  std::uint32_t u32(std::size_t offset) const;
  void set_u32(std::size_t offset, std::uint32_t value) const;
  void set_u64(std::size_t offset, std::uint64_t value) const;
  // Shrinks or grows the object (the mapping stays as it is).
  void truncate(std::size_t size) const;

 private:
  int fd_ = -1;
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
};

// The file's whole content.
std::string read_file(const std::string& path);
// Writes `content` to `path` (replacing it), mode 0600.
void write_file(const std::string& path, const std::string& content);

}  // namespace shmslot::test

// Owns one memory mapping; unmaps it once.
#pragma once

#include <cstddef>
#include <utility>

#include <tl/expected.hpp>

#include "platform/sys_error.hpp"

namespace shmslot::platform {

class Mapping {
 public:
  Mapping() = default;
  Mapping(std::byte* base, std::size_t size) : base_(base), size_(size) {}
  Mapping(Mapping&& other) noexcept
      : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  std::byte* data() const { return base_; }
  std::size_t size() const { return size_; }
  void reset();

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
};

// MAP_SHARED read-write mapping of `size` bytes of `fd`.
tl::expected<Mapping, SysError> map_shared(int fd, std::size_t size, const char* what);

// MAP_SHARED read-only mapping of `size` bytes of `fd`: for looking at a segment without any
// chance of writing to it. The bytes must not be written through data().
tl::expected<Mapping, SysError> map_read_only(int fd, std::size_t size, const char* what);

// Zero-filled private anonymous memory (the in-memory backend's segment).
tl::expected<Mapping, SysError> map_anonymous(std::size_t size);

}  // namespace shmslot::platform

#include "platform/mapping.hpp"

#include <sys/mman.h>

#include <string>

namespace shmslot::platform {

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    reset();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void Mapping::reset() {
  if (base_ != nullptr) ::munmap(base_, size_);
  base_ = nullptr;
  size_ = 0;
}

tl::expected<Mapping, SysError> map_shared(int fd, std::size_t size, const char* what) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return tl::unexpected(last_error(std::string("mmap ") + what));
  return Mapping(static_cast<std::byte*>(p), size);
}

tl::expected<Mapping, SysError> map_read_only(int fd, std::size_t size, const char* what) {
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return tl::unexpected(last_error(std::string("mmap (read-only) ") + what));
  return Mapping(static_cast<std::byte*>(p), size);
}

tl::expected<Mapping, SysError> map_anonymous(std::size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return tl::unexpected(last_error("mmap anonymous"));
  return Mapping(static_cast<std::byte*>(p), size);
}

}  // namespace shmslot::platform

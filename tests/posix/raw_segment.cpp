#include "raw_segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace shmslot::test {

RawSegment::RawSegment(const std::string& shm_name) {
  fd_ = ::shm_open(shm_name.c_str(), O_RDWR, 0);
  if (fd_ < 0) std::abort();
  struct stat st {};
  ::fstat(fd_, &st);
  size_ = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) std::abort();
  base_ = static_cast<std::byte*>(p);
}

RawSegment::~RawSegment() {
  ::munmap(base_, size_);
  ::close(fd_);
}

std::uint32_t RawSegment::u32(std::size_t offset) const {
  std::uint32_t v;
  std::memcpy(&v, base_ + offset, sizeof v);
  return v;
}

void RawSegment::set_u32(std::size_t offset, std::uint32_t value) const { std::memcpy(base_ + offset, &value, sizeof value); }

void RawSegment::set_u64(std::size_t offset, std::uint64_t value) const { std::memcpy(base_ + offset, &value, sizeof value); }

void RawSegment::truncate(std::size_t size) const {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) std::abort();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (fd < 0) std::abort();
  if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) std::abort();
  ::close(fd);
}

}  // namespace shmslot::test

// Where a run works: memory shared with its forked children, and a private directory for flink
// files. (Its children are support/child_process.hpp's ChildProcess.)
#pragma once

#include <cstddef>
#include <string>

namespace shmslot::bench {

/// A MAP_SHARED | MAP_ANONYMOUS region: inherited by fork, so parent and child share it. Zeroed.
class SharedRegion {
 public:
  explicit SharedRegion(std::size_t bytes);
  ~SharedRegion();
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool ok() const { return data_ != nullptr; }
  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

/// A fresh private directory for flink files (mkdtemp under $TMPDIR or /tmp), removed with its
/// contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

}  // namespace shmslot::bench

// A unique flink path per test, and a check that a test left nothing behind.
#pragma once

#include <set>
#include <string>

namespace shmslot::test {

// A fresh directory under $TMPDIR for one test's flink files; removed (with a check that it is
// empty) by the destructor.
class TempFlinkDir {
 public:
  TempFlinkDir();
  ~TempFlinkDir();
  TempFlinkDir(const TempFlinkDir&) = delete;
  TempFlinkDir& operator=(const TempFlinkDir&) = delete;

  const std::string& path() const { return dir_; }
  // A flink path in the directory: "<dir>/<name>.flink".
  std::string flink(const std::string& name) const { return dir_ + "/" + name + ".flink"; }
  // Names of the entries still in the directory.
  std::set<std::string> entries() const;

 private:
  std::string dir_;
};

// The names in /dev/shm that start with "shmem_", to compare before and after a test.
std::set<std::string> shm_objects();

}  // namespace shmslot::test

#include "support/temp_flink.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace shmslot::test {

namespace {
std::set<std::string> list(const std::string& dir, const std::string& prefix) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.insert(name);
  }
  return out;
}
}  // namespace

TempFlinkDir::TempFlinkDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/shmslot-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  dir_ = tmpl;
}

TempFlinkDir::~TempFlinkDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::set<std::string> TempFlinkDir::entries() const { return list(dir_, ""); }

std::set<std::string> shm_objects() { return list("/dev/shm", "shmem_"); }

}  // namespace shmslot::test

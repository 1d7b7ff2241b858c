// Helpers shared by the libFuzzer targets: a private temporary directory, per-process unique shm
// names, and small file utilities (write_all is support/fd_io.hpp's). Fuzz code only; built by
// fuzz/build.sh with clang++-14.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fd_io.hpp"

extern "C" void __sanitizer_set_death_callback(void (*callback)(void));

namespace fuzz {

// Removes what the current iteration created (shm object, flink file) when the process dies in the
// middle of it: from fail() and from the sanitizers' death callback, so a finding leaves nothing in
// /dev/shm. Each target sets it once.
inline void (*g_cleanup)() = nullptr;
inline void run_cleanup() {
  if (g_cleanup != nullptr) g_cleanup();
}
inline void install_cleanup(void (*cleanup)()) {
  g_cleanup = cleanup;
  __sanitizer_set_death_callback(&run_cleanup);
}

// Aborts with a message: libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s %s\n", what, detail.c_str());
  run_cleanup();
  std::abort();
}
#define FUZZ_CHECK(cond, detail) \
  do {                           \
    if (!(cond)) ::fuzz::fail(#cond, (detail)); \
  } while (0)

// A private directory (0700) under $TMPDIR or /tmp, made once per process and removed at exit
// (the targets remove every file they create in it each iteration).
inline const std::string& temp_dir() {
  static const std::string dir = [] {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t != nullptr && *t != '\0' ? t : "/tmp") + "/shmslot-fuzz-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) fail("mkdtemp", std::strerror(errno));
    static std::string copy;
    copy = tmpl;
    std::atexit([] { ::rmdir(copy.c_str()); });
    return tmpl;
  }();
  return dir;
}

// "/shmslot_fuzz_<pid>_<tag>": unique per process (parallel -jobs/-workers do not collide).
inline std::string shm_name(const char* tag) {
  return "/shmslot_fuzz_" + std::to_string(::getpid()) + "_" + tag;
}

using shmslot::support::write_all;

// Writes `size` bytes to a fresh file at `path` (O_EXCL, 0600).
inline void write_file(const std::string& path, const void* data, std::size_t size) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) fail("open for write", path + ": " + std::strerror(errno));
  if (!write_all(fd, data, size)) fail("write", path + ": " + std::strerror(errno));
  ::close(fd);
}

// Reads a whole small file; false when it cannot be opened.
inline bool read_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  out.clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

// Creates the shm object `name` (O_CREAT | O_EXCL, 0600) holding exactly `size` bytes of `data`.
// With `may_refuse`, a name shm_open refuses (EINVAL, ENAMETOOLONG) returns false.
inline bool make_shm(const std::string& name, const void* data, std::size_t size, bool may_refuse = false) {
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && may_refuse && (errno == EINVAL || errno == ENAMETOOLONG)) return false;
  if (fd < 0) fail("shm_open O_EXCL", name + ": " + std::strerror(errno));
  if (!write_all(fd, data, size)) fail("write shm", name + ": " + std::strerror(errno));
  ::close(fd);
  return true;
}

inline bool shm_exists(const std::string& name) {
  struct stat st {};
  return ::lstat(("/dev/shm" + name).c_str(), &st) == 0;
}

}  // namespace fuzz

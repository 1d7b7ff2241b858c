// Whole-buffer reads and writes on a file descriptor, for the library (the flink file), its tools,
// tests, benchmarks, examples and fuzz targets alike. fd_io.cpp is compiled into libshmslot (see
// support/CMakeLists.txt), so every program that links shmslot has these and the library needs
// nothing outside itself. Both are async-signal-safe.
#pragma once

#include <cstddef>

namespace shmslot::support {

/// Writes all `size` bytes, retrying after EINTR and short writes. False when write() fails
/// (errno says why) or writes nothing; then an unknown prefix may have been written.
bool write_all(int fd, const void* data, std::size_t size);

/// Reads exactly `size` bytes, retrying after EINTR and short reads. False on error (errno) or
/// end of file before `size` bytes.
bool read_all(int fd, void* data, std::size_t size);

}  // namespace shmslot::support

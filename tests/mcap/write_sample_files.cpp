// write_sample_files PATH none|zstd|lz4 COUNT: the sample file of mcap_test_files.cpp, for the
// readers in js/ that shmslot did not write.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "mcap_test_files.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PATH none|zstd|lz4 COUNT\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[2];
  shmslot::mcap::Compression compression = shmslot::mcap::Compression::None;
  if (kind == "zstd") compression = shmslot::mcap::Compression::Zstd;
  else if (kind == "lz4") compression = shmslot::mcap::Compression::Lz4;
  else if (kind != "none") return 2;
  // Small chunks, so that readers merge several of them.
  shmslot::test::write_sample_file(argv[1], compression, 2000, static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10)));
  return ::testing::Test::HasFailure() ? 1 : 0;
}

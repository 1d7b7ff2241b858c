// The reader against bad files: every truncation and every single-byte corruption of a valid file
// is an error or reads exactly what was written; nothing crashes (ASan/UBSan run this too).
#include <unistd.h>

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "mcap_test_files.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using mcap::Compression;
using mcap::McapErrorCode;

class McapCorrupt : public ::testing::TestWithParam<Compression> {
 protected:
  void SetUp() override {
    write_sample_file(good_, GetParam(), 300, 24);
    bytes_ = file_bytes(good_);
    auto back = read_all(good_);
    ASSERT_TRUE(back);
    expected_ = *back;
  }
  ~McapCorrupt() override {
    ::unlink(good_.c_str());
    ::unlink(bad_.c_str());
  }
  bool same_as_written(const ReadBack& r) const {
    return r.messages == expected_.messages && r.channels.size() == expected_.channels.size() &&
           r.metadata.size() == expected_.metadata.size();
  }

  TempFlinkDir dir_;
  std::string good_ = dir_.path() + "/good.mcap";
  std::string bad_ = dir_.path() + "/bad.mcap";
  std::vector<std::uint8_t> bytes_;
  ReadBack expected_;
};

TEST_P(McapCorrupt, EveryTruncationIsReported) {
  for (std::size_t n = 0; n < bytes_.size(); ++n) {
    write_file(bad_, std::vector<std::uint8_t>(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n)));
    auto r = read_all(bad_);
    ASSERT_FALSE(r) << "cut to " << n << " of " << bytes_.size() << " bytes";
    EXPECT_TRUE(r.error().code == McapErrorCode::Truncated || r.error().code == McapErrorCode::NotMcap)
        << n << ": " << r.error().message();
  }
}

TEST_P(McapCorrupt, EveryFlippedByteIsReportedOrChangesNothingRead) {
  std::size_t reported = 0;
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    auto bad = bytes_;
    bad[i] ^= 0x41;
    write_file(bad_, bad);
    auto r = read_all(bad_);
    if (!r) {
      ++reported;
      EXPECT_FALSE(r.error().message().empty());
      continue;
    }
    EXPECT_TRUE(same_as_written(*r)) << "byte " << i << " changed what was read without an error";
  }
  EXPECT_GT(reported, bytes_.size() * 9 / 10);  // the CRCs cover nearly every byte
}

INSTANTIATE_TEST_SUITE_P(Kinds, McapCorrupt, ::testing::Values(Compression::None, Compression::Zstd, Compression::Lz4),
                         [](const auto& param_info) { return compression_test_name(param_info.param); });

TEST(McapCorruptFiles, SpecificDamageGetsAClearError) {
  TempFlinkDir dir;
  const std::string path = dir.path() + "/x.mcap";
  write_file(path, {'h', 'e', 'l', 'l', 'o'});
  auto r = read_all(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, McapErrorCode::NotMcap);

  write_sample_file(path + "2", Compression::Zstd, 100000, 10);
  auto bytes = file_bytes(path + "2");
  ::unlink((path + "2").c_str());
  // The compression name "zstd" inside the (single) chunk record becomes "zstX".
  const std::string name = "zstd";
  auto it = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
  ASSERT_NE(it, bytes.end());
  it[3] = 'X';
  write_file(path, bytes);
  r = read_all(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, McapErrorCode::Unsupported);
  EXPECT_NE(r.error().message().find("zstX"), std::string::npos) << r.error().message();

  r = read_all(dir.path() + "/missing.mcap");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, McapErrorCode::Io);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace shmslot::test

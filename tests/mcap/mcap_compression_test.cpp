// Chunk compression: each kind round-trips, writes the frame format MCAP names, and refuses
// corrupt input or a wrong size with an error.
#include <gtest/gtest.h>

#include "mcap_compression.hpp"
#include "mcap_test_files.hpp"

namespace shmslot::mcap {
namespace {

std::vector<std::uint8_t> compressible(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i / 7) % 13);
  return v;
}

class McapCompression : public ::testing::TestWithParam<Compression> {};

TEST_P(McapCompression, RoundTrips) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{300000}}) {
    const auto in = compressible(n);
    std::vector<std::uint8_t> packed;
    ASSERT_TRUE(compress(GetParam(), in, packed));
    std::vector<std::uint8_t> out;
    auto r = decompress(GetParam(), packed, in.size(), out);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(out, in);
  }
}

TEST_P(McapCompression, AWrongUncompressedSizeIsAnError) {
  const auto in = compressible(1000);
  std::vector<std::uint8_t> packed;
  ASSERT_TRUE(compress(GetParam(), in, packed));
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(decompress(GetParam(), packed, in.size() - 1, out));
  EXPECT_FALSE(decompress(GetParam(), packed, in.size() + 1, out));
  auto huge = decompress(GetParam(), packed, kMaxUncompressedChunk + 1, out);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, McapErrorCode::Unsupported);
}

TEST_P(McapCompression, CorruptOrCutInputIsAnErrorNotACrash) {
  const auto in = compressible(5000);
  std::vector<std::uint8_t> packed;
  ASSERT_TRUE(compress(GetParam(), in, packed));
  std::vector<std::uint8_t> out;
  for (std::size_t n = 0; n < packed.size(); ++n) {
    EXPECT_FALSE(decompress(GetParam(), std::span<const std::uint8_t>(packed).first(n), in.size(), out)) << n;
  }
  std::size_t caught = 0;
  for (std::size_t i = 0; i < packed.size(); ++i) {
    auto bad = packed;
    bad[i] ^= 0x5A;
    auto r = decompress(GetParam(), bad, in.size(), out);
    if (!r || out != in) ++caught;  // a flip either fails or changes the bytes (the chunk CRC catches those)
  }
  EXPECT_GT(caught, packed.size() / 2);
}

INSTANTIATE_TEST_SUITE_P(Kinds, McapCompression, ::testing::Values(Compression::None, Compression::Zstd, Compression::Lz4),
                         [](const auto& param_info) { return test::compression_test_name(param_info.param); });

TEST(McapCompressionFormat, WritesTheFramesMcapNames) {
  const auto in = compressible(100);
  std::vector<std::uint8_t> packed;
  ASSERT_TRUE(compress(Compression::Zstd, in, packed));
  ASSERT_GE(packed.size(), 4U);
  EXPECT_EQ(packed[0], 0x28);  // zstd frame magic 0xFD2FB528, little-endian
  EXPECT_EQ(packed[3], 0xFD);
  ASSERT_TRUE(compress(Compression::Lz4, in, packed));
  ASSERT_GE(packed.size(), 4U);
  EXPECT_EQ(packed[0], 0x04);  // LZ4 frame magic 0x184D2204, not a raw LZ4 block
  EXPECT_EQ(packed[3], 0x18);
  EXPECT_EQ(chunk_compression_name(Compression::None), "");
  EXPECT_EQ(compression_from_chunk_name("lz4"), Compression::Lz4);
  EXPECT_FALSE(compression_from_chunk_name("bz2"));
}

}  // namespace
}  // namespace shmslot::mcap

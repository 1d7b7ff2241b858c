// Whole files: what the writer writes reads back unchanged through the reader, with every
// compression, and the file's structure (magic, footer, summary, offsets, CRCs) is what the
// specification asks for, checked byte by byte rather than through the reader.
#include <unistd.h>

#include <algorithm>
#include <set>

#include <gtest/gtest.h>


#include "mcap_crc32.hpp"
#include "mcap_test_files.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using mcap::Compression;

std::uint64_t le64_at(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b.at(at + static_cast<std::size_t>(i));
  return v;
}

std::uint32_t le32_at(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b.at(at + static_cast<std::size_t>(i));
  return v;
}

class McapFile : public ::testing::TestWithParam<Compression> {
 protected:
  ~McapFile() override { ::unlink(path_.c_str()); }
  TempFlinkDir dir_;
  std::string path_ = dir_.path() + "/file.mcap";
};

TEST_P(McapFile, WhatIsWrittenReadsBackInOrder) {
  constexpr std::uint32_t kCount = 500;
  write_sample_file(path_, GetParam(), 1000, kCount);  // small chunks: many of them
  auto back = read_all(path_);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->messages.size(), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const auto& m = back->messages[i];
    EXPECT_EQ(m.channel_id, i % 2 == 0 ? 1 : 2);
    EXPECT_EQ(m.sequence, i);
    EXPECT_EQ(m.log_time, 1000U + i);
    EXPECT_EQ(m.publish_time, 500U + i);
    const auto expected = sample_payload(i);
    ASSERT_EQ(m.data.size(), expected.size()) << i;
    EXPECT_TRUE(std::equal(m.data.begin(), m.data.end(), expected.begin(),
                           [](std::uint8_t a, std::byte b) { return a == static_cast<std::uint8_t>(b); }))
        << i;
  }
  ASSERT_EQ(back->channels.size(), 2U);
  EXPECT_EQ(back->channels[0].topic, "alpha");
  EXPECT_EQ(back->channels[0].metadata.at("capacity"), "128");
  ASSERT_EQ(back->metadata.size(), 1U);
  EXPECT_EQ(back->metadata[0].name, "shmslot.recording");

  auto r = mcap::Reader::open(path_);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->statistics());
  EXPECT_EQ(r->statistics()->message_count, kCount);
  EXPECT_EQ(r->statistics()->channel_message_counts.at(1), kCount / 2);
  EXPECT_EQ(r->statistics()->message_start_time, 1000U);
  EXPECT_EQ(r->statistics()->message_end_time, 1000U + kCount - 1);
  EXPECT_GT(r->statistics()->chunk_count, 10U);
  EXPECT_EQ(r->chunk_index_count(), r->statistics()->chunk_count);
  EXPECT_EQ(r->header().library, "shmslot test");
}

TEST_P(McapFile, TheStructureIsWhatTheSpecificationAsksFor) {
  write_sample_file(path_, GetParam(), 4000, 200);
  const auto b = file_bytes(path_);
  ASSERT_GT(b.size(), 100U);
  const std::vector<std::uint8_t> magic(mcap::kMagic.begin(), mcap::kMagic.end());
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.begin() + 8), magic);
  EXPECT_EQ(std::vector<std::uint8_t>(b.end() - 8, b.end()), magic);
  EXPECT_EQ(b[8], 0x01);  // Header first

  const std::size_t footer = b.size() - 8 - 29;
  ASSERT_EQ(b[footer], 0x02);
  const std::uint64_t summary_start = le64_at(b, footer + 9);
  const std::uint64_t summary_offset_start = le64_at(b, footer + 17);
  const std::uint32_t summary_crc = le32_at(b, footer + 25);
  ASSERT_LT(summary_start, summary_offset_start);
  ASSERT_LT(summary_offset_start, footer);
  // The summary CRC covers the summary through the footer's summary_offset_start field.
  EXPECT_EQ(summary_crc, mcap::crc32(std::span<const std::uint8_t>(b).subspan(summary_start, footer + 25 - summary_start)));

  // DataEnd sits right before the summary; its CRC covers every byte before it.
  const std::size_t data_end = summary_start - 13;
  ASSERT_EQ(b[data_end], 0x0F);
  EXPECT_EQ(le32_at(b, data_end + 9), mcap::crc32(std::span<const std::uint8_t>(b).first(data_end)));

  // Summary offsets: each names a group of records of its opcode, and they tile the summary.
  std::uint64_t expected_start = summary_start;
  std::set<std::uint8_t> groups;
  for (std::size_t at = summary_offset_start; at < footer;) {
    ASSERT_EQ(b[at], 0x0E);
    const std::uint8_t op = b[at + 9];
    const std::uint64_t start = le64_at(b, at + 10);
    const std::uint64_t length = le64_at(b, at + 18);
    EXPECT_EQ(start, expected_start);
    for (std::uint64_t r = start; r < start + length;) {
      EXPECT_EQ(b.at(r), op);
      r += 9 + le64_at(b, r + 1);
    }
    expected_start = start + length;
    groups.insert(op);
    at += 9 + le64_at(b, at + 1);
  }
  EXPECT_EQ(expected_start, summary_offset_start);
  EXPECT_EQ(groups, (std::set<std::uint8_t>{0x04, 0x0B, 0x08, 0x0D}));  // channels, statistics, chunk and metadata indexes

  // Every chunk index points at a Chunk record of its length, followed by its message indexes.
  std::size_t chunks = 0;
  for (std::size_t at = summary_start; at < summary_offset_start; at += 9 + le64_at(b, at + 1)) {
    if (b[at] != 0x08) continue;
    ++chunks;
    const std::uint64_t chunk_start = le64_at(b, at + 9 + 16);
    const std::uint64_t chunk_length = le64_at(b, at + 9 + 24);
    ASSERT_EQ(b.at(chunk_start), 0x06);
    EXPECT_EQ(9 + le64_at(b, chunk_start + 1), chunk_length);
    const std::uint32_t map_length = le32_at(b, at + 9 + 32);
    for (std::size_t e = at + 9 + 36; e < at + 9 + 36 + map_length; e += 10) {
      const std::uint64_t index_at = le64_at(b, e + 2);
      EXPECT_EQ(b.at(index_at), 0x07);
      EXPECT_EQ(b.at(index_at + 9), b.at(e));  // the MessageIndex of that channel
      EXPECT_GE(index_at, chunk_start + chunk_length);
    }
  }
  EXPECT_GT(chunks, 1U);
}

INSTANTIATE_TEST_SUITE_P(Kinds, McapFile, ::testing::Values(Compression::None, Compression::Zstd, Compression::Lz4),
                         [](const auto& param_info) { return compression_test_name(param_info.param); });

TEST(McapWriterOptions, RefusesAnExistingFileAndABadChunkSize) {
  TempFlinkDir dir;
  const std::string path = dir.path() + "/exists.mcap";
  write_file(path, {1, 2, 3});
  mcap::WriterOptions options;
  auto w = mcap::Writer::create(path, options);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mcap::McapErrorCode::Io);
  EXPECT_EQ(file_bytes(path), (std::vector<std::uint8_t>{1, 2, 3}));  // untouched
  options.chunk_size = 0;
  options.overwrite = true;
  EXPECT_FALSE(mcap::Writer::create(path, options));
  ::unlink(path.c_str());
}

TEST(McapWriterOptions, AnEmptyRecordingIsAValidFile) {
  TempFlinkDir dir;
  const std::string path = dir.path() + "/empty.mcap";
  auto w = mcap::Writer::create(path, {});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->add_channel("quiet", "raw", {}));
  ASSERT_TRUE(w->close());
  auto back = read_all(path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_TRUE(back->messages.empty());
  EXPECT_EQ(back->channels.size(), 1U);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace shmslot::test

namespace shmslot::test {
namespace {

// A file another writer could produce: no chunks (messages in the data section), no summary, a
// zero data-section CRC, a schema; the reader streams it all the same.
TEST(McapForeignFile, UnchunkedWithoutSummaryReads) {
  TempFlinkDir dir;
  const std::string path = dir.path() + "/plain.mcap";
  std::vector<std::uint8_t> b(mcap::kMagic.begin(), mcap::kMagic.end());
  mcap::append_record(b, mcap::Header{"", "elsewhere"});
  mcap::append_record(b, mcap::Schema{1, "Pose", "jsonschema", {'{', '}'}});
  mcap::append_record(b, mcap::Channel{3, 1, "/pose", "json", {}});
  const std::vector<std::uint8_t> p1 = {'{', '}'};
  const std::vector<std::uint8_t> p2 = {'[', ']'};
  mcap::append_record(b, mcap::Message{3, 7, 100, 90, p1});
  mcap::append_record(b, mcap::Metadata{"run", {{"by", "hand"}}});
  mcap::append_record(b, mcap::Message{3, 8, 200, 190, p2});
  mcap::append_record(b, mcap::DataEnd{0});
  mcap::append_record(b, mcap::Footer{0, 0, 0});
  b.insert(b.end(), mcap::kMagic.begin(), mcap::kMagic.end());
  write_file(path, b);
  auto back = read_all(path);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->messages.size(), 2U);
  EXPECT_EQ(back->messages[1].sequence, 8U);
  EXPECT_EQ(back->messages[1].data, p2);
  ASSERT_EQ(back->channels.size(), 1U);
  EXPECT_EQ(back->channels[0].topic, "/pose");
  ASSERT_EQ(back->metadata.size(), 1U);
  auto r = mcap::Reader::open(path);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->statistics());

  // A message before its channel is malformed, not a crash.
  std::vector<std::uint8_t> c(mcap::kMagic.begin(), mcap::kMagic.end());
  mcap::append_record(c, mcap::Header{"", ""});
  mcap::append_record(c, mcap::Message{9, 0, 0, 0, p1});
  mcap::append_record(c, mcap::DataEnd{0});
  mcap::append_record(c, mcap::Footer{0, 0, 0});
  c.insert(c.end(), mcap::kMagic.begin(), mcap::kMagic.end());
  write_file(path, c);
  auto bad = read_all(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, mcap::McapErrorCode::Malformed);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace shmslot::test

// The MCAP module's building blocks: CRC-32, bounds-checked decoding, and records byte for byte.
#include <gtest/gtest.h>

#include <string_view>

#include "mcap_bytes.hpp"
#include "mcap_crc32.hpp"
#include "mcap_records.hpp"

namespace shmslot::mcap {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(McapCrc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32(bytes_of("123456789")), 0xCBF43926U);  // the CRC-32/ISO-HDLC check value
  EXPECT_EQ(crc32({}), 0U);
  Crc32 pieces;
  pieces.update(bytes_of("1234"));
  pieces.update(bytes_of("56789"));
  EXPECT_EQ(pieces.value(), 0xCBF43926U);
}

TEST(McapBytes, ReadsRefuseToRunPastTheEnd) {
  const std::vector<std::uint8_t> data = {0x05, 0, 0, 0, 'a', 'b'};  // a string that claims 5 bytes, has 2
  ByteSource s(data);
  std::string str;
  EXPECT_FALSE(s.string(str));
  EXPECT_EQ(s.remaining(), data.size());  // nothing consumed
  std::uint64_t v = 0;
  EXPECT_FALSE(s.u64(v));
  std::uint32_t n = 0;
  EXPECT_TRUE(s.u32(n));
  EXPECT_EQ(n, 5U);
}

TEST(McapRecords, MessageIsEncodedAsTheSpecificationLaysItOut) {
  std::vector<std::uint8_t> out;
  const std::vector<std::uint8_t> payload = {0xAA, 0xBB};
  append_record(out, Message{0x0102, 0x03040506, 0x1122334455667788, 0x99, payload});
  const std::vector<std::uint8_t> expected = {
      0x05,                                            // opcode
      24, 0, 0, 0, 0, 0, 0, 0,                         // content length: 2 + 4 + 8 + 8 + 2
      0x02, 0x01,                                      // channel_id
      0x06, 0x05, 0x04, 0x03,                          // sequence
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // log_time
      0x99, 0, 0, 0, 0, 0, 0, 0,                       // publish_time
      0xAA, 0xBB};                                     // data, no length prefix
  EXPECT_EQ(out, expected);
}

TEST(McapRecords, FooterAndChannelAreEncodedAsTheSpecificationLaysThemOut) {
  std::vector<std::uint8_t> out;
  append_record(out, Footer{0x10, 0x20, 0xDEADBEEF});
  const std::vector<std::uint8_t> footer = {0x02, 20, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0,    0,    0,    0,
                                            0,    0,  0x20, 0, 0, 0, 0, 0, 0, 0, 0xEF, 0xBE, 0xAD, 0xDE};
  EXPECT_EQ(out, footer);
  out.clear();
  append_record(out, Channel{1, 0, "t", "raw", {{"k", "v"}}});
  const std::vector<std::uint8_t> channel = {0x04, 30, 0, 0, 0, 0, 0, 0, 0,   // prefix
                                             1,    0,                          // id
                                             0,    0,                          // schema_id
                                             1,    0, 0, 0, 't',               // topic
                                             3,    0, 0, 0, 'r', 'a', 'w',     // message_encoding
                                             10,   0, 0, 0,                    // map: byte length
                                             1,    0, 0, 0, 'k', 1, 0, 0, 0, 'v'};
  EXPECT_EQ(out, channel);
}

// Encodes `r`, checks the prefix, and returns the content for the parser.
template <class R>
std::vector<std::uint8_t> content_of(const R& r, Opcode op) {
  std::vector<std::uint8_t> out;
  append_record(out, r);
  EXPECT_EQ(out.at(0), static_cast<std::uint8_t>(op));
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | out.at(1 + static_cast<std::size_t>(i));
  EXPECT_EQ(length, out.size() - kRecordPrefixSize);
  return {out.begin() + kRecordPrefixSize, out.end()};
}

TEST(McapRecords, EveryRecordDecodesToWhatWasEncoded) {
  auto h = parse_header(content_of(Header{"prof", "lib"}, Opcode::Header));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->profile, "prof");
  EXPECT_EQ(h->library, "lib");

  const Channel channel{7, 0, "/tmp/x", "raw", {{"a", "1"}, {"b", ""}}};
  auto c = parse_channel(content_of(channel, Opcode::Channel));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, 7);
  EXPECT_EQ(c->topic, "/tmp/x");
  EXPECT_EQ(c->metadata, channel.metadata);

  const std::vector<std::uint8_t> records = {1, 2, 3};
  const auto chunk_content = content_of(Chunk{1, 2, 3, 4, "zstd", records}, Opcode::Chunk);  // k views it
  auto k = parse_chunk(chunk_content);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->compression, "zstd");
  EXPECT_EQ(std::vector<std::uint8_t>(k->records.begin(), k->records.end()), records);
  EXPECT_EQ(k->uncompressed_crc, 4U);

  auto mi = parse_message_index(content_of(MessageIndex{3, {{10, 0}, {11, 40}}}, Opcode::MessageIndex));
  ASSERT_TRUE(mi);
  EXPECT_EQ(mi->entries.size(), 2U);
  EXPECT_EQ(mi->entries[1], (std::pair<std::uint64_t, std::uint64_t>{11, 40}));

  ChunkIndex ci;
  ci.chunk_start_offset = 99;
  ci.message_index_offsets = {{1, 200}, {2, 230}};
  ci.compression = "lz4";
  ci.uncompressed_size = 5;
  auto ci2 = parse_chunk_index(content_of(ci, Opcode::ChunkIndex));
  ASSERT_TRUE(ci2);
  EXPECT_EQ(ci2->message_index_offsets, ci.message_index_offsets);
  EXPECT_EQ(ci2->compression, "lz4");
  EXPECT_EQ(ci2->uncompressed_size, 5U);

  Statistics st;
  st.message_count = 12;
  st.channel_count = 2;
  st.channel_message_counts = {{1, 5}, {2, 7}};
  auto st2 = parse_statistics(content_of(st, Opcode::Statistics));
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->message_count, 12U);
  EXPECT_EQ(st2->channel_message_counts, st.channel_message_counts);

  auto md = parse_metadata(content_of(Metadata{"n", {{"k", "v"}}}, Opcode::Metadata));
  ASSERT_TRUE(md);
  EXPECT_EQ(md->metadata.at("k"), "v");
  auto mdi = parse_metadata_index(content_of(MetadataIndex{5, 6, "n"}, Opcode::MetadataIndex));
  ASSERT_TRUE(mdi);
  EXPECT_EQ(mdi->length, 6U);
  auto so = parse_summary_offset(content_of(SummaryOffset{Opcode::ChunkIndex, 7, 8}, Opcode::SummaryOffset));
  ASSERT_TRUE(so);
  EXPECT_EQ(so->group_opcode, Opcode::ChunkIndex);
  auto de = parse_data_end(content_of(DataEnd{0x12345678}, Opcode::DataEnd));
  ASSERT_TRUE(de);
  EXPECT_EQ(de->data_section_crc, 0x12345678U);
}

TEST(McapRecords, EveryShortenedContentIsMalformedNotACrash) {
  ChunkIndex ci;
  ci.message_index_offsets = {{1, 2}};
  ci.compression = "zstd";
  const auto full = content_of(ci, Opcode::ChunkIndex);
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = parse_chunk_index(std::span<const std::uint8_t>(full).first(n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, McapErrorCode::Malformed);
  }
  const std::vector<std::uint8_t> records(10, 7);
  const auto chunk = content_of(Chunk{0, 0, 10, 0, "", records}, Opcode::Chunk);
  for (std::size_t n = 0; n < chunk.size(); ++n) {
    EXPECT_FALSE(parse_chunk(std::span<const std::uint8_t>(chunk).first(n))) << n;
  }
  const auto channel = content_of(Channel{1, 0, "t", "e", {{"k", "v"}}}, Opcode::Channel);
  for (std::size_t n = 0; n < channel.size(); ++n) {
    EXPECT_FALSE(parse_channel(std::span<const std::uint8_t>(channel).first(n))) << n;
  }
}

TEST(McapRecords, FieldsAfterTheKnownOnesAreIgnored) {
  auto content = content_of(DataEnd{42}, Opcode::DataEnd);
  content.push_back(0xFF);  // a field a later format version might add
  auto de = parse_data_end(content);
  ASSERT_TRUE(de);
  EXPECT_EQ(de->data_section_crc, 42U);
}

}  // namespace
}  // namespace shmslot::mcap

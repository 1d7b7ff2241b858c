// The MCAP records this module writes and reads (MCAP format version 0, mcap.dev/spec), their
// opcodes, and their encoding. Every record is framed as <opcode u8><content length u64><content>.
// Decoding checks every length against the record it sits in.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "mcap_error.hpp"

namespace shmslot::mcap {

/// The first and last 8 bytes of every MCAP file: 0x89 "MCAP" '0' "\r\n" ('0': major version).
inline constexpr std::array<std::uint8_t, 8> kMagic = {0x89, 'M', 'C', 'A', 'P', '0', '\r', '\n'};

/// Opcode byte + u64 content length.
inline constexpr std::size_t kRecordPrefixSize = 9;

enum class Opcode : std::uint8_t {
  Header = 0x01,
  Footer = 0x02,
  Schema = 0x03,
  Channel = 0x04,
  Message = 0x05,
  Chunk = 0x06,
  MessageIndex = 0x07,
  ChunkIndex = 0x08,
  Attachment = 0x09,
  AttachmentIndex = 0x0A,
  Statistics = 0x0B,
  Metadata = 0x0C,
  MetadataIndex = 0x0D,
  SummaryOffset = 0x0E,
  DataEnd = 0x0F,
};

/// Map<string, string>, kept sorted so that files are reproducible.
using KeyValues = std::map<std::string, std::string>;

struct Header {
  std::string profile;
  std::string library;
};

/// The footer's content is fixed: 8 + 8 + 4 bytes.
inline constexpr std::size_t kFooterContentSize = 20;
struct Footer {
  std::uint64_t summary_start = 0;         ///< 0: no summary section
  std::uint64_t summary_offset_start = 0;  ///< 0: no summary offset section
  std::uint32_t summary_crc = 0;           ///< 0: not recorded
};

struct Schema {
  std::uint16_t id = 0;
  std::string name;
  std::string encoding;
  std::vector<std::uint8_t> data;
};

struct Channel {
  std::uint16_t id = 0;
  std::uint16_t schema_id = 0;  ///< 0: no schema
  std::string topic;
  std::string message_encoding;
  KeyValues metadata;
};

/// A message; `data` views the buffer it was decoded from (or the caller's payload when encoding).
struct Message {
  std::uint16_t channel_id = 0;
  std::uint32_t sequence = 0;
  std::uint64_t log_time = 0;
  std::uint64_t publish_time = 0;
  std::span<const std::uint8_t> data;
};

/// A chunk; `records` views the (possibly compressed) record bytes.
struct Chunk {
  std::uint64_t message_start_time = 0;
  std::uint64_t message_end_time = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint32_t uncompressed_crc = 0;  ///< 0: not recorded
  std::string compression;             ///< "", "zstd" or "lz4"
  std::span<const std::uint8_t> records;
};

/// One chunk's messages of one channel: (log_time, offset in the uncompressed chunk records).
struct MessageIndex {
  std::uint16_t channel_id = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
};

struct ChunkIndex {
  std::uint64_t message_start_time = 0;
  std::uint64_t message_end_time = 0;
  std::uint64_t chunk_start_offset = 0;  ///< where the chunk record starts in the file
  std::uint64_t chunk_length = 0;        ///< the whole chunk record, prefix included
  std::map<std::uint16_t, std::uint64_t> message_index_offsets;  ///< channel -> its MessageIndex record
  std::uint64_t message_index_length = 0;  ///< all MessageIndex records after the chunk, prefixes included
  std::string compression;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
};

struct Statistics {
  std::uint64_t message_count = 0;
  std::uint16_t schema_count = 0;
  std::uint32_t channel_count = 0;
  std::uint32_t attachment_count = 0;
  std::uint32_t metadata_count = 0;
  std::uint32_t chunk_count = 0;
  std::uint64_t message_start_time = 0;
  std::uint64_t message_end_time = 0;
  std::map<std::uint16_t, std::uint64_t> channel_message_counts;
};

struct Metadata {
  std::string name;
  KeyValues metadata;
};

struct MetadataIndex {
  std::uint64_t offset = 0;  ///< where the Metadata record starts
  std::uint64_t length = 0;  ///< the whole record, prefix included
  std::string name;
};

struct SummaryOffset {
  Opcode group_opcode = Opcode::Channel;
  std::uint64_t group_start = 0;
  std::uint64_t group_length = 0;
};

struct DataEnd {
  std::uint32_t data_section_crc = 0;  ///< 0: not recorded
};

/// Append one framed record (prefix and content) to `out`.
void append_record(std::vector<std::uint8_t>& out, const Header& r);
void append_record(std::vector<std::uint8_t>& out, const Footer& r);
void append_record(std::vector<std::uint8_t>& out, const Schema& r);
void append_record(std::vector<std::uint8_t>& out, const Channel& r);
void append_record(std::vector<std::uint8_t>& out, const Message& r);
void append_record(std::vector<std::uint8_t>& out, const Chunk& r);
void append_record(std::vector<std::uint8_t>& out, const MessageIndex& r);
void append_record(std::vector<std::uint8_t>& out, const ChunkIndex& r);
void append_record(std::vector<std::uint8_t>& out, const Statistics& r);
void append_record(std::vector<std::uint8_t>& out, const Metadata& r);
void append_record(std::vector<std::uint8_t>& out, const MetadataIndex& r);
void append_record(std::vector<std::uint8_t>& out, const SummaryOffset& r);
void append_record(std::vector<std::uint8_t>& out, const DataEnd& r);

/// Decode a record's content (without its prefix). Fields the format may grow after the ones
/// known here are ignored, as the specification asks; a content shorter than its fields is Malformed.
tl::expected<Header, McapError> parse_header(std::span<const std::uint8_t> content);
tl::expected<Footer, McapError> parse_footer(std::span<const std::uint8_t> content);
tl::expected<Schema, McapError> parse_schema(std::span<const std::uint8_t> content);
tl::expected<Channel, McapError> parse_channel(std::span<const std::uint8_t> content);
tl::expected<Message, McapError> parse_message(std::span<const std::uint8_t> content);
tl::expected<Chunk, McapError> parse_chunk(std::span<const std::uint8_t> content);
tl::expected<MessageIndex, McapError> parse_message_index(std::span<const std::uint8_t> content);
tl::expected<ChunkIndex, McapError> parse_chunk_index(std::span<const std::uint8_t> content);
tl::expected<Statistics, McapError> parse_statistics(std::span<const std::uint8_t> content);
tl::expected<Metadata, McapError> parse_metadata(std::span<const std::uint8_t> content);
tl::expected<MetadataIndex, McapError> parse_metadata_index(std::span<const std::uint8_t> content);
tl::expected<SummaryOffset, McapError> parse_summary_offset(std::span<const std::uint8_t> content);
tl::expected<DataEnd, McapError> parse_data_end(std::span<const std::uint8_t> content);

/// The name of an opcode for messages ("Chunk"), or "opcode 0x42" for one this module does not know.
std::string opcode_name(std::uint8_t opcode);

}  // namespace shmslot::mcap

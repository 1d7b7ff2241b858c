#include "mcap_records.hpp"

#include <fmt/core.h>

#include "mcap_bytes.hpp"

namespace shmslot::mcap {

namespace {

// Writes the opcode and a length placeholder; returns where the length goes.
std::size_t begin_record(std::vector<std::uint8_t>& out, Opcode op) {
  out.push_back(static_cast<std::uint8_t>(op));
  const std::size_t at = out.size();
  out.resize(out.size() + 8);
  return at;
}

void end_record(std::vector<std::uint8_t>& out, std::size_t at) {
  const std::uint64_t length = out.size() - at - 8;
  for (std::size_t i = 0; i < 8; ++i) out[at + i] = static_cast<std::uint8_t>(length >> (8 * i));
}

void key_values(ByteSink& s, const KeyValues& kv) {
  const std::size_t at = s.u32_placeholder();
  for (const auto& [key, value] : kv) {
    s.string(key);
    s.string(value);
  }
  s.patch_u32_length(at);
}

void u16_u64_map(ByteSink& s, const std::map<std::uint16_t, std::uint64_t>& m) {
  const std::size_t at = s.u32_placeholder();
  for (const auto& [key, value] : m) {
    s.u16(key);
    s.u64(value);
  }
  s.patch_u32_length(at);
}

tl::unexpected<McapError> malformed(const char* record, const char* why) {
  return tl::unexpected(McapError{McapErrorCode::Malformed, fmt::format("{} record: {}", record, why)});
}

bool parse_key_values(ByteSource& s, KeyValues& kv) {
  std::span<const std::uint8_t> bytes;
  if (!s.prefixed32(bytes)) return false;
  ByteSource inner(bytes);
  while (inner.remaining() > 0) {
    std::string key;
    std::string value;
    if (!inner.string(key) || !inner.string(value)) return false;
    kv[key] = std::move(value);
  }
  return true;
}

bool parse_u16_u64_map(ByteSource& s, std::map<std::uint16_t, std::uint64_t>& m) {
  std::span<const std::uint8_t> bytes;
  if (!s.prefixed32(bytes)) return false;
  ByteSource inner(bytes);
  while (inner.remaining() > 0) {
    std::uint16_t key = 0;
    std::uint64_t value = 0;
    if (!inner.u16(key) || !inner.u64(value)) return false;
    m[key] = value;
  }
  return true;
}

}  // namespace

void append_record(std::vector<std::uint8_t>& out, const Header& r) {
  const std::size_t at = begin_record(out, Opcode::Header);
  ByteSink s(out);
  s.string(r.profile);
  s.string(r.library);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Footer& r) {
  const std::size_t at = begin_record(out, Opcode::Footer);
  ByteSink s(out);
  s.u64(r.summary_start);
  s.u64(r.summary_offset_start);
  s.u32(r.summary_crc);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Schema& r) {
  const std::size_t at = begin_record(out, Opcode::Schema);
  ByteSink s(out);
  s.u16(r.id);
  s.string(r.name);
  s.string(r.encoding);
  s.u32(static_cast<std::uint32_t>(r.data.size()));
  s.raw(r.data);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Channel& r) {
  const std::size_t at = begin_record(out, Opcode::Channel);
  ByteSink s(out);
  s.u16(r.id);
  s.u16(r.schema_id);
  s.string(r.topic);
  s.string(r.message_encoding);
  key_values(s, r.metadata);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Message& r) {
  const std::size_t at = begin_record(out, Opcode::Message);
  ByteSink s(out);
  s.u16(r.channel_id);
  s.u32(r.sequence);
  s.u64(r.log_time);
  s.u64(r.publish_time);
  s.raw(r.data);  // the rest of the record, no length prefix
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Chunk& r) {
  const std::size_t at = begin_record(out, Opcode::Chunk);
  ByteSink s(out);
  s.u64(r.message_start_time);
  s.u64(r.message_end_time);
  s.u64(r.uncompressed_size);
  s.u32(r.uncompressed_crc);
  s.string(r.compression);
  s.u64(r.records.size());  // the one u64 length prefix of the format
  s.raw(r.records);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const MessageIndex& r) {
  const std::size_t at = begin_record(out, Opcode::MessageIndex);
  ByteSink s(out);
  s.u16(r.channel_id);
  const std::size_t array = s.u32_placeholder();
  for (const auto& [log_time, offset] : r.entries) {
    s.u64(log_time);
    s.u64(offset);
  }
  s.patch_u32_length(array);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const ChunkIndex& r) {
  const std::size_t at = begin_record(out, Opcode::ChunkIndex);
  ByteSink s(out);
  s.u64(r.message_start_time);
  s.u64(r.message_end_time);
  s.u64(r.chunk_start_offset);
  s.u64(r.chunk_length);
  u16_u64_map(s, r.message_index_offsets);
  s.u64(r.message_index_length);
  s.string(r.compression);
  s.u64(r.compressed_size);
  s.u64(r.uncompressed_size);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Statistics& r) {
  const std::size_t at = begin_record(out, Opcode::Statistics);
  ByteSink s(out);
  s.u64(r.message_count);
  s.u16(r.schema_count);
  s.u32(r.channel_count);
  s.u32(r.attachment_count);
  s.u32(r.metadata_count);
  s.u32(r.chunk_count);
  s.u64(r.message_start_time);
  s.u64(r.message_end_time);
  u16_u64_map(s, r.channel_message_counts);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const Metadata& r) {
  const std::size_t at = begin_record(out, Opcode::Metadata);
  ByteSink s(out);
  s.string(r.name);
  key_values(s, r.metadata);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const MetadataIndex& r) {
  const std::size_t at = begin_record(out, Opcode::MetadataIndex);
  ByteSink s(out);
  s.u64(r.offset);
  s.u64(r.length);
  s.string(r.name);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const SummaryOffset& r) {
  const std::size_t at = begin_record(out, Opcode::SummaryOffset);
  ByteSink s(out);
  s.u8(static_cast<std::uint8_t>(r.group_opcode));
  s.u64(r.group_start);
  s.u64(r.group_length);
  end_record(out, at);
}

void append_record(std::vector<std::uint8_t>& out, const DataEnd& r) {
  const std::size_t at = begin_record(out, Opcode::DataEnd);
  ByteSink s(out);
  s.u32(r.data_section_crc);
  end_record(out, at);
}

tl::expected<Header, McapError> parse_header(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Header r;
  if (!s.string(r.profile) || !s.string(r.library)) return malformed("Header", "fields run past the record");
  return r;
}

tl::expected<Footer, McapError> parse_footer(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Footer r;
  if (!s.u64(r.summary_start) || !s.u64(r.summary_offset_start) || !s.u32(r.summary_crc)) {
    return malformed("Footer", "shorter than its 20 bytes");
  }
  return r;
}

tl::expected<Schema, McapError> parse_schema(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Schema r;
  std::span<const std::uint8_t> data;
  if (!s.u16(r.id) || !s.string(r.name) || !s.string(r.encoding) || !s.prefixed32(data)) {
    return malformed("Schema", "fields run past the record");
  }
  r.data.assign(data.begin(), data.end());
  return r;
}

tl::expected<Channel, McapError> parse_channel(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Channel r;
  if (!s.u16(r.id) || !s.u16(r.schema_id) || !s.string(r.topic) || !s.string(r.message_encoding) ||
      !parse_key_values(s, r.metadata)) {
    return malformed("Channel", "fields run past the record");
  }
  return r;
}

tl::expected<Message, McapError> parse_message(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Message r;
  if (!s.u16(r.channel_id) || !s.u32(r.sequence) || !s.u64(r.log_time) || !s.u64(r.publish_time)) {
    return malformed("Message", "shorter than its 22-byte header");
  }
  r.data = s.rest();
  return r;
}

tl::expected<Chunk, McapError> parse_chunk(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Chunk r;
  std::uint64_t records_size = 0;
  if (!s.u64(r.message_start_time) || !s.u64(r.message_end_time) || !s.u64(r.uncompressed_size) ||
      !s.u32(r.uncompressed_crc) || !s.string(r.compression) || !s.u64(records_size)) {
    return malformed("Chunk", "fields run past the record");
  }
  if (records_size > s.remaining() || !s.raw(static_cast<std::size_t>(records_size), r.records)) {
    return malformed("Chunk", "its records run past the record");
  }
  return r;
}

tl::expected<MessageIndex, McapError> parse_message_index(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  MessageIndex r;
  std::span<const std::uint8_t> array;
  if (!s.u16(r.channel_id) || !s.prefixed32(array) || array.size() % 16 != 0) {
    return malformed("MessageIndex", "its entries do not fit the record");
  }
  ByteSource inner(array);
  while (inner.remaining() > 0) {
    std::uint64_t log_time = 0;
    std::uint64_t offset = 0;
    inner.u64(log_time);
    inner.u64(offset);
    r.entries.emplace_back(log_time, offset);
  }
  return r;
}

tl::expected<ChunkIndex, McapError> parse_chunk_index(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  ChunkIndex r;
  if (!s.u64(r.message_start_time) || !s.u64(r.message_end_time) || !s.u64(r.chunk_start_offset) ||
      !s.u64(r.chunk_length) || !parse_u16_u64_map(s, r.message_index_offsets) || !s.u64(r.message_index_length) ||
      !s.string(r.compression) || !s.u64(r.compressed_size) || !s.u64(r.uncompressed_size)) {
    return malformed("ChunkIndex", "fields run past the record");
  }
  return r;
}

tl::expected<Statistics, McapError> parse_statistics(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Statistics r;
  if (!s.u64(r.message_count) || !s.u16(r.schema_count) || !s.u32(r.channel_count) || !s.u32(r.attachment_count) ||
      !s.u32(r.metadata_count) || !s.u32(r.chunk_count) || !s.u64(r.message_start_time) ||
      !s.u64(r.message_end_time) || !parse_u16_u64_map(s, r.channel_message_counts)) {
    return malformed("Statistics", "fields run past the record");
  }
  return r;
}

tl::expected<Metadata, McapError> parse_metadata(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  Metadata r;
  if (!s.string(r.name) || !parse_key_values(s, r.metadata)) return malformed("Metadata", "fields run past the record");
  return r;
}

tl::expected<MetadataIndex, McapError> parse_metadata_index(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  MetadataIndex r;
  if (!s.u64(r.offset) || !s.u64(r.length) || !s.string(r.name)) {
    return malformed("MetadataIndex", "fields run past the record");
  }
  return r;
}

tl::expected<SummaryOffset, McapError> parse_summary_offset(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  SummaryOffset r;
  std::uint8_t op = 0;
  if (!s.u8(op) || !s.u64(r.group_start) || !s.u64(r.group_length)) {
    return malformed("SummaryOffset", "shorter than its 17 bytes");
  }
  r.group_opcode = static_cast<Opcode>(op);
  return r;
}

tl::expected<DataEnd, McapError> parse_data_end(std::span<const std::uint8_t> content) {
  ByteSource s(content);
  DataEnd r;
  if (!s.u32(r.data_section_crc)) return malformed("DataEnd", "shorter than its 4 bytes");
  return r;
}

std::string opcode_name(std::uint8_t opcode) {
  static constexpr const char* kNames[] = {"Header",          "Footer",     "Schema",   "Channel",       "Message",
                                           "Chunk",           "MessageIndex", "ChunkIndex", "Attachment",
                                           "AttachmentIndex", "Statistics", "Metadata", "MetadataIndex",
                                           "SummaryOffset",   "DataEnd"};
  if (opcode >= 1 && opcode <= 15) return kNames[opcode - 1];
  return fmt::format("opcode {:#04x}", opcode);
}

}  // namespace shmslot::mcap

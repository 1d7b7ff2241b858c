// Writes an MCAP file: magic, header, channels, messages in chunks (each followed by its message
// indexes), metadata, then at close() a DataEnd with the data section's CRC, the summary (channels,
// statistics, chunk indexes, metadata indexes), summary offsets, the footer and the closing magic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "mcap_chunk_builder.hpp"
#include "mcap_compression.hpp"
#include "mcap_crc32.hpp"
#include "mcap_records.hpp"

namespace shmslot::mcap {

struct WriterOptions {
  Compression compression = Compression::Zstd;
  /// A chunk is closed once its uncompressed records reach this many bytes (1 .. kMaxChunkSize).
  std::size_t chunk_size = 1024 * 1024;
  std::string profile;   ///< the Header's profile ("" for none)
  std::string library;   ///< the Header's library, e.g. "shmslot 0.1.0"
  bool overwrite = false;  ///< false: an existing file is refused (nothing is lost by a typo)
};

/// The largest chunk size a writer accepts: below the reader's limit (kMaxUncompressedChunk) with
/// room for the message that crosses it.
inline constexpr std::size_t kMaxChunkSize = std::size_t{256} << 20;

/// One MCAP file being written. Move-only. Without close(), the file is left without summary and
/// footer, which readers report as truncated.
class Writer {
 public:
  static tl::expected<Writer, McapError> create(const std::string& path, const WriterOptions& options);

  /// Adds a channel without schema and writes its record; returns its id (1, 2, ...).
  tl::expected<std::uint16_t, McapError> add_channel(const std::string& topic, const std::string& message_encoding,
                                                     const KeyValues& metadata);
  /// Adds one message to the open chunk (writing the chunk once it is full).
  tl::expected<void, McapError> write_message(std::uint16_t channel_id, std::uint32_t sequence,
                                              std::uint64_t log_time, std::uint64_t publish_time,
                                              std::span<const std::byte> data);
  /// Writes a Metadata record (outside chunks, as the format requires) and indexes it.
  tl::expected<void, McapError> write_metadata(const std::string& name, const KeyValues& metadata);
  /// Writes the open chunk, the summary and the footer, and closes the file.
  tl::expected<void, McapError> close();

  /// Messages written so far.
  std::uint64_t message_count() const { return stats_.message_count; }
  const std::string& path() const { return path_; }

  Writer(Writer&& other) noexcept;
  Writer& operator=(Writer&&) = delete;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();

 private:
  Writer(int fd, std::string path, WriterOptions options);
  tl::expected<void, McapError> write_bytes(std::span<const std::uint8_t> bytes);
  tl::expected<void, McapError> flush_chunk();

  int fd_ = -1;
  std::string path_;
  WriterOptions options_;
  std::uint64_t offset_ = 0;
  Crc32 data_crc_;  // everything from the first byte of the file to the DataEnd record
  std::vector<Channel> channels_;
  Statistics stats_;
  std::vector<ChunkIndex> chunk_indexes_;
  std::vector<MetadataIndex> metadata_indexes_;
  ChunkBuilder chunk_;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace shmslot::mcap

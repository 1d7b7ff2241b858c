// Reads an MCAP file: checks both magics and the footer at open, reads the summary (channels,
// statistics) when the file has one, and then streams the messages of the data section in file
// order, decompressing chunks and checking every CRC the file records (chunks, data section,
// summary). Nothing in the file is trusted: every length and offset is checked against the file
// before use, so a corrupt or truncated file is an error, never a crash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "mcap_crc32.hpp"
#include "mcap_records.hpp"

namespace shmslot::mcap {

/// The largest record the reader loads (a chunk is one record): a corrupt length must not make it
/// allocate more.
inline constexpr std::uint64_t kMaxRecordSize = std::uint64_t{1} << 30;

/// One MCAP file open for reading. Move-only.
class Reader {
 public:
  static tl::expected<Reader, McapError> open(const std::string& path);

  const Header& header() const { return header_; }
  const Footer& footer() const { return footer_; }
  /// The summary's Statistics record, if the file has one.
  const std::optional<Statistics>& statistics() const { return statistics_; }
  /// Chunk indexes in the summary.
  std::size_t chunk_index_count() const { return chunk_index_count_; }
  /// Channels by id: the summary's, and every Channel record read so far.
  const std::map<std::uint16_t, Channel>& channels() const { return channels_; }
  /// The Metadata records of the data section read so far (all of them once next() returned nullopt).
  const std::vector<Metadata>& metadata() const { return metadata_; }

  /// The next message in file order; nullopt after the last. Its `data` stays valid until the next
  /// call. A message on a channel with no Channel record before it is Malformed.
  tl::expected<std::optional<Message>, McapError> next();
  /// Back to the first record after the header (metadata read so far is kept once, not twice).
  void rewind();

  Reader(Reader&& other) noexcept;
  Reader& operator=(Reader&&) = delete;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

 private:
  Reader(int fd, std::string path, std::uint64_t size);
  tl::expected<void, McapError> read_at(std::uint64_t offset, std::uint64_t n, std::vector<std::uint8_t>& out) const;
  // Reads the record at `offset` (not past `limit`): opcode and content into record_.
  tl::expected<std::uint8_t, McapError> read_record(std::uint64_t offset, std::uint64_t limit);
  tl::expected<void, McapError> open_file();
  tl::expected<void, McapError> read_summary();
  tl::expected<void, McapError> enter_chunk(std::uint64_t offset);
  tl::expected<std::optional<Message>, McapError> next_in_chunk();
  tl::expected<void, McapError> add_channel(const Channel& c);

  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
  Header header_;
  Footer footer_;
  std::optional<Statistics> statistics_;
  std::size_t chunk_index_count_ = 0;
  std::map<std::uint16_t, Channel> channels_;
  std::vector<Metadata> metadata_;

  std::uint64_t data_start_ = 0;  // first record after the header
  std::uint64_t data_limit_ = 0;  // where the data section must end: the summary or the footer
  std::uint64_t pos_ = 0;         // next top-level record
  bool done_ = false;
  bool metadata_complete_ = false;
  Crc32 crc_after_header_;
  Crc32 data_crc_;
  std::vector<std::uint8_t> record_;  // the last record's content
  std::vector<std::uint8_t> chunk_;   // the current chunk, uncompressed
  std::size_t chunk_pos_ = 0;
  std::uint64_t chunk_offset_ = 0;  // where the current chunk starts in the file
  bool in_chunk_ = false;
};

}  // namespace shmslot::mcap

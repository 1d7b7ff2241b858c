#include "mcap_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/core.h>

#include "mcap_bytes.hpp"
#include "mcap_compression.hpp"

namespace shmslot::mcap {

namespace {

constexpr std::uint64_t kFooterRecordSize = kRecordPrefixSize + kFooterContentSize;

tl::unexpected<McapError> error(McapErrorCode code, std::string detail) {
  return tl::unexpected(McapError{code, std::move(detail)});
}

std::uint64_t le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

tl::expected<Reader, McapError> Reader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error(McapErrorCode::Io, fmt::format("open {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return error(McapErrorCode::Io, fmt::format("stat {}: {}", path, std::strerror(e)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return error(McapErrorCode::NotMcap, path + " is not a regular file");
  }
  Reader r(fd, path, static_cast<std::uint64_t>(st.st_size));
  if (auto opened = r.open_file(); !opened) return tl::unexpected(opened.error());
  return r;
}

Reader::Reader(int fd, std::string path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}

Reader::Reader(Reader&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      path_(std::move(o.path_)),
      size_(o.size_),
      header_(std::move(o.header_)),
      footer_(o.footer_),
      statistics_(std::move(o.statistics_)),
      chunk_index_count_(o.chunk_index_count_),
      channels_(std::move(o.channels_)),
      metadata_(std::move(o.metadata_)),
      data_start_(o.data_start_),
      data_limit_(o.data_limit_),
      pos_(o.pos_),
      done_(o.done_),
      metadata_complete_(o.metadata_complete_),
      crc_after_header_(o.crc_after_header_),
      data_crc_(o.data_crc_),
      record_(std::move(o.record_)),
      chunk_(std::move(o.chunk_)),
      chunk_pos_(o.chunk_pos_),
      chunk_offset_(o.chunk_offset_),
      in_chunk_(o.in_chunk_) {}

Reader::~Reader() {
  if (fd_ >= 0) ::close(fd_);
}

tl::expected<void, McapError> Reader::read_at(std::uint64_t offset, std::uint64_t n,
                                              std::vector<std::uint8_t>& out) const {
  if (offset > size_ || n > size_ - offset) {
    return error(McapErrorCode::Truncated,
                 fmt::format("{} bytes at offset {} are past the end of the {}-byte file", n, offset, size_));
  }
  out.resize(static_cast<std::size_t>(n));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return error(McapErrorCode::Io, fmt::format("read {}: {}", path_, std::strerror(errno)));
    if (got == 0) return error(McapErrorCode::Truncated, fmt::format("{} shrank while being read", path_));
    done += static_cast<std::size_t>(got);
  }
  return {};
}

tl::expected<std::uint8_t, McapError> Reader::read_record(std::uint64_t offset, std::uint64_t limit) {
  if (offset > limit || limit - offset < kRecordPrefixSize) {
    return error(McapErrorCode::Truncated,
                 fmt::format("a record at offset {} would run past offset {} (the data ends early)", offset, limit));
  }
  std::vector<std::uint8_t> prefix;
  if (auto r = read_at(offset, kRecordPrefixSize, prefix); !r) return tl::unexpected(r.error());
  const std::uint8_t op = prefix[0];
  const std::uint64_t length = le64(prefix.data() + 1);
  const std::uint64_t room = limit - offset - kRecordPrefixSize;
  if (length > room) {
    return error(McapErrorCode::Truncated,
                 fmt::format("the {} record at offset {} claims {} bytes, only {} remain", opcode_name(op), offset,
                             length, room));
  }
  if (length > kMaxRecordSize) {
    return error(McapErrorCode::Unsupported, fmt::format("the {} record at offset {} has {} bytes, more than the "
                                                         "{} this reader loads",
                                                         opcode_name(op), offset, length, kMaxRecordSize));
  }
  if (auto r = read_at(offset + kRecordPrefixSize, length, record_); !r) return tl::unexpected(r.error());
  return op;
}

tl::expected<void, McapError> Reader::open_file() {
  std::vector<std::uint8_t> bytes;
  const std::uint64_t magic_size = kMagic.size();
  if (size_ < magic_size || !read_at(0, magic_size, bytes) || !std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return error(McapErrorCode::NotMcap, path_ + " does not start with the MCAP magic");
  }
  Crc32 crc;
  crc.update(bytes);
  const std::uint64_t min_size = 2 * magic_size + kRecordPrefixSize + kFooterRecordSize;
  if (size_ < min_size) {
    return error(McapErrorCode::Truncated, fmt::format("{} has {} bytes, fewer than the smallest MCAP file", path_, size_));
  }
  if (auto r = read_at(size_ - magic_size, magic_size, bytes); !r) return r;
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return error(McapErrorCode::Truncated,
                 path_ + " does not end with the MCAP magic: it was cut short or is still being written");
  }
  const std::uint64_t footer_at = size_ - magic_size - kFooterRecordSize;
  auto op = read_record(footer_at, size_ - magic_size);
  if (!op) return tl::unexpected(op.error());
  if (*op != static_cast<std::uint8_t>(Opcode::Footer) || record_.size() != kFooterContentSize) {
    return error(McapErrorCode::Malformed, "no Footer record before the closing magic");
  }
  auto footer = parse_footer(record_);
  if (!footer) return tl::unexpected(footer.error());
  footer_ = *footer;

  op = read_record(magic_size, footer_at);
  if (!op) return tl::unexpected(op.error());
  if (*op != static_cast<std::uint8_t>(Opcode::Header)) {
    return error(McapErrorCode::Malformed, fmt::format("the first record is {}, not Header", opcode_name(*op)));
  }
  auto header = parse_header(record_);
  if (!header) return tl::unexpected(header.error());
  header_ = std::move(*header);
  std::vector<std::uint8_t> prefix;
  (void)read_at(magic_size, kRecordPrefixSize, prefix);
  crc.update(prefix);
  crc.update(record_);
  crc_after_header_ = crc;
  data_start_ = magic_size + kRecordPrefixSize + record_.size();

  data_limit_ = footer_at;
  if (footer_.summary_start != 0) {
    if (footer_.summary_start < data_start_ || footer_.summary_start > footer_at ||
        (footer_.summary_offset_start != 0 &&
         (footer_.summary_offset_start < footer_.summary_start || footer_.summary_offset_start > footer_at))) {
      return error(McapErrorCode::Malformed,
                   fmt::format("the footer's summary offsets ({}, {}) are outside the file's records",
                               footer_.summary_start, footer_.summary_offset_start));
    }
    data_limit_ = footer_.summary_start;
    if (auto r = read_summary(); !r) return r;
  }
  rewind();
  return {};
}

tl::expected<void, McapError> Reader::read_summary() {
  const std::uint64_t footer_at = size_ - kMagic.size() - kFooterRecordSize;
  if (footer_.summary_crc != 0) {
    // From the summary's first byte through the footer's summary_offset_start field.
    std::vector<std::uint8_t> bytes;
    if (auto r = read_at(footer_.summary_start, footer_at + kRecordPrefixSize + 16 - footer_.summary_start, bytes); !r) {
      return r;
    }
    const std::uint32_t actual = crc32(bytes);
    if (actual != footer_.summary_crc) {
      return error(McapErrorCode::CrcMismatch, fmt::format("summary CRC is {:08x}, the footer says {:08x}", actual,
                                                           footer_.summary_crc));
    }
  }
  const std::uint64_t end = footer_.summary_offset_start != 0 ? footer_.summary_offset_start : footer_at;
  for (std::uint64_t at = footer_.summary_start; at < end;) {
    auto op = read_record(at, end);
    if (!op) return tl::unexpected(op.error());
    switch (static_cast<Opcode>(*op)) {
      case Opcode::Channel: {
        auto c = parse_channel(record_);
        if (!c) return tl::unexpected(c.error());
        if (auto added = add_channel(*c); !added) return added;
        break;
      }
      case Opcode::Statistics: {
        auto s = parse_statistics(record_);
        if (!s) return tl::unexpected(s.error());
        statistics_ = std::move(*s);
        break;
      }
      case Opcode::ChunkIndex: {
        auto c = parse_chunk_index(record_);
        if (!c) return tl::unexpected(c.error());
        ++chunk_index_count_;
        break;
      }
      default: break;  // schemas, metadata and attachment indexes: not needed to replay
    }
    at += kRecordPrefixSize + record_.size();
  }
  return {};
}

tl::expected<void, McapError> Reader::add_channel(const Channel& c) {
  if (c.id == 0 && c.topic.empty()) return {};
  auto [it, inserted] = channels_.emplace(c.id, c);
  if (!inserted && (it->second.topic != c.topic || it->second.metadata != c.metadata)) {
    return error(McapErrorCode::Malformed,
                 fmt::format("two different Channel records with id {} ('{}' and '{}')", c.id, it->second.topic, c.topic));
  }
  return {};
}

void Reader::rewind() {
  pos_ = data_start_;
  done_ = false;
  in_chunk_ = false;
  data_crc_ = crc_after_header_;
}

tl::expected<void, McapError> Reader::enter_chunk(std::uint64_t offset) {
  auto chunk = parse_chunk(record_);
  if (!chunk) return tl::unexpected(chunk.error());
  const auto compression = compression_from_chunk_name(chunk->compression);
  if (!compression) {
    return error(McapErrorCode::Unsupported,
                 fmt::format("the chunk at offset {} uses compression '{}' (supported: none, zstd, lz4)", offset,
                             chunk->compression));
  }
  if (auto r = decompress(*compression, chunk->records, chunk->uncompressed_size, chunk_); !r) {
    McapError e = r.error();
    e.detail = fmt::format("chunk at offset {}: {}", offset, e.detail);
    return tl::unexpected(e);
  }
  if (chunk->uncompressed_crc != 0) {
    const std::uint32_t actual = crc32(chunk_);
    if (actual != chunk->uncompressed_crc) {
      return error(McapErrorCode::CrcMismatch, fmt::format("the chunk at offset {} has CRC {:08x}, it records {:08x}",
                                                           offset, actual, chunk->uncompressed_crc));
    }
  }
  chunk_pos_ = 0;
  chunk_offset_ = offset;
  in_chunk_ = true;
  return {};
}

tl::expected<std::optional<Message>, McapError> Reader::next_in_chunk() {
  while (chunk_pos_ < chunk_.size()) {
    const std::size_t left = chunk_.size() - chunk_pos_;
    if (left < kRecordPrefixSize) {
      return error(McapErrorCode::Malformed, fmt::format("the chunk at offset {} ends inside a record", chunk_offset_));
    }
    const std::uint8_t op = chunk_[chunk_pos_];
    const std::uint64_t length = le64(chunk_.data() + chunk_pos_ + 1);
    if (length > left - kRecordPrefixSize) {
      return error(McapErrorCode::Malformed,
                   fmt::format("a {} record in the chunk at offset {} runs past the chunk", opcode_name(op), chunk_offset_));
    }
    const auto content =
        std::span<const std::uint8_t>(chunk_).subspan(chunk_pos_ + kRecordPrefixSize, static_cast<std::size_t>(length));
    chunk_pos_ += kRecordPrefixSize + static_cast<std::size_t>(length);
    if (op == static_cast<std::uint8_t>(Opcode::Channel)) {
      auto c = parse_channel(content);
      if (!c) return tl::unexpected(c.error());
      if (auto added = add_channel(*c); !added) return tl::unexpected(added.error());
    } else if (op == static_cast<std::uint8_t>(Opcode::Message)) {
      auto m = parse_message(content);
      if (!m) return tl::unexpected(m.error());
      if (channels_.count(m->channel_id) == 0) {
        return error(McapErrorCode::Malformed,
                     fmt::format("a message in the chunk at offset {} names channel {}, which has no Channel record",
                                 chunk_offset_, m->channel_id));
      }
      return std::optional<Message>(*m);
    }
    // Schema records, and anything a later format version adds, are skipped.
  }
  in_chunk_ = false;
  return std::optional<Message>{};
}

tl::expected<std::optional<Message>, McapError> Reader::next() {
  for (;;) {
    if (in_chunk_) {
      auto m = next_in_chunk();
      if (!m || *m) return m;
    }
    if (done_) return std::optional<Message>{};
    if (pos_ == data_limit_) {
      done_ = true;  // no DataEnd record (it is optional for readers): nothing to check
      metadata_complete_ = true;
      return std::optional<Message>{};
    }
    const std::uint64_t at = pos_;
    auto op = read_record(at, data_limit_);
    if (!op) return tl::unexpected(op.error());
    pos_ = at + kRecordPrefixSize + record_.size();
    std::vector<std::uint8_t> prefix;
    if (auto r = read_at(at, kRecordPrefixSize, prefix); !r) return tl::unexpected(r.error());
    switch (static_cast<Opcode>(*op)) {
      case Opcode::DataEnd: {
        auto end = parse_data_end(record_);
        if (!end) return tl::unexpected(end.error());
        if (end->data_section_crc != 0 && end->data_section_crc != data_crc_.value()) {
          return error(McapErrorCode::CrcMismatch, fmt::format("the data section has CRC {:08x}, DataEnd records {:08x}",
                                                               data_crc_.value(), end->data_section_crc));
        }
        done_ = true;
        metadata_complete_ = true;
        return std::optional<Message>{};
      }
      case Opcode::Header:
      case Opcode::Footer:
        return error(McapErrorCode::Malformed, fmt::format("a {} record at offset {}, inside the data section",
                                                           opcode_name(*op), at));
      default: break;
    }
    data_crc_.update(prefix);
    data_crc_.update(record_);
    switch (static_cast<Opcode>(*op)) {
      case Opcode::Channel: {
        auto c = parse_channel(record_);
        if (!c) return tl::unexpected(c.error());
        if (auto added = add_channel(*c); !added) return tl::unexpected(added.error());
        break;
      }
      case Opcode::Message: {
        chunk_ = record_;  // keeps the data alive until the next call, like a chunk's
        auto m = parse_message(chunk_);
        if (!m) return tl::unexpected(m.error());
        if (channels_.count(m->channel_id) == 0) {
          return error(McapErrorCode::Malformed, fmt::format("the message at offset {} names channel {}, which has no "
                                                             "Channel record",
                                                             at, m->channel_id));
        }
        return std::optional<Message>(*m);
      }
      case Opcode::Chunk:
        if (auto entered = enter_chunk(at); !entered) return tl::unexpected(entered.error());
        break;
      case Opcode::Metadata: {
        auto m = parse_metadata(record_);
        if (!m) return tl::unexpected(m.error());
        if (!metadata_complete_) metadata_.push_back(std::move(*m));
        break;
      }
      default: break;  // schemas, message indexes, attachments: not needed to replay
    }
  }
}

}  // namespace shmslot::mcap

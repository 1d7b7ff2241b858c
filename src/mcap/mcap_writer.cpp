#include "mcap_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/core.h>

#include "mcap_bytes.hpp"

namespace shmslot::mcap {

namespace {
tl::unexpected<McapError> io_error(const std::string& what) {
  return tl::unexpected(McapError{McapErrorCode::Io, fmt::format("{}: {}", what, std::strerror(errno))});
}
}  // namespace

tl::expected<Writer, McapError> Writer::create(const std::string& path, const WriterOptions& options) {
  if (options.chunk_size == 0 || options.chunk_size > kMaxChunkSize) {
    return tl::unexpected(McapError{McapErrorCode::InvalidArgument,
                                    fmt::format("chunk size {} is not in 1..{}", options.chunk_size, kMaxChunkSize)});
  }
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (options.overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return io_error("create " + path);
  Writer w(fd, path, options);
  std::vector<std::uint8_t> start(kMagic.begin(), kMagic.end());
  append_record(start, Header{options.profile, options.library});
  w.data_crc_.update(start);
  if (auto r = w.write_bytes(start); !r) return tl::unexpected(r.error());
  return w;
}

Writer::Writer(int fd, std::string path, WriterOptions options)
    : fd_(fd), path_(std::move(path)), options_(std::move(options)) {}

Writer::Writer(Writer&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      options_(std::move(other.options_)),
      offset_(other.offset_),
      data_crc_(other.data_crc_),
      channels_(std::move(other.channels_)),
      stats_(std::move(other.stats_)),
      chunk_indexes_(std::move(other.chunk_indexes_)),
      metadata_indexes_(std::move(other.metadata_indexes_)),
      chunk_(std::move(other.chunk_)),
      scratch_(std::move(other.scratch_)) {}

Writer::~Writer() {
  if (fd_ >= 0) ::close(fd_);
}

tl::expected<void, McapError> Writer::write_bytes(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return tl::unexpected(McapError{McapErrorCode::InvalidArgument, "the writer is closed"});
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("write " + path_);
    done += static_cast<std::size_t>(n);
  }
  offset_ += bytes.size();
  return {};
}

tl::expected<std::uint16_t, McapError> Writer::add_channel(const std::string& topic,
                                                           const std::string& message_encoding,
                                                           const KeyValues& metadata) {
  if (channels_.size() >= 0xFFFF) {
    return tl::unexpected(McapError{McapErrorCode::InvalidArgument, "more than 65535 channels"});
  }
  Channel c;
  c.id = static_cast<std::uint16_t>(channels_.size() + 1);
  c.topic = topic;
  c.message_encoding = message_encoding;
  c.metadata = metadata;
  scratch_.clear();
  append_record(scratch_, c);
  data_crc_.update(scratch_);
  if (auto r = write_bytes(scratch_); !r) return tl::unexpected(r.error());
  channels_.push_back(std::move(c));
  stats_.channel_count = static_cast<std::uint32_t>(channels_.size());
  return channels_.back().id;
}

tl::expected<void, McapError> Writer::write_message(std::uint16_t channel_id, std::uint32_t sequence,
                                                    std::uint64_t log_time, std::uint64_t publish_time,
                                                    std::span<const std::byte> data) {
  if (channel_id == 0 || channel_id > channels_.size()) {
    return tl::unexpected(McapError{McapErrorCode::InvalidArgument, fmt::format("no channel {}", channel_id)});
  }
  chunk_.add(Message{channel_id, sequence, log_time, publish_time, as_u8(data)});
  stats_.message_start_time = stats_.message_count == 0 ? log_time : std::min(stats_.message_start_time, log_time);
  stats_.message_end_time = std::max(stats_.message_end_time, log_time);
  ++stats_.message_count;
  ++stats_.channel_message_counts[channel_id];
  if (chunk_.uncompressed_size() >= options_.chunk_size) return flush_chunk();
  return {};
}

tl::expected<void, McapError> Writer::flush_chunk() {
  if (chunk_.empty()) return {};
  auto built = chunk_.finish(options_.compression);
  if (!built) return tl::unexpected(built.error());
  ChunkIndex index = std::move(built->index);
  index.chunk_start_offset = offset_;
  scratch_ = std::move(built->chunk_record);
  const std::uint64_t indexes_start = offset_ + scratch_.size();
  for (const MessageIndex& m : built->message_indexes) {
    index.message_index_offsets[m.channel_id] = offset_ + scratch_.size();
    append_record(scratch_, m);
  }
  index.message_index_length = offset_ + scratch_.size() - indexes_start;
  data_crc_.update(scratch_);
  if (auto r = write_bytes(scratch_); !r) return r;
  chunk_indexes_.push_back(std::move(index));
  ++stats_.chunk_count;
  return {};
}

tl::expected<void, McapError> Writer::write_metadata(const std::string& name, const KeyValues& metadata) {
  scratch_.clear();
  append_record(scratch_, Metadata{name, metadata});
  MetadataIndex index{offset_, scratch_.size(), name};
  data_crc_.update(scratch_);
  if (auto r = write_bytes(scratch_); !r) return r;
  metadata_indexes_.push_back(std::move(index));
  ++stats_.metadata_count;
  return {};
}

tl::expected<void, McapError> Writer::close() {
  if (auto r = flush_chunk(); !r) return r;
  std::vector<std::uint8_t> tail;
  // The data section's CRC covers the file from its first byte (magic and header included) up to
  // the DataEnd record, as the reference writers compute it.
  append_record(tail, DataEnd{data_crc_.value()});
  const std::uint64_t summary_start = offset_ + tail.size();

  // Summary: one group per record kind, each found again through a SummaryOffset record.
  std::vector<SummaryOffset> groups;
  auto group = [&](Opcode op, auto&& append_all) {
    const std::uint64_t start = offset_ + tail.size();
    append_all();
    const std::uint64_t length = offset_ + tail.size() - start;
    if (length > 0) groups.push_back(SummaryOffset{op, start, length});
  };
  group(Opcode::Channel, [&] {
    for (const Channel& c : channels_) append_record(tail, c);
  });
  group(Opcode::Statistics, [&] { append_record(tail, stats_); });
  group(Opcode::ChunkIndex, [&] {
    for (const ChunkIndex& c : chunk_indexes_) append_record(tail, c);
  });
  group(Opcode::MetadataIndex, [&] {
    for (const MetadataIndex& m : metadata_indexes_) append_record(tail, m);
  });
  const std::uint64_t summary_offset_start = offset_ + tail.size();
  for (const SummaryOffset& g : groups) append_record(tail, g);

  // The summary CRC runs from the summary's first byte through the footer's summary_offset_start.
  append_record(tail, Footer{summary_start, summary_offset_start, 0});
  const std::size_t crc_at = tail.size() - 4;
  const std::size_t summary_in_tail = static_cast<std::size_t>(summary_start - offset_);
  const std::uint32_t summary_crc =
      crc32(std::span<const std::uint8_t>(tail).subspan(summary_in_tail, crc_at - summary_in_tail));
  for (std::size_t i = 0; i < 4; ++i) tail[crc_at + i] = static_cast<std::uint8_t>(summary_crc >> (8 * i));
  tail.insert(tail.end(), kMagic.begin(), kMagic.end());
  if (auto r = write_bytes(tail); !r) return r;
  if (::fsync(fd_) != 0 && errno != EINVAL) return io_error("fsync " + path_);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return io_error("close " + path_);
  return {};
}

}  // namespace shmslot::mcap

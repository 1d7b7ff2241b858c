#include "mcap_chunk_builder.hpp"

#include <algorithm>

#include "mcap_crc32.hpp"

namespace shmslot::mcap {

void ChunkBuilder::add(const Message& m) {
  MessageIndex& index = indexes_[m.channel_id];
  index.channel_id = m.channel_id;
  index.entries.emplace_back(m.log_time, records_.size());
  append_record(records_, m);
  start_time_ = message_count_ == 0 ? m.log_time : std::min(start_time_, m.log_time);
  end_time_ = message_count_ == 0 ? m.log_time : std::max(end_time_, m.log_time);
  ++message_count_;
}

tl::expected<ChunkBuilder::Built, McapError> ChunkBuilder::finish(Compression compression) {
  if (auto done = compress(compression, records_, compressed_); !done) return tl::unexpected(done.error());
  Built out;
  Chunk chunk;
  chunk.message_start_time = start_time_;
  chunk.message_end_time = end_time_;
  chunk.uncompressed_size = records_.size();
  chunk.uncompressed_crc = crc32(records_);
  chunk.compression = std::string(chunk_compression_name(compression));
  chunk.records = compressed_;
  append_record(out.chunk_record, chunk);

  out.index.message_start_time = start_time_;
  out.index.message_end_time = end_time_;
  out.index.chunk_length = out.chunk_record.size();
  out.index.compression = chunk.compression;
  out.index.compressed_size = compressed_.size();
  out.index.uncompressed_size = records_.size();
  for (auto& [channel, index] : indexes_) {
    // Readers merge chunks by log time; entries in log-time order (stable for equal times).
    std::stable_sort(index.entries.begin(), index.entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    out.message_indexes.push_back(std::move(index));
  }
  records_.clear();
  indexes_.clear();
  message_count_ = 0;
  return out;
}

}  // namespace shmslot::mcap

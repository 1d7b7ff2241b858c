// Collects Message records into one chunk and keeps, per channel, the index of where each message
// sits in the uncompressed records (the MessageIndex records that follow the chunk in the file).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <tl/expected.hpp>

#include "mcap_compression.hpp"
#include "mcap_records.hpp"

namespace shmslot::mcap {

class ChunkBuilder {
 public:
  /// Appends `m` to the open chunk.
  void add(const Message& m);
  bool empty() const { return message_count_ == 0; }
  /// Uncompressed bytes so far: what the writer compares with its chunk size.
  std::size_t uncompressed_size() const { return records_.size(); }

  /// The finished chunk: its record bytes, the MessageIndex records (by channel) and the parts of its
  /// ChunkIndex that do not depend on where it lands in the file.
  struct Built {
    std::vector<std::uint8_t> chunk_record;
    std::vector<MessageIndex> message_indexes;
    ChunkIndex index;  ///< chunk_start_offset, message_index_offsets and _length left for the writer
  };

  /// Compresses and frames the chunk, then empties the builder for the next one.
  tl::expected<Built, McapError> finish(Compression compression);

 private:
  std::vector<std::uint8_t> records_;
  std::vector<std::uint8_t> compressed_;
  std::map<std::uint16_t, MessageIndex> indexes_;
  std::uint64_t start_time_ = 0;
  std::uint64_t end_time_ = 0;
  std::uint64_t message_count_ = 0;
};

}  // namespace shmslot::mcap

// What the mcap tier's tests share: a sample file written with known content, and reading a whole
// file back into plain values to compare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mcap_reader.hpp"
#include "mcap_writer.hpp"

namespace shmslot::test {

struct ReadBack {
  std::vector<mcap::Channel> channels;
  struct Msg {
    std::uint16_t channel_id;
    std::uint32_t sequence;
    std::uint64_t log_time;
    std::uint64_t publish_time;
    std::vector<std::uint8_t> data;
    friend bool operator==(const Msg&, const Msg&) = default;
  };
  std::vector<Msg> messages;
  std::vector<mcap::Metadata> metadata;
};

// "none", "zstd" or "lz4": test names of the compression kinds.
std::string compression_test_name(mcap::Compression c);

// The payload of message `i` of the sample file: a length and bytes that depend on i.
std::vector<std::byte> sample_payload(std::uint32_t i);

// Writes the sample file: two channels with metadata, `count` messages alternating between them
// (sequence i, log_time 1000+i, publish_time 500+i), one metadata record.
void write_sample_file(const std::string& path, mcap::Compression compression, std::size_t chunk_size,
                       std::uint32_t count);

// Every channel, message and metadata record of `path`, through the reader; the error if any.
tl::expected<ReadBack, mcap::McapError> read_all(const std::string& path);

// The bytes of a file; writes bytes to a file.
std::vector<std::uint8_t> file_bytes(const std::string& path);
void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace shmslot::test

#include "mcap_test_files.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace shmslot::test {

std::string compression_test_name(mcap::Compression c) {
  return c == mcap::Compression::None ? "none" : std::string(mcap::chunk_compression_name(c));
}

std::vector<std::byte> sample_payload(std::uint32_t i) {
  std::vector<std::byte> out(i % 97);  // zero-length payloads included
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = static_cast<std::byte>((i * 31 + k) & 0xFF);
  return out;
}

void write_sample_file(const std::string& path, mcap::Compression compression, std::size_t chunk_size,
                       std::uint32_t count) {
  mcap::WriterOptions options;
  options.compression = compression;
  options.chunk_size = chunk_size;
  options.library = "shmslot test";
  auto w = mcap::Writer::create(path, options);
  ASSERT_TRUE(w) << w.error().message();
  auto a = w->add_channel("alpha", "raw", {{"capacity", "128"}, {"type_hash", "none"}});
  auto b = w->add_channel("beta", "raw", {});
  ASSERT_TRUE(a && b);
  for (std::uint32_t i = 0; i < count; ++i) {
    ASSERT_TRUE(w->write_message(i % 2 == 0 ? *a : *b, i, 1000 + i, 500 + i, sample_payload(i)));
  }
  ASSERT_TRUE(w->write_metadata("shmslot.recording", {{"missed", "0"}}));
  auto closed = w->close();
  ASSERT_TRUE(closed) << closed.error().message();
}

tl::expected<ReadBack, mcap::McapError> read_all(const std::string& path) {
  auto r = mcap::Reader::open(path);
  if (!r) return tl::unexpected(r.error());
  ReadBack out;
  for (;;) {
    auto m = r->next();
    if (!m) return tl::unexpected(m.error());
    if (!*m) break;
    out.messages.push_back({(*m)->channel_id, (*m)->sequence, (*m)->log_time, (*m)->publish_time,
                            std::vector<std::uint8_t>((*m)->data.begin(), (*m)->data.end())});
  }
  for (const auto& [id, c] : r->channels()) out.channels.push_back(c);
  out.metadata = r->metadata();
  return out;
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace shmslot::test

#include "mcap_compression.hpp"

#include <lz4frame.h>
#include <zstd.h>

#include <memory>

#include <fmt/core.h>

namespace shmslot::mcap {

namespace {

tl::unexpected<McapError> failed(McapErrorCode code, std::string detail) {
  return tl::unexpected(McapError{code, std::move(detail)});
}

struct Lz4DecompressionContext {
  LZ4F_dctx* ctx = nullptr;
  Lz4DecompressionContext() { (void)LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION); }
  ~Lz4DecompressionContext() { LZ4F_freeDecompressionContext(ctx); }
  Lz4DecompressionContext(const Lz4DecompressionContext&) = delete;
  Lz4DecompressionContext& operator=(const Lz4DecompressionContext&) = delete;
};

tl::expected<void, McapError> lz4_decompress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  Lz4DecompressionContext d;
  if (d.ctx == nullptr) return failed(McapErrorCode::Compression, "cannot create an LZ4 decompression context");
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  for (;;) {
    std::size_t out_room = out.size() - out_pos;
    std::size_t in_left = in.size() - in_pos;
    const std::size_t hint = LZ4F_decompress(d.ctx, out.data() + out_pos, &out_room, in.data() + in_pos, &in_left,
                                             nullptr);
    if (LZ4F_isError(hint)) return failed(McapErrorCode::Compression, std::string("lz4: ") + LZ4F_getErrorName(hint));
    in_pos += in_left;
    out_pos += out_room;
    if (hint == 0) break;  // the frame is complete
    if (in_pos == in.size()) return failed(McapErrorCode::Compression, "lz4: the frame ends early");
    if (out_room == 0 && in_left == 0) {  // no progress: the output is full and the frame wants more
      return failed(McapErrorCode::Compression, "lz4: expands to more than the chunk's uncompressed size");
    }
  }
  if (out_pos != out.size()) {
    return failed(McapErrorCode::Compression,
                  fmt::format("lz4: expands to {} bytes, the chunk says {}", out_pos, out.size()));
  }
  if (in_pos != in.size()) return failed(McapErrorCode::Compression, "lz4: bytes after the end of the frame");
  return {};
}

}  // namespace

std::string_view chunk_compression_name(Compression c) {
  switch (c) {
    case Compression::None: return "";
    case Compression::Zstd: return "zstd";
    case Compression::Lz4: return "lz4";
  }
  return "";
}

std::optional<Compression> compression_from_chunk_name(std::string_view name) {
  if (name.empty()) return Compression::None;
  if (name == "zstd") return Compression::Zstd;
  if (name == "lz4") return Compression::Lz4;
  return std::nullopt;
}

tl::expected<void, McapError> compress(Compression c, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  switch (c) {
    case Compression::None: out.assign(in.begin(), in.end()); return {};
    case Compression::Zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), ZSTD_CLEVEL_DEFAULT);
      if (ZSTD_isError(n)) return failed(McapErrorCode::Compression, std::string("zstd: ") + ZSTD_getErrorName(n));
      out.resize(n);
      return {};
    }
    case Compression::Lz4: {
      LZ4F_preferences_t prefs{};
      prefs.frameInfo.contentSize = in.size();  // lets a reader check the size before decoding
      out.resize(LZ4F_compressFrameBound(in.size(), &prefs));
      const std::size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
      if (LZ4F_isError(n)) return failed(McapErrorCode::Compression, std::string("lz4: ") + LZ4F_getErrorName(n));
      out.resize(n);
      return {};
    }
  }
  return failed(McapErrorCode::InvalidArgument, "unknown compression");
}

tl::expected<void, McapError> decompress(Compression c, std::span<const std::uint8_t> in,
                                         std::uint64_t uncompressed_size, std::vector<std::uint8_t>& out) {
  if (uncompressed_size > kMaxUncompressedChunk) {
    return failed(McapErrorCode::Unsupported, fmt::format("a chunk of {} uncompressed bytes is more than the {} "
                                                          "this reader accepts",
                                                          uncompressed_size, kMaxUncompressedChunk));
  }
  switch (c) {
    case Compression::None:
      if (in.size() != uncompressed_size) {
        return failed(McapErrorCode::Malformed, fmt::format("an uncompressed chunk of {} bytes says it has {}",
                                                            in.size(), uncompressed_size));
      }
      out.assign(in.begin(), in.end());
      return {};
    case Compression::Zstd: {
      out.resize(static_cast<std::size_t>(uncompressed_size));
      const std::size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n)) return failed(McapErrorCode::Compression, std::string("zstd: ") + ZSTD_getErrorName(n));
      if (n != out.size()) {
        return failed(McapErrorCode::Compression,
                      fmt::format("zstd: expands to {} bytes, the chunk says {}", n, uncompressed_size));
      }
      return {};
    }
    case Compression::Lz4:
      out.resize(static_cast<std::size_t>(uncompressed_size));
      return lz4_decompress(in, out);
  }
  return failed(McapErrorCode::InvalidArgument, "unknown compression");
}

}  // namespace shmslot::mcap

#include "shmslot/locator.hpp"

namespace shmslot {

namespace {

constexpr std::size_t kHeaderBytes = 20;
constexpr std::size_t kMaxPath = 256;

void put_le(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t get_le(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

bool valid_utf8(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t c = s[i];
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

const char* to_string(LocatorError e) {
  switch (e) {
    case LocatorError::TruncatedHeader: return "locator shorter than its 20-byte header";
    case LocatorError::TruncatedString: return "locator path runs past the end";
    case LocatorError::InvalidUtf8: return "locator path is not UTF-8";
    case LocatorError::PathTooLong: return "locator path longer than 256 bytes";
  }
  return "unknown locator error";
}

tl::expected<std::vector<std::uint8_t>, LocatorError> ShmLocator::to_bytes_le() const {
  if (segment_path.size() > kMaxPath) return tl::unexpected(LocatorError::PathTooLong);
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderBytes + segment_path.size() + 4);
  put_le(out, hostname_hash);
  put_le(out, uid);
  put_le(out, slot_count);
  put_le(out, slot_size);
  put_le(out, static_cast<std::uint32_t>(segment_path.size() + 1));
  out.insert(out.end(), segment_path.begin(), segment_path.end());
  out.push_back(0);
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}

tl::expected<ShmLocator, LocatorError> ShmLocator::from_bytes_le(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes) return tl::unexpected(LocatorError::TruncatedHeader);
  ShmLocator loc;
  loc.hostname_hash = get_le(bytes.data());
  loc.uid = get_le(bytes.data() + 4);
  loc.slot_count = get_le(bytes.data() + 8);
  loc.slot_size = get_le(bytes.data() + 12);
  const std::uint32_t str_len = get_le(bytes.data() + 16);
  if (str_len > kMaxPath + 1) return tl::unexpected(LocatorError::PathTooLong);
  if (kHeaderBytes + str_len > bytes.size()) return tl::unexpected(LocatorError::TruncatedString);
  auto path = bytes.subspan(kHeaderBytes, str_len);
  if (!path.empty() && path.back() == 0) path = path.first(path.size() - 1);
  // 257 bytes without a trailing NUL would decode to a path the encoder refuses.
  if (path.size() > kMaxPath) return tl::unexpected(LocatorError::PathTooLong);
  if (!valid_utf8(path)) return tl::unexpected(LocatorError::InvalidUtf8);
  loc.segment_path.assign(path.begin(), path.end());
  return loc;
}

bool is_same_host(std::string_view local_hostname, std::uint32_t local_uid, const ShmLocator& locator) {
  return fnv1a_32(local_hostname) == locator.hostname_hash && local_uid == locator.uid;
}

}  // namespace shmslot

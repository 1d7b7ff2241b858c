// How `sub` prints a sample's bytes: escaped text, hex, or base64 (for JSON).
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace shmslot::cli {

/// Printable ASCII as is, backslash as "\\", tab/CR/LF as "\t", "\r", "\n", any other byte as
/// "\xHH": one sample always prints as one line.
std::string escape_text(std::span<const std::byte> bytes);

/// Lower-case hex, two digits per byte, no separators.
std::string hex_encode(std::span<const std::byte> bytes);

/// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(std::span<const std::byte> bytes);

}  // namespace shmslot::cli

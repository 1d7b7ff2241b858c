#include "mcap_error.hpp"

namespace shmslot::mcap {

std::string McapError::message() const {
  const char* what = "";
  switch (code) {
    case McapErrorCode::Io: what = "I/O error"; break;
    case McapErrorCode::NotMcap: what = "not an MCAP file"; break;
    case McapErrorCode::Truncated: what = "truncated MCAP file"; break;
    case McapErrorCode::Malformed: what = "malformed MCAP file"; break;
    case McapErrorCode::CrcMismatch: what = "CRC mismatch in MCAP file"; break;
    case McapErrorCode::Unsupported: what = "unsupported MCAP feature"; break;
    case McapErrorCode::Compression: what = "corrupt compressed MCAP chunk"; break;
    case McapErrorCode::InvalidArgument: what = "invalid argument"; break;
  }
  return detail.empty() ? std::string(what) : std::string(what) + ": " + detail;
}

}  // namespace shmslot::mcap

#include <string>

#include <shmslot/bridge.hpp>

namespace shmslot::bridge {

const char* to_string(BridgeErrorCode code) {
  switch (code) {
    case BridgeErrorCode::Dds: return "Dds";
    case BridgeErrorCode::Slot: return "Slot";
    case BridgeErrorCode::InvalidArgument: return "InvalidArgument";
    case BridgeErrorCode::ReaderIndexInUse: return "ReaderIndexInUse";
  }
  return "unknown";
}

std::string BridgeError::message() const {
  switch (code) {
    case BridgeErrorCode::Dds: return "DDS error: " + detail;
    case BridgeErrorCode::Slot: return detail.empty() ? slot.message() : detail + ": " + slot.message();
    case BridgeErrorCode::InvalidArgument:
    case BridgeErrorCode::ReaderIndexInUse: return detail;
  }
  return detail;
}

}  // namespace shmslot::bridge

#include "shmslot/types.hpp"

namespace shmslot {

const char* to_string(SlotErrorCode code) {
  switch (code) {
    case SlotErrorCode::NoFreeSlot: return "NoFreeSlot";
    case SlotErrorCode::OutOfBounds: return "OutOfBounds";
    case SlotErrorCode::SampleTooLarge: return "SampleTooLarge";
    case SlotErrorCode::LockPoisoned: return "LockPoisoned";
    case SlotErrorCode::InPlaceUnsupported: return "InPlaceUnsupported";
    case SlotErrorCode::ReaderIndexOutOfRange: return "ReaderIndexOutOfRange";
    case SlotErrorCode::NotLoaned: return "NotLoaned";
    case SlotErrorCode::Overwritten: return "Overwritten";
    case SlotErrorCode::ReadOnlySegment: return "ReadOnlySegment";
    case SlotErrorCode::TypeMismatch: return "TypeMismatch";
    case SlotErrorCode::NoFreeReader: return "NoFreeReader";
    case SlotErrorCode::ReaderIndexInUse: return "ReaderIndexInUse";
    case SlotErrorCode::Unsupported: return "Unsupported";
    case SlotErrorCode::TimedOut: return "TimedOut";
    case SlotErrorCode::Stopped: return "Stopped";
  }
  return "unknown";
}

std::string SlotError::message() const {
  switch (code) {
    case SlotErrorCode::NoFreeSlot: return "no free slot in segment";
    case SlotErrorCode::OutOfBounds: return "slot index out of bounds";
    case SlotErrorCode::SampleTooLarge:
      return "sample " + std::to_string(sample) + " byte does not fit in slot capacity " + std::to_string(capacity);
    case SlotErrorCode::LockPoisoned: return "backend is unusable (moved-from)";
    case SlotErrorCode::InPlaceUnsupported: return "backend does not support in-place loan";
    case SlotErrorCode::ReaderIndexOutOfRange: return "reader index out of range (0..31)";
    case SlotErrorCode::NotLoaned: return "slot handle is not a live loan";
    case SlotErrorCode::Overwritten: return "slot was overwritten; the sample is gone";
    case SlotErrorCode::ReadOnlySegment: return "segment was created by ZeroDDS and is read-only for shmslot";
    case SlotErrorCode::TypeMismatch: return "type mismatch: the segment carries another sample type";
    case SlotErrorCode::NoFreeReader: return "all 32 reader indices are registered";
    case SlotErrorCode::ReaderIndexInUse: return "reader index is registered by another live process";
    case SlotErrorCode::Unsupported: return "not supported by this backend or segment";
    case SlotErrorCode::TimedOut: return "timed out waiting for a free slot or a sample";
    case SlotErrorCode::Stopped: return "stopped while waiting (stop requested)";
  }
  return "unknown slot error";
}

}  // namespace shmslot

#include "status.hpp"

#include <string>

namespace shmslot::c_api {

namespace {

thread_local std::string last_message;

shmslot_status status_of(SlotErrorCode code) {
  switch (code) {
    case SlotErrorCode::NoFreeSlot: return SHMSLOT_E_NO_FREE_SLOT;
    case SlotErrorCode::OutOfBounds: return SHMSLOT_E_OUT_OF_BOUNDS;
    case SlotErrorCode::SampleTooLarge: return SHMSLOT_E_SAMPLE_TOO_LARGE;
    case SlotErrorCode::LockPoisoned: return SHMSLOT_E_LOCK_POISONED;
    case SlotErrorCode::InPlaceUnsupported: return SHMSLOT_E_IN_PLACE_UNSUPPORTED;
    case SlotErrorCode::ReaderIndexOutOfRange: return SHMSLOT_E_READER_INDEX_OUT_OF_RANGE;
    case SlotErrorCode::NotLoaned: return SHMSLOT_E_NOT_LOANED;
    case SlotErrorCode::Overwritten: return SHMSLOT_E_OVERWRITTEN;
    case SlotErrorCode::ReadOnlySegment: return SHMSLOT_E_READ_ONLY_SEGMENT;
    case SlotErrorCode::TypeMismatch: return SHMSLOT_E_TYPE_MISMATCH;
    case SlotErrorCode::NoFreeReader: return SHMSLOT_E_NO_FREE_READER;
    case SlotErrorCode::ReaderIndexInUse: return SHMSLOT_E_READER_INDEX_IN_USE;
    case SlotErrorCode::Unsupported: return SHMSLOT_E_UNSUPPORTED;
    case SlotErrorCode::TimedOut: return SHMSLOT_E_TIMED_OUT;
    case SlotErrorCode::Stopped: return SHMSLOT_E_STOPPED;
  }
  return SHMSLOT_E_INTERNAL;
}

shmslot_status status_of(const PosixSlotError& error) {
  switch (error.code) {
    case PosixErrorCode::Shm: return SHMSLOT_E_SHM;
    case PosixErrorCode::CapacityOverflow: return SHMSLOT_E_CAPACITY_OVERFLOW;
    case PosixErrorCode::InvalidHeader: return SHMSLOT_E_INVALID_HEADER;
    case PosixErrorCode::InvalidArgument: return SHMSLOT_E_INVALID_ARGUMENT;
    case PosixErrorCode::InUse: return SHMSLOT_E_IN_USE;
    case PosixErrorCode::BadFlink: return SHMSLOT_E_BAD_FLINK;
    case PosixErrorCode::TypeMismatch: return SHMSLOT_E_TYPE_MISMATCH;
    case PosixErrorCode::ForeignOwner: return SHMSLOT_E_FOREIGN_OWNER;
    case PosixErrorCode::ForeignPidNamespace: return SHMSLOT_E_FOREIGN_PID_NAMESPACE;
    case PosixErrorCode::Slot: return status_of(error.slot.code);
  }
  return SHMSLOT_E_INTERNAL;
}

}  // namespace

shmslot_status fail(shmslot_status status, std::string_view message) noexcept {
  try {
    last_message.assign(message);
  } catch (...) {
    last_message.clear();  // no room for the message; the status still says what happened
  }
  return status;
}

shmslot_status fail(const SlotError& error) { return fail(status_of(error.code), error.message()); }

shmslot_status fail(const PosixSlotError& error) { return fail(status_of(error), error.message()); }

shmslot_status null_argument(const char* name) noexcept {
  return guarded([&] { return fail(SHMSLOT_E_NULL_ARGUMENT, std::string("argument is NULL: ") + name); });
}

shmslot_status invalid_handle(const char* kind) noexcept {
  return guarded([&] { return fail(SHMSLOT_E_INVALID_HANDLE, std::string("not a live ") + kind + " handle"); });
}

}  // namespace shmslot::c_api

extern "C" const char* shmslot_last_error_message(void) { return shmslot::c_api::last_message.c_str(); }

extern "C" const char* shmslot_status_string(shmslot_status status) {
  switch (shmslot::c_api::c_enum_value(status)) {
#define SHMSLOT_NAME(s) \
  case s: return #s;
    SHMSLOT_NAME(SHMSLOT_OK)
    SHMSLOT_NAME(SHMSLOT_NO_DATA)
    SHMSLOT_NAME(SHMSLOT_E_NO_FREE_SLOT)
    SHMSLOT_NAME(SHMSLOT_E_OUT_OF_BOUNDS)
    SHMSLOT_NAME(SHMSLOT_E_SAMPLE_TOO_LARGE)
    SHMSLOT_NAME(SHMSLOT_E_LOCK_POISONED)
    SHMSLOT_NAME(SHMSLOT_E_IN_PLACE_UNSUPPORTED)
    SHMSLOT_NAME(SHMSLOT_E_READER_INDEX_OUT_OF_RANGE)
    SHMSLOT_NAME(SHMSLOT_E_NOT_LOANED)
    SHMSLOT_NAME(SHMSLOT_E_OVERWRITTEN)
    SHMSLOT_NAME(SHMSLOT_E_READ_ONLY_SEGMENT)
    SHMSLOT_NAME(SHMSLOT_E_TYPE_MISMATCH)
    SHMSLOT_NAME(SHMSLOT_E_NO_FREE_READER)
    SHMSLOT_NAME(SHMSLOT_E_READER_INDEX_IN_USE)
    SHMSLOT_NAME(SHMSLOT_E_UNSUPPORTED)
    SHMSLOT_NAME(SHMSLOT_E_TIMED_OUT)
    SHMSLOT_NAME(SHMSLOT_E_STOPPED)
    SHMSLOT_NAME(SHMSLOT_E_SHM)
    SHMSLOT_NAME(SHMSLOT_E_CAPACITY_OVERFLOW)
    SHMSLOT_NAME(SHMSLOT_E_INVALID_HEADER)
    SHMSLOT_NAME(SHMSLOT_E_INVALID_ARGUMENT)
    SHMSLOT_NAME(SHMSLOT_E_IN_USE)
    SHMSLOT_NAME(SHMSLOT_E_BAD_FLINK)
    SHMSLOT_NAME(SHMSLOT_E_FOREIGN_OWNER)
    SHMSLOT_NAME(SHMSLOT_E_FOREIGN_PID_NAMESPACE)
    SHMSLOT_NAME(SHMSLOT_E_INVALID_HANDLE)
    SHMSLOT_NAME(SHMSLOT_E_NULL_ARGUMENT)
    SHMSLOT_NAME(SHMSLOT_E_OUT_OF_MEMORY)
    SHMSLOT_NAME(SHMSLOT_E_BUFFER_TOO_SMALL)
    SHMSLOT_NAME(SHMSLOT_E_INTERNAL)
#undef SHMSLOT_NAME
  }
  return "unknown status";
}

#include "exit_codes.hpp"

#include <cerrno>

namespace shmslot::cli {

int exit_code_for(const PosixSlotError& error) {
  switch (error.code) {
    case PosixErrorCode::Shm:
      if (error.sys_errno == ENOENT) return kExitFlinkMissing;
      if (error.sys_errno == EACCES || error.sys_errno == EPERM) return kExitPermissionDenied;
      return kExitFailure;
    case PosixErrorCode::CapacityOverflow:
    case PosixErrorCode::InvalidArgument: return kExitUsage;
    case PosixErrorCode::InvalidHeader:
    case PosixErrorCode::BadFlink: return kExitNotASegment;
    case PosixErrorCode::InUse: return kExitInUse;
    case PosixErrorCode::TypeMismatch: return kExitWrongType;
    case PosixErrorCode::ForeignOwner:
    case PosixErrorCode::ForeignPidNamespace: return kExitPermissionDenied;
    case PosixErrorCode::Slot: return kExitFailure;
  }
  return kExitFailure;
}

const char* exit_code_help() {
  return "Exit codes:\n"
         "  0  ok\n"
         "  1  runtime failure (e.g. sub --verify found a corrupt sample)\n"
         "  2  usage error\n"
         "  3  flink file (or the segment it names) missing\n"
         "  4  not a segment: invalid header or bad flink file\n"
         "  5  permission denied (or a segment of another user, or of another pid namespace)\n"
         "  6  wrong type: the segment records another type hash\n"
         "  7  in use: the flink path (create) or the reader index (sub) belongs to a live process\n"
         "  8  unhealthy: doctor found a problem";
}

}  // namespace shmslot::cli

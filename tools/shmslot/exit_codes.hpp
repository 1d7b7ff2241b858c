// The tool's exit codes (docs/cli.md), and the one mapping from library errors to them.
#pragma once

#include <shmslot/posix_slot_allocator.hpp>

namespace shmslot::cli {

/// What a subcommand's exit status means; scripts may rely on these values.
enum ExitCode : int {
  kExitOk = 0,                ///< done
  kExitFailure = 1,           ///< a runtime failure, e.g. --verify found a corrupt sample
  kExitUsage = 2,             ///< bad command line (or an argument the library refuses)
  kExitFlinkMissing = 3,      ///< the flink file, or the segment it names, does not exist
  kExitNotASegment = 4,       ///< not a segment: invalid header, or a file that is no flink file
  kExitPermissionDenied = 5,  ///< EACCES/EPERM, or a segment of another user or pid namespace
  kExitWrongType = 6,         ///< the segment records another type hash
  kExitInUse = 7,             ///< the flink path (create) or reader index (sub) belongs to a live process
  kExitUnhealthy = 8,         ///< doctor found a problem
};

/// The exit code for an error of create or attach.
int exit_code_for(const PosixSlotError& error);

/// The exit code table, as shown at the end of every --help.
const char* exit_code_help();

}  // namespace shmslot::cli

// What can go wrong writing or reading an MCAP file.
#pragma once

#include <string>

namespace shmslot::mcap {

/// The kind of failure; `detail` in McapError says what exactly.
enum class McapErrorCode {
  /// A system call on the file failed (`detail` has the errno text). Retry helps only if the cause does.
  Io,
  /// The file does not start (or end) with the MCAP magic. Retry does not help.
  NotMcap,
  /// The file ends inside a record, or has no footer: cut short or still being written.
  Truncated,
  /// A record's fields contradict each other or the file (bad length, offset, unknown channel).
  Malformed,
  /// A CRC the file records does not match its bytes. Retry does not help.
  CrcMismatch,
  /// A compression or feature this module does not implement. Retry does not help.
  Unsupported,
  /// The compression library refused the data (corrupt compressed chunk).
  Compression,
  /// The caller passed something out of range (a channel id never added, a chunk size of 0).
  InvalidArgument,
};

/// The error of every operation of the module.
struct McapError {
  McapErrorCode code = McapErrorCode::Io;
  std::string detail;

  /// One line for people, e.g. "truncated MCAP file: record at offset 4096 needs 120 bytes, 17 remain".
  std::string message() const;
};

}  // namespace shmslot::mcap

// What `shmslot record` puts into an MCAP file beyond samples, and `shmslot replay` reads back:
// the channel metadata keys, the message encoding and the metadata record. One place for the
// names, so that the two subcommands and docs/cli.md agree.
#pragma once

namespace shmslot::cli::recording {

/// Message encoding of every channel: the payload bytes exactly as committed.
inline constexpr const char* kMessageEncoding = "shmslot.raw";

/// Channel metadata keys.
inline constexpr const char* kFlink = "flink";            ///< resolved flink path
inline constexpr const char* kShmName = "shm_name";       ///< e.g. /shmem_1A2B...
inline constexpr const char* kTypeHash = "type_hash";     ///< 32 hex digits, "" when none
inline constexpr const char* kCapacity = "capacity";      ///< payload bytes per slot
inline constexpr const char* kSlotCount = "slot_count";   ///< slots in the segment
inline constexpr const char* kKind = "kind";              ///< "shmslot" or "zerodds"
inline constexpr const char* kReader = "reader";          ///< the recorder's reader index
inline constexpr const char* kMode = "mode";              ///< "registered" or "best-effort"

/// The Metadata record written at the end of a recording.
inline constexpr const char* kMetadataName = "shmslot.recording";

}  // namespace shmslot::cli::recording

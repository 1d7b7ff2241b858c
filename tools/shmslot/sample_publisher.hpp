// Publishing whole samples into one segment from the command line (`pub`, `replay`): loan a slot
// for the active readers (Writer::loan through wait_until, sleeping while the segment is full),
// and give up when a stop signal arrives or nobody will ever free a slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <shmslot/posix_slot_allocator.hpp>
#include <shmslot/writer.hpp>

namespace shmslot::cli {

class SamplePublisher {
 public:
  /// `command` prefixes error messages. `active`: the readers a slot waits for; nullopt: the
  /// segment's registered readers, read at every reservation (as FlatWriter does).
  SamplePublisher(std::string command, PosixSlotAllocator& segment, std::optional<ReaderMask> active);

  /// Copies `bytes` into a slot and commits it. False when it stopped: see exit_code().
  bool publish_bytes(std::span<const std::byte> bytes);
  /// Writes generated sample `index` (generated_payload.hpp) in place (zero-copy) and commits it.
  bool publish_generated(std::uint64_t index, std::size_t size);

  /// Why the last publish returned false: kExitOk when a stop signal asked for it.
  int exit_code() const { return exit_code_; }

 private:
  // A loan of `size` bytes, waiting while the segment is full; nullopt when it stopped.
  std::optional<Loan> loan(std::size_t size);
  bool commit(Loan&& loan, std::size_t size);
  // What a full segment waits for: the active readers, and which of them no process reads as.
  std::string waiting_text(ReaderMask active) const;

  std::string command_;
  PosixSlotAllocator& segment_;
  Writer writer_;
  int exit_code_ = 0;
  bool said_waiting_ = false;
};

}  // namespace shmslot::cli

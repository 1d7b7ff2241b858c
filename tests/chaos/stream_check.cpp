#include "chaos/stream_check.hpp"

namespace shmslot::chaos {

std::optional<std::string> StreamCheck::accept(const test::Stamp& stamp, std::uint64_t seq) {
  const std::string who = "writer " + std::to_string(stamp.writer) + " sample " + std::to_string(stamp.index) +
                          " (sequence " + std::to_string(seq) + ")";
  const std::uint64_t low = board_.low.load(std::memory_order_relaxed);
  if (seq < low) {
    return "history: " + who + " is older than this reader's registration (its cursor was " + std::to_string(low) + ")";
  }
  if (stamp.writer == 0) return "torn: " + who + " names no writer";
  if (any_) {
    if (seq <= last_seq_) {
      return "order: " + who + " after sequence " + std::to_string(last_seq_) + " (writer " +
             std::to_string(last_writer_) + " sample " + std::to_string(last_index_) + ")";
    }
    if (stamp.writer == last_writer_) {
      // One writer at a time: its samples take consecutive sequence numbers.
      if (stamp.index != last_index_ + 1 || seq != last_seq_ + 1) {
        return (stamp.index <= last_index_ ? "order: " : "loss: ") + who + " right after sample " +
               std::to_string(last_index_) + " (sequence " + std::to_string(last_seq_) + ") of the same writer";
      }
    } else if (stamp.writer < last_writer_) {
      return "order: " + who + " after writer " + std::to_string(last_writer_) + ", a later incarnation";
    }
  }
  StreamRecord& r = board_.records[stamp.writer % kRecords];
  if (r.writer.load(std::memory_order_relaxed) != stamp.writer) {
    r.first_index.store(stamp.index, std::memory_order_relaxed);
    r.first_seq.store(seq, std::memory_order_relaxed);
    r.count.store(0, std::memory_order_relaxed);
    r.writer.store(stamp.writer, std::memory_order_relaxed);
  }
  r.last_index.store(stamp.index, std::memory_order_relaxed);
  r.last_seq.store(seq, std::memory_order_relaxed);
  r.count.fetch_add(1, std::memory_order_relaxed);
  // SYNC: release; the harness reads samples (acquire) and then the records.
  board_.samples.fetch_add(1, std::memory_order_release);
  any_ = true;
  last_writer_ = stamp.writer;
  last_index_ = stamp.index;
  last_seq_ = seq;
  return std::nullopt;
}

}  // namespace shmslot::chaos

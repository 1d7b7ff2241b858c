// What each kind of handle holds. Every object keeps its segment alive through a shared_ptr (so a
// blocking call sleeping on the segment outside the table's lock never sleeps on freed memory), and
// declares it first, so it goes last.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "handle_table.hpp"
#include "shmslot/posix_slot_allocator.hpp"
#include "shmslot/reader.hpp"
#include "shmslot/writer.hpp"

namespace shmslot::c_api {

using Segment = std::shared_ptr<PosixSlotAllocator>;

struct SegmentObject final : Object {
  explicit SegmentObject(Segment s) : segment(std::move(s)) {}
  Segment segment;
};

struct WriterObject final : Object {
  WriterObject(Segment s, Writer w) : segment(std::move(s)), writer(std::move(w)) {}
  Segment segment;
  Writer writer;
};

struct LoanObject final : Object {
  LoanObject(Segment s, Loan l) : segment(std::move(s)), loan(std::move(l)) {}
  Segment segment;
  Loan loan;  // discarded on destruction unless committed
};

struct ReaderObject final : Object {
  /// `owns_index`: the index was registered here for the reader (Reader::registered owns its own).
  ReaderObject(Segment s, Reader r, bool owns_index)
      : segment(std::move(s)), reader(std::move(r)), owns_index_(owns_index) {}
  ~ReaderObject() override {
    if (owns_index_) (void)segment->unregister_reader(reader.reader_index());
  }
  ReaderObject(const ReaderObject&) = delete;
  ReaderObject& operator=(const ReaderObject&) = delete;
  Segment segment;
  Reader reader;

 private:
  bool owns_index_;
};

struct SampleObject final : Object {
  SampleObject(Segment s, Sample smp) : segment(std::move(s)), sample(std::move(smp)) {}
  Segment segment;
  Sample sample;  // marks the sample read on destruction
};

/// A relative timeout in ms as a WaitLimit; SHMSLOT_WAIT_FOREVER never gives up.
WaitLimit wait_limit_ms(std::uint32_t timeout_ms);

}  // namespace shmslot::c_api

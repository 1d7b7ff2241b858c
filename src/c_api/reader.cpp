// Readers and their in-place samples.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "blocking.hpp"
#include "objects.hpp"
#include "shmslot/shmslot.h"
#include "status.hpp"

using namespace shmslot;
using namespace shmslot::c_api;

namespace {

shmslot_status store_reader(HandleTable& table, shmslot_segment segment, const Segment& seg, Reader reader,
                            bool owns_index, shmslot_reader* out) {
  out->id = table.insert(Kind::Reader, segment.id, std::make_unique<ReaderObject>(seg, std::move(reader), owns_index));
  return SHMSLOT_OK;
}

// Stores a taken sample under the reader's handle (lock held).
void store_sample(HandleTable& table, shmslot_reader reader, const Segment& seg, Sample sample, shmslot_sample* out,
                  shmslot_sample_view* view) {
  view->data = sample.data();
  view->size = sample.size();
  view->sequence_number = sample.sequence_number();
  out->id = table.insert(Kind::Sample, reader.id, std::make_unique<SampleObject>(seg, std::move(sample)));
}

}  // namespace

extern "C" shmslot_status shmslot_reader_register(shmslot_segment segment, shmslot_reader* out) {
  if (out == nullptr) return null_argument("out");
  out->id = 0;
  return guarded([&] {
    return with_object<SegmentObject>(
        segment.id, Kind::Segment, "segment", [&]([[maybe_unused]] HandleTable& table, SegmentObject* seg) {
          auto reader = Reader::registered(*seg->segment);
          if (!reader) return fail(reader.error());
          return store_reader(table, segment, seg->segment, std::move(*reader), false, out);
        });
  });
}

extern "C" shmslot_status shmslot_reader_register_index(shmslot_segment segment, uint32_t index, shmslot_reader* out) {
  if (out == nullptr) return null_argument("out");
  out->id = 0;
  return guarded([&] {
    return with_object<SegmentObject>(
        segment.id, Kind::Segment, "segment", [&]([[maybe_unused]] HandleTable& table, SegmentObject* seg) {
          if (index >= kMaxReaders) return fail(SlotError::of(SlotErrorCode::ReaderIndexOutOfRange));
          auto registered = seg->segment->register_reader(index);
          if (!registered) return fail(registered.error());
          try {
            return store_reader(table, segment, seg->segment, Reader(*seg->segment, *registered), true, out);
          } catch (...) {
            (void)seg->segment->unregister_reader(*registered);
            throw;
          }
        });
  });
}

extern "C" shmslot_status shmslot_reader_unregister(shmslot_reader reader) {
  return guarded([&] {
    auto& table = HandleTable::instance();
    auto lock = table.lock();
    return table.erase(reader.id, Kind::Reader) ? SHMSLOT_OK : invalid_handle("reader");
  });
}

extern "C" shmslot_status shmslot_reader_index(shmslot_reader reader, uint32_t* out) {
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    return with_object<ReaderObject>(reader.id, Kind::Reader, "reader",
                                     [&]([[maybe_unused]] HandleTable& table, ReaderObject* r) {
                                       *out = r->reader.reader_index();
                                       return SHMSLOT_OK;
                                     });
  });
}

extern "C" shmslot_status shmslot_reader_take(shmslot_reader reader, shmslot_sample* out, shmslot_sample_view* view) {
  if (out == nullptr) return null_argument("out");
  if (view == nullptr) return null_argument("view");
  out->id = 0;
  *view = shmslot_sample_view{};
  return guarded([&] {
    return with_object<ReaderObject>(reader.id, Kind::Reader, "reader",
                                     [&]([[maybe_unused]] HandleTable& table, ReaderObject* r) {
                                       auto sample = r->reader.take();
                                       if (!sample) return fail(sample.error());
                                       if (!*sample) return SHMSLOT_NO_DATA;
                                       store_sample(table, reader, r->segment, std::move(**sample), out, view);
                                       return SHMSLOT_OK;
                                     });
  });
}

extern "C" shmslot_status shmslot_reader_take_blocking(shmslot_reader reader, uint32_t timeout_ms, shmslot_sample* out,
                                                       shmslot_sample_view* view) {
  if (out == nullptr) return null_argument("out");
  if (view == nullptr) return null_argument("view");
  out->id = 0;
  *view = shmslot_sample_view{};
  // The sample is stored inside the try, under the lock that found the reader.
  return wait_on<ReaderObject>(
      reader.id, Kind::Reader, "reader", timeout_ms,
      [&](ReaderObject& r, HandleTable& table) -> tl::expected<std::optional<int>, SlotError> {
        auto sample = r.reader.take();
        if (!sample) return tl::unexpected(sample.error());
        if (!*sample) return std::optional<int>{};
        store_sample(table, reader, r.segment, std::move(**sample), out, view);
        return std::optional<int>(0);
      },
      [](int) { return SHMSLOT_OK; });
}

extern "C" shmslot_status shmslot_sample_release(shmslot_sample sample) {
  return guarded([&] {
    return with_object<SampleObject>(sample.id, Kind::Sample, "sample",
                                     [&]([[maybe_unused]] HandleTable& table, SampleObject* s) {
                                       auto released = s->sample.release();
                                       (void)table.erase(sample.id, Kind::Sample);
                                       if (!released) return fail(released.error());
                                       return SHMSLOT_OK;
                                     });
  });
}

extern "C" shmslot_status shmslot_reader_take_copy(shmslot_reader reader, void* buffer, size_t capacity, size_t* size,
                                                   uint32_t* sequence_number) {
  if (buffer == nullptr && capacity != 0) return null_argument("buffer");
  if (size == nullptr) return null_argument("size");
  *size = 0;
  return guarded([&] {
    return with_object<ReaderObject>(
        reader.id, Kind::Reader, "reader", [&]([[maybe_unused]] HandleTable& table, ReaderObject* r) {
          auto header = r->reader.take_into(std::span<std::byte>(static_cast<std::byte*>(buffer), capacity));
          if (!header) return fail(header.error());
          if (!*header) return SHMSLOT_NO_DATA;
          *size = (*header)->sample_size;
          if (sequence_number != nullptr) *sequence_number = (*header)->sequence_number;
          return SHMSLOT_OK;
        });
  });
}

extern "C" shmslot_status shmslot_reader_wait(shmslot_reader reader, uint32_t timeout_ms) {
  return wait_on<ReaderObject>(
      reader.id, Kind::Reader, "reader", timeout_ms,
      [](ReaderObject& r, HandleTable&) -> tl::expected<std::optional<int>, SlotError> {
        auto next = r.segment->next_unread_slot(r.reader.reader_index());
        if (!next) return tl::unexpected(next.error());
        return *next ? std::optional<int>(0) : std::optional<int>{};
      },
      [](int) { return SHMSLOT_OK; });
}

extern "C" shmslot_status shmslot_reader_get_stats(shmslot_reader reader, shmslot_reader_stats* out) {
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    return with_object<ReaderObject>(reader.id, Kind::Reader, "reader",
                                     [&]([[maybe_unused]] HandleTable& table, ReaderObject* r) {
                                       auto stats = r->reader.stats();
                                       if (!stats) return fail(stats.error());
                                       *out = shmslot_reader_stats{};
                                       out->registered = stats->registered ? 1 : 0;
                                       out->owner_pid = stats->owner_pid;
                                       out->cursor = stats->cursor;
                                       out->evictions = stats->evictions;
                                       out->overwritten = r->reader.overwritten();
                                       return SHMSLOT_OK;
                                     });
  });
}

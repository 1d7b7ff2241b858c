// Writers and their loans.
#include <cstring>
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

shmslot_status create_writer(shmslot_segment segment, std::optional<ReaderMask> mask, shmslot_writer* out) {
  if (out == nullptr) return null_argument("out");
  out->id = 0;
  return guarded([&] {
    return with_object<SegmentObject>(
        segment.id, Kind::Segment, "segment", [&]([[maybe_unused]] HandleTable& table, SegmentObject* seg) {
          Writer writer = mask ? Writer(*seg->segment, *mask) : Writer(*seg->segment);
          out->id =
              table.insert(Kind::Writer, segment.id, std::make_unique<WriterObject>(seg->segment, std::move(writer)));
          return SHMSLOT_OK;
        });
  });
}

// Stores a fresh loan under the writer's handle (lock held).
shmslot_status store_loan(HandleTable& table, shmslot_writer writer, const Segment& segment, Loan loan,
                          shmslot_loan* out, shmslot_loan_view* view) {
  const auto data = loan.data();
  out->id = table.insert(Kind::Loan, writer.id, std::make_unique<LoanObject>(segment, std::move(loan)));
  view->data = data.data();
  view->capacity = data.size();
  return SHMSLOT_OK;
}

}  // namespace

extern "C" shmslot_status shmslot_writer_create(shmslot_segment segment, shmslot_writer* out) {
  return create_writer(segment, std::nullopt, out);
}

extern "C" shmslot_status shmslot_writer_create_with_mask(shmslot_segment segment, uint32_t active_readers_mask,
                                                          shmslot_writer* out) {
  return create_writer(segment, active_readers_mask, out);
}

extern "C" shmslot_status shmslot_writer_close(shmslot_writer writer) {
  return guarded([&] {
    auto& table = HandleTable::instance();
    auto lock = table.lock();
    return table.erase(writer.id, Kind::Writer) ? SHMSLOT_OK : invalid_handle("writer");
  });
}

extern "C" shmslot_status shmslot_writer_loan(shmslot_writer writer, size_t size, shmslot_loan* out,
                                              shmslot_loan_view* view) {
  if (out == nullptr) return null_argument("out");
  if (view == nullptr) return null_argument("view");
  out->id = 0;
  return guarded([&] {
    return with_object<WriterObject>(writer.id, Kind::Writer, "writer",
                                     [&]([[maybe_unused]] HandleTable& table, WriterObject* w) {
                                       auto loan = w->writer.loan(size);
                                       if (!loan) return fail(loan.error());
                                       return store_loan(table, writer, w->segment, std::move(*loan), out, view);
                                     });
  });
}

extern "C" shmslot_status shmslot_writer_loan_blocking(shmslot_writer writer, size_t size, uint32_t timeout_ms,
                                                       shmslot_loan* out, shmslot_loan_view* view) {
  if (out == nullptr) return null_argument("out");
  if (view == nullptr) return null_argument("view");
  out->id = 0;
  // The loan is stored in the table inside the try, under the lock that found the writer.
  return wait_on<WriterObject>(
      writer.id, Kind::Writer, "writer", timeout_ms,
      [&](WriterObject& w, HandleTable& table) -> tl::expected<std::optional<int>, SlotError> {
        auto loan = unless_full(w.writer.loan(size));
        if (!loan) return tl::unexpected(loan.error());
        if (!*loan) return std::optional<int>{};
        (void)store_loan(table, writer, w.segment, std::move(**loan), out, view);
        return std::optional<int>(0);
      },
      [](int) { return SHMSLOT_OK; });
}

extern "C" shmslot_status shmslot_loan_commit(shmslot_loan loan, size_t len, uint32_t* sequence_number) {
  return guarded([&] {
    return with_object<LoanObject>(
        loan.id, Kind::Loan, "loan", [&]([[maybe_unused]] HandleTable& table, LoanObject* l) {
          auto sn = std::move(l->loan).commit(len);
          (void)table.erase(loan.id, Kind::Loan);  // consumed whatever the outcome, as the C++ loan
          if (!sn) return fail(sn.error());
          if (sequence_number != nullptr) *sequence_number = *sn;
          return SHMSLOT_OK;
        });
  });
}

extern "C" shmslot_status shmslot_loan_discard(shmslot_loan loan) {
  return guarded([&] {
    return with_object<LoanObject>(loan.id, Kind::Loan, "loan",
                                   [&]([[maybe_unused]] HandleTable& table, LoanObject* l) {
                                     auto discarded = std::move(l->loan).discard();
                                     (void)table.erase(loan.id, Kind::Loan);
                                     if (!discarded) return fail(discarded.error());
                                     return SHMSLOT_OK;
                                   });
  });
}

extern "C" shmslot_status shmslot_writer_write(shmslot_writer writer, const void* bytes, size_t len,
                                               uint32_t* sequence_number) {
  if (bytes == nullptr && len != 0) return null_argument("bytes");
  return guarded([&] {
    return with_object<WriterObject>(
        writer.id, Kind::Writer, "writer", [&]([[maybe_unused]] HandleTable& table, WriterObject* w) {
          auto sn = w->writer.write(std::span<const std::byte>(static_cast<const std::byte*>(bytes), len));
          if (!sn) return fail(sn.error());
          if (sequence_number != nullptr) *sequence_number = *sn;
          return SHMSLOT_OK;
        });
  });
}

extern "C" shmslot_status shmslot_writer_write_blocking(shmslot_writer writer, const void* bytes, size_t len,
                                                        uint32_t timeout_ms, uint32_t* sequence_number) {
  if (bytes == nullptr && len != 0) return null_argument("bytes");
  const std::span<const std::byte> span(static_cast<const std::byte*>(bytes), len);
  return wait_on<WriterObject>(
      writer.id, Kind::Writer, "writer", timeout_ms,
      [&](WriterObject& w, HandleTable&) { return unless_full(w.writer.write(span)); },
      [&](std::uint32_t sn) {
        if (sequence_number != nullptr) *sequence_number = sn;
        return SHMSLOT_OK;
      });
}

// shmslot._shmslot.Writer and Loan: copy a sample in (write), or loan a slot, fill it in place
// through a writable view, and commit it.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

#include "bindings.hpp"
#include "blocking.hpp"
#include "errors.hpp"
#include "node.hpp"
#include "shmslot/writer.hpp"
#include "slot_view.hpp"

namespace py = pybind11;

namespace shmslot::python {
namespace {

class WriterNode final : public Node {
 public:
  WriterNode(std::shared_ptr<SegmentNode> segment, Writer writer)
      : segment_(std::move(segment)), mapping_(segment_->mapping()), writer_(std::move(writer)) {}
  ~WriterNode() override {
    std::lock_guard lock(segment_->mutex());
    close_locked();
  }
  SegmentNode& segment() const { return *segment_; }
  /// The writer; call with the mutex held, after checking closed().
  Writer& writer() { return *writer_; }

 protected:
  void release_locked() override {
    writer_.reset();
    mapping_.reset();
  }

 private:
  std::shared_ptr<SegmentNode> segment_;  // first: it goes last
  Mapping mapping_;                       // as ReaderNode's (reader.cpp)
  std::optional<Writer> writer_;
};

class LoanNode final : public Node {
 public:
  LoanNode(std::shared_ptr<WriterNode> writer, Loan loan, std::shared_ptr<SlotView> view)
      : writer_(std::move(writer)), loan_(std::move(loan)), view_(std::move(view)) {}
  ~LoanNode() override {
    std::lock_guard lock(writer_->segment().mutex());
    close_locked();
  }
  SegmentNode& segment() const { return writer_->segment(); }
  const std::shared_ptr<SlotView>& view() const { return view_; }
  std::size_t size() const { return view_->size(); }

  /// Publishes the first `len` bytes (all when nullopt); the loan is over whatever the outcome.
  std::uint32_t commit(std::optional<std::size_t> len) {
    std::lock_guard lock(segment().mutex());
    if (closed()) raise(SlotError::of(SlotErrorCode::NotLoaned));
    auto loan = std::move(loan_);
    close_locked();
    return value_or_raise(std::move(loan).commit(len.value_or(loan.size())));
  }
  /// Gives the slot back unpublished.
  void discard() {
    std::lock_guard lock(segment().mutex());
    if (closed()) raise(SlotError::of(SlotErrorCode::NotLoaned));
    close_locked();
  }

 protected:
  void release_locked() override {
    view_->revoke();
    if (loan_.live()) (void)std::move(loan_).discard();
  }

 private:
  std::shared_ptr<WriterNode> writer_;  // first: it goes last
  Loan loan_;
  std::shared_ptr<SlotView> view_;
};

/// The bytes of a C-contiguous buffer (bytes, bytearray, memoryview, numpy array).
class ContiguousBytes {
 public:
  explicit ContiguousBytes(const py::handle& object) {
    if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) throw py::error_already_set();
  }
  ~ContiguousBytes() { PyBuffer_Release(&view_); }
  ContiguousBytes(const ContiguousBytes&) = delete;
  ContiguousBytes& operator=(const ContiguousBytes&) = delete;
  std::span<const std::byte> bytes() const {
    return {static_cast<const std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }

 private:
  Py_buffer view_{};
};

std::shared_ptr<WriterNode> make_writer(const std::shared_ptr<SegmentNode>& segment,
                                        std::optional<ReaderMask> active_readers) {
  std::lock_guard lock(segment->mutex());
  if (!segment->mapping()) raise_closed("the segment");
  auto& mapping = *segment->mapping();
  auto node = std::make_shared<WriterNode>(segment, active_readers ? Writer(mapping, *active_readers) : Writer(mapping));
  segment->adopt(node);
  return node;
}

/// Runs `body(Writer&)` on an open writer, under the segment's mutex.
template <class Body>
auto with_writer(WriterNode& w, Body&& body) {
  std::lock_guard lock(w.segment().mutex());
  if (w.closed()) raise_closed("the writer");
  return body(w.writer());
}

/// A loan as a node under its writer. Runs under the segment's mutex, in the same hold as the
/// loan, so a close cannot come between them; makes no Python object (no GIL needed).
std::shared_ptr<LoanNode> adopt_loan(const std::shared_ptr<WriterNode>& w, Loan loan) {
  auto view = std::make_shared<SlotView>(w->segment().mapping(), loan.data());
  auto node = std::make_shared<LoanNode>(w, std::move(loan), std::move(view));
  w->adopt(node);
  return node;
}

/// Writer::loan, the loan adopted; under the segment's mutex.
tl::expected<std::shared_ptr<LoanNode>, SlotError> loan_adopted(const std::shared_ptr<WriterNode>& w,
                                                                std::size_t size) {
  auto loan = w->writer().loan(size);
  if (!loan) return tl::unexpected(loan.error());
  return adopt_loan(w, std::move(*loan));
}

}  // namespace

void bind_writer(py::module_& module) {
  py::class_<LoanNode, std::shared_ptr<LoanNode>>(module, "Loan",
                                                  "A reserved slot: `view` is writable in place until commit() or "
                                                  "discard(); a loan dropped with neither is discarded.")
      .def_property_readonly("view", &LoanNode::view, "The slot's bytes (a SlotView: memoryview(view) to write).")
      .def_property_readonly("size", &LoanNode::size)
      .def_property_readonly("live", [](const LoanNode& l) {
        std::lock_guard lock(l.segment().mutex());
        return !l.closed();
      })
      .def("commit", &LoanNode::commit, py::arg("length") = py::none(),
           "Publishes the first `length` bytes (all by default) without a copy; returns the sequence number. "
           "The loan is over whatever the outcome (SampleTooLarge gives the slot back).")
      .def("discard", &LoanNode::discard, "Gives the slot back unpublished.");

  py::class_<WriterNode, std::shared_ptr<WriterNode>>(module, "Writer",
                                                      "Publishes into a segment; its active readers are the registered "
                                                      "ones, or `active_readers` (a bit mask).")
      .def(py::init(&make_writer), py::arg("segment"), py::kw_only(), py::arg("active_readers") = py::none())
      .def(
          "try_write",
          [](WriterNode& w, const py::buffer& data) -> std::optional<std::uint32_t> {
            const ContiguousBytes in(data);
            auto sn = with_writer(w, [&](Writer& writer) { return writer.write(in.bytes()); });
            if (!sn && sn.error().code == SlotErrorCode::NoFreeSlot) return std::nullopt;
            return value_or_raise(std::move(sn));
          },
          py::arg("data"), "Copies `data` into a free slot and publishes it: its sequence number, or None when full.")
      .def(
          "write",
          [](WriterNode& w, const py::buffer& data, std::optional<double> timeout) {
            const ContiguousBytes in(data);
            return wait_interruptibly<std::uint32_t>(w.segment(), w, "the writer", WaitFor::Change, timeout,
                                                     [&] { return unless_full(w.writer().write(in.bytes())); });
          },
          py::arg("data"), py::arg("timeout") = py::none(),
          "try_write, waiting while the segment is full: TimedOut after `timeout` seconds (None: forever).")
      .def(
          "try_loan",
          [](const std::shared_ptr<WriterNode>& w, std::size_t size) -> std::shared_ptr<LoanNode> {
            auto loan = with_writer(*w, [&](Writer&) { return loan_adopted(w, size); });
            if (!loan && loan.error().code == SlotErrorCode::NoFreeSlot) return nullptr;
            return value_or_raise(std::move(loan));
          },
          py::arg("size"), "A Loan of `size` writable bytes, or None when full.")
      .def(
          "loan",
          [](const std::shared_ptr<WriterNode>& w, std::size_t size, std::optional<double> timeout) {
            return wait_interruptibly<std::shared_ptr<LoanNode>>(w->segment(), *w, "the writer", WaitFor::Change, timeout,
                                                                 [&] { return unless_full(loan_adopted(w, size)); });
          },
          py::arg("size"), py::arg("timeout") = py::none(), "try_loan, waiting while the segment is full.")
      .def(
          "set_max_sample_age",
          [](WriterNode& w, std::optional<double> age_s) {
            if (age_s && !(*age_s >= 0)) throw py::value_error("max sample age must be None or >= 0 seconds");
            with_writer(w, [&](Writer& writer) {
              std::optional<std::chrono::nanoseconds> age;
              if (age_s) age = std::chrono::nanoseconds(static_cast<std::int64_t>(*age_s * 1e9));
              writer.set_max_sample_age(age);
            });
          },
          py::arg("seconds"),
          "On a full segment, evict samples older than this that an active reader has not read; None: never.")
      .def(
          "set_active_readers",
          [](WriterNode& w, std::optional<ReaderMask> mask) {
            with_writer(w, [&](Writer& writer) { writer.set_active_readers(mask); });
          },
          py::arg("mask"), "An explicit reader mask, or None for the registered readers.")
      .def_property_readonly("slot_capacity",
                             [](WriterNode& w) { return with_writer(w, [](Writer& writer) { return writer.capacity(); }); })
      .def(
          "close",
          [](WriterNode& w) {
            std::lock_guard lock(w.segment().mutex());
            w.close_locked();
          },
          "Discards the writer's open loans and closes it.")
      .def_property_readonly("closed", [](const WriterNode& w) {
        std::lock_guard lock(w.segment().mutex());
        return w.closed();
      });
}

}  // namespace shmslot::python

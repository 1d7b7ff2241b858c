// shmslot._shmslot.Reader and Sample: take a sample in place through a read-only view and release
// it, or copy it out (the oldest, or only the newest).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

#include "bindings.hpp"
#include "blocking.hpp"
#include "errors.hpp"
#include "node.hpp"
#include "shmslot/reader.hpp"
#include "slot_view.hpp"

namespace py = pybind11;

namespace shmslot::python {
namespace {

class ReaderNode final : public Node {
 public:
  /// `owns_index`: the index was registered here (Reader::registered owns its own registration).
  ReaderNode(std::shared_ptr<SegmentNode> segment, Reader reader, bool owns_index)
      : segment_(std::move(segment)),
        mapping_(segment_->mapping()),
        reader_(std::move(reader)),
        owns_index_(owns_index) {}
  ~ReaderNode() override {
    std::lock_guard lock(segment_->mutex());
    close_locked();
  }
  SegmentNode& segment() const { return *segment_; }
  /// The reader; call with the mutex held, after checking closed().
  Reader& reader() { return *reader_; }

 protected:
  void release_locked() override {
    const auto index = reader_->reader_index();
    reader_.reset();
    if (owns_index_) (void)mapping_->unregister_reader(index);
    mapping_.reset();
  }

 private:
  std::shared_ptr<SegmentNode> segment_;  // first: it goes last
  // The reader's own hold on the mapping, until it is closed: one dropped by Python while its
  // segment closes (so skipped by the close) still unregisters into mapped memory.
  Mapping mapping_;
  std::optional<Reader> reader_;
  bool owns_index_;
};

class SampleNode final : public Node {
 public:
  SampleNode(std::shared_ptr<ReaderNode> reader, Sample sample, std::shared_ptr<SlotView> view)
      : reader_(std::move(reader)),
        sequence_number_(sample.sequence_number()),
        sample_(std::move(sample)),
        view_(std::move(view)) {}
  ~SampleNode() override {
    std::lock_guard lock(reader_->segment().mutex());
    close_locked();
  }
  SegmentNode& segment() const { return reader_->segment(); }
  const std::shared_ptr<SlotView>& view() const { return view_; }
  std::uint32_t sequence_number() const { return sequence_number_; }
  std::size_t size() const { return view_->size(); }

  /// Marks the sample read (releasing it twice does nothing, as for the C++ guard).
  void release() {
    std::lock_guard lock(segment().mutex());
    if (closed()) return;
    auto released = sample_.release();
    close_locked();
    value_or_raise(released);
  }

 protected:
  void release_locked() override { (void)sample_.release(); }

 private:
  std::shared_ptr<ReaderNode> reader_;  // first: it goes last
  std::uint32_t sequence_number_;
  Sample sample_;
  std::shared_ptr<SlotView> view_;  // stays readable after the release: it holds the mapping
};

std::shared_ptr<ReaderNode> make_reader(const std::shared_ptr<SegmentNode>& segment,
                                        std::optional<std::uint32_t> index) {
  std::lock_guard lock(segment->mutex());
  if (!segment->mapping()) raise_closed("the segment");
  auto& mapping = *segment->mapping();
  std::shared_ptr<ReaderNode> node;
  if (!index) {
    node = std::make_shared<ReaderNode>(segment, value_or_raise(Reader::registered(mapping)), false);
  } else {
    if (*index >= kMaxReaders) raise(SlotError::of(SlotErrorCode::ReaderIndexOutOfRange));
    const auto registered = value_or_raise(mapping.register_reader(*index));
    try {
      node = std::make_shared<ReaderNode>(segment, Reader(mapping, registered), true);
    } catch (...) {
      (void)mapping.unregister_reader(registered);
      throw;
    }
  }
  segment->adopt(node);
  return node;
}

/// Runs `body(Reader&)` on an open reader, under the segment's mutex.
template <class Body>
auto with_reader(ReaderNode& r, Body&& body) {
  std::lock_guard lock(r.segment().mutex());
  if (r.closed()) raise_closed("the reader");
  return body(r.reader());
}

/// A taken sample as a node under its reader. Runs under the segment's mutex, in the same hold as
/// the take, so a close cannot come between them; makes no Python object (no GIL needed).
std::shared_ptr<SampleNode> adopt_sample(const std::shared_ptr<ReaderNode>& r, Sample sample) {
  auto view = std::make_shared<SlotView>(r->segment().mapping(), sample.bytes());
  auto node = std::make_shared<SampleNode>(r, std::move(sample), std::move(view));
  r->adopt(node);
  return node;
}

/// Reader::take, the sample adopted; under the segment's mutex.
tl::expected<std::optional<std::shared_ptr<SampleNode>>, SlotError> take_adopted(const std::shared_ptr<ReaderNode>& r) {
  auto got = r->reader().take();
  if (!got) return tl::unexpected(got.error());
  if (!*got) return std::optional<std::shared_ptr<SampleNode>>{};
  return std::optional(adopt_sample(r, std::move(**got)));
}

/// A writable, C-contiguous buffer to copy a sample into.
class WritableBytes {
 public:
  explicit WritableBytes(const py::handle& object) {
    if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) != 0) {
      throw py::error_already_set();
    }
  }
  ~WritableBytes() { PyBuffer_Release(&view_); }
  WritableBytes(const WritableBytes&) = delete;
  WritableBytes& operator=(const WritableBytes&) = delete;
  std::span<std::byte> bytes() const { return {static_cast<std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)}; }

 private:
  Py_buffer view_{};
};

/// The copy reads: `step(Reader&, span)` is take_into or read_into.
enum class Copy { Oldest, Newest };

tl::expected<std::optional<SlotHeader>, SlotError> copy_step(Reader& reader, Copy which, std::span<std::byte> out) {
  return which == Copy::Oldest ? reader.take_into(out) : reader.read_into(out);
}

std::optional<std::size_t> try_copy_into(ReaderNode& r, Copy which, const py::buffer& out) {
  const WritableBytes dest(out);
  auto header = with_reader(r, [&](Reader& reader) { return copy_step(reader, which, dest.bytes()); });
  auto got = value_or_raise(std::move(header));
  if (!got) return std::nullopt;
  return got->sample_size;
}

std::size_t copy_into(ReaderNode& r, Copy which, const py::buffer& out, std::optional<double> timeout) {
  const WritableBytes dest(out);
  return wait_interruptibly<SlotHeader>(r.segment(), r, "the reader", WaitFor::Sample, timeout,
                                        [&] { return copy_step(r.reader(), which, dest.bytes()); })
      .sample_size;
}

/// A bytes object of the slot capacity, shrunk to the sample once it is copied in.
py::object copy_out(ReaderNode& r, Copy which, std::optional<double> timeout, bool once) {
  const auto capacity = with_reader(r, [](Reader& reader) { return reader.backend().slot_capacity(); });
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<py::ssize_t>(capacity));
  if (raw == nullptr) throw py::error_already_set();
  auto bytes = py::reinterpret_steal<py::object>(raw);
  const std::span<std::byte> out(reinterpret_cast<std::byte*>(PyBytes_AS_STRING(raw)), capacity);
  std::size_t size = 0;
  if (once) {
    auto header = with_reader(r, [&](Reader& reader) { return copy_step(reader, which, out); });
    auto got = value_or_raise(std::move(header));
    if (!got) return py::none();
    size = got->sample_size;
  } else {
    size = wait_interruptibly<SlotHeader>(r.segment(), r, "the reader", WaitFor::Sample, timeout,
                                          [&] { return copy_step(r.reader(), which, out); })
               .sample_size;
  }
  // Only this function holds the new object, as _PyBytes_Resize requires.
  raw = bytes.release().ptr();
  if (_PyBytes_Resize(&raw, static_cast<py::ssize_t>(size)) != 0) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(raw);
}

py::dict stats_of(ReaderNode& r) {
  auto s = with_reader(r, [](Reader& reader) {
    struct All {
      tl::expected<ReaderStats, SlotError> stats;
      std::uint64_t skipped, overwritten;
    };
    return All{reader.stats(), reader.skipped(), reader.overwritten()};
  });
  const auto stats = value_or_raise(std::move(s.stats));
  py::dict d;
  d["registered"] = stats.registered;
  d["owner_pid"] = stats.owner_pid;
  d["cursor"] = stats.cursor;
  d["evictions"] = stats.evictions;
  d["skipped"] = s.skipped;
  d["overwritten"] = s.overwritten;
  return d;
}

}  // namespace

void bind_reader(py::module_& module) {
  py::class_<SampleNode, std::shared_ptr<SampleNode>>(module, "Sample",
                                                      "A sample read in place: `view` is read-only; the slot stays "
                                                      "pinned until release(), which marks the sample read.")
      .def_property_readonly("view", &SampleNode::view,
                             "The sample's bytes (a SlotView). Readable after release() too, but no longer pinned: "
                             "a writer may reuse the slot and change them.")
      .def_property_readonly("size", &SampleNode::size)
      .def_property_readonly("sequence_number", &SampleNode::sequence_number)
      .def_property_readonly("live", [](const SampleNode& s) {
        std::lock_guard lock(s.segment().mutex());
        return !s.closed();
      })
      .def("release", &SampleNode::release, "Marks the sample read and unpins its slot; a second call does nothing.");

  py::class_<ReaderNode, std::shared_ptr<ReaderNode>>(module, "Reader",
                                                      "Reads a segment as one reader index: registers a free one, or "
                                                      "`index`.")
      .def(py::init(&make_reader), py::arg("segment"), py::kw_only(), py::arg("index") = py::none())
      .def(
          "try_take",
          [](const std::shared_ptr<ReaderNode>& r) -> std::shared_ptr<SampleNode> {
            return value_or_raise(with_reader(*r, [&](Reader&) { return take_adopted(r); })).value_or(nullptr);
          },
          "The oldest unread sample in place, or None.")
      .def(
          "take",
          [](const std::shared_ptr<ReaderNode>& r, std::optional<double> timeout) {
            return wait_interruptibly<std::shared_ptr<SampleNode>>(r->segment(), *r, "the reader", WaitFor::Sample, timeout,
                                                                   [&] { return take_adopted(r); });
          },
          py::arg("timeout") = py::none(), "try_take, waiting for a sample: TimedOut after `timeout` seconds.")
      .def(
          "try_take_into", [](ReaderNode& r, const py::buffer& out) { return try_copy_into(r, Copy::Oldest, out); },
          py::arg("out"), "Copies the oldest unread sample into `out` and marks it read: its size, or None.")
      .def(
          "take_into",
          [](ReaderNode& r, const py::buffer& out, std::optional<double> timeout) {
            return copy_into(r, Copy::Oldest, out, timeout);
          },
          py::arg("out"), py::arg("timeout") = py::none(), "try_take_into, waiting for a sample.")
      .def(
          "try_read_into", [](ReaderNode& r, const py::buffer& out) { return try_copy_into(r, Copy::Newest, out); },
          py::arg("out"), "Copies the newest unread sample into `out`, skipping older ones: its size, or None.")
      .def(
          "read_into",
          [](ReaderNode& r, const py::buffer& out, std::optional<double> timeout) {
            return copy_into(r, Copy::Newest, out, timeout);
          },
          py::arg("out"), py::arg("timeout") = py::none(), "try_read_into, waiting for a sample.")
      .def(
          "take_copy",
          [](ReaderNode& r, std::optional<double> timeout) { return copy_out(r, Copy::Oldest, timeout, false); },
          py::arg("timeout") = py::none(), "The oldest unread sample as bytes, marked read.")
      .def(
          "try_take_copy", [](ReaderNode& r) { return copy_out(r, Copy::Oldest, std::nullopt, true); },
          "The oldest unread sample as bytes, or None.")
      .def(
          "read", [](ReaderNode& r, std::optional<double> timeout) { return copy_out(r, Copy::Newest, timeout, false); },
          py::arg("timeout") = py::none(), "The newest unread sample as bytes; older unread ones are skipped.")
      .def(
          "try_read", [](ReaderNode& r) { return copy_out(r, Copy::Newest, std::nullopt, true); },
          "The newest unread sample as bytes, or None.")
      .def("stats", &stats_of,
           "The registry's view of this index (registered, owner_pid, cursor, evictions) and this reader's "
           "skipped and overwritten counts, as a dict.")
      .def_property_readonly("index",
                             [](ReaderNode& r) { return with_reader(r, [](Reader& reader) { return reader.reader_index(); }); })
      .def(
          "close",
          [](ReaderNode& r) {
            std::lock_guard lock(r.segment().mutex());
            r.close_locked();
          },
          "Releases the reader's samples and unregisters its index.")
      .def_property_readonly("closed", [](const ReaderNode& r) {
        std::lock_guard lock(r.segment().mutex());
        return r.closed();
      });
}

}  // namespace shmslot::python

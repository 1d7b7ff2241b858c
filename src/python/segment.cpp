// shmslot._shmslot.Segment: create, attach, close, and what a segment tells about itself.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>

#include "bindings.hpp"
#include "errors.hpp"
#include "node.hpp"

namespace py = pybind11;

namespace shmslot::python {
namespace {

TypeHash type_hash_from_bytes(const py::bytes& bytes) {
  const std::string s = bytes;
  if (s.size() != TypeHash{}.size()) throw py::value_error("a type hash is 16 bytes, not " + std::to_string(s.size()));
  TypeHash hash{};
  std::transform(s.begin(), s.end(), hash.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  return hash;
}

py::object type_hash_to_bytes(const std::optional<TypeHash>& hash) {
  if (!hash) return py::none();
  return py::bytes(reinterpret_cast<const char*>(hash->data()), hash->size());
}

std::shared_ptr<SegmentNode> open(tl::expected<PosixSlotAllocator, PosixSlotError> made) {
  auto mapping = value_or_raise(std::move(made));
  return std::make_shared<SegmentNode>(std::make_shared<PosixSlotAllocator>(std::move(mapping)));
}

std::shared_ptr<SegmentNode> create(const std::string& flink, std::size_t slot_count, std::size_t slot_capacity,
                                    unsigned mode, std::optional<gid_t> group, std::optional<py::bytes> type_hash,
                                    NotifyMode notify, double lease_s) {
  CreateOptions options;
  options.mode = static_cast<mode_t>(mode);
  options.group = group;
  if (type_hash) options.type_hash = type_hash_from_bytes(*type_hash);
  options.notify = notify;
  if (!(lease_s > 0) || lease_s > 3600) throw py::value_error("lease must be > 0 seconds (the library takes 1 ms .. 60 s)");
  options.lease = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(lease_s * 1000)));
  auto made = [&] {
    py::gil_scoped_release no_gil;  // create may wait on the flink file's lock
    return PosixSlotAllocator::create(flink, slot_count, slot_capacity, options);
  }();
  return open(std::move(made));
}

std::shared_ptr<SegmentNode> attach(const std::string& flink, std::optional<py::bytes> expected_type_hash,
                                    bool allow_foreign_owner, std::optional<gid_t> group) {
  AttachOptions options;
  if (expected_type_hash) options.expected_type_hash = type_hash_from_bytes(*expected_type_hash);
  options.allow_foreign_owner = allow_foreign_owner;
  options.group = group;
  return open(PosixSlotAllocator::attach(flink, options));
}

/// Runs `body(PosixSlotAllocator&)` on an open segment, under its mutex.
template <class Body>
auto with_mapping(const SegmentNode& segment, Body&& body) {
  std::lock_guard lock(segment.mutex());
  if (!segment.mapping()) raise_closed("the segment");
  return body(*segment.mapping());
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

}  // namespace

void bind_segment(py::module_& module) {
  py::enum_<NotifyMode>(module, "NotifyMode", "How commits wake sleeping readers (docs/protocol.md).")
      .value("WAKE_ON_DEMAND", NotifyMode::WakeOnDemand, "a futex wake only when someone sleeps (the default)")
      .value("WAKE_ALWAYS", NotifyMode::WakeAlways, "a futex wake on every commit, as ZeroDDS does");

  py::class_<SegmentNode, std::shared_ptr<SegmentNode>>(module, "Segment",
                                                        "A POSIX shared-memory segment, created (owned) or attached.")
      .def_static("create", &create, py::arg("flink"), py::arg("slot_count"), py::arg("slot_capacity"), py::kw_only(),
                  py::arg("mode") = 0600, py::arg("group") = py::none(), py::arg("type_hash") = py::none(),
                  py::arg("notify") = NotifyMode::WakeOnDemand,
                  py::arg("lease") = std::chrono::duration<double>(kDefaultLease).count(),
                  "Creates and owns a segment; closing it removes it.")
      .def_static("attach", &attach, py::arg("flink"), py::kw_only(), py::arg("expected_type_hash") = py::none(),
                  py::arg("allow_foreign_owner") = false, py::arg("group") = py::none(),
                  "Attaches to an existing segment as a consumer.")
      .def(
          "close",
          [](SegmentNode& s) {
            std::lock_guard lock(s.mutex());
            s.close_locked();
          },
          "Closes the segment's writers (discarding their loans) and readers (releasing their samples, "
          "unregistering them), then the segment. The mapping stays until the last view of a slot goes.")
      .def_property_readonly("closed", [](const SegmentNode& s) {
        std::lock_guard lock(s.mutex());
        return s.closed();
      })
      .def_property_readonly("slot_count",
                             [](const SegmentNode& s) {
                               return with_mapping(s, [](PosixSlotAllocator& m) { return value_or_raise(m.slot_count()); });
                             })
      .def_property_readonly(
          "slot_capacity",
          [](const SegmentNode& s) { return with_mapping(s, [](PosixSlotAllocator& m) { return m.slot_capacity(); }); })
      .def_property_readonly(
          "type_hash",
          [](const SegmentNode& s) {
            const auto hash = with_mapping(s, [](PosixSlotAllocator& m) { return m.type_hash(); });
            return type_hash_to_bytes(hash);
          },
          "The 16-byte type hash the segment records, or None.")
      .def_property_readonly(
          "flink_path", [](const SegmentNode& s) { return with_mapping(s, [](PosixSlotAllocator& m) { return m.flink_path(); }); })
      .def_property_readonly(
          "shm_name", [](const SegmentNode& s) { return with_mapping(s, [](PosixSlotAllocator& m) { return m.shm_name(); }); })
      .def_property_readonly(
          "is_owner", [](const SegmentNode& s) { return with_mapping(s, [](PosixSlotAllocator& m) { return m.is_owner(); }); })
      .def_property_readonly(
          "notify_mode",
          [](const SegmentNode& s) { return with_mapping(s, [](PosixSlotAllocator& m) { return m.notify_mode(); }); })
      .def_property_readonly(
          "registered_readers",
          [](const SegmentNode& s) {
            return with_mapping(s, [](PosixSlotAllocator& m) { return m.registered_readers(); });
          },
          "The registered reader indices as a bit mask.")
      .def(
          "owner_alive",
          [](const SegmentNode& s) { return with_mapping(s, [](PosixSlotAllocator& m) { return m.owner_alive(); }); },
          "False once the process that created the segment is gone.")
      .def(
          "locator",
          [](const SegmentNode& s, std::optional<std::string> hostname) {
            auto bytes = with_mapping(s, [&](PosixSlotAllocator& m) {
              return m.locator(hostname ? *hostname : host_name()).to_bytes_le();
            });
            if (!bytes) throw py::value_error(std::string("locator: ") + to_string(bytes.error()));
            return py::bytes(reinterpret_cast<const char*>(bytes->data()), bytes->size());
          },
          py::arg("hostname") = py::none(),
          "The discovery record ZeroDDS advertises for this segment (ShmLocator, little-endian bytes).");
}

}  // namespace shmslot::python

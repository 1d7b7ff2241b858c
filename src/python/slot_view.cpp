// SlotView's Python face: the buffer protocol, read-only for samples, empty once a loan is over.
#include "slot_view.hpp"

#include <pybind11/pybind11.h>

#include "bindings.hpp"

namespace py = pybind11;

namespace shmslot::python {

void bind_slot_view(py::module_& module) {
  py::class_<SlotView, std::shared_ptr<SlotView>>(module, "SlotView", py::buffer_protocol(),
                                                  "The bytes of one slot, in place: memoryview(v) or numpy.frombuffer(v). "
                                                  "Holds the segment's mapping, so views made from it never dangle.")
      .def_buffer([](SlotView& v) {
        // pybind11 lets no exception out of here (it would end the process): a view whose loan is
        // over exports an empty buffer instead, so nothing new can write into a published slot.
        const auto size = v.revoked() ? 0 : static_cast<py::ssize_t>(v.size());
        return py::buffer_info(v.data(), 1, py::format_descriptor<std::uint8_t>::format(), 1, {size}, {1},
                               v.readonly());
      })
      .def("__len__", &SlotView::size)
      .def_property_readonly("readonly", &SlotView::readonly);
}

}  // namespace shmslot::python

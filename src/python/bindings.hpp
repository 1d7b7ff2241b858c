// One function per Python class group, each in its own file; module.cpp calls them in order.
#pragma once

#include <pybind11/pybind11.h>

namespace shmslot::python {

void bind_slot_view(pybind11::module_& module);
void bind_segment(pybind11::module_& module);
void bind_writer(pybind11::module_& module);
void bind_reader(pybind11::module_& module);
void bind_type_hash(pybind11::module_& module);

}  // namespace shmslot::python

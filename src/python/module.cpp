// shmslot._shmslot: the C++ half of the Python package (src/python/shmslot/ is the other half).
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "errors.hpp"
#include "shmslot/version.hpp"

PYBIND11_MODULE(_shmslot, module) {
  module.doc() = "shmslot's Writer and Reader over POSIX shared-memory segments (see docs/python.md).";
  module.attr("__version__") = shmslot::kVersion;
  shmslot::python::define_errors(module);
  shmslot::python::bind_slot_view(module);
  shmslot::python::bind_segment(module);
  shmslot::python::bind_writer(module);
  shmslot::python::bind_reader(module);
  shmslot::python::bind_type_hash(module);
}

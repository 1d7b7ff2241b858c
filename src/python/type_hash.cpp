// layout_type_hash from Python: the hash a layout string names (the dtype rule in shmslot/_layout.py
// makes the string).
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.hpp"
#include "shmslot/flat_struct.hpp"

namespace py = pybind11;

namespace shmslot::python {

void bind_type_hash(py::module_& module) {
  module.def(
      "layout_type_hash",
      [](const std::string& layout) {
        const auto hash = layout_type_hash(layout);
        return py::bytes(reinterpret_cast<const char*>(hash.data()), hash.size());
      },
      py::arg("layout"),
      "The 16-byte type hash of a layout string such as \"Pose{x:f64,y:f64,z:f64}\" (SHA-256, first 16 bytes), "
      "as C++'s layout_type_hash and ZeroDDS's derive macro compute it.");
}

}  // namespace shmslot::python

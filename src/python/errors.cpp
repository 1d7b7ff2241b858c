// shmslot.Error and its subclasses, made once at import from the codes' own names (to_string), so a
// code added to the library needs only its line in the tables below.
#include "errors.hpp"

#include <Python.h>

#include <map>
#include <string>

namespace py = pybind11;

namespace shmslot::python {
namespace {

// Exception classes by code name; created at import, alive as long as the interpreter (the module
// holds them too).
std::map<std::string, PyObject*>& classes() {
  static auto* by_name = new std::map<std::string, PyObject*>();  // never destroyed: outlives atexit
  return *by_name;
}

struct ErrorClass {
  const char* name;
  PyObject* also;  // a built-in base class, so `except TimeoutError` also works; null for none
  const char* doc;
};

PyObject* make_class(py::module_& module, PyObject* base, const ErrorClass& c) {
  const std::string qualified = std::string("shmslot.") + c.name;
  PyObject* bases = c.also != nullptr ? PyTuple_Pack(2, base, c.also) : PyTuple_Pack(1, base);
  if (bases == nullptr) throw py::error_already_set();
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), c.doc, bases, nullptr);
  Py_DECREF(bases);
  if (cls == nullptr) throw py::error_already_set();
  module.add_object(c.name, py::handle(cls));  // the module takes its own reference
  classes()[c.name] = cls;
  return cls;
}

[[noreturn]] void raise_named(const std::string& name, const std::string& message, py::dict attributes = {}) {
  auto found = classes().find(name);
  PyObject* cls = found != classes().end() ? found->second : classes().at("Error");
  py::object error = py::reinterpret_borrow<py::object>(cls)(message);
  error.attr("code") = name;
  for (auto item : attributes) error.attr(item.first) = item.second;
  PyErr_SetObject(cls, error.ptr());
  throw py::error_already_set();
}

}  // namespace

void define_errors(py::module_& module) {
  PyObject* base = make_class(module, PyExc_Exception,
                              {"Error", nullptr, "Base class of every shmslot error; `.code` names the error code."});
  // One line per code: its doc is the library's retry advice (types.hpp, posix_slot_allocator.hpp).
  const ErrorClass slot_codes[] = {
      {"NoFreeSlot", nullptr, "Every slot is loaned, pinned or unread by an active reader; retry after readers progress."},
      {"OutOfBounds", PyExc_IndexError, "A slot index beyond the segment."},
      {"SampleTooLarge", PyExc_ValueError, "The sample is larger than the slot capacity (`.sample`, `.capacity`)."},
      {"LockPoisoned", nullptr, "The backend is unusable."},
      {"InPlaceUnsupported", nullptr, "The backend has no in-place support."},
      {"ReaderIndexOutOfRange", PyExc_IndexError, "A reader index of 32 or more."},
      {"NotLoaned", nullptr, "The loan was already committed or discarded."},
      {"Overwritten", nullptr, "The slot was reused before the sample could be read."},
      {"ReadOnlySegment", nullptr, "A segment a ZeroDDS process created: readable, never writable."},
      {"TypeMismatch", PyExc_TypeError, "The segment carries another sample type (type hash or sample size)."},
      {"NoFreeReader", nullptr, "All 32 reader indices are registered; retry after a reader leaves."},
      {"ReaderIndexInUse", nullptr, "The reader index is registered by another live process."},
      {"Unsupported", nullptr, "The segment does not offer this."},
      {"TimedOut", PyExc_TimeoutError, "A blocking call reached its timeout with nothing to deliver."},
      {"Stopped", nullptr, "A blocking call was stopped."},
  };
  const ErrorClass posix_codes[] = {
      {"Shm", nullptr, "A system call failed creating or attaching (`.errno`)."},
      {"CapacityOverflow", PyExc_ValueError, "The slot capacity does not fit in 32 bits."},
      {"InvalidHeader", nullptr, "The segment is corrupt, truncated or not a segment."},
      {"InvalidArgument", PyExc_ValueError, "An argument is out of range (slot count, capacity, path, lease)."},
      {"InUse", nullptr, "create: the flink path belongs to a live owner."},
      {"BadFlink", nullptr, "The flink file is a symlink, not a regular file, or names no segment."},
      {"ForeignOwner", nullptr, "The segment belongs to another user and no opt-in was given."},
      {"ForeignPidNamespace", nullptr, "The segment was created in another pid namespace."},
  };
  for (const auto& c : slot_codes) make_class(module, base, c);
  for (const auto& c : posix_codes) make_class(module, base, c);
  make_class(module, base,
             {"Closed", PyExc_ValueError, "The segment, reader, writer, loan or sample was closed or is used up."});
}

void raise(const SlotError& error) {
  py::dict attributes;
  if (error.code == SlotErrorCode::SampleTooLarge) {
    attributes["sample"] = error.sample;
    attributes["capacity"] = error.capacity;
  }
  raise_named(to_string(error.code), error.message(), attributes);
}

void raise(const PosixSlotError& error) {
  if (error.code == PosixErrorCode::Slot) raise(error.slot);
  py::dict attributes;
  if (error.code == PosixErrorCode::Shm) attributes["errno"] = error.sys_errno;
  raise_named(to_string(error.code), error.message(), attributes);
}

void raise_closed(const char* what) { raise_named("Closed", std::string(what) + " is closed"); }

}  // namespace shmslot::python

// The module's exceptions: shmslot.Error and one subclass per error code, named after the code
// (to_string of SlotErrorCode and PosixErrorCode), so Python code catches what C++ code matches.
#pragma once

#include <pybind11/pybind11.h>

#include "shmslot/posix_slot_allocator.hpp"
#include "shmslot/types.hpp"

namespace shmslot::python {

/// Creates shmslot.Error, its subclasses and shmslot.Closed in `module`.
void define_errors(pybind11::module_& module);

/// Raises the exception of `error`'s code with its message (SampleTooLarge also carries
/// `.sample` and `.capacity`).
[[noreturn]] void raise(const SlotError& error);
/// Raises the exception of a create or attach error (Shm also carries `.errno`).
[[noreturn]] void raise(const PosixSlotError& error);
/// Raises shmslot.Closed: `what` (a segment, reader, writer, loan or sample) was closed.
[[noreturn]] void raise_closed(const char* what);

/// The value of `result`, or its error raised.
template <class T, class E>
T value_or_raise(tl::expected<T, E> result) {
  if (!result) raise(result.error());
  return std::move(*result);
}
template <class E>
void value_or_raise(tl::expected<void, E> result) {
  if (!result) raise(result.error());
}

}  // namespace shmslot::python

// The C boundary's error side: C++ errors to shmslot_status, the thread's last message, and
// `guarded`, which every exported function runs its body through so no exception leaves the library.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <string_view>

#include "shmslot/posix_slot_allocator.hpp"
#include "shmslot/shmslot.h"
#include "shmslot/types.hpp"

namespace shmslot::c_api {

/// Records `message` as this thread's last error and returns `status`.
shmslot_status fail(shmslot_status status, std::string_view message) noexcept;
/// fail() with the status and message of a slot error.
shmslot_status fail(const SlotError& error);
/// fail() with the status and message of a create or attach error.
shmslot_status fail(const PosixSlotError& error);

/// Runs `body` (returning shmslot_status); an exception becomes a status and a message.
template <class Body>
shmslot_status guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(SHMSLOT_E_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(SHMSLOT_E_INTERNAL, e.what());
  } catch (...) {
    return fail(SHMSLOT_E_INTERNAL, "unknown exception");
  }
}

/// The value a C caller stored in an enum, as an int. A C enum may hold any int, but in C++ a value
/// outside the enumerators' range is undefined to load as the enum (UBSan: -fsanitize=enum), so the
/// bytes are read instead.
template <class Enum>
int c_enum_value(const Enum& e) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized here");
  int v = 0;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

/// SHMSLOT_E_NULL_ARGUMENT naming the argument.
shmslot_status null_argument(const char* name) noexcept;
/// SHMSLOT_E_INVALID_HANDLE naming the kind of handle.
shmslot_status invalid_handle(const char* kind) noexcept;

}  // namespace shmslot::c_api

// Makes a race happen at an exact point inside a call, deterministically: the pages of
// [begin, begin + length) are made inaccessible, and the first access to them (from any code,
// typically shmslot's) runs `on_fault` inside the SIGSEGV handler; then the pages are opened again
// and the access goes ahead, seeing whatever `on_fault` did meanwhile (another process acting, told
// through a TokenChannel, or a peer writing through another mapping of the same object).
//
// A one-shot AccessTrap (access_trap.hpp), with its rules: one trap per process, single-threaded
// while it is set, and `on_fault` runs in a signal handler, so it keeps to async-signal-safe work
// (pipes, memcpy, atomics, futex). The destructor opens the pages and restores the handlers.
#pragma once

#include <cstddef>
#include <functional>

#include "support/access_trap.hpp"

namespace shmslot::test {

class PageTrap {
 public:
  PageTrap(void* begin, std::size_t length, std::function<void()> on_fault);
  ~PageTrap();
  PageTrap(const PageTrap&) = delete;
  PageTrap& operator=(const PageTrap&) = delete;

  /// The trap has been hit and `on_fault` has run.
  bool fired() const;

 private:
  AccessTrap trap_;
};

}  // namespace shmslot::test

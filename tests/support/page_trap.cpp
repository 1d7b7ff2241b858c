#include "support/page_trap.hpp"

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <utility>

namespace shmslot::test {

namespace {

// Read by the trap's stop function in the SIGSEGV handler; one trap per process.
std::function<void()>* g_on_fault = nullptr;
volatile std::sig_atomic_t g_fired = 0;

void run_on_fault(std::uint32_t) {
  g_fired = 1;
  (*g_on_fault)();
}

}  // namespace

PageTrap::PageTrap(void* begin, std::size_t length, std::function<void()> on_fault) : trap_(begin, length, nullptr) {
  if (g_on_fault != nullptr) std::abort();
  g_on_fault = new std::function<void()>(std::move(on_fault));
  g_fired = 0;
  trap_.arm(1, run_on_fault);
}

PageTrap::~PageTrap() {
  (void)trap_.disarm();
  delete g_on_fault;
  g_on_fault = nullptr;
}

bool PageTrap::fired() const { return g_fired != 0; }

}  // namespace shmslot::test

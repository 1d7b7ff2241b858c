#include "support/access_trap.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

namespace shmslot::test {

namespace {

struct Range {
  char* begin = nullptr;
  char* end = nullptr;
};

// Shared with the signal handlers, hence plain globals. Only the one thread of the process touches
// them, and the handlers run on that thread.
struct TrapState {
  Range ranges[2];
  volatile std::sig_atomic_t armed = 0;
  volatile std::sig_atomic_t stepping = 0;
  std::uint32_t k = 0;
  std::uint32_t count = 0;
  TrapStop stop = nullptr;
  struct sigaction old_segv {};
  struct sigaction old_trap {};
};
TrapState g_trap;

#if defined(__x86_64__)
constexpr greg_t kTrapFlag = 0x100;  // EFLAGS.TF: trap after the next instruction
#endif

void protect(int prot) {
  for (const Range& r : g_trap.ranges) {
    if (r.begin != r.end) ::mprotect(r.begin, static_cast<std::size_t>(r.end - r.begin), prot);
  }
}

bool inside(const void* address) {
  const auto* p = static_cast<const char*>(address);
  for (const Range& r : g_trap.ranges) {
    if (p >= r.begin && p < r.end) return true;
  }
  return false;
}

void on_segv(int, siginfo_t* info, void* context) {
  if (info->si_code <= 0) {
    // Sent by kill() or raise(), not a fault: it must end the process as it would have.
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
    return;
  }
  if (g_trap.armed == 0 || !inside(info->si_addr)) {
    // Not ours: with the default action restored, the access faults again and the process dies as
    // it would have without the trap.
    ::signal(SIGSEGV, SIG_DFL);
    return;
  }
  ++g_trap.count;
  protect(PROT_READ | PROT_WRITE);
  if (g_trap.count >= g_trap.k) {
    g_trap.armed = 0;
    g_trap.stop(g_trap.count);
    return;  // the stop function came back: the access goes ahead, the trap is spent
  }
#if defined(__x86_64__)
  // Let exactly this instruction through; the SIGTRAP after it closes the region again.
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_EFL] |= kTrapFlag;
  g_trap.stepping = 1;
#else
  (void)context;
  g_trap.armed = 0;
#endif
}

void on_trap(int, siginfo_t*, void* context) {
  if (g_trap.stepping == 0) {
    ::signal(SIGTRAP, SIG_DFL);
    ::raise(SIGTRAP);  // a breakpoint that is not ours: delivered with the default action on return
    return;
  }
#if defined(__x86_64__)
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_EFL] &= ~kTrapFlag;
#else
  (void)context;
#endif
  g_trap.stepping = 0;
  if (g_trap.armed != 0) protect(PROT_NONE);
}

}  // namespace

AccessTrap::AccessTrap(void* begin, std::size_t length, const void* spared) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto lo = reinterpret_cast<std::uintptr_t>(begin) & ~(page - 1);
  const auto hi = (reinterpret_cast<std::uintptr_t>(begin) + length + page - 1) & ~(page - 1);
  auto s = reinterpret_cast<std::uintptr_t>(spared) & ~(page - 1);
  if (s < lo || s >= hi) s = hi;  // nothing to spare inside the region
  g_trap = TrapState{};
  g_trap.ranges[0] = {reinterpret_cast<char*>(lo), reinterpret_cast<char*>(s)};
  g_trap.ranges[1] = {reinterpret_cast<char*>(std::min(s + page, hi)), reinterpret_cast<char*>(hi)};
  struct sigaction sa {};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, &g_trap.old_segv);
  sa.sa_sigaction = on_trap;
  ::sigaction(SIGTRAP, &sa, &g_trap.old_trap);
}

AccessTrap::~AccessTrap() {
  (void)disarm();
  ::sigaction(SIGSEGV, &g_trap.old_segv, nullptr);
  ::sigaction(SIGTRAP, &g_trap.old_trap, nullptr);
}

void AccessTrap::arm(std::uint32_t k, TrapStop stop) {
  g_trap.k = kCountsEveryAccess ? std::max<std::uint32_t>(k, 1) : 1;
  g_trap.count = 0;
  g_trap.stop = stop;
  g_trap.armed = 1;
  protect(PROT_NONE);
}

std::uint32_t AccessTrap::disarm() {
  if (g_trap.armed != 0) {
    g_trap.armed = 0;
    protect(PROT_READ | PROT_WRITE);
  }
  return g_trap.count;
}

std::optional<MappedRange> mapped_range(const std::string& path) {
  FILE* maps = std::fopen("/proc/self/maps", "re");
  if (maps == nullptr) return std::nullopt;
  std::vector<MappedRange> found;
  char line[4096];
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    unsigned long lo = 0;
    unsigned long hi = 0;
    int name_at = 0;
    // start-end perms offset dev inode, then the path after spaces
    if (std::sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &name_at) < 2 || name_at == 0) continue;
    std::string name(line + name_at);
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    const std::string deleted = " (deleted)";
    if (name.size() > deleted.size() && name.compare(name.size() - deleted.size(), deleted.size(), deleted) == 0) {
      name.resize(name.size() - deleted.size());
    }
    if (name != path) continue;
    auto* begin = reinterpret_cast<char*>(lo);
    // An mprotect splits one mapping into neighbouring entries: join them.
    if (!found.empty() && static_cast<char*>(found.back().begin) + found.back().length == begin) {
      found.back().length += hi - lo;
    } else {
      found.push_back(MappedRange{begin, hi - lo});
    }
  }
  std::fclose(maps);
  if (found.size() != 1) return std::nullopt;
  return found.front();
}

}  // namespace shmslot::test

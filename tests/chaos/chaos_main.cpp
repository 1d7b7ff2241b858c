// shmslot_chaos: the random-kill harness (docs/reliability.md, "Random kills"). Exit code 0 when every
// kill was survived (known defects listed with --known-defect aside), 1 on a violation, 2 on bad usage.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "chaos/harness.hpp"
#include "chaos/options.hpp"
#include "chaos/report.hpp"
#include "chaos/self_test.hpp"

int main(int argc, char** argv) {
  using namespace shmslot::chaos;
  int exit_code = 0;
  const auto options = parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  if (options->self_test) return run_self_test(*options);

  std::printf("shmslot chaos: seed %llu, %llu kills, lease %lld ms, %zu slots, %ld CPUs%s\n",
              static_cast<unsigned long long>(options->seed), static_cast<unsigned long long>(options->kills),
              static_cast<long long>(options->lease.count()), options->slots, ::sysconf(_SC_NPROCESSORS_ONLN),
              options->time_limit.count() > 0
                  ? (", time limit " + std::to_string(options->time_limit.count()) + " s").c_str()
                  : "");
  std::fflush(stdout);
  Report report(options->known_defects);
  const auto start = std::chrono::steady_clock::now();
  {
    Harness harness(*options, report);
    harness.run();
  }
  report.print(stdout, options->seed, std::chrono::steady_clock::now() - start);
  if (report.violations() > 0) {
    std::printf("FAILED; to run the same choices again: shmslot_chaos --seed %llu --kills %llu\n",
                static_cast<unsigned long long>(options->seed), static_cast<unsigned long long>(options->kills));
    return 1;
  }
  return 0;
}

#include "chaos/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace shmslot::chaos {

namespace {

constexpr const char* kUsage =
    "usage: shmslot_chaos [options]\n"
    "  One owner, one writer and three readers on one shmslot segment, SIGKILLed at aimed and random\n"
    "  points and restarted; after every round the invariants of docs/reliability.md are checked.\n"
    "  --kills N             stop after N kills (default 400)\n"
    "  --seed S              seed of every random choice (default: random, printed)\n"
    "  --time-limit SECONDS  stop early after this long, counting what was done (default: none)\n"
    "  --lease-ms N          the segment's lease (default 20)\n"
    "  --slots N             slots in the segment (default 6)\n"
    "  --points a,b,...      use only these kill points (names as in the report)\n"
    "  --known-defect NAME   report violations of invariant NAME as a known defect, not a failure\n"
    "                        (repeatable or comma-separated, e.g. create-leftover,teardown-leftover)\n"
    "  --self-test           inject faults instead, and check that every check catches its fault\n"
    "  --stop-on-violation   stop at the first violation\n"
    "  --verbose             one line per round\n";

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= list.size()) {
    const std::size_t comma = list.find(',', at);
    const std::string item = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

bool number(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(text, &end, 0);
  return errno == 0 && end != text && *end == '\0';
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  std::random_device rd;
  o.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  auto fail = [&](const std::string& what) -> std::optional<Options> {
    std::fprintf(stderr, "shmslot_chaos: %s\n%s", what.c_str(), kUsage);
    exit_code = 2;
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    std::uint64_t n = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      exit_code = 0;
      return std::nullopt;
    }
    if (arg == "--self-test") {
      o.self_test = true;
    } else if (arg == "--stop-on-violation") {
      o.stop_on_violation = true;
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else if (arg == "--kills" || arg == "--seed" || arg == "--time-limit" || arg == "--lease-ms" ||
               arg == "--slots") {
      const char* v = value();
      if (v == nullptr || !number(v, n)) return fail(arg + " needs a number");
      if (arg == "--kills") o.kills = n;
      if (arg == "--seed") o.seed = n;
      if (arg == "--time-limit") o.time_limit = std::chrono::seconds(n);
      if (arg == "--lease-ms") o.lease = std::chrono::milliseconds(n);
      if (arg == "--slots") o.slots = static_cast<std::size_t>(n);
    } else if (arg == "--points") {
      const char* v = value();
      if (v == nullptr) return fail("--points needs a list");
      for (const std::string& name : split(v)) {
        bool found = false;
        for (int p = 0; p < kKillPoints; ++p) {
          if (name == info(static_cast<KillPoint>(p)).name) {
            o.points.push_back(static_cast<KillPoint>(p));
            found = true;
          }
        }
        if (!found) return fail("no kill point named " + name);
      }
    } else if (arg == "--known-defect") {
      const char* v = value();
      if (v == nullptr) return fail("--known-defect needs a name");
      for (const std::string& name : split(v)) o.known_defects.insert(name);
    } else {
      return fail("unknown option " + arg);
    }
  }
  if (o.lease.count() < 1 || o.lease.count() > 1000) return fail("--lease-ms must be 1..1000");
  if (o.slots < 2 || o.slots > 64) return fail("--slots must be 2..64");
  return o;
}

bool enabled(const Options& options, KillPoint point) {
  return options.points.empty() ||
         std::find(options.points.begin(), options.points.end(), point) != options.points.end();
}

}  // namespace shmslot::chaos

// `shmslot bench` end to end: a short run that measures both systems and verifies every hop.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_process.hpp"
#include "leftovers.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

TEST(CliBench, ShortRunReportsPercentilesForShmslotAndTheFloor) {
  TempFlinkDir dir;
  for (const char* api : {"copy", "loan"}) {
    const CliResult r = run_cli({"bench", "--roundtrips", "300", "--api", api, "--json"}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("verify_errors").get<int>(), 0);
    EXPECT_EQ(j.at("shmslot").at("stats").at("count").get<int>(), 300);
    EXPECT_EQ(j.at("raw_cacheline").at("stats").at("count").get<int>(), 300);
    const double p50 = j.at("shmslot").at("stats").at("p50_us").get<double>();
    const double p99 = j.at("shmslot").at("stats").at("p99_us").get<double>();
    EXPECT_GT(p50, 0.0);
    EXPECT_LE(p50, p99);  // percentiles are ordered (no bound on their size)
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CliBench, BadOptionsAreUsageErrors) {
  TempFlinkDir dir;
  EXPECT_EQ(run_cli({"bench", "--size", "8"}, dir.path()).exit_code, 2);
  EXPECT_EQ(run_cli({"bench", "--api", "nope"}, dir.path()).exit_code, 2);
}

}  // namespace
}  // namespace shmslot::test

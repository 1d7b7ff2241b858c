// `shmslot doctor` end to end: its inputs given as options, the exit code that says healthy or
// not, the text and the JSON. The checks themselves, one unhealthy situation each, are in
// doctor_checks_test.cpp.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_process.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

// The options that point doctor at a made-up machine in `dir`, whose /proc says `shm_fs` is
// mounted on its shm directory.
std::vector<std::string> made_up_machine(const TempFlinkDir& dir, const std::string& shm_fs) {
  const std::string shm = dir.path() + "/shm";
  const std::string proc = dir.path() + "/proc";
  std::filesystem::create_directories(proc + "/self/ns");
  std::filesystem::create_directories(dir.path() + "/flinks");
  ::mkdir(shm.c_str(), 0700);
  ::chmod(shm.c_str(), 01777);
  std::ofstream(proc + "/self/mounts") << "/dev/vda1 / ext4 rw 0 0\n"
                                       << shm_fs << " " << shm << " " << shm_fs << " rw 0 0\n";
  std::ofstream(dir.path() + "/logind.conf") << "[Login]\nRemoveIPC=no\n";
  return {"doctor",
          "--shm-dir",
          shm,
          "--dir",
          dir.path() + "/flinks",
          "--proc",
          proc,
          "--logind",
          dir.path() + "/logind.conf",
          "--only-named"};
}

TEST(CliDoctor, AProblemIsExit8WithAFixInTextAndJson) {
  TempFlinkDir dir;
  auto args = made_up_machine(dir, "ext4");
  const CliResult text = run_cli(args, dir.path());
  EXPECT_EQ(text.exit_code, 8) << text.out << text.err;
  EXPECT_NE(text.out.find("PROBLEM  shm-mount"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fix: mount -t tmpfs"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("unhealthy: "), std::string::npos) << text.out;
  args.push_back("--json");
  const CliResult json = run_cli(args, dir.path());
  EXPECT_EQ(json.exit_code, 8) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_FALSE(j.at("healthy").get<bool>());
  bool found = false;
  for (const auto& f : j.at("findings")) {
    if (f.at("check") == "shm-mount") {
      found = true;
      EXPECT_EQ(f.at("verdict"), "problem");
      EXPECT_TRUE(f.at("fix").is_string());
    }
  }
  EXPECT_TRUE(found) << json.out;
}

TEST(CliDoctor, TheExitCodeFollowsTheFindings) {
  // On a tmpfs the made-up machine's health rests on the real one (space, futex, the user):
  // whatever it is, exit 0 must mean no problem and 8 at least one.
  TempFlinkDir dir;
  auto args = made_up_machine(dir, "tmpfs");
  args.push_back("--json");
  const CliResult r = run_cli(args, dir.path());
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 8) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool any_problem = false;
  for (const auto& f : j.at("findings")) any_problem = any_problem || f.at("verdict") == "problem";
  EXPECT_EQ(j.at("healthy").get<bool>(), !any_problem) << r.out;
  EXPECT_EQ(r.exit_code == 0, !any_problem) << r.out;
}

}  // namespace
}  // namespace shmslot::test

// The tool as a new user meets it: piping into `head`, mistyped options and subcommands, an idle
// writer, leftovers that block `create`, a mistyped $SHMSLOT_DIR, a damaged segment, and a manual
// page that lists what the tool has.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/posix_slot_allocator.hpp>

#include "cli_process.hpp"
#include "core/layout.hpp"
#include "leftovers.hpp"
#include "posix/raw_segment.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Commits `lines` into `segment`, each one sample, for no reader in particular (mask 0).
void commit_lines(PosixSlotAllocator& segment, const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    auto h = segment.reserve_slot(0);
    ASSERT_TRUE(h) << h.error().message();
    ASSERT_TRUE(segment.commit_slot(*h, bytes_of(line)));
  }
}

TEST(CliFirstUse, SubEndsQuietlyWhenItsReaderClosesThePipeWhileTheWriterIsIdle) {
  // `shmslot sub seg | head -2`: head exits after two lines; no more samples come.
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("seg"), 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  commit_lines(*owner, {"one", "two", "three"});
  CliProcess sub({"sub", dir.flink("seg")}, dir.path());
  EXPECT_EQ(sub.read_line(), "one");
  EXPECT_EQ(sub.read_line(), "two");
  sub.close_stdout();
  const CliResult r = sub.wait();
  EXPECT_EQ(r.exit_code, 0) << "still running (nullopt) or failed; stderr: " << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(CliFirstUse, SubHelpSaysAReusedReaderIndexResumesWhereItStopped) {
  TempFlinkDir dir;
  const CliResult help = run_cli({"sub", "--help"}, dir.path());
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_FALSE(contains(help.out, "starts at the newest")) << help.out;
  EXPECT_TRUE(contains(help.out, "continues where the last one stopped")) << help.out;
}

// One numeric option: a command line that is valid except for it, and its real range.
struct NumericOption {
  std::vector<std::string> args;  // without the option
  std::string option;
  std::string low;
  std::string high;
  std::string too_high;  // high + 1
};

std::vector<NumericOption> numeric_options() {
  const std::string u64_max = "18446744073709551615";
  std::vector<NumericOption> all{
      {{"create", "x", "--capacity", "16"}, "--slots", "1", "16777216", "16777217"},
      {{"create", "x", "--slots", "2"}, "--capacity", "1", "4294967216", "4294967217"},
      {{"inspect", "x", "--watch"}, "--interval", "10", "3600000", "3600001"},
      {{"pub", "x", "--generate"}, "--size", "16", "4294967216", "4294967217"},
      {{"pub", "x", "--generate", "--size", "16"}, "--count", "0", u64_max, "18446744073709551616"},
      {{"sub", "x"}, "--reader", "0", "31", "32"},
      {{"sub", "x"}, "--max", "0", u64_max, "18446744073709551616"},
      {{"bench"}, "--size", "16", "1073741824", "1073741825"},
      {{"bench"}, "--roundtrips", "1", "10000000", "10000001"},
  };
  const CliResult help = run_cli({"--help"}, "/nonexistent");
  if (contains(help.out, "\n  bridge ")) {
    const std::vector<std::string> to{"bridge", "x", "--to-dds", "--topic", "t"};
    const std::vector<std::string> from{"bridge", "x", "--from-dds", "--topic", "t"};
    all.push_back({to, "--domain", "0", "232", "233"});
    all.push_back({to, "--depth", "1", "1073741824", "1073741825"});
    all.push_back({to, "--reader", "0", "31", "32"});
    all.push_back({from, "--slots", "1", "16777216", "16777217"});
    all.push_back({from, "--capacity", "1", "4294967216", "4294967217"});
  }
  return all;
}

TEST(CliFirstUse, EveryNumericOptionIsCheckedTheSameWayWithItsRealRangeInHelpAndError) {
  TempFlinkDir dir;
  for (const NumericOption& o : numeric_options()) {
    const std::string range = o.low + ".." + o.high;
    const std::string what = o.args.front() + " " + o.option;
    const CliResult help = run_cli({o.args.front(), "--help"}, dir.path());
    EXPECT_TRUE(contains(help.out, range)) << what << " help lacks " << range << ":\n" << help.out;
    std::vector<std::string> bad_values{"-5", "1.5", "abc", "", o.too_high, "99999999999999999999999"};
    if (o.low != "0") bad_values.push_back(std::to_string(std::stoull(o.low) - 1));
    for (const std::string& bad : bad_values) {
      std::vector<std::string> args = o.args;
      args.push_back(o.option);
      args.push_back(bad);
      const CliResult r = run_cli(args, dir.path());
      EXPECT_EQ(r.exit_code, 2) << what << " " << bad << ": " << r.err;
      const std::string expected = "expected a whole number from " + o.low + " to " + o.high + ", got '" + bad + "'";
      EXPECT_TRUE(contains(r.err, expected)) << what << " '" << bad << "': " << r.err;
      EXPECT_EQ(lines_of(r.err).size(), 1U) << r.err;
      EXPECT_LT(r.err.size(), 240U) << "a message for people, not a 300-digit number: " << r.err;
    }
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CliFirstUse, TheLargestCapacityThatFitsIsNotCalledAnOverflow) {
  TempFlinkDir dir;
  // 4294967295 fits in u32 but leaves no room for the slot header: out of range, said as such.
  const CliResult r = run_cli({"create", "x", "--slots", "1", "--capacity", "4294967295"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(contains(r.err, "overflows u32")) << r.err;
  EXPECT_TRUE(contains(r.err, "from 1 to 4294967216")) << r.err;
}

TEST(CliFirstUse, PubSaysOnceWhatItWaitsForWhenNoReaderFreesASlot) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("seg"), 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  // Default --mask 1 and no reader 0: two lines fill the segment, the third waits. Stderr is a pipe.
  CliProcess pub({"pub", dir.flink("seg")}, dir.path(), "a\nb\nc\nd\n");
  const auto said = pub.read_err_line();
  ASSERT_TRUE(said) << "pub ended without a word";
  EXPECT_EQ(said->rfind("shmslot pub: ", 0), 0U) << *said;
  EXPECT_TRUE(contains(*said, "reader 0")) << *said;
  EXPECT_TRUE(contains(*said, "--mask 0")) << *said;
  // A reader comes: pub finishes, and said it only once.
  const CliResult sub = run_cli({"sub", dir.flink("seg"), "--max", "4"}, dir.path());
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(lines_of(sub.out), (std::vector<std::string>{"a", "b", "c", "d"}));
  const CliResult r = pub.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.err, "reader 0")) << "said more than once: " << r.err;
}

TEST(CliFirstUse, CreateOverAFileThatNamesNoSegmentSaysWhatToDoAndGcRemovesAnOldOne) {
  TempFlinkDir dir;
  for (const char* content : {"", "garbage, not a segment name\n"}) {
    const std::string flink = dir.flink("bad");
    std::ofstream(flink, std::ios::binary) << content;
    const CliResult create = run_cli({"create", flink, "--slots", "2", "--capacity", "16"}, dir.path());
    EXPECT_EQ(create.exit_code, 4) << create.err;
    EXPECT_TRUE(contains(create.err, "shmslot gc")) << create.err;
    EXPECT_TRUE(contains(create.err, "rm ")) << create.err;

    // Just written: it may be a ZeroDDS owner's file it has not written yet; gc leaves it.
    const CliResult fresh = run_cli({"gc", "--only-named"}, dir.path());
    EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
    EXPECT_TRUE(file_exists(flink));

    ASSERT_TRUE(age_file(flink, 120));
    const CliResult dry = run_cli({"gc", "--dry-run", "--only-named"}, dir.path());
    EXPECT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_TRUE(contains(dry.out, "would remove flink " + flink)) << dry.out;
    EXPECT_TRUE(file_exists(flink));
    const CliResult gc = run_cli({"gc", "--only-named"}, dir.path());
    EXPECT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_TRUE(contains(gc.out, "removed flink " + flink)) << gc.out;
    EXPECT_FALSE(file_exists(flink));
  }
}

TEST(CliFirstUse, AnUnknownSubcommandIsNamedAndTheKnownOnesListed) {
  TempFlinkDir dir;
  const CliResult r = run_cli({"frobnicate"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "unknown subcommand 'frobnicate'")) << r.err;
  for (const char* known : {"create", "inspect", "pub", "sub", "gc", "doctor"}) {
    EXPECT_TRUE(contains(r.err, known)) << known << " not listed: " << r.err;
  }
  EXPECT_EQ(lines_of(r.err).size(), 1U) << r.err;
  // No subcommand at all is still "a subcommand is required".
  const CliResult none = run_cli({}, dir.path());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(contains(none.err, "ubcommand is required")) << none.err;
}

TEST(CliFirstUse, InspectWatchWritesNoTerminalEscapesIntoAPipe) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("seg"), 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  CliProcess watch({"inspect", dir.flink("seg"), "--watch", "--interval", "20"}, dir.path());
  int frames = 0;
  while (frames < 3) {
    const auto line = watch.read_line();
    ASSERT_TRUE(line) << "watch output ended after " << frames << " frames";
    ASSERT_EQ(line->find('\x1b'), std::string::npos) << *line;
    if (line->rfind("flink ", 0) == 0) ++frames;
  }
  watch.signal(SIGINT);
  const CliResult r = watch.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
}

TEST(CliFirstUse, InspectWatchStillRedrawsTheScreenOnATerminal) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("seg"), 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  std::string argv0 = SHMSLOT_CLI_PATH;
  std::vector<std::string> args{argv0, "inspect", dir.flink("seg"), "--watch", "--interval", "20"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int terminal = -1;
  const pid_t pid = ::forkpty(&terminal, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // A failed assertion below must not leave the child running.
  struct Reaper {
    pid_t pid;
    int terminal;
    bool reaped = false;
    ~Reaper() {
      if (!reaped) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
      ::close(terminal);
    }
  } reaper{pid, terminal};
  // Two clear-screens, each starting a frame; the watchdog only guards against a hang.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + kCliWatchdog;
  const std::string clear = "\x1b[H\x1b[2J";
  auto frames = [&] {
    int n = 0;
    for (auto at = seen.find(clear); at != std::string::npos; at = seen.find(clear, at + 1)) ++n;
    return n;
  };
  while (frames() < 2) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no second frame: " << seen;
    pollfd fd{terminal, POLLIN, 0};
    if (::poll(&fd, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(terminal, buf, sizeof buf);
    ASSERT_GT(n, 0) << "the terminal closed: " << seen;
    seen.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  reaper.reaped = true;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(seen.find("Ctrl-C to quit"), std::string::npos);
}

TEST(CliFirstUse, BenchRefusesAPayloadOptionItWouldIgnore) {
  TempFlinkDir dir;
  const CliResult r = run_cli({"bench", "--payload", "stamp", "--roundtrips", "10"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "--payload stamp")) << r.err;
  EXPECT_TRUE(contains(r.err, "--api loan")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// The options a subcommand's --help lists ("--name"), without --help itself.
std::set<std::string> options_in_help(const std::string& help) {
  std::set<std::string> out;
  for (const auto& line : lines_of(help)) {
    // "  --slots UINT:1..16777216 REQUIRED", "  -h,--help ..."
    const auto start = line.find_first_not_of(' ');
    if (start == 0 || start == std::string::npos || line[start] != '-') continue;
    std::string word = line.substr(start, line.find(' ', start) - start);
    word = word.substr(word.find_last_of(',') + 1);                                // npos + 1 == 0: no short form
    word = word.substr(0, word.find_first_not_of("-abcdefghijklmnopqrstuvwxyz"));  // "--to-dds:" in bridge's
    if (word.rfind("--", 0) == 0 && word.size() > 2 && word != "--help") out.insert(word);
  }
  return out;
}

TEST(CliFirstUse, TheManualListsEverySubcommandInItsSynopsisAndEveryOptionInItsSection) {
  TempFlinkDir dir;
  const std::string manual = slurp(SHMSLOT_CLI_MANUAL);
  ASSERT_FALSE(manual.empty()) << SHMSLOT_CLI_MANUAL;
  const auto synopsis_end = manual.find("```", manual.find("```") + 3);
  const std::string synopsis = manual.substr(0, synopsis_end);
  const CliResult top = run_cli({"--help"}, dir.path());
  std::vector<std::string> commands;
  bool in_list = false;
  for (const auto& line : lines_of(top.out)) {
    // "  create                      Create a segment ..." under "Subcommands:"
    if (in_list && line.empty()) in_list = false;
    if (in_list && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      commands.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
    if (line == "Subcommands:") in_list = true;
  }
  ASSERT_GE(commands.size(), 5U) << top.out;
  for (const std::string& c : commands) {
    EXPECT_TRUE(contains(synopsis, "shmslot " + c + " ")) << c << " is missing from the synopsis";
    const auto section = manual.find("## `shmslot " + c + "`");
    ASSERT_NE(section, std::string::npos) << c << " has no section";
    const std::string text = manual.substr(section, manual.find("\n## ", section + 1) - section);
    for (const std::string& option : options_in_help(run_cli({c, "--help"}, dir.path()).out)) {
      EXPECT_TRUE(contains(text, option)) << "shmslot " << c << " " << option << " is not in its section";
    }
  }
}

TEST(CliFirstUse, AMistypedShmslotDirIsRefusedAndNothingIsCreated) {
  TempFlinkDir dir;
  const std::string typo = dir.path() + "/typo/flinks";
  const CliResult r = run_cli({"create", "seg", "--slots", "2", "--capacity", "16"}, typo);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, typo)) << r.err;
  EXPECT_TRUE(contains(r.err, "SHMSLOT_DIR")) << r.err;
  EXPECT_TRUE(contains(r.err, "does not exist")) << r.err;
  EXPECT_FALSE(file_exists(dir.path() + "/typo"));
}

// Writes `word` over the state word of every slot of a segment of `slots` slots of `capacity`.
void scribble_slot_words(const std::string& shm_name, std::size_t slots, std::size_t capacity, std::uint64_t word) {
  const core::Geometry g = core::make_geometry(slots, core::slot_total_size_for(capacity), capacity, true);
  RawSegment raw(shm_name);
  for (std::size_t i = 0; i < slots; ++i) raw.set_u64(g.slot_ext_offset + i * sizeof(core::SlotExt), word);
}

TEST(CliFirstUse, ScribbledSlotWordsAreReportedByInspectAndSub) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("seg"), 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  commit_lines(*owner, {"one", "two", "three"});
  // Phase 3 does not exist: no writer ever stores it.
  scribble_slot_words(owner->shm_name(), 4, 64, std::uint64_t{3} << 32);

  const CliResult inspect = run_cli({"inspect", dir.flink("seg")}, dir.path());
  EXPECT_EQ(inspect.exit_code, 4) << inspect.err;
  EXPECT_TRUE(contains(inspect.out, "damaged")) << inspect.out;
  EXPECT_TRUE(contains(inspect.err, "damaged")) << inspect.err;

  const CliResult sub = run_cli({"sub", dir.flink("seg"), "--timeout", "1"}, dir.path());
  EXPECT_TRUE(contains(sub.err, "damaged")) << "sub sat silent: " << sub.err;
  EXPECT_EQ(lines_of(sub.err).size(), 1U) << sub.err;
}

}  // namespace
}  // namespace shmslot::test

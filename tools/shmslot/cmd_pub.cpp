// shmslot pub FLINK [--group NAME|GID] [--file PATH | --generate --size BYTES [--count N] [--rate HZ]] [--mask HEX]
// Publishes lines of stdin or a file, or generated verifiable payloads (generated_payload.hpp), one
// sample each. Waits on the change counter while the segment is full.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/core.h>

#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "file_descriptor.hpp"
#include "generated_payload.hpp"
#include "group_option.hpp"
#include "line_reader.hpp"
#include "progress.hpp"
#include "sample_publisher.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "pub";

struct Options {
  std::string flink;
  std::string group;
  std::string file;
  bool generate = false;
  std::size_t size = 0;
  std::uint64_t count = 0;
  double rate = 0;
  std::string mask = "1";
  std::string type_hash;
  bool progress = false;
};

// Sleeps until sample `index` is due at `rate` per second (0: never sleeps).
bool pace(std::chrono::steady_clock::time_point start, double rate, std::uint64_t index) {
  if (rate <= 0) return !stop_requested();
  const auto due = start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::duration<double>(static_cast<double>(index) / rate));
  const auto now = std::chrono::steady_clock::now();
  if (due <= now) return !stop_requested();
  return sleep_unless_stopped(due - now);
}

int publish_generated(const Options& o, SamplePublisher& pub, Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  while ((o.count == 0 || done < o.count) && pace(start, o.rate, done)) {
    if (!pub.publish_generated(done, o.size)) break;
    ++done;
    progress.update(done);
  }
  progress.finish(done);
  return pub.exit_code();
}

int publish_lines(const Options& o, std::size_t capacity, SamplePublisher& pub, Progress& progress) {
  const std::string source = o.file.empty() ? std::string("stdin") : o.file;
  FileDescriptor fd(o.file.empty() ? STDIN_FILENO : ::open(o.file.c_str(), O_RDONLY | O_CLOEXEC), !o.file.empty());
  if (fd.get() < 0)
    return fail(kCommand, kExitFailure,
                fmt::format("cannot open {}: {}", o.file, std::generic_category().message(errno)));
  LineReader reader(fd.get(), capacity);
  std::string line;
  std::uint64_t done = 0;
  int code = kExitOk;
  for (bool more = true; more && !stop_requested();) {
    switch (reader.next(line)) {
      case LineReader::Status::Line:
        more = pub.publish_bytes(std::as_bytes(std::span(line.data(), line.size())));
        if (!more) code = pub.exit_code();
        if (more) progress.update(++done);
        break;
      case LineReader::Status::End:
      case LineReader::Status::Interrupted: more = false; break;
      case LineReader::Status::TooLong:
        code = fail(kCommand, kExitFailure,
                    fmt::format("{} line {} is longer than the slot capacity of {} bytes", source, reader.line_number(),
                                capacity));
        more = false;
        break;
      case LineReader::Status::Error:
        code = fail(kCommand, kExitFailure,
                    fmt::format("read {}: {}", source, std::generic_category().message(reader.error())));
        more = false;
        break;
    }
  }
  progress.finish(done);
  return code;
}

int run(const Options& o) {
  auto group = resolve_group(kCommand, o.group);
  if (!group) return group.error();
  auto segment = attach_segment(kCommand, o.flink, o.type_hash, *group);
  if (!segment) return segment.error();
  if (!segment->has_extension()) {
    return fail(kCommand, kExitFailure,
                fmt::format("{} ({}) was created by a ZeroDDS process; shmslot can read it but not publish into it",
                            segment->flink_path(), segment->shm_name()));
  }
  const std::size_t capacity = segment->slot_capacity();
  if (o.generate && o.size > capacity) {
    return fail(kCommand, kExitFailure,
                fmt::format("--size {} is larger than the slot capacity of {} bytes", o.size, capacity));
  }
  install_stop_handlers();
  SamplePublisher pub(kCommand, *segment, parse_hex32(o.mask));
  Progress progress(kCommand, o.progress || ::isatty(STDERR_FILENO) == 1, o.generate ? o.count : 0);
  return o.generate ? publish_generated(o, pub, progress) : publish_lines(o, capacity, pub, progress);
}

}  // namespace

void register_pub(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(app, kCommand, "Publish lines of stdin or a file, or generated payloads",
                              "Each line (without its newline) is one sample. While the segment is full (no slot that\n"
                              "the --mask readers have read), waits. A progress line goes to stderr when it is a\n"
                              "terminal, or with --progress.");
  cmd->add_option("flink", o->flink, "Flink path (a name without '/' lives in $SHMSLOT_DIR or /tmp/shmslot)")
      ->required();
  add_group_option(*cmd, o->group, kAttachGroupHelp);
  CLI::Option* file = cmd->add_option("--file", o->file, "Publish the lines of this file instead of stdin");
  CLI::Option* generate = cmd->add_flag(
      "--generate", o->generate,
      "Publish generated payloads: u64 LE index, u64 LE FNV-1a-64 of the rest, pseudo-random bytes from the index");
  cmd->add_option("--size", o->size, "Bytes per generated payload (at least 16)")
      ->check(whole_number_validator(kGeneratedHeaderSize, kMaxSlotCapacity))
      ->needs(generate);
  cmd->add_option("--count", o->count, "Number of generated payloads (0: until Ctrl-C)")
      ->capture_default_str()
      ->check(whole_number_validator(0, UINT64_MAX))
      ->needs(generate);
  cmd->add_option("--rate", o->rate, "Generated payloads per second (0: as fast as possible)")
      ->capture_default_str()
      ->check(finite_range_validator(0, 1e9))
      ->needs(generate);
  cmd->add_option("--mask", o->mask,
                  "Active readers (hex): a slot is reused only once these readers have read it; 0: never wait")
      ->capture_default_str()
      ->check(hex32_validator());
  cmd->add_option("--type-hash", o->type_hash, "Refuse (exit 6) a segment that records another type hash")
      ->check(type_hash_validator());
  cmd->add_flag("--progress", o->progress, "Progress line on stderr even when it is not a terminal");
  file->excludes(generate);
  set_action(*cmd, [o, cmd] {
    if (o->generate && cmd->count("--size") == 0) {
      return fail(kCommand, kExitUsage, "--generate needs --size BYTES");
    }
    return run(*o);
  });
}

}  // namespace shmslot::cli

#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include <fmt/core.h>

namespace shmslot::cli {

Progress::Progress(std::string what, bool enabled, std::uint64_t total)
    : what_(std::move(what)),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) == 1),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      next_print_(start_ + std::chrono::seconds(1)) {}

void Progress::update(std::uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_print_) return;
  next_print_ = now + std::chrono::seconds(1);
  print(done, false);
}

void Progress::finish(std::uint64_t done) {
  if (enabled_) print(done, true);
}

void Progress::print(std::uint64_t done, bool last) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const std::string of_total = total_ > 0 ? fmt::format("/{}", total_) : std::string();
  // On a terminal: carriage return and clear-to-end-of-line, so the line is redrawn in place.
  fmt::print(stderr, "{}shmslot {}: {}{} samples, {:.1f} s, {:.0f}/s{}", tty_ ? "\r\x1b[K" : "", what_, done, of_total,
             seconds, rate, tty_ && !last ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace shmslot::cli

#include "command.hpp"

#include <poll.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <fmt/core.h>
#include <shmslot/type_hash.hpp>

#include "exit_codes.hpp"

namespace shmslot::cli {

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& summary, const std::string& details) {
  CLI::App* command = app.add_subcommand(name, summary);
  command->footer(details.empty() ? std::string(exit_code_help()) : details + "\n\n" + exit_code_help());
  return command;
}

void set_action(CLI::App& command, std::function<int()> action) {
  command.callback([action = std::move(action)] {
    const int code = action();
    std::fflush(stdout);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

int fail(std::string_view command, int code, std::string_view message) {
  std::string line(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fflush(stdout);
  fmt::print(stderr, "shmslot{}{}: {}\n", command.empty() ? "" : " ", command, line);
  return code;
}

void note(std::string_view command, std::string_view message) { fail(command, kExitOk, message); }

int fail(std::string_view command, const PosixSlotError& error) {
  return fail(command, exit_code_for(error), error.message());
}

CLI::Validator type_hash_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return type_hash_from_hex(text) ? std::string() : "type hash must be 32 hex digits, got '" + text + "'";
      },
      "HEX32");
}

namespace {
std::string_view strip_0x(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  return text;
}
}  // namespace

CLI::Validator finite_range_validator(double low, double high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        double value = 0;
        const bool parsed = CLI::detail::lexical_cast(text, value);
        if (parsed && std::isfinite(value) && value >= low && value <= high) return {};
        return fmt::format("expected a number from {} to {}, got '{}'", low, high, text);
      },
      fmt::format("NUMBER in [{} - {}]", low, high));
}

CLI::Validator whole_number_validator(std::uint64_t low, std::uint64_t high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        std::uint64_t value = 0;
        bool ok = !text.empty() && text.size() <= 20;
        for (const char c : text) {
          const auto digit = static_cast<std::uint64_t>(c - '0');
          ok = ok && c >= '0' && c <= '9' && value <= (UINT64_MAX - digit) / 10;
          if (ok) value = value * 10 + digit;
        }
        if (ok && value >= low && value <= high) return {};
        return fmt::format("expected a whole number from {} to {}, got '{}'", low, high, text);
      },
      fmt::format("{}..{}", low, high));
}

CLI::Validator hex32_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string_view digits = strip_0x(text);
        bool ok = !digits.empty() && digits.size() <= 8;
        for (const char c : digits) {
          ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
        }
        return ok ? std::string() : "expected a hexadecimal mask of up to 32 bits, got '" + text + "'";
      },
      "HEX");
}

bool stdout_closed() {
  pollfd fd{STDOUT_FILENO, 0, 0};  // POLLERR and POLLHUP are reported without being asked for
  return ::poll(&fd, 1, 0) == 1 && (fd.revents & (POLLERR | POLLHUP)) != 0;
}

std::uint32_t parse_hex32(const std::string& text) {
  const std::string digits(strip_0x(text));
  return static_cast<std::uint32_t>(std::strtoul(digits.c_str(), nullptr, 16));
}

}  // namespace shmslot::cli

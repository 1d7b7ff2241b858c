#include "command.hpp"

#include <cmath>
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

std::uint32_t parse_hex32(const std::string& text) {
  const std::string digits(strip_0x(text));
  return static_cast<std::uint32_t>(std::strtoul(digits.c_str(), nullptr, 16));
}

}  // namespace shmslot::cli

// What every subcommand shares: its registration, how its action's exit code reaches main, and the
// one-line error messages ("shmslot <subcommand>: ...") on stderr.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <shmslot/posix_slot_allocator.hpp>

namespace shmslot::cli {

/// Adds subcommand `name` to `app`: `summary` is its line in `shmslot --help`; its own --help
/// shows `details` (if any) and the exit code table after the options.
CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& summary,
                      const std::string& details = {});

/// Runs `action` when the subcommand is given; a non-zero result becomes the process's exit code
/// (through CLI::RuntimeError, which main turns back into the code).
void set_action(CLI::App& command, std::function<int()> action);

/// Prints "shmslot <command>: <message>" as one line on stderr; returns `code`.
int fail(std::string_view command, int code, std::string_view message);

/// The same one-line format for a remark that is not an error.
void note(std::string_view command, std::string_view message);

/// fail() with the error's message and exit_code_for(error).
int fail(std::string_view command, const PosixSlotError& error);

/// A CLI11 check for a type hash option: 32 hex digits.
CLI::Validator type_hash_validator();

/// A CLI11 check for a hexadecimal number that fits in 32 bits ("0x" prefix optional).
CLI::Validator hex32_validator();

/// A CLI11 check for a number in [low, high] that is finite: CLI::Range lets NaN through, and a
/// NaN or huge number of seconds would make the duration conversion undefined.
CLI::Validator finite_range_validator(double low, double high);

/// The check of every integer option: decimal digits only (no sign, no fraction, no hex), in
/// [low, high]. Its description, shown in --help, is the range "low..high"; its error names the
/// range and the text given. Runs before CLI11 converts, so "-5" never wraps to a huge unsigned.
CLI::Validator whole_number_validator(std::uint64_t low, std::uint64_t high);

/// The longest time a seconds option accepts: about 11.6 days.
inline constexpr double kMaxSeconds = 1e6;

/// True when stdout is a pipe or socket whose reading end is closed (POLLERR/POLLHUP): one poll,
/// for loops that would otherwise only notice at their next write, which may never come.
bool stdout_closed();

/// Parses what hex32_validator accepted.
std::uint32_t parse_hex32(const std::string& text);

}  // namespace shmslot::cli

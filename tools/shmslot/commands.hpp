// The subcommands of the shmslot tool. Each lives in its own cmd_<name>.cpp and registers itself
// on the application; main.cpp only calls these.
#pragma once

#include <CLI/CLI.hpp>

namespace shmslot::cli {

void register_create(CLI::App& app);
void register_inspect(CLI::App& app);
void register_pub(CLI::App& app);
void register_sub(CLI::App& app);
void register_gc(CLI::App& app);
void register_doctor(CLI::App& app);
void register_bench(CLI::App& app);
void register_bridge(CLI::App& app);
void register_record(CLI::App& app);
void register_replay(CLI::App& app);

}  // namespace shmslot::cli

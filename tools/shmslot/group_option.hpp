// `--group NAME|GID`: the group a segment is shared with, for the subcommands that create segments
// (the segment and its flink file get that group and mode 0660) and those that attach to them
// (another member's segment shared with that group is accepted).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

namespace shmslot::cli {

/// Adds `--group NAME|GID` to `command`, keeping the text in `text`.
CLI::Option* add_group_option(CLI::App& command, std::string& text, const std::string& help);

/// The help line of --group on a subcommand that attaches.
inline constexpr const char* kAttachGroupHelp =
    "Accept a segment of another user that is shared with this group (name or numeric gid)";

/// The help line of --group on a subcommand that creates.
inline constexpr const char* kCreateGroupHelp =
    "Share the segment with this group (name or numeric gid): segment 0660, flink file 0640, of that group";

/// The gid `text` names: decimal digits are a gid, anything else a name in the group database.
/// Empty text is no group. An unknown name prints "shmslot <command>: --group: no group named 'x'"
/// and yields the usage exit code; nothing has been created or attached by then.
tl::expected<std::optional<gid_t>, int> resolve_group(std::string_view command, const std::string& text);

}  // namespace shmslot::cli

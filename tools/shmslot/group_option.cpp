#include "group_option.hpp"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/core.h>

#include "command.hpp"
#include "exit_codes.hpp"

namespace shmslot::cli {

CLI::Option* add_group_option(CLI::App& command, std::string& text, const std::string& help) {
  return command.add_option("--group", text, help)->type_name("NAME|GID");
}

tl::expected<std::optional<gid_t>, int> resolve_group(std::string_view command, const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    // (gid_t)-1 means "no change" to chown: not a group.
    if (text.size() <= 10 && std::stoull(text) < static_cast<unsigned long long>(static_cast<gid_t>(-1))) {
      return static_cast<gid_t>(std::stoull(text));
    }
    return tl::unexpected(
        fail(command, kExitUsage, fmt::format("--group: gid {} is out of range (0 to 4294967294)", text)));
  }
  long size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct group entry {};
  struct group* found = nullptr;
  int rc = 0;
  while ((rc = ::getgrnam_r(text.c_str(), &entry, buf.data(), buf.size(), &found)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (rc != 0) {
    return tl::unexpected(
        fail(command, kExitFailure, fmt::format("--group: looking up group '{}': {}", text, std::strerror(rc))));
  }
  if (found == nullptr) {
    return tl::unexpected(fail(command, kExitUsage,
                               fmt::format("--group: no group named '{}' (getent group lists them; a numeric gid "
                                           "is taken as it is)",
                                           text)));
  }
  return found->gr_gid;
}

}  // namespace shmslot::cli

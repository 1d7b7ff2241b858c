// The library version.
#pragma once

#define SHMSLOT_VERSION_MAJOR 0
#define SHMSLOT_VERSION_MINOR 1
#define SHMSLOT_VERSION_PATCH 0

namespace shmslot {
/// "major.minor.patch"
inline constexpr const char* kVersion = "0.1.0";
}  // namespace shmslot

// Shared pieces of the compat tier: a fixture that checks a test leaves nothing behind, sample
// patterns, and a watchdog helper for "is this thread really asleep, and was it woken".
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_flink.hpp"
#include "support/zerodds_peer.hpp"

namespace shmslot::test {

using namespace std::chrono_literals;

// ZeroDDS's naming: "/shmem_" and 1 to 16 upper-case hex digits.
inline bool is_zerodds_segment_name(const std::string& name) {
  const std::string hex = name.rfind("/shmem_", 0) == 0 ? name.substr(7) : std::string();
  return !hex.empty() && hex.size() <= 16 && hex.find_first_not_of("0123456789ABCDEF") == std::string::npos;
}

// Generous limit for anything that waits; never an assertion on how fast something happens.
inline constexpr auto kWatchdog = std::chrono::seconds(10);

class CompatTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Fails the test if the flink directory is not empty or a segment this test created (see
  // track()) is still in /dev/shm. Objects that appeared in /dev/shm during the test but were not
  // created by it (other processes on the machine) are reported, not failed.
  void TearDown() override;

  // Records a segment name ("/shmem_X") this test created, for the leftover check.
  void track(const std::string& shm_name);
  std::string flink(const std::string& name = "seg") const { return dir_.flink(name); }

  TempFlinkDir dir_;

 private:
  std::set<std::string> before_;
  std::set<std::string> tracked_;  // without the leading '/'
};

// Deterministic sample contents: each sample `sn` is size_for(sn) bytes, every byte value_for(sn).
std::uint8_t value_for(std::uint32_t sn);
std::size_t size_for(std::uint32_t sn, std::size_t capacity);
std::vector<std::byte> uniform(std::size_t size, std::uint8_t value);
// Position-dependent contents, to catch offset errors: byte j is (seed * 7 + j * 13) mod 256.
std::vector<std::byte> pattern(std::size_t size, std::uint32_t seed);
// Every byte equals `value`.
bool is_uniform(std::span<const std::byte> bytes, std::uint8_t value);
std::vector<std::byte> to_vector(std::span<const std::byte> bytes);

std::string read_file(const std::string& path);

// Polls `pred` every millisecond until it is true or `watchdog` passes; returns its last value.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds watchdog = kWatchdog);

// Runs `wait` on its own thread, makes sure the thread is asleep in FUTEX_WAIT (on an address for
// which `accept_address` is true), then runs `wake`, and reports what happened. `wait` must block
// for longer than the watchdog unless woken (use a long timeout, e.g. 30 s).
struct WakeResult {
  bool fell_asleep = false;  // observed in FUTEX_WAIT before `wake` ran
  bool woken = false;        // `wait` returned within the watchdog after `wake`
  bool wait_result = false;  // what `wait` returned
};
WakeResult wake_while_asleep(const std::function<bool()>& wait, const std::function<void()>& wake,
                             const std::function<bool(std::uintptr_t)>& accept_address);

// Start addresses of this process's mappings of /dev/shm/<name> ("/shmem_X" or "shmem_X").
std::vector<std::byte*> mappings_of(const std::string& shm_name);

// Address checks for wake_while_asleep: the futex word is `gen` at offset 0x10 of a page-aligned
// mapping (shmslot's), or exactly this address (the peer's).
inline bool is_gen_of_some_mapping(std::uintptr_t a) { return (a & 0xFFFU) == ZeroDdsPeer::kGenOffset; }

}  // namespace shmslot::test

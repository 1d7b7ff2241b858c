// The pieces of a bridged pair of segments on the two test hosts, started one at a time by each
// test: on host A the segment's owner (`shmslot create`) and `shmslot bridge --to-dds`; on host B
// `shmslot bridge --from-dds`, which owns B's segment. Each rig has its own DDS topic and domain,
// so tests that run at the same time over loopback never see each other's samples.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/posix_slot_allocator.hpp>

#include "host_process.hpp"
#include "support/temp_flink.hpp"
#include "two_hosts.hpp"

namespace shmslot::test {

struct RigOptions {
  std::string qos = "reliable";
  std::uint32_t depth = 64;
  std::size_t slots_a = 64;
  std::size_t slots_b = 64;
  std::size_t capacity = 1024;
  std::string type_hash_a;  ///< empty: none
  std::string type_hash_b;
};

class BridgeRig {
 public:
  explicit BridgeRig(RigOptions options = {});
  ~BridgeRig();
  BridgeRig(const BridgeRig&) = delete;
  BridgeRig& operator=(const BridgeRig&) = delete;

  const TwoHosts& hosts() const { return hosts_; }
  const RigOptions& options() const { return options_; }
  std::string flink_a() const { return flinks_.flink("a"); }
  std::string flink_b() const { return flinks_.flink("b"); }
  const std::string& topic() const { return topic_; }

  /// Host B: `bridge --from-dds`, creating B's segment; waits for its ready line.
  ::testing::AssertionResult start_from_dds();
  /// Host A: `create` A's segment; waits for its ready line.
  ::testing::AssertionResult start_owner_a();
  /// Host A: `bridge --to-dds --reader 0` on A's segment; waits for its ready line.
  ::testing::AssertionResult start_to_dds();
  /// Waits until both bridges print "matched 1": each side has discovered the other.
  ::testing::AssertionResult wait_matched();

  /// Runs `shmslot args...` on a host, output files named after `tag`.
  std::unique_ptr<HostProcess> run(const Host& host, const std::vector<std::string>& args, const std::string& tag);

  /// Stops a bridge with SIGINT, checks it exits 0, and returns its last stats line.
  std::string stop(std::unique_ptr<HostProcess>& bridge);

  std::unique_ptr<HostProcess> owner_a;
  std::unique_ptr<HostProcess> to_dds;
  std::unique_ptr<HostProcess> from_dds;

 private:
  std::vector<std::string> link_args() const;

  RigOptions options_;
  TwoHosts hosts_;
  TempFlinkDir flinks_;
  TempFlinkDir logs_;
  std::string topic_;
  std::uint32_t domain_ = 0;
  int runs_ = 0;
  std::set<std::string> shm_before_;
};

/// Attaches to a flink path, failing the test on error.
PosixSlotAllocator attach_or_die(const std::string& flink);

/// Polls until every reader in `mask` is registered in the segment (or the watchdog passes).
::testing::AssertionResult wait_registered(const PosixSlotAllocator& segment, ReaderMask mask);

/// Parses "verify: received=N lost=N duplicate=N corrupt=N overwritten=N" from `sub --verify`.
struct Verify {
  long long received = -1, lost = -1, duplicate = -1, corrupt = -1;
};
Verify parse_verify(const std::string& out);

}  // namespace shmslot::test

#include "bridge_rig.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace shmslot::test {

namespace {
std::atomic<int> g_rigs{0};
}  // namespace

BridgeRig::BridgeRig(RigOptions options) : options_(std::move(options)), shm_before_(shm_objects()) {
  const int n = g_rigs.fetch_add(1);
  topic_ = "shmslot_test_" + std::to_string(::getpid()) + "_" + std::to_string(n);
  // DDSI ports depend on the domain: different domains keep concurrent loopback runs apart.
  domain_ = 1 + static_cast<std::uint32_t>((::getpid() + n) % 200);
}

BridgeRig::~BridgeRig() {
  // Bridges first (the from-dds bridge owns B's segment), then A's owner.
  to_dds.reset();
  from_dds.reset();
  owner_a.reset();
  EXPECT_TRUE(flinks_.entries().empty()) << "flink files left behind";
  for (const auto& name : shm_objects()) {
    // Other tiers may run at the same time; only a segment named by our flink files is ours, and
    // those are gone (checked above). Anything else new is reported for a look, not failed on.
    if (shm_before_.count(name) == 0) std::printf("note: new in /dev/shm during the test: %s\n", name.c_str());
  }
}

std::vector<std::string> BridgeRig::link_args() const {
  return {"--topic", topic_,       "--domain", std::to_string(domain_),
          "--qos",   options_.qos, "--depth",  std::to_string(options_.depth),
          "--stats", "0.2"};
}

std::unique_ptr<HostProcess> BridgeRig::run(const Host& host, const std::vector<std::string>& args,
                                            const std::string& tag) {
  return std::make_unique<HostProcess>(host, args, logs_.path(), tag + "-" + std::to_string(runs_++));
}

namespace {
::testing::AssertionResult ready(HostProcess& p, const std::string& prefix) {
  if (p.wait_prefix(prefix)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no '" << prefix << "' line; stdout:\n"
                                       << p.out() << "\nstderr:\n"
                                       << p.err();
}
}  // namespace

::testing::AssertionResult BridgeRig::start_from_dds() {
  std::vector<std::string> args{"bridge",
                                flink_b(),
                                "--from-dds",
                                "--slots",
                                std::to_string(options_.slots_b),
                                "--capacity",
                                std::to_string(options_.capacity)};
  if (!options_.type_hash_b.empty()) args.insert(args.end(), {"--type-hash", options_.type_hash_b});
  for (auto& a : link_args()) args.push_back(a);
  from_dds = run(hosts_.b(), args, "from-dds");
  return ready(*from_dds, "ready from-dds");
}

::testing::AssertionResult BridgeRig::start_owner_a() {
  std::vector<std::string> args{"create",     flink_a(),
                                "--slots",    std::to_string(options_.slots_a),
                                "--capacity", std::to_string(options_.capacity)};
  if (!options_.type_hash_a.empty()) args.insert(args.end(), {"--type-hash", options_.type_hash_a});
  owner_a = run(hosts_.a(), args, "create");
  return ready(*owner_a, "ready");
}

::testing::AssertionResult BridgeRig::start_to_dds() {
  std::vector<std::string> args{"bridge", flink_a(), "--to-dds", "--reader", "0"};
  for (auto& a : link_args()) args.push_back(a);
  to_dds = run(hosts_.a(), args, "to-dds");
  return ready(*to_dds, "ready to-dds");
}

::testing::AssertionResult BridgeRig::wait_matched() {
  for (HostProcess* p : {to_dds.get(), from_dds.get()}) {
    if (p == nullptr) return ::testing::AssertionFailure() << "a bridge is not running";
    if (!p->wait_prefix("matched 1")) {
      return ::testing::AssertionFailure() << "the bridges did not discover each other; stdout:\n"
                                           << p->out() << "\nstderr:\n"
                                           << p->err();
    }
  }
  return ::testing::AssertionSuccess();
}

std::string BridgeRig::stop(std::unique_ptr<HostProcess>& bridge) {
  if (!bridge) return {};
  bridge->signal(SIGINT);
  const auto code = bridge->wait();
  EXPECT_EQ(code, 0) << "stdout:\n" << bridge->out() << "\nstderr:\n" << bridge->err();
  const std::string out = bridge->out();
  const std::string err = bridge->err();
  bridge.reset();
  if (!err.empty()) std::printf("bridge stderr:\n%s", err.c_str());
  return last_line_with(out, "stats ");
}

PosixSlotAllocator attach_or_die(const std::string& flink) {
  auto segment = PosixSlotAllocator::attach(flink);
  if (!segment) {
    ADD_FAILURE() << "attach " << flink << ": " << segment.error().message();
    std::abort();
  }
  return std::move(*segment);
}

::testing::AssertionResult wait_registered(const PosixSlotAllocator& segment, ReaderMask mask) {
  const auto deadline = std::chrono::steady_clock::now() + kBridgeWatchdog;
  while ((segment.registered_readers() & mask) != mask) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return ::testing::AssertionFailure() << "readers " << mask << " never registered";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ::testing::AssertionSuccess();
}

Verify parse_verify(const std::string& out) {
  Verify v;
  const std::string line = last_line_with(out, "verify:");
  v.received = pair_value(line, "received");
  v.lost = pair_value(line, "lost");
  v.duplicate = pair_value(line, "duplicate");
  v.corrupt = pair_value(line, "corrupt");
  return v;
}

}  // namespace shmslot::test

// Two "hosts" for the bridge tests: two network namespaces joined by a veth pair (10.231.0.1 and
// .2), made and removed by the test itself; or, where namespaces cannot be made (not root, no
// CAP_SYS_ADMIN), both hosts on loopback, said so on stdout. Either way Cyclone is confined to the
// one interface and the one peer address (tests/bridge/cyclonedds-test.xml): no traffic leaves
// the machine.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace shmslot::test {

/// One side: where its processes run and what its Cyclone configuration says.
struct Host {
  std::string name;       ///< "A" or "B"
  std::string netns;      ///< empty on loopback
  std::string interface;  ///< SHMSLOT_DDS_INTERFACE
  std::string address;    ///< this host's address
  std::string peer;       ///< SHMSLOT_DDS_PEER: the other host's address
  /// CYCLONEDDS_URI and the two variables it expands, for this host's processes.
  std::vector<std::pair<std::string, std::string>> dds_env() const;
};

class TwoHosts {
 public:
  /// Namespaces if possible (SHMSLOT_BRIDGE_LOOPBACK=1 forces loopback), else loopback.
  TwoHosts();
  /// Deletes the namespaces (the veth pair goes with them).
  ~TwoHosts();
  TwoHosts(const TwoHosts&) = delete;
  TwoHosts& operator=(const TwoHosts&) = delete;

  bool isolated() const { return isolated_; }
  const Host& a() const { return a_; }
  const Host& b() const { return b_; }
  /// One line: which kind, and why loopback if it is.
  const std::string& description() const { return description_; }

 private:
  bool make_namespaces(std::string& why);
  void remove_namespaces();

  bool isolated_ = false;
  Host a_;
  Host b_;
  std::string description_;
};

/// Runs `ip args...`; returns its exit code, with its stderr in `err`.
int run_ip(const std::vector<std::string>& args, std::string* err = nullptr);

}  // namespace shmslot::test

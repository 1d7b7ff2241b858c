#include <string>

#include <shmslot/bridge.hpp>

namespace shmslot::bridge {

std::string to_string(const BridgeStats& s) {
  // One line of key=value pairs: the same for both directions, so scripts parse one format.
  return "forwarded=" + std::to_string(s.forwarded) + " dropped=" + std::to_string(s.dropped) +
         " gaps=" + std::to_string(s.gaps) + " reordered=" + std::to_string(s.reordered) +
         " type_mismatch=" + std::to_string(s.type_mismatch) + " too_large=" + std::to_string(s.too_large) +
         " blocked=" + std::to_string(s.blocked) + " senders=" + std::to_string(s.senders);
}

}  // namespace shmslot::bridge

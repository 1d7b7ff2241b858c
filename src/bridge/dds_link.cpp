#include "dds_link.hpp"

#include <limits>
#include <string>

#include "envelope.h"

namespace shmslot::bridge::detail {

namespace {
// DDSI maps domain ids to UDP ports; 232 is the largest id whose ports fit (docs/bridge.md).
constexpr std::uint32_t kMaxDomain = 232;
}  // namespace

BridgeError dds_error(const char* what, dds_return_t rc) {
  return BridgeError{BridgeErrorCode::Dds, static_cast<int>(rc), {}, std::string(what) + ": " + dds_strretcode(rc)};
}

tl::expected<Participant, BridgeError> open_participant(const LinkOptions& options) {
  auto invalid = [](std::string why) {
    return tl::unexpected(BridgeError{BridgeErrorCode::InvalidArgument, 0, {}, std::move(why)});
  };
  if (options.topic.empty()) return invalid("the DDS topic name is empty");
  if (options.domain > kMaxDomain) return invalid("DDS domain id " + std::to_string(options.domain) + " is above 232");
  if (options.qos.depth == 0 || options.qos.depth > static_cast<std::uint32_t>(std::numeric_limits<int32_t>::max())) {
    return invalid("history depth must be 1 .. 2^31-1");
  }
  Participant p;
  const dds_entity_t participant =
      dds_create_participant(static_cast<dds_domainid_t>(options.domain), nullptr, nullptr);
  if (participant < 0) return tl::unexpected(dds_error("dds_create_participant", participant));
  p.participant = DdsEntity(participant);
  p.topic = dds_create_topic(participant, &shmslot_bridge_Envelope_desc, options.topic.c_str(), nullptr, nullptr);
  if (p.topic < 0) return tl::unexpected(dds_error("dds_create_topic", p.topic));
  return p;
}

// Reliable: KEEP_ALL bounded by resource limits, so a full history blocks (writer) or refuses
// and has the sample resent later (reader), instead of replacing the oldest as KEEP_LAST would.
QosPtr link_qos(const LinkQos& qos) {
  QosPtr q(dds_create_qos());
  const auto depth = static_cast<int32_t>(qos.depth);
  if (qos.reliability == Reliability::Reliable) {
    dds_qset_reliability(q.get(), DDS_RELIABILITY_RELIABLE, kWriteBlockingTime);
    dds_qset_history(q.get(), DDS_HISTORY_KEEP_ALL, 0);
    dds_qset_resource_limits(q.get(), depth, DDS_LENGTH_UNLIMITED, depth);
  } else {
    dds_qset_reliability(q.get(), DDS_RELIABILITY_BEST_EFFORT, 0);
    dds_qset_history(q.get(), DDS_HISTORY_KEEP_LAST, depth);
  }
  dds_qset_durability(q.get(), DDS_DURABILITY_VOLATILE);
  return q;
}

}  // namespace shmslot::bridge::detail

// The DDS side of a bridge: one participant with the envelope topic, the QoS mapping of LinkQos,
// and DDS return codes as BridgeError. The only file besides the two bridges that includes dds.h.
#pragma once

#include <dds/dds.h>

#include <cstdint>
#include <memory>
#include <utility>

#include <shmslot/bridge.hpp>
#include <tl/expected.hpp>

namespace shmslot::bridge::detail {

/// Owns one DDS entity (dds_delete on destruction, which deletes its children). Move-only.
class DdsEntity {
 public:
  DdsEntity() = default;
  explicit DdsEntity(dds_entity_t handle) : handle_(handle) {}
  DdsEntity(DdsEntity&& other) noexcept : handle_(std::exchange(other.handle_, 0)) {}
  DdsEntity& operator=(DdsEntity&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, 0);
    }
    return *this;
  }
  DdsEntity(const DdsEntity&) = delete;
  DdsEntity& operator=(const DdsEntity&) = delete;
  ~DdsEntity() { reset(); }

  dds_entity_t get() const { return handle_; }

 private:
  void reset() {
    if (handle_ > 0) (void)dds_delete(std::exchange(handle_, 0));
  }
  dds_entity_t handle_ = 0;
};

/// How long one dds_write may block on a full reliable history before it returns TIMEOUT; the
/// bridge then retries, so this only bounds how late it notices a stop request.
inline constexpr dds_duration_t kWriteBlockingTime = DDS_MSECS(100);

/// A participant in the link's domain and the envelope topic in it. Deleting the participant
/// deletes the topic and every reader, writer and waitset made under it.
struct Participant {
  DdsEntity participant;
  dds_entity_t topic = 0;
};

/// Checks the options, then creates the participant and topic.
tl::expected<Participant, BridgeError> open_participant(const LinkOptions& options);

/// dds_delete_qos at scope exit.
struct QosDeleter {
  void operator()(dds_qos_t* q) const { dds_delete_qos(q); }
};
using QosPtr = std::unique_ptr<dds_qos_t, QosDeleter>;

/// The QoS of the link's writer and reader, which are the same (docs/bridge.md, "QoS mapping").
QosPtr link_qos(const LinkQos& qos);

/// BridgeError{Dds} for a failed call `what` that returned `rc`.
BridgeError dds_error(const char* what, dds_return_t rc);

}  // namespace shmslot::bridge::detail

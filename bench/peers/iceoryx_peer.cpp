// shmslot_peer_iceoryx: round trip and stream of iceoryx 2.0 (Debian's iceoryx packages), the
// zero-copy shared-memory middleware a user would most likely pick instead of shmslot.
//
// Untyped publisher and subscriber: loan a chunk of exactly the payload size, write it, publish;
// the reader busy-polls take() (iceoryx delivers in the caller's thread, so spinning is its fast
// path) and releases the chunk. Streams are lossless: the publisher waits for the consumer
// (WAIT_FOR_CONSUMER) and the subscriber asks the producer to block (BLOCK_PRODUCER) when its queue
// is full. Needs iox-roudi running with mempools that hold payload + chunk header
// (bench/peers/roudi.toml; bench/peers/run.sh starts and stops it).
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <iceoryx_hoofs/log/logmanager.hpp>
#include <iceoryx_posh/mepoo/chunk_header.hpp>
#include <iceoryx_posh/popo/untyped_publisher.hpp>
#include <iceoryx_posh/popo/untyped_subscriber.hpp>
#include <iceoryx_posh/runtime/posh_runtime.hpp>
#include <iceoryx_versions.hpp>

#include "peer_main.hpp"

namespace {

using namespace shmslot::bench::peers;

// Where iox-roudi listens (IOX_UDS_SOCKET_PATH_PREFIX + IPC_CHANNEL_ROUDI_NAME): without it,
// initRuntime() would wait a minute and then abort.
constexpr const char* kRoudiSocket = "/tmp/roudi";

iox::capro::IdString_t id(const std::string& s) { return {iox::cxx::TruncateToCapacity, s.c_str()}; }

class IceoryxChannel : public Channel {
 public:
  explicit IceoryxChannel(const ChannelConfig& c) : size_(static_cast<std::uint32_t>(c.size)) {
    if (!c.topic_out.empty()) {
      iox::popo::PublisherOptions po;
      po.subscriberTooSlowPolicy = c.lossless ? iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER
                                              : iox::popo::ConsumerTooSlowPolicy::DISCARD_OLDEST_DATA;
      publisher_.emplace(iox::capro::ServiceDescription{id("shmslot_bench"), id(c.topic_out), id("payload")}, po);
    }
    if (!c.topic_in.empty()) {
      iox::popo::SubscriberOptions so;
      so.queueCapacity = c.depth;
      so.queueFullPolicy =
          c.lossless ? iox::popo::QueueFullPolicy::BLOCK_PRODUCER : iox::popo::QueueFullPolicy::DISCARD_OLDEST_DATA;
      subscriber_.emplace(iox::capro::ServiceDescription{id("shmslot_bench"), id(c.topic_in), id("payload")}, so);
    }
  }

  std::string wait_matched(std::chrono::milliseconds timeout) override {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      const bool sub_ok = !subscriber_ || subscriber_->getSubscriptionState() == iox::SubscribeState::SUBSCRIBED;
      const bool pub_ok = !publisher_ || publisher_->hasSubscribers();
      if (sub_ok && pub_ok) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return "not matched through RouDi within " + std::to_string(timeout.count()) + " ms";
  }

  std::byte* loan() override {
    auto chunk = publisher_->loan(size_, alignof(std::uint64_t));
    if (chunk.has_error()) return nullptr;
    loaned_ = chunk.value();
    return static_cast<std::byte*>(loaned_);
  }

  bool publish() override {
    publisher_->publish(loaned_);
    loaned_ = nullptr;
    return true;
  }

  const std::byte* take(std::size_t& size) override {
    auto chunk = subscriber_->take();
    if (chunk.has_error()) return nullptr;
    taken_ = chunk.value();
    size = iox::mepoo::ChunkHeader::fromUserPayload(taken_)->userPayloadSize();
    return static_cast<const std::byte*>(taken_);
  }

  void release() override {
    subscriber_->release(taken_);
    taken_ = nullptr;
  }

  std::string path() const override { return "iceoryx shared memory"; }

 private:
  std::uint32_t size_;
  std::optional<iox::popo::UntypedPublisher> publisher_;
  std::optional<iox::popo::UntypedSubscriber> subscriber_;
  void* loaned_ = nullptr;
  const void* taken_ = nullptr;
};

tl::expected<std::unique_ptr<Channel>, std::string> open_channel(const ChannelConfig& c) {
  struct stat st {};
  if (::stat(kRoudiSocket, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return tl::unexpected(std::string("iox-roudi is not running (no ") + kRoudiSocket + ")");
  }
  // One runtime per process, registered under a name RouDi has not seen.
  static bool initialised = false;
  if (!initialised) {
    const std::string name = "shmslot-bench-" + std::to_string(::getpid());
    // Warnings and errors only: at its default level every process logs each segment it maps.
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn);
    iox::runtime::PoshRuntime::initRuntime(iox::RuntimeName_t(iox::cxx::TruncateToCapacity, name.c_str()));
    initialised = true;
  }
  return std::make_unique<IceoryxChannel>(c);
}

}  // namespace

int main(int argc, char** argv) {
  PeerOptions o;
  CLI::App app("iceoryx round trip and streaming throughput between two pinned processes (needs iox-roudi); JSON out.");
  add_peer_options(app, o);
  CLI11_PARSE(app, argc, argv);
  PeerSpec spec;
  spec.name = "iceoryx";
  spec.label = "iceoryx";
  spec.version = ICEORYX_LATEST_RELEASE_VERSION;
  spec.qos = "untyped loan/publish, take() busy-poll; streams WAIT_FOR_CONSUMER + BLOCK_PRODUCER";
  spec.expected_path = "iceoryx shared memory";
  spec.poll = Poll::Spin;
  spec.open = open_channel;
  // The subscriber queue; the RouDi mempools hold it (bench/peers/roudi.toml).
  spec.stream_depth = [](std::size_t size) -> std::size_t { return size <= 4096 ? 256 : size <= 65536 ? 64 : 16; };
  return run_peer(spec, o, argc, argv);
}

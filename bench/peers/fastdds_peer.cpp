// shmslot_peer_fastdds: round trip and stream of Fast DDS 2.9 (Debian's libfastrtps-dev) over its
// shared-memory transport, and nothing else.
//
// The participant has no built-in transports (no UDP, so no traffic off the machine, and no
// fallback that could hide a failure of the shared-memory path) and one SharedMemTransportDescriptor
// with a 64 MiB segment (the default 512 KiB cannot hold a 1 MiB sample). Data-sharing is off, so
// the samples travel through that transport, as serialized RTPS messages. The type is a plain byte
// array of the payload size with a CDR encapsulation header, serialized by hand (one memcpy each
// way). RELIABLE, VOLATILE, synchronous publication; KEEP_LAST 16 for the ping-pong. Streams run
// twice: KEEP_ALL, lossless (the writer blocks up to 10 s when the reader's history is full; with the
// default 100 ms and 100 preallocated samples write() failed with "Full WriterCache"), and KEEP_LAST
// of the same depth, which drops the oldest samples when the reader falls behind (counted).
// The reader polls take_next_sample() with sched_yield() between empty takes: Fast DDS delivers
// through its own listening threads, which share the reader's CPU.
#include <fastdds/rtps/transport/shared_mem/SharedMemTransportDescriptor.h>
#include <fastrtps/config.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/publisher/DataWriter.hpp>
#include <fastdds/dds/publisher/Publisher.hpp>
#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/topic/TopicDataType.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>

#include "peer_main.hpp"

namespace {

using namespace shmslot::bench::peers;
namespace dds = eprosima::fastdds::dds;
namespace rtps = eprosima::fastrtps::rtps;

constexpr dds::DomainId_t kDomain = 7;             // away from the default domain 0 of other Fast DDS programs
constexpr std::uint32_t kSegmentBytes = 64 << 20;  // holds 1 MiB samples with room for a queue of them
constexpr std::uint32_t kEncapsulation = 4;        // CDR header in front of the bytes

// `size` raw bytes behind a CDR little-endian encapsulation header; the sample is a byte buffer.
class BytesType : public dds::TopicDataType {
 public:
  explicit BytesType(std::size_t size) : size_(static_cast<std::uint32_t>(size)) {
    setName(("shmslot_bench::Bytes" + std::to_string(size)).c_str());
    m_typeSize = size_ + kEncapsulation;
    m_isGetKeyDefined = false;
    auto_fill_type_object(false);
    auto_fill_type_information(false);
  }

  bool serialize(void* data, rtps::SerializedPayload_t* payload) override {
    if (payload->max_size < size_ + kEncapsulation) return false;
    const std::uint8_t header[kEncapsulation] = {0x00, CDR_LE, 0x00, 0x00};
    std::memcpy(payload->data, header, kEncapsulation);
    std::memcpy(payload->data + kEncapsulation, data, size_);
    payload->encapsulation = CDR_LE;
    payload->length = size_ + kEncapsulation;
    return true;
  }

  bool deserialize(rtps::SerializedPayload_t* payload, void* data) override {
    if (payload->length != size_ + kEncapsulation) return false;
    std::memcpy(data, payload->data + kEncapsulation, size_);
    return true;
  }

  std::function<std::uint32_t()> getSerializedSizeProvider(void*) override {
    return [n = size_ + kEncapsulation] { return n; };
  }

  void* createData() override { return new std::byte[size_]; }
  void deleteData(void* data) override { delete[] static_cast<std::byte*>(data); }
  bool getKey(void*, rtps::InstanceHandle_t*, bool) override { return false; }

 private:
  std::uint32_t size_;
};

template <class Qos>
void set_qos(Qos& q, const ChannelConfig& c, bool keep_all) {
  q.reliability().kind = dds::RELIABLE_RELIABILITY_QOS;
  q.reliability().max_blocking_time = eprosima::fastrtps::Duration_t(10, 0);
  q.durability().kind = dds::VOLATILE_DURABILITY_QOS;
  q.history().kind = keep_all ? dds::KEEP_ALL_HISTORY_QOS : dds::KEEP_LAST_HISTORY_QOS;
  q.history().depth = static_cast<std::int32_t>(c.depth);
  // Room for `depth` samples, preallocated: 100 (the default) 1 MiB samples per endpoint is too many.
  q.resource_limits().max_instances = 1;
  q.resource_limits().max_samples = static_cast<std::int32_t>(c.depth);
  q.resource_limits().max_samples_per_instance = static_cast<std::int32_t>(c.depth);
  q.resource_limits().allocated_samples = static_cast<std::int32_t>(c.depth);
  q.data_sharing().off();
}

class FastChannel : public Channel {
 public:
  ~FastChannel() override {
    if (participant_ == nullptr) return;
    participant_->delete_contained_entities();
    dds::DomainParticipantFactory::get_instance()->delete_participant(participant_);
  }

  std::string open(const ChannelConfig& c, bool keep_all) {
    size_ = c.size;
    dds::DomainParticipantQos pq;
    pq.name("shmslot_bench");
    pq.transport().use_builtin_transports = false;
    auto shm = std::make_shared<eprosima::fastdds::rtps::SharedMemTransportDescriptor>();
    shm->segment_size(kSegmentBytes);
    pq.transport().user_transports.push_back(shm);
    auto* factory = dds::DomainParticipantFactory::get_instance();
    participant_ = factory->create_participant(kDomain, pq);
    if (participant_ == nullptr) return "create_participant failed (shared-memory transport)";
    dds::TypeSupport type(new BytesType(c.size));
    if (type.register_type(participant_) != ReturnCode_t::RETCODE_OK) return "register_type failed";
    if (!c.topic_out.empty()) {
      dds::Topic* topic = participant_->create_topic(c.topic_out, type.get_type_name(), dds::TOPIC_QOS_DEFAULT);
      dds::Publisher* pub = participant_->create_publisher(dds::PUBLISHER_QOS_DEFAULT);
      if (topic == nullptr || pub == nullptr) return "create_topic/create_publisher failed";
      dds::DataWriterQos wq = dds::DATAWRITER_QOS_DEFAULT;
      set_qos(wq, c, keep_all);
      wq.publish_mode().kind = dds::SYNCHRONOUS_PUBLISH_MODE;
      writer_ = pub->create_datawriter(topic, wq);
      if (writer_ == nullptr) return "create_datawriter failed";
      out_.assign(size_, std::byte{0});
    }
    if (!c.topic_in.empty()) {
      dds::Topic* topic = participant_->create_topic(c.topic_in, type.get_type_name(), dds::TOPIC_QOS_DEFAULT);
      dds::Subscriber* sub = participant_->create_subscriber(dds::SUBSCRIBER_QOS_DEFAULT);
      if (topic == nullptr || sub == nullptr) return "create_topic/create_subscriber failed";
      dds::DataReaderQos rq = dds::DATAREADER_QOS_DEFAULT;
      set_qos(rq, c, keep_all);
      reader_ = sub->create_datareader(topic, rq);
      if (reader_ == nullptr) return "create_datareader failed";
      in_.assign(size_, std::byte{0});
    }
    return "";
  }

  std::string wait_matched(std::chrono::milliseconds timeout) override {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      dds::PublicationMatchedStatus pub;
      dds::SubscriptionMatchedStatus sub;
      const bool pub_ok =
          writer_ == nullptr ||
          (writer_->get_publication_matched_status(pub) == ReturnCode_t::RETCODE_OK && pub.current_count > 0);
      const bool sub_ok =
          reader_ == nullptr ||
          (reader_->get_subscription_matched_status(sub) == ReturnCode_t::RETCODE_OK && sub.current_count > 0);
      if (pub_ok && sub_ok) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return "not matched within " + std::to_string(timeout.count()) + " ms";
  }

  std::byte* loan() override { return out_.data(); }

  bool publish() override { return writer_->write(out_.data()); }

  const std::byte* take(std::size_t& size) override {
    if (reader_->take_next_sample(in_.data(), &info_) != ReturnCode_t::RETCODE_OK || !info_.valid_data) return nullptr;
    size = size_;
    return in_.data();
  }

  void release() override {}

  std::string path() const override { return "Fast DDS shared-memory transport"; }

 private:
  std::size_t size_ = 0;
  dds::DomainParticipant* participant_ = nullptr;
  dds::DataWriter* writer_ = nullptr;
  dds::DataReader* reader_ = nullptr;
  std::vector<std::byte> out_;
  std::vector<std::byte> in_;
  dds::SampleInfo info_;
};

}  // namespace

int main(int argc, char** argv) {
  PeerOptions o;
  CLI::App app(
      "Fast DDS round trip and streaming throughput between two pinned processes over its shared-memory "
      "transport only; JSON out.");
  add_peer_options(app, o);
  CLI11_PARSE(app, argc, argv);
  PeerSpec spec;
  spec.name = "fastdds_shm";
  spec.label = "Fast DDS SHM";
  spec.version = FASTRTPS_VERSION_STR;
  spec.qos =
      "SHM transport only (64 MiB segment), data-sharing off, RELIABLE, VOLATILE, KEEP_LAST 16 (pings), "
      "KEEP_ALL and KEEP_LAST (streams); take_next_sample() with sched_yield";
  spec.expected_path = "Fast DDS shared-memory transport";
  spec.poll = Poll::Yield;
  spec.open = [](const ChannelConfig& c) -> tl::expected<std::unique_ptr<Channel>, std::string> {
    auto ch = std::make_unique<FastChannel>();
    // Flow control in Fast DDS is KEEP_ALL: the writer waits for room in the reader's history.
    if (std::string err = ch->open(c, c.lossless); !err.empty()) return tl::unexpected(err);
    return ch;
  };
  spec.stream_depth = [](std::size_t size) -> std::size_t { return size <= 4096 ? 256 : size <= 65536 ? 64 : 16; };
  spec.stream_variants = {{"KEEP_ALL", true}, {"KEEP_LAST", false}};
  return run_peer(spec, o, argc, argv);
}

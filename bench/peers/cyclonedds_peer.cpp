// shmslot_peer_cyclonedds: round trip and stream of Cyclone DDS 0.10 (Debian's cyclonedds-dev),
// over UDP on the loopback interface (--transport udp) or over its iceoryx shared memory
// (--transport shm, needs iox-roudi).
//
// One fixed-size IDL type per payload size (bench_payload.idl), RELIABLE, VOLATILE. Ping-pong:
// KEEP_LAST 16. Streams: KEEP_ALL over UDP (the writer blocks when the reader falls behind, so
// nothing is lost); KEEP_LAST over shared memory, because Cyclone uses its iceoryx path only for
// KEEP_LAST (and then drops the oldest sample when the reader falls behind: the losses are
// counted). The writer writes into dds_loan_sample() where Cyclone offers a loan (shared memory),
// else into its own sample; the reader takes with a loan and gives it back. Cyclone delivers
// through its own threads, which share the reader's CPU, so the reader polls with sched_yield()
// between empty takes. dds_is_shared_memory_available() on both endpoints tells which path ran.
//
// The configuration comes only from CYCLONEDDS_URI (bench/peers/cyclonedds.xml: interface lo, no
// multicast, peer 127.0.0.1): the program refuses to run without it, so nothing is ever sent to
// another address; it sets SHMSLOT_CYCLONE_SHM, which that file reads, from --transport.
#include <dds/dds.h>
#include <dds/ddsc/dds_loan_api.h>
#include <dds/version.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_payload.h"
#include "peer_main.hpp"

namespace {

using namespace shmslot::bench::peers;

const dds_topic_descriptor_t* descriptor_for(std::size_t size) {
  switch (size) {
    case 64: return &shmslot_bench_Bytes64_desc;
    case 4096: return &shmslot_bench_Bytes4096_desc;
    case 65536: return &shmslot_bench_Bytes65536_desc;
    case 1048576: return &shmslot_bench_Bytes1048576_desc;
    default: return nullptr;
  }
}

std::string dds_error(const char* what, dds_return_t rc) { return std::string(what) + ": " + dds_strretcode(rc); }

class CycloneChannel : public Channel {
 public:
  ~CycloneChannel() override {
    // Deleting the participant deletes its endpoints; a writer lingers until its data is acknowledged.
    if (participant_ > 0) dds_delete(participant_);
  }

  std::string open(const ChannelConfig& c, bool keep_all) {
    const dds_topic_descriptor_t* desc = descriptor_for(c.size);
    if (desc == nullptr) return "no IDL type of " + std::to_string(c.size) + " bytes (bench_payload.idl)";
    size_ = c.size;
    participant_ = dds_create_participant(DDS_DOMAIN_DEFAULT, nullptr, nullptr);
    if (participant_ < 0) return dds_error("dds_create_participant", participant_);
    dds_qos_t* qos = dds_create_qos();
    dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, DDS_SECS(10));
    dds_qset_durability(qos, DDS_DURABILITY_VOLATILE);
    if (keep_all) {
      dds_qset_history(qos, DDS_HISTORY_KEEP_ALL, 0);
    } else {
      dds_qset_history(qos, DDS_HISTORY_KEEP_LAST, static_cast<int32_t>(c.depth));
    }
    std::string err;
    if (!c.topic_out.empty()) {
      const dds_entity_t topic = dds_create_topic(participant_, desc, c.topic_out.c_str(), nullptr, nullptr);
      writer_ = topic < 0 ? topic : dds_create_writer(participant_, topic, qos, nullptr);
      if (writer_ < 0) err = dds_error("dds_create_writer", writer_);
    }
    if (err.empty() && !c.topic_in.empty()) {
      const dds_entity_t topic = dds_create_topic(participant_, desc, c.topic_in.c_str(), nullptr, nullptr);
      reader_ = topic < 0 ? topic : dds_create_reader(participant_, topic, qos, nullptr);
      if (reader_ < 0) err = dds_error("dds_create_reader", reader_);
    }
    dds_delete_qos(qos);
    if (err.empty() && writer_ > 0 && !dds_is_loan_available(writer_)) own_.assign(size_, std::byte{0});
    return err;
  }

  std::string wait_matched(std::chrono::milliseconds timeout) override {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      dds_publication_matched_status_t pub{};
      dds_subscription_matched_status_t sub{};
      const bool pub_ok = writer_ <= 0 || (dds_get_publication_matched_status(writer_, &pub) == DDS_RETCODE_OK &&
                                           pub.current_count > 0);
      const bool sub_ok = reader_ <= 0 || (dds_get_subscription_matched_status(reader_, &sub) == DDS_RETCODE_OK &&
                                           sub.current_count > 0);
      if (pub_ok && sub_ok) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return "not matched within " + std::to_string(timeout.count()) + " ms (is CYCLONEDDS_URI's peer reachable?)";
  }

  std::byte* loan() override {
    if (!own_.empty()) return own_.data();
    void* sample = nullptr;
    if (dds_loan_sample(writer_, &sample) != DDS_RETCODE_OK) return nullptr;
    loaned_ = sample;
    return static_cast<std::byte*>(sample);
  }

  bool publish() override {
    // A loaned sample belongs to Cyclone again after dds_write.
    const void* sample = own_.empty() ? loaned_ : own_.data();
    loaned_ = nullptr;
    return dds_write(writer_, sample) == DDS_RETCODE_OK;
  }

  const std::byte* take(std::size_t& size) override {
    taken_[0] = nullptr;
    const dds_return_t n = dds_take(reader_, taken_, &info_, 1, 1);
    if (n <= 0) return nullptr;
    if (!info_.valid_data) {
      dds_return_loan(reader_, taken_, n);
      return nullptr;
    }
    size = size_;
    return static_cast<const std::byte*>(taken_[0]);
  }

  void release() override { dds_return_loan(reader_, taken_, 1); }

  std::string path() const override {
    const int w = writer_ > 0 ? (dds_is_shared_memory_available(writer_) ? 1 : 0) : -1;
    const int r = reader_ > 0 ? (dds_is_shared_memory_available(reader_) ? 1 : 0) : -1;
    if (w != 0 && r != 0) return "iceoryx shared memory";
    if (w != 1 && r != 1) return "UDP loopback";
    return std::string("mixed: writer ") + (w == 1 ? "shm" : "udp") + ", reader " + (r == 1 ? "shm" : "udp");
  }

 private:
  std::size_t size_ = 0;
  dds_entity_t participant_ = 0;
  dds_entity_t writer_ = 0;
  dds_entity_t reader_ = 0;
  std::vector<std::byte> own_;  // the sample when Cyclone offers no loan (UDP)
  void* loaned_ = nullptr;
  void* taken_[1] = {nullptr};
  dds_sample_info_t info_{};
};

}  // namespace

int main(int argc, char** argv) {
  PeerOptions o;
  std::string transport = "udp";
  CLI::App app(
      "Cyclone DDS round trip and streaming throughput between two pinned processes, over UDP on lo or "
      "its iceoryx shared memory; JSON out. Needs CYCLONEDDS_URI (bench/peers/cyclonedds.xml).");
  add_peer_options(app, o);
  app.add_option("--transport", transport, "udp: UDP on lo; shm: iceoryx shared memory (needs iox-roudi)")
      ->check(CLI::IsMember({"udp", "shm"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const char* uri = std::getenv("CYCLONEDDS_URI");
  if (uri == nullptr || *uri == '\0') {
    std::fprintf(stderr,
                 "CYCLONEDDS_URI is not set: refusing to run with Cyclone's default configuration (it "
                 "uses every interface and multicast); use bench/peers/cyclonedds.xml\n");
    return 2;
  }
  const bool shm = transport == "shm";
  ::setenv("SHMSLOT_CYCLONE_SHM", shm ? "true" : "false", 1);  // read by cyclonedds.xml
  PeerSpec spec;
  spec.name = shm ? "cyclonedds_shm" : "cyclonedds_udp";
  spec.label = shm ? "Cyclone DDS SHM" : "Cyclone DDS UDP";
  spec.version = DDS_VERSION;
  spec.qos = shm ? "RELIABLE, VOLATILE, KEEP_LAST (pings 16, streams = depth); loans; take() with sched_yield"
                 : "RELIABLE, VOLATILE, KEEP_LAST 16 (pings), KEEP_ALL (streams); take() with sched_yield";
  spec.expected_path = shm ? "iceoryx shared memory" : "UDP loopback";
  spec.poll = Poll::Yield;
  spec.open = [shm](const ChannelConfig& c) -> tl::expected<std::unique_ptr<Channel>, std::string> {
    auto ch = std::make_unique<CycloneChannel>();
    // Streams ask for lossless delivery; over UDP that is KEEP_ALL, which the iceoryx path does not take.
    if (std::string err = ch->open(c, c.lossless && !shm); !err.empty()) return tl::unexpected(err);
    return ch;
  };
  // KEEP_LAST depth of the shared-memory streams (the iceoryx subscriber queue, at most 256).
  spec.stream_depth = [](std::size_t size) -> std::size_t { return size <= 4096 ? 256 : size <= 65536 ? 64 : 16; };
  spec.stream_variants = {shm ? StreamVariant{"KEEP_LAST", false} : StreamVariant{"KEEP_ALL", true}};
  return run_peer(spec, o, argc, argv);
}

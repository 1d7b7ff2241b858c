#include "peer_pingpong.hpp"

#include <signal.h>
#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

#include "bench_pingpong_drive.hpp"

namespace shmslot::bench::peers {

namespace {

using pingpong_detail::get_stamp;
using pingpong_detail::kFailed;
using pingpong_detail::Role;
using pingpong_detail::stamp_both_ends;

constexpr auto kMatchTimeout = std::chrono::seconds(15);
constexpr std::uint64_t kHandshakeNs = 15'000'000'000ULL;
constexpr std::uint64_t kHelloEveryNs = 20'000'000ULL;

// What drive() cannot pass through its PingPongConfig: set in the pinger process before drive()
// runs, inherited by the echoer it forks.
struct Session {
  const PeerSpec* spec = nullptr;
  std::string topic;
  std::string pinger_path;
};

class PeerLink : public pingpong_detail::LinkBase {
 public:
  static inline Session* session = nullptr;

  explicit PeerLink(const PingPongConfig& c) : size_(c.size) {}

  // Nothing before fork: the middleware starts threads.
  std::string prepare() const { return session != nullptr && session->spec != nullptr ? "" : "no peer"; }

  std::string open(Role role) {
    // The echoer dies with the pinger, the pinger with the driver: nothing outlives a killed run.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const bool pinger = role == Role::Pinger;
    ChannelConfig cc;
    cc.topic_out = session->topic + (pinger ? "_ping" : "_pong");
    cc.topic_in = session->topic + (pinger ? "_pong" : "_ping");
    cc.size = size_;
    cc.depth = 16;
    cc.lossless = false;  // one sample in flight
    auto ch = session->spec->open(cc);
    if (!ch) return (pinger ? "pinger: " : "echoer: ") + ch.error();
    channel_ = std::move(*ch);
    if (std::string err = channel_->wait_matched(kMatchTimeout); !err.empty()) {
      return (pinger ? "pinger: " : "echoer: ") + err;
    }
    if (!pinger) return "";
    session->pinger_path = channel_->path();
    return handshake();
  }

  void send(Role role, std::uint64_t s) {
    std::byte* p = nullptr;
    for (std::uint32_t spins = 0; (p = channel_->loan()) == nullptr; ++spins) {
      if (expired(spins)) {
        ++verify_errors;
        return;
      }
      poll_pause(session->spec->poll);
    }
    std::memset(p, static_cast<int>(s & 0xFF), size_);
    stamp_both_ends(p, size_, s);
    if (!channel_->publish()) ++verify_errors;
    // The echoer's last hop: close the middleware cleanly (DDS writers linger until acknowledged)
    // before echo_loop() leaves with _exit.
    if (role == Role::Echoer && s == pingpong_detail::kStop) channel_.reset();
  }

  std::uint64_t recv(Role role) {
    for (;;) {
      std::size_t n = 0;
      const std::byte* p = nullptr;
      for (std::uint32_t spins = 0; (p = channel_->take(n)) == nullptr; ++spins) {
        if (expired(spins)) return kFailed;
        poll_pause(session->spec->poll);
      }
      const std::uint64_t s = check(p, n);
      channel_->release();
      // Late echoes of the handshake are not round trips.
      if (role == Role::Pinger && is_hello(s)) continue;
      return s;
    }
  }

 private:
  // The stamp of a received sample; counts a wrong size, a torn line or mismatched stamps.
  std::uint64_t check(const std::byte* p, std::size_t n) {
    if (n != size_) {
      ++verify_errors;
      return n >= 8 ? get_stamp(p) : kFailed;
    }
    const std::uint64_t s = get_stamp(p);
    const auto pattern = static_cast<std::byte>(s & 0xFF);
    std::uint64_t bad = 0;
    for (std::size_t off = 64; off + 8 < size_; off += 64) bad += p[off] != pattern ? 1 : 0;
    if (bad != 0 || get_stamp(p + size_ - 8) != s) ++verify_errors;
    return s;
  }

  // Sends handshake samples until one comes back: then both directions deliver.
  std::string handshake() {
    const std::uint64_t give_up = now_ns() + kHandshakeNs;
    for (std::uint64_t n = 0; now_ns() < give_up; ++n) {
      send(Role::Pinger, kHello + n);
      const std::uint64_t next = now_ns() + kHelloEveryNs;
      while (now_ns() < next) {
        std::size_t size = 0;
        const std::byte* p = channel_->take(size);
        if (p == nullptr) {
          poll_pause(session->spec->poll);
          continue;
        }
        const std::uint64_t s = check(p, size);
        channel_->release();
        if (is_hello(s)) return "";
      }
    }
    return "pinger: no reply to the handshake within 15 s";
  }

  std::size_t size_;
  std::unique_ptr<Channel> channel_;
};

// The pinger's report to the driver, followed by the samples.
struct Report {
  std::atomic<int> done;
  int ok;
  int pinned;
  std::uint64_t verify_errors;
  std::uint64_t count;
  double elapsed_s;
  char error[256];
  char path[128];
};

void copy_text(char* dst, std::size_t cap, const std::string& src) { std::snprintf(dst, cap, "%s", src.c_str()); }

}  // namespace

PeerPingResult run_peer_pingpong(const PeerSpec& spec, const PingPongConfig& config, const std::string& topic) {
  PeerPingResult out;
  const std::size_t capacity = static_cast<std::size_t>(config.roundtrips);
  SharedRegion region(sizeof(Report) + capacity * sizeof(double));
  if (!region.ok()) {
    out.result.error = "mmap failed";
    return out;
  }
  auto* report = region.as<Report>();
  auto* samples = reinterpret_cast<double*>(static_cast<std::byte*>(region.data()) + sizeof(Report));
  Session session{&spec, topic, ""};
  std::fflush(nullptr);  // the children must not flush this process's buffers again
  support::ChildProcess pinger([&] {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    PeerLink::session = &session;
    PingPongResult r = pingpong_detail::drive<PeerLink>(config);
    report->ok = r.ok ? 1 : 0;
    report->pinned = r.pinned ? 1 : 0;
    report->verify_errors = r.verify_errors;
    report->elapsed_s = r.elapsed_s;
    const std::size_t n = std::min(r.samples_us.size(), capacity);
    std::copy_n(r.samples_us.begin(), n, samples);
    report->count = n;
    copy_text(report->error, sizeof report->error, r.error);
    copy_text(report->path, sizeof report->path, session.pinger_path);
    report->done.store(1);
    return r.ok ? 0 : 1;
  });
  if (!pinger.started()) {
    out.result.error = "fork failed";
    return out;
  }
  // drive() gives up on its own after max_seconds + 30 s; the rest is set-up and matching.
  const auto budget = std::chrono::milliseconds(static_cast<long>((config.max_seconds + 75.0) * 1000));
  const auto code = pinger.wait(budget);
  if (report->done.load() != 1) {
    out.result.error = code ? "pinger exited with " + std::to_string(*code) + " before reporting"
                            : std::string("pinger did not finish in time (killed)");
    return out;
  }
  out.result.ok = report->ok == 1;
  out.result.error = report->error;
  out.result.pinned = report->pinned == 1;
  out.result.verify_errors = report->verify_errors;
  out.result.elapsed_s = report->elapsed_s;
  out.result.samples_us.assign(samples, samples + report->count);
  out.result.stats = summarize(out.result.samples_us);
  out.path = report->path;
  return out;
}

}  // namespace shmslot::bench::peers

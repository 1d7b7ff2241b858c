#include "peer_stream.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_pingpong_drive.hpp"

namespace shmslot::bench::peers {

namespace {

constexpr std::uint64_t kEnd = ~std::uint64_t{0};
constexpr auto kMatchTimeout = std::chrono::seconds(15);
constexpr std::uint64_t kSecond = 1'000'000'000ULL;

// Written by the two children, read by the driver after both are gone. States: 0 starting,
// 1 ready (reader) / streaming (writer), 2 done, -1 failed.
struct alignas(64) Control {
  std::atomic<int> reader_state;
  std::atomic<int> writer_state;
  std::atomic<int> hello_seen;
  std::atomic<std::uint64_t> start_ns;
  std::atomic<std::uint64_t> writer_end_ns;
  std::uint64_t sent;
  std::uint64_t publish_failures;
  std::uint64_t received;
  std::uint64_t gaps;
  std::uint64_t out_of_order;
  std::uint64_t verify_errors;
  std::uint64_t last_ns;
  int end_marker_seen;
  int reader_pinned;
  int writer_pinned;
  std::atomic<pid_t> reader_pid;
  std::atomic<pid_t> writer_pid;
  char reader_error[256];
  char writer_error[256];
  char path[128];
};

using pingpong_detail::get_stamp;
using pingpong_detail::put_stamp;

// Whether the other child still runs: a middleware that aborts its process leaves no state behind,
// and a zombie (not yet reaped by the driver) counts as gone.
bool alive(pid_t pid) {
  if (pid <= 0) return true;  // not started yet
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' && line[paren + 2] != 'X';
}

int fail(std::atomic<int>& state, char* message, std::size_t cap, const std::string& why) {
  std::snprintf(message, cap, "%s", why.c_str());
  state.store(-1);
  return 1;
}

// One side of the stream's channel, open and matched with the other side; null with `why` set if
// either step failed.
std::unique_ptr<Channel> open_matched(const PeerSpec& spec, const PeerStreamConfig& cfg, const std::string& topic,
                                      bool writer, std::string& why) {
  ChannelConfig cc;
  (writer ? cc.topic_out : cc.topic_in) = topic;
  cc.size = cfg.size;
  cc.depth = cfg.depth;
  cc.lossless = cfg.lossless;
  auto ch = spec.open(cc);
  if (!ch) {
    why = ch.error();
    return nullptr;
  }
  std::unique_ptr<Channel> channel = std::move(*ch);
  why = channel->wait_matched(kMatchTimeout);
  return why.empty() ? std::move(channel) : nullptr;
}

int reader_main(const PeerSpec& spec, const PeerStreamConfig& cfg, const std::string& topic, Control* c) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  c->reader_pid.store(::getpid());
  c->reader_pinned = pin_to_cpu(cfg.cpus.b) ? 1 : 0;
  std::string why;
  std::unique_ptr<Channel> channel = open_matched(spec, cfg, topic, /*writer=*/false, why);
  if (!channel) return fail(c->reader_state, c->reader_error, sizeof c->reader_error, "reader: " + why);
  c->reader_state.store(1);
  const std::uint64_t give_up = now_ns() + static_cast<std::uint64_t>((cfg.seconds + 60) * 1e9);
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::uint64_t gaps = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t verify = 0;
  std::uint64_t last_ns = 0;
  bool end = false;
  bool timed_out = false;
  while (!end) {
    std::size_t n = 0;
    const std::byte* p = channel->take(n);
    if (p == nullptr) {
      // A lossy peer may drop the end marker too: a second without samples after the writer
      // finished ends the run.
      const std::uint64_t now = now_ns();
      const std::uint64_t writer_end = c->writer_end_ns.load();
      if (c->writer_state.load() == 2 && now > writer_end + kSecond && now > last_ns + kSecond) break;
      if (c->writer_state.load() == -1 || now > give_up || !alive(c->writer_pid.load())) {
        timed_out = c->writer_state.load() != -1;
        break;
      }
      poll_pause(spec.poll);
      continue;
    }
    const std::uint64_t s = n >= 8 ? get_stamp(p) : kEnd - 1;
    if (n != cfg.size || get_stamp(p + n - 8) != s) {
      ++verify;
    } else {
      // One word per line, in place: every line of the sample reaches this core.
      std::uint64_t sum = 0;
      for (std::size_t off = 64; off + 8 <= n; off += 64) sum += get_stamp(p + off);
      asm volatile("" : : "r"(sum));
    }
    channel->release();
    if (is_hello(s)) {
      c->hello_seen.store(1);
      continue;
    }
    if (s == kEnd) {
      end = true;
      break;
    }
    if (s < expected) {
      ++out_of_order;
      continue;
    }
    if (s > expected) ++gaps;
    expected = s + 1;
    ++received;
    last_ns = now_ns();
  }
  c->received = received;
  c->gaps = gaps;
  c->out_of_order = out_of_order;
  c->verify_errors = verify;
  c->last_ns = last_ns;
  c->end_marker_seen = end ? 1 : 0;
  channel.reset();  // gives back what the middleware holds for this reader before the process ends
  if (timed_out) return fail(c->reader_state, c->reader_error, sizeof c->reader_error, "reader: timed out");
  c->reader_state.store(2);
  return 0;
}

// Loans, fills and publishes one sample; retries refusals until `give_up`.
bool publish_one(Channel& channel, const std::vector<std::byte>& src, std::uint64_t s, Poll poll, std::uint64_t give_up,
                 std::uint64_t& failures) {
  for (;;) {
    std::byte* p = channel.loan();
    if (p != nullptr) {
      std::memcpy(p, src.data(), src.size());
      put_stamp(p, s);
      put_stamp(p + src.size() - 8, s);
      if (channel.publish()) return true;
    }
    ++failures;
    if (now_ns() > give_up) return false;
    poll_pause(poll);
  }
}

int writer_main(const PeerSpec& spec, const PeerStreamConfig& cfg, const std::string& topic, Control* c) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  c->writer_pid.store(::getpid());
  c->writer_pinned = pin_to_cpu(cfg.cpus.a) ? 1 : 0;
  std::string why;
  std::unique_ptr<Channel> channel = open_matched(spec, cfg, topic, /*writer=*/true, why);
  if (!channel) return fail(c->writer_state, c->writer_error, sizeof c->writer_error, "writer: " + why);
  std::snprintf(c->path, sizeof c->path, "%s", channel->path().c_str());
  const std::uint64_t ready_by = now_ns() + 15 * kSecond;
  while (c->reader_state.load() == 0 && now_ns() < ready_by && alive(c->reader_pid.load())) ::usleep(200);
  if (c->reader_state.load() != 1) {
    return fail(c->writer_state, c->writer_error, sizeof c->writer_error, "writer: the reader did not get ready");
  }
  std::vector<std::byte> src(cfg.size, std::byte{0x5A});
  std::uint64_t failures = 0;
  // Handshake: a sample every 10 ms until the reader has seen one.
  for (std::uint64_t n = 0; c->hello_seen.load() == 0; ++n) {
    if (now_ns() > ready_by || !publish_one(*channel, src, kHello + n, spec.poll, ready_by, failures)) {
      return fail(c->writer_state, c->writer_error, sizeof c->writer_error, "writer: no handshake within 15 s");
    }
    for (const std::uint64_t next = now_ns() + 10'000'000; now_ns() < next && c->hello_seen.load() == 0;) ::usleep(100);
  }
  failures = 0;
  const std::uint64_t start = now_ns();
  c->start_ns.store(start);
  c->writer_state.store(1);
  const std::uint64_t stop_at = start + static_cast<std::uint64_t>(cfg.seconds * 1e9);
  const std::uint64_t give_up = stop_at + 60 * kSecond;
  std::uint64_t sent = 0;
  bool ok = true;
  while (now_ns() < stop_at) {
    if (!publish_one(*channel, src, sent, spec.poll, give_up, failures)) {
      ok = false;
      break;
    }
    ++sent;
  }
  ok = ok && publish_one(*channel, src, kEnd, spec.poll, give_up, failures);
  c->sent = sent;
  c->publish_failures = failures;
  c->writer_end_ns.store(now_ns());
  c->writer_state.store(ok ? 2 : -1);
  if (!ok) std::snprintf(c->writer_error, sizeof c->writer_error, "writer: publish refused for 60 s");
  // Stay until the reader is done: a reliable peer may still have to repeat what it sent.
  const std::uint64_t linger_until = now_ns() + 70 * kSecond;
  while (c->reader_state.load() == 1 && now_ns() < linger_until && alive(c->reader_pid.load())) ::usleep(1000);
  channel.reset();
  return ok ? 0 : 1;
}

// How a child ended, for a failure that left no message: the middleware aborted it, typically.
std::string exit_text(const std::optional<int>& code) {
  if (!code) return "did not end in time (killed)";
  if (*code > 128) return "died of signal " + std::to_string(*code - 128) + " (" + ::strsignal(*code - 128) + ")";
  return "exited with " + std::to_string(*code);
}

}  // namespace

PeerStreamResult run_peer_stream(const PeerSpec& spec, const PeerStreamConfig& config, const std::string& topic) {
  PeerStreamResult r;
  if (config.size < 16) {
    r.error = "size must be at least 16 bytes";
    return r;
  }
  SharedRegion region(sizeof(Control));
  if (!region.ok()) {
    r.error = "mmap failed";
    return r;
  }
  auto* c = region.as<Control>();
  std::fflush(nullptr);  // the children must not flush this process's buffers again
  support::ChildProcess reader([&] { return reader_main(spec, config, topic, c); });
  support::ChildProcess writer([&] { return writer_main(spec, config, topic, c); });
  if (!reader.started() || !writer.started()) {
    r.error = "fork failed";
    return r;
  }
  const auto budget = std::chrono::milliseconds(static_cast<long>((config.seconds + 100.0) * 1000));
  const auto writer_code = writer.wait(budget);
  const auto reader_code = reader.wait(std::chrono::seconds(5));
  r.path = c->path;
  r.sent = c->sent;
  r.received = c->received;
  r.lost = r.sent > r.received ? r.sent - r.received : 0;
  r.gaps = c->gaps;
  r.out_of_order = c->out_of_order;
  r.verify_errors = c->verify_errors;
  r.publish_failures = c->publish_failures;
  r.end_marker_seen = c->end_marker_seen == 1;
  r.pinned = c->reader_pinned == 1 && c->writer_pinned == 1;
  const std::uint64_t start = c->start_ns.load();
  if (c->last_ns > start && start != 0) r.seconds = static_cast<double>(c->last_ns - start) / 1e9;
  if (r.seconds > 0) {
    r.samples_per_s = static_cast<double>(r.received) / r.seconds;
    r.gbytes_per_s = r.samples_per_s * static_cast<double>(config.size) / 1e9;
  }
  const std::uint64_t writer_end = c->writer_end_ns.load();
  if (writer_end > start && start != 0)
    r.sent_per_s = static_cast<double>(r.sent) / (static_cast<double>(writer_end - start) / 1e9);
  if (c->writer_state.load() != 2) {
    r.error = c->writer_error[0] != '\0' ? c->writer_error : "writer " + exit_text(writer_code);
  } else if (c->reader_state.load() != 2) {
    r.error = c->reader_error[0] != '\0' ? c->reader_error : "reader " + exit_text(reader_code);
  } else if (!writer_code || *writer_code != 0 || !reader_code || *reader_code != 0) {
    r.error = "a child exited with an error";
  }
  if (r.error.empty() && c->reader_error[0] != '\0') r.error = c->reader_error;
  r.ok = r.error.empty() && r.verify_errors == 0;
  if (r.ok && r.received == 0) {
    r.ok = false;
    r.error = "no sample arrived";
  }
  return r;
}

}  // namespace shmslot::bench::peers

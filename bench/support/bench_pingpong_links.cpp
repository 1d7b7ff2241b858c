// The links of bench_pingpong.hpp's systems, one class per system, and run_pingpong(), which runs
// drive<Link>() (bench_pingpong_drive.hpp) over the one asked for. In one file with the loop's
// instantiations, so that every link's send() and recv() are inlined into the timed loop.
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <shmslot/shmslot.hpp>

#include "bench_pingpong.hpp"
#include "bench_pingpong_drive.hpp"
#include "bench_wait.hpp"
#include "fd_io.hpp"

namespace shmslot::bench {

namespace pingpong_detail {
namespace {

// ---- raw cache line --------------------------------------------------------------------------------
// 128 bytes apart, not 64: the L2 adjacent-line prefetchers (Intel's spatial, AMD's up/down) pull
// the neighbouring line of a 128-byte pair along, so two hot words on adjacent lines still disturb
// each other. The floors get the best layout; shmslot's own layout is what it is.
inline constexpr std::size_t kApart = 128;
struct alignas(kApart) Line {
  std::atomic<std::uint64_t> value;
};
static_assert(sizeof(Line) == kApart);

class CacheLineLink : public LinkBase {
 public:
  explicit CacheLineLink(const PingPongConfig&) : region_(2 * sizeof(Line)) {}
  std::string prepare() const { return region_.ok() ? "" : "mmap failed"; }
  std::string open(Role) { return ""; }
  void send(Role role, std::uint64_t s) {
    Line* lines = region_.as<Line>();
    // SYNC: release; pairs with the peer's acquire load (nothing else is published, it is a floor).
    (role == Role::Pinger ? lines[0] : lines[1]).value.store(s, std::memory_order_release);
    last_sent_ = s;
  }
  std::uint64_t recv(Role role) {
    Line& in = role == Role::Pinger ? region_.as<Line>()[1] : region_.as<Line>()[0];
    for (std::uint32_t spins = 0;; ++spins) {
      const std::uint64_t v = in.value.load(std::memory_order_acquire);
      // The pinger waits for its own stamp back; the echoer for anything new.
      if (role == Role::Pinger ? v == last_sent_ : v != last_seen_) {
        last_seen_ = v;
        return v;
      }
      if (expired(spins)) return kFailed;
    }
  }

 private:
  SharedRegion region_;
  std::uint64_t last_sent_ = 0;
  std::uint64_t last_seen_ = 0;
};

// ---- raw futex -----------------------------------------------------------------------------------
struct alignas(kApart) FutexWord {
  std::atomic<std::uint32_t> value;
};
static_assert(sizeof(FutexWord) == kApart && sizeof(std::atomic<std::uint32_t>) == 4);

inline std::uint32_t* futex_addr(std::atomic<std::uint32_t>& w) { return reinterpret_cast<std::uint32_t*>(&w); }

class FutexLink : public LinkBase {
 public:
  explicit FutexLink(const PingPongConfig&) : region_(2 * sizeof(FutexWord)) {}
  std::string prepare() const { return region_.ok() ? "" : "mmap failed"; }
  std::string open(Role) { return ""; }
  void send(Role role, std::uint64_t s) {
    auto& w = word(role == Role::Pinger ? 0 : 1);
    const auto v = static_cast<std::uint32_t>(s);  // stamps fit in 32 bits; kStop becomes 0xFFFFFFFF
    w.store(v, std::memory_order_release);
    // Shared (not PRIVATE) futex ops: the word lives in a MAP_SHARED mapping of two processes.
    ::syscall(SYS_futex, futex_addr(w), FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }
  std::uint64_t recv(Role role) {
    auto& w = word(role == Role::Pinger ? 1 : 0);
    for (;;) {
      const std::uint32_t v = w.load(std::memory_order_acquire);
      if (v != last_seen_) {
        last_seen_ = v;
        return v == 0xFFFFFFFFU ? kStop : v;
      }
      timespec ts{0, 50'000'000};
      ::syscall(SYS_futex, futex_addr(w), FUTEX_WAIT, v, &ts, nullptr, 0);
      if (now_ns() > deadline_ns) return kFailed;
    }
  }

 private:
  std::atomic<std::uint32_t>& word(int i) const { return region_.as<FutexWord>()[i].value; }
  SharedRegion region_;
  std::uint32_t last_seen_ = 0;
};

// ---- pipe and socketpair: blocking byte streams ----------------------------------------------------
class StreamLink : public LinkBase {
 public:
  explicit StreamLink(const PingPongConfig& c) : size_(c.size), socket_(c.system == PingSystem::SocketPair) {}
  ~StreamLink() {
    for (std::size_t k = 0; k < fds_.size(); ++k) close_fd(k);
  }
  StreamLink(const StreamLink&) = delete;
  StreamLink& operator=(const StreamLink&) = delete;

  std::string prepare() {
    buf_.assign(size_, std::byte{0x5A});
    if (socket_) {
      int sv[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return std::string("socketpair: ") + std::strerror(errno);
      }
      // fds_: pinger reads, pinger writes, echoer reads, echoer writes.
      fds_ = {sv[0], sv[0], sv[1], sv[1]};
      const int want = static_cast<int>(std::min<std::size_t>(size_ + 4096, INT_MAX / 2));
      for (int fd : sv) {
        // Best effort: the kernel clamps to net.core.[rw]mem_max.
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
      }
      return "";
    }
    int ab[2];
    int ba[2];
    if (::pipe2(ab, O_CLOEXEC) != 0 || ::pipe2(ba, O_CLOEXEC) != 0) {
      return std::string("pipe: ") + std::strerror(errno);
    }
    fds_ = {ba[0], ab[1], ab[0], ba[1]};
    // The best case for a pipe: a buffer that holds one whole message (capped by fs.pipe-max-size).
    const int want = static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(size_, 4096), 1 << 20));
    ::fcntl(ab[1], F_SETPIPE_SZ, want);
    ::fcntl(ba[1], F_SETPIPE_SZ, want);
    return "";
  }
  std::string open(Role role) {
    // Close the other side's ends, so a peer that dies shows as EOF instead of a hang.
    const std::size_t first_other = role == Role::Pinger ? 2 : 0;
    close_fd(first_other);
    close_fd(first_other + 1);
    return "";
  }
  void send(Role role, std::uint64_t s) {
    stamp_both_ends(buf_.data(), size_, s);
    if (!support::write_all(fds_[role == Role::Pinger ? 1 : 3], buf_.data(), size_)) ++verify_errors;
  }
  std::uint64_t recv(Role role) {
    if (!support::read_all(fds_[role == Role::Pinger ? 0 : 2], buf_.data(), size_)) return kFailed;
    const std::uint64_t s = get_stamp(buf_.data());
    if (get_stamp(buf_.data() + size_ - 8) != s) ++verify_errors;
    return s;
  }

 private:
  // Closes fds_[k] and every other entry naming the same descriptor (a socket appears twice).
  void close_fd(std::size_t k) {
    const int fd = fds_[k];
    if (fd < 0) return;
    ::close(fd);
    for (int& f : fds_) {
      if (f == fd) f = -1;
    }
  }

  std::size_t size_;
  bool socket_;
  std::array<int, 4> fds_{-1, -1, -1, -1};
  std::vector<std::byte> buf_;
};

// ---- raw SPSC ring in shared memory, memcpy per hop ------------------------------------------------
struct alignas(kApart) RingControl {
  std::atomic<std::uint64_t> head;                  // written by the producer
  alignas(kApart) std::atomic<std::uint64_t> tail;  // written by the consumer: its own line pair
};
static_assert(sizeof(RingControl) == 2 * kApart);

class RingLink : public LinkBase {
 public:
  explicit RingLink(const PingPongConfig& c)
      : size_(c.size),
        slots_(c.slot_count),
        stride_((c.size + kApart - 1) & ~(kApart - 1)),
        region_(2 * ring_bytes()) {}
  // Slots start on a 128-byte boundary after the control lines; rings are whole multiples of it.
  std::string prepare() {
    buf_.assign(size_, std::byte{0x5A});
    return region_.ok() ? "" : "mmap failed";
  }
  std::string open(Role) { return ""; }
  void send(Role role, std::uint64_t s) {
    const std::size_t r = role == Role::Pinger ? 0 : 1;
    RingControl& ctl = control(r);
    const std::uint64_t head = ctl.head.load(std::memory_order_relaxed);  // only we write it
    // SYNC: acquire; pairs with the consumer's release of tail: it is done with the slot.
    for (std::uint32_t spins = 0; head - ctl.tail.load(std::memory_order_acquire) >= slots_; ++spins) {
      if (expired(spins)) return;
    }
    stamp_both_ends(buf_.data(), size_, s);
    std::memcpy(slot(r, head), buf_.data(), size_);
    ctl.head.store(head + 1, std::memory_order_release);  // SYNC: release; pairs with recv's acquire
  }
  std::uint64_t recv(Role role) {
    const std::size_t r = role == Role::Pinger ? 1 : 0;
    RingControl& ctl = control(r);
    const std::uint64_t tail = ctl.tail.load(std::memory_order_relaxed);
    for (std::uint32_t spins = 0; ctl.head.load(std::memory_order_acquire) == tail; ++spins) {
      if (expired(spins)) return kFailed;
    }
    std::memcpy(buf_.data(), slot(r, tail), size_);
    ctl.tail.store(tail + 1, std::memory_order_release);  // SYNC: release; the slot may be reused
    const std::uint64_t s = get_stamp(buf_.data());
    if (get_stamp(buf_.data() + size_ - 8) != s) ++verify_errors;
    return s;
  }

 private:
  std::size_t ring_bytes() const { return sizeof(RingControl) + slots_ * stride_; }
  RingControl& control(std::size_t r) const {
    return *reinterpret_cast<RingControl*>(static_cast<std::byte*>(region_.data()) + r * ring_bytes());
  }
  std::byte* slot(std::size_t r, std::uint64_t index) const {
    return static_cast<std::byte*>(region_.data()) + r * ring_bytes() + sizeof(RingControl) +
           (index % slots_) * stride_;
  }
  std::size_t size_;
  std::size_t slots_;
  std::size_t stride_;
  SharedRegion region_;
  std::vector<std::byte> buf_;
};

// ---- shmslot ----------------------------------------------------------------------------------------
class ShmslotLink : public LinkBase {
 public:
  explicit ShmslotLink(const PingPongConfig& c) : cfg_(c) {}
  std::string prepare() {
    if (!dir_.ok()) return "mkdtemp failed";
    ab_path_ = dir_.path() + "/ab.flink";
    ba_path_ = dir_.path() + "/ba.flink";
    auto ab = PosixSlotAllocator::create(ab_path_, cfg_.slot_count, cfg_.size);
    if (!ab) return "create: " + ab.error().message();
    auto ba = PosixSlotAllocator::create(ba_path_, cfg_.slot_count, cfg_.size);
    if (!ba) return "create: " + ba.error().message();
    owners_[0] = std::make_unique<PosixSlotAllocator>(std::move(*ab));
    owners_[1] = std::make_unique<PosixSlotAllocator>(std::move(*ba));
    buf_.assign(cfg_.size, std::byte{0x5A});
    return "";
  }
  std::string open(Role role) {
    if (role == Role::Pinger) {
      tx_ = owners_[0].get();
      rx_ = owners_[1].get();
      bind();
      return "";
    }
    // The echoer attaches by path, as an unrelated process would; the inherited owner objects are
    // never destroyed here (the child leaves with _exit).
    auto ab = PosixSlotAllocator::attach(ab_path_);
    if (!ab) return "attach: " + ab.error().message();
    auto ba = PosixSlotAllocator::attach(ba_path_);
    if (!ba) return "attach: " + ba.error().message();
    attached_[0] = std::make_unique<PosixSlotAllocator>(std::move(*ab));
    attached_[1] = std::make_unique<PosixSlotAllocator>(std::move(*ba));
    tx_ = attached_[1].get();
    rx_ = attached_[0].get();
    bind();
    return "";
  }
  void bind() {
    constexpr ReaderMask kReader0 = 1;
    writer_.emplace(*tx_, kReader0);
    reader_.emplace(*rx_, 0);
  }

  // The next sample for reader 0: spinning on it (Wait::Busy) or sleeping in wait_until.
  template <class Take>
  auto next(Take&& take) {
    return spin_or_wait(cfg_.wait == Wait::Futex, *rx_, deadline_ns, WaitFor::Sample, std::chrono::nanoseconds(0), take);
  }
  // A reader that gave up at its deadline found nothing; any other failure is a verify error.
  std::uint64_t failed(const SlotError& e) {
    if (e.code != SlotErrorCode::TimedOut) ++verify_errors;
    return kFailed;
  }

  void send(Role, std::uint64_t s) {
    const std::size_t size = cfg_.size;
    if (cfg_.api == Api::Copy) {
      stamp_both_ends(buf_.data(), size, s);
      auto sn = writer_->write(std::span<const std::byte>(buf_.data(), size));
      for (std::uint32_t spins = 0; !sn && sn.error().code == SlotErrorCode::NoFreeSlot; ++spins) {
        if (expired(spins)) return;  // a ping-pong always has a free slot; be safe
        sn = writer_->write(std::span<const std::byte>(buf_.data(), size));
      }
      if (!sn) ++verify_errors;
      return;
    }
    auto loan = writer_->loan(size);
    for (std::uint32_t spins = 0; !loan && loan.error().code == SlotErrorCode::NoFreeSlot; ++spins) {
      if (expired(spins)) return;
      loan = writer_->loan(size);
    }
    if (!loan) {
      ++verify_errors;
      return;
    }
    std::byte* p = loan->data().data();
    if (cfg_.payload == Payload::Full) {
      std::memset(p, static_cast<int>(s & 0xFF), size);
      stamp_both_ends(p, size, s);
    } else {
      put_stamp(p, s);
    }
    if (!std::move(*loan).commit(size)) ++verify_errors;
  }

  std::uint64_t recv(Role) {
    const std::size_t size = cfg_.size;
    if (cfg_.api == Api::Copy) {
      auto header = next([&] { return reader_->take_into(std::span<std::byte>(buf_.data(), size)); });
      if (!header) return failed(header.error());
      if (header->sample_size != size) {
        ++verify_errors;
        return kFailed;
      }
      const std::uint64_t s = get_stamp(buf_.data());
      if (get_stamp(buf_.data() + size - 8) != s) ++verify_errors;
      return s;
    }
    auto sample = next([&] { return reader_->take(); });  // pinned until it goes, which marks it read
    if (!sample) return failed(sample.error());
    if (sample->size() != size) {
      ++verify_errors;
      return kFailed;
    }
    const std::byte* p = sample->data();
    const std::uint64_t s = get_stamp(p);
    if (cfg_.payload == Payload::Full) {
      // One byte per cache line: every line of the sample crosses to this core, as it would for
      // a consumer that uses the data.
      const auto pattern = static_cast<std::byte>(s & 0xFF);
      std::uint64_t bad = 0;
      for (std::size_t off = 64; off + 8 < size; off += 64) bad += p[off] != pattern ? 1 : 0;
      if (bad != 0 || get_stamp(p + size - 8) != s) ++verify_errors;
    }
    if (!sample->release()) ++verify_errors;
    return s;
  }

 private:
  PingPongConfig cfg_;
  TempDir dir_;
  std::string ab_path_, ba_path_;
  std::unique_ptr<PosixSlotAllocator> owners_[2];
  std::unique_ptr<PosixSlotAllocator> attached_[2];
  PosixSlotAllocator* tx_ = nullptr;
  PosixSlotAllocator* rx_ = nullptr;
  // Bound to the final class, so the per-sample calls are direct, not virtual.
  std::optional<BasicWriter<PosixSlotAllocator>> writer_;  // the peer is reader 0 and must see every sample
  std::optional<BasicReader<PosixSlotAllocator>> reader_;
  std::vector<std::byte> buf_;
};

}  // namespace
}  // namespace pingpong_detail

PingPongResult run_pingpong(const PingPongConfig& config) {
  PingPongConfig c = config;
  if (has_payload(c.system) && c.size < 16) {
    PingPongResult r;
    r.error = "size must be at least 16 bytes";
    return r;
  }
  if (c.slot_count == 0) c.slot_count = 1;
  using namespace pingpong_detail;
  switch (c.system) {
    case PingSystem::Shmslot: return drive<ShmslotLink>(c);
    case PingSystem::CacheLine: return drive<CacheLineLink>(c);
    case PingSystem::Futex: return drive<FutexLink>(c);
    case PingSystem::Pipe:
    case PingSystem::SocketPair: return drive<StreamLink>(c);
    case PingSystem::ShmRing: return drive<RingLink>(c);
  }
  return {};
}

}  // namespace shmslot::bench

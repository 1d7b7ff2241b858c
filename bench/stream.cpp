// Writer in the parent, readers in forked children; results come back through a shared mapping.
// Every sample carries its index at both ends of the payload; the end marker is index kEnd.
#include "stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>

#include <shmslot/shmslot.hpp>

#include "bench_clock.hpp"
#include "bench_scratch.hpp"
#include "bench_wait.hpp"
#include "child_process.hpp"
#include "platform/futex.hpp"

namespace shmslot::bench {

const char* to_string(StreamSystem s) {
  switch (s) {
    case StreamSystem::Shmslot: return "shmslot";
    case StreamSystem::ShmRing: return "raw_shm_ring";
    case StreamSystem::ShmRingSlotStride: return "raw_shm_ring_slot_stride";
    case StreamSystem::MemcpyOnly: return "memcpy_one_core";
  }
  return "?";
}
const char* to_string(StreamApi a) { return a == StreamApi::Copy ? "copy" : "loan"; }

namespace {

std::chrono::nanoseconds wait_spin(const StreamConfig& cfg) { return std::chrono::microseconds(cfg.wait_spin_us); }

constexpr std::uint64_t kEnd = ~std::uint64_t{0};
constexpr std::uint32_t kSpinCheck = 0xFFF;
// Pauses between a busy writer's retries while the segment is full (about a reader's mark_read each).
constexpr int kFullRetryPauses = 4;

struct alignas(64) ReaderSlot {
  std::atomic<int> state;  // 0 starting, 1 ready, 2 done, -1 failed
  std::atomic<int> pinned;
  std::uint64_t received;
  std::uint64_t gaps;
  std::uint64_t verify_errors;
  std::uint64_t end_ns;
  std::uint64_t futex_waits;  // this reader's FUTEX_WAIT / FUTEX_WAKE calls during the run
  std::uint64_t futex_wakes;
  char message[160];
};

struct alignas(64) Shared {
  std::atomic<int> go;  // the writer's start signal
  std::uint64_t start_ns;
  ReaderSlot readers[32];
};

void put_stamp(std::byte* p, std::uint64_t s) { std::memcpy(p, &s, sizeof s); }
std::uint64_t get_stamp(const std::byte* p) {
  std::uint64_t s = 0;
  std::memcpy(&s, p, sizeof s);
  return s;
}

// Tracks the sequence a reader sees: every index once, in order.
struct SequenceCheck {
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::uint64_t gaps = 0;
  void see(std::uint64_t s) {
    if (s != expected) ++gaps;
    expected = s + 1;
    ++received;
  }
};

// ---- shmslot --------------------------------------------------------------------------------------

int shmslot_reader(const StreamConfig& cfg, const std::string& flink, std::uint32_t index, Shared* shared) {
  ReaderSlot& me = shared->readers[index];
  me.pinned.store(pin_to_cpu(cfg.cpus.b) ? 1 : 0);
  auto seg = PosixSlotAllocator::attach(flink);
  if (!seg) {
    std::snprintf(me.message, sizeof me.message, "attach: %s", seg.error().message().c_str());
    me.state.store(-1);
    return 1;
  }
  // Bound to the final class, so the per-sample calls are direct, not virtual. The buffer holds
  // any sample the slots can, so a copy never fails for want of room.
  BasicReader<PosixSlotAllocator> reader(*seg, index);
  std::vector<std::byte> buf(seg->slot_capacity());
  const platform::FutexCalls calls_before = platform::futex_calls();  // forked: the parent's count too
  SequenceCheck seq;
  std::uint64_t verify = 0;
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>((cfg.seconds + 60) * 1e9);
  me.state.store(1);
  bool timed_out = false;
  for (;;) {
    std::uint64_t s = 0;
    std::uint32_t protocol_seq = 0;
    if (cfg.api == StreamApi::Copy) {
      auto header = spin_or_wait(cfg.blocking, *seg, deadline, WaitFor::Sample, wait_spin(cfg), [&] { return reader.take_into(buf); });
      if (!header) {
        timed_out = header.error().code == SlotErrorCode::TimedOut;
        if (!timed_out) ++verify;
        break;
      }
      if (header->sample_size != cfg.size) {
        ++verify;
        continue;
      }
      s = get_stamp(buf.data());
      if (get_stamp(buf.data() + cfg.size - 8) != s) ++verify;
      protocol_seq = header->sequence_number;
    } else {
      auto sample = spin_or_wait(cfg.blocking, *seg, deadline, WaitFor::Sample, wait_spin(cfg), [&] { return reader.take(); });
      if (!sample) {
        timed_out = sample.error().code == SlotErrorCode::TimedOut;
        if (!timed_out) ++verify;
        break;
      }
      if (sample->size() != cfg.size) {
        ++verify;
        continue;
      }
      // Read in place: one word per 64-byte line, so every line of the sample reaches this core as
      // it would for a consumer that uses the data (the ring floor copies it out instead).
      const std::byte* p = sample->data();
      s = get_stamp(p);
      std::uint64_t sum = 0;
      for (std::size_t off = 64; off + 8 <= cfg.size; off += 64) sum += get_stamp(p + off);
      asm volatile("" : : "r"(sum));
      if (get_stamp(p + cfg.size - 8) != s) ++verify;
      protocol_seq = static_cast<std::uint32_t>(s);  // not copied out; the stamps are checked
      if (!sample->release()) ++verify;
    }
    if (s == kEnd) break;
    // One writer: the protocol's sequence number is the sample index.
    if (protocol_seq != static_cast<std::uint32_t>(s)) ++verify;
    seq.see(s);
  }
  me.end_ns = now_ns();
  me.received = seq.received;
  me.gaps = seq.gaps;
  me.verify_errors = verify;
  const platform::FutexCalls calls = platform::futex_calls();
  me.futex_waits = calls.waits - calls_before.waits;
  me.futex_wakes = calls.wakes - calls_before.wakes;
  if (timed_out) std::snprintf(me.message, sizeof me.message, "reader %u timed out", index);
  me.state.store(timed_out ? -1 : 2);
  return timed_out ? 1 : 0;
}

// Writes for cfg.seconds, then the end marker; returns the number of samples, or nullopt on failure.
std::optional<std::uint64_t> shmslot_writer(const StreamConfig& cfg, PosixSlotAllocator& seg, std::string& error) {
  const ReaderMask active = cfg.readers >= 32 ? ~ReaderMask{0} : (ReaderMask{1} << cfg.readers) - 1;
  // Bound to the final class, so the per-sample calls are direct, not virtual.
  BasicWriter<PosixSlotAllocator> writer(seg, active);
  std::vector<std::byte> src(cfg.size, std::byte{0x5A});
  const std::uint64_t stop_at = now_ns() + static_cast<std::uint64_t>(cfg.seconds * 1e9);
  const std::uint64_t deadline = stop_at + 60'000'000'000ULL;
  // One sample, copied in (commit_slot) or through a loan (commit_in_place). NoFreeSlot when full.
  auto publish = [&]() -> tl::expected<std::uint32_t, SlotError> {
    if (cfg.api == StreamApi::Copy) return writer.write(src);
    auto loan = writer.loan(cfg.size);
    if (!loan) return tl::unexpected(loan.error());
    std::memcpy(loan->data().data(), src.data(), cfg.size);
    return std::move(*loan).commit();
  };
  std::uint64_t sent = 0;
  for (bool last = false; !last;) {
    // The clock is read once per 64 samples; the last sample carries the end marker.
    const std::uint64_t s = (sent % 64 == 63 && now_ns() >= stop_at) ? kEnd : sent;
    last = s == kEnd;
    put_stamp(src.data(), s);
    put_stamp(src.data() + cfg.size - 8, s);
    auto sn = publish();
    if (!sn && sn.error().code == SlotErrorCode::NoFreeSlot) {
      // Full: a reader has to mark something before a retry can succeed. Blocking, wait_until
      // sleeps until a mark_read; busy, a few pauses between retries keep each retry's scan of the
      // slots from pulling the lines the readers are working on.
      sn = spin_or_wait(cfg.blocking, seg, deadline, WaitFor::Change, wait_spin(cfg), [&]() -> tl::expected<std::optional<std::uint32_t>, SlotError> {
        if (!cfg.blocking) {
          for (int pause = 0; pause < kFullRetryPauses; ++pause) cpu_relax();
        }
        auto r = publish();
        if (r) return std::optional<std::uint32_t>(*r);
        if (r.error().code == SlotErrorCode::NoFreeSlot) return std::optional<std::uint32_t>{};
        return tl::unexpected(r.error());
      });
    }
    if (!sn) {
      error = sn.error().code == SlotErrorCode::TimedOut ? "writer timed out waiting for a free slot"
                                                         : "publish: " + sn.error().message();
      return std::nullopt;
    }
    if (!last) ++sent;
  }
  return sent;
}

// ---- raw ring ---------------------------------------------------------------------------------------

struct alignas(64) RingControl {
  std::atomic<std::uint64_t> head;              // producer's line
  alignas(64) std::atomic<std::uint64_t> tail;  // consumer's line
};

struct Ring {
  RingControl* ctl;
  std::byte* slots;
  std::size_t count;
  std::size_t stride;
  std::size_t payload_offset;  // where a sample starts in its slot
  std::byte* slot(std::uint64_t i) const { return slots + (i % count) * stride + payload_offset; }
};

int ring_reader(const StreamConfig& cfg, Ring ring, Shared* shared) {
  ReaderSlot& me = shared->readers[0];
  me.pinned.store(pin_to_cpu(cfg.cpus.b) ? 1 : 0);
  std::vector<std::byte> buf(cfg.size);
  SequenceCheck seq;
  std::uint64_t verify = 0;
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>((cfg.seconds + 60) * 1e9);
  me.state.store(1);
  std::uint64_t tail = 0;
  std::uint64_t head_seen = 0;  // cached producer index: the shared line is read only when needed
  bool timed_out = false;
  for (;;) {
    for (std::uint32_t spins = 0; head_seen == tail; ++spins) {
      head_seen = ring.ctl->head.load(std::memory_order_acquire);  // SYNC: pairs with the writer's release
      if ((spins & kSpinCheck) == kSpinCheck && now_ns() > deadline) {
        timed_out = true;
        break;
      }
    }
    if (timed_out) break;
    std::memcpy(buf.data(), ring.slot(tail), cfg.size);
    ++tail;
    ring.ctl->tail.store(tail, std::memory_order_release);  // SYNC: the slot may be refilled
    const std::uint64_t s = get_stamp(buf.data());
    if (get_stamp(buf.data() + cfg.size - 8) != s) ++verify;
    if (s == kEnd) break;
    seq.see(s);
  }
  me.end_ns = now_ns();
  me.received = seq.received;
  me.gaps = seq.gaps;
  me.verify_errors = verify;
  me.state.store(timed_out ? -1 : 2);
  return timed_out ? 1 : 0;
}

std::uint64_t ring_writer(const StreamConfig& cfg, Ring ring) {
  std::vector<std::byte> src(cfg.size, std::byte{0x5A});
  const std::uint64_t stop_at = now_ns() + static_cast<std::uint64_t>(cfg.seconds * 1e9);
  std::uint64_t head = 0;
  std::uint64_t tail_seen = 0;
  std::uint64_t sent = 0;
  for (bool last = false; !last;) {
    const std::uint64_t s = (sent % 64 == 63 && now_ns() >= stop_at) ? kEnd : sent;
    last = s == kEnd;
    while (head - tail_seen >= ring.count) tail_seen = ring.ctl->tail.load(std::memory_order_acquire);
    put_stamp(src.data(), s);
    put_stamp(src.data() + cfg.size - 8, s);
    std::memcpy(ring.slot(head), src.data(), cfg.size);
    ++head;
    ring.ctl->head.store(head, std::memory_order_release);  // SYNC: pairs with the reader's acquire
    if (!last) ++sent;
  }
  return sent;
}

// ---- one core, two memcpys per sample (context, not a cross-core floor) ------------------------------

StreamResult memcpy_only(const StreamConfig& cfg) {
  StreamResult r;
  const std::size_t stride = (cfg.size + 63) & ~std::size_t{63};
  std::vector<std::byte> slots(cfg.slot_count * stride);
  std::vector<std::byte> src(cfg.size, std::byte{0x5A});
  std::vector<std::byte> dst(cfg.size);
  pin_to_cpu(cfg.cpus.a);
  const std::uint64_t t0 = now_ns();
  const std::uint64_t stop_at = t0 + static_cast<std::uint64_t>(cfg.seconds * 1e9);
  std::uint64_t n = 0;
  std::uint64_t sum = 0;
  do {
    for (int k = 0; k < 64; ++k, ++n) {
      std::byte* slot = slots.data() + (n % cfg.slot_count) * stride;
      put_stamp(src.data(), n);
      std::memcpy(slot, src.data(), cfg.size);
      std::memcpy(dst.data(), slot, cfg.size);
      sum += get_stamp(dst.data());
    }
  } while (now_ns() < stop_at);
  const double secs = static_cast<double>(now_ns() - t0) / 1e9;
  asm volatile("" : : "r"(sum) : "memory");  // the copies are used
  r.ok = true;
  r.sent = n;
  r.seconds = secs;
  r.lossless = true;
  r.pinned = true;
  r.readers.push_back({n, 0, 0, secs});
  return r;
}

void finish(StreamResult& r, const StreamConfig& cfg, Shared* shared) {
  double slowest = 0;
  bool lossless = true;
  for (int i = 0; i < cfg.readers; ++i) {
    const ReaderSlot& s = shared->readers[i];
    ReaderReport rep;
    rep.received = s.received;
    rep.sequence_gaps = s.gaps;
    rep.verify_errors = s.verify_errors;
    rep.seconds = s.end_ns > shared->start_ns ? static_cast<double>(s.end_ns - shared->start_ns) / 1e9 : 0;
    slowest = std::max(slowest, rep.seconds);
    lossless =
        lossless && s.state.load() == 2 && rep.received == r.sent && rep.sequence_gaps == 0 && rep.verify_errors == 0;
    r.pinned = r.pinned && s.pinned.load() == 1;
    r.futex_waits += s.futex_waits;
    r.futex_wakes += s.futex_wakes;
    if (s.state.load() != 2 && r.error.empty()) {
      r.error = s.message[0] != '\0' ? s.message : "reader " + std::to_string(i) + " failed";
    }
    r.readers.push_back(rep);
  }
  r.seconds = slowest;
  r.lossless = lossless;
}

}  // namespace

StreamResult run_stream(const StreamConfig& config) {
  StreamConfig cfg = config;
  StreamResult r;
  if (cfg.size < 16) {
    r.error = "size must be at least 16 bytes";
    return r;
  }
  if (cfg.system == StreamSystem::MemcpyOnly) {
    r = memcpy_only(cfg);
  } else {
    const bool ring_system = cfg.system == StreamSystem::ShmRing || cfg.system == StreamSystem::ShmRingSlotStride;
    if (ring_system) cfg.readers = 1;
    cfg.readers = std::clamp(cfg.readers, 1, 32);
    SharedRegion shared_region(sizeof(Shared));
    if (!shared_region.ok()) {
      r.error = "mmap failed";
      return r;
    }
    auto* shared = shared_region.as<Shared>();
    // A segment's slots: 16-byte header + payload rounded up to 64 bytes, the first at 32 mod 64
    // (after ZeroDDS's 32-byte header), so a payload starts at 48 mod 64 and a 64 B sample spans
    // two lines. The slot-stride ring lays its samples out the same way.
    const bool slot_stride = cfg.system == StreamSystem::ShmRingSlotStride;
    const std::size_t stride = slot_stride ? (kSlotHeaderSize + cfg.size + 63) & ~std::size_t{63}
                                           : (cfg.size + 63) & ~std::size_t{63};
    const std::size_t payload_offset = slot_stride ? 32 + kSlotHeaderSize : 0;
    SharedRegion ring_region(ring_system ? sizeof(RingControl) + cfg.slot_count * stride + 64 : 64);
    const Ring ring{ring_region.as<RingControl>(), static_cast<std::byte*>(ring_region.data()) + sizeof(RingControl),
                    cfg.slot_count, stride, payload_offset};
    TempDir dir;
    std::optional<PosixSlotAllocator> seg;
    const std::string flink = dir.path() + "/stream.flink";
    if (cfg.system == StreamSystem::Shmslot) {
      auto created = PosixSlotAllocator::create(flink, cfg.slot_count, cfg.size);
      if (!created) {
        r.error = "create: " + created.error().message();
        return r;
      }
      seg.emplace(std::move(*created));
    }
    std::vector<support::ChildProcess> children;
    children.reserve(static_cast<std::size_t>(cfg.readers));
    for (int i = 0; i < cfg.readers; ++i) {
      const auto index = static_cast<std::uint32_t>(i);
      children.emplace_back([&, index] {
        return cfg.system == StreamSystem::Shmslot ? shmslot_reader(cfg, flink, index, shared)
                                                   : ring_reader(cfg, ring, shared);
      });
    }
    const bool pinned = pin_to_cpu(cfg.cpus.a);
    const std::uint64_t ready_deadline = now_ns() + 10'000'000'000ULL;
    bool all_ready = false;
    while (!all_ready && now_ns() < ready_deadline) {
      all_ready = true;
      for (int i = 0; i < cfg.readers; ++i) {
        const int st = shared->readers[i].state.load();
        if (st == -1) {
          r.error = shared->readers[i].message;
          return r;
        }
        all_ready = all_ready && st == 1;
      }
      if (!all_ready) ::usleep(200);
    }
    if (!all_ready) {
      r.error = "readers did not start";
      return r;
    }
    shared->start_ns = now_ns();
    std::string error;
    std::optional<std::uint64_t> sent;
    const platform::FutexCalls calls_before = platform::futex_calls();
    if (cfg.system == StreamSystem::Shmslot) {
      sent = shmslot_writer(cfg, *seg, error);
    } else {
      sent = ring_writer(cfg, ring);
    }
    const platform::FutexCalls calls = platform::futex_calls();
    r.futex_waits = calls.waits - calls_before.waits;
    r.futex_wakes = calls.wakes - calls_before.wakes;
    for (auto& c : children) c.wait(std::chrono::seconds(cfg.blocking ? 30 : 90));
    r.sent = sent.value_or(0);
    r.pinned = pinned;
    finish(r, cfg, shared);
    if (!sent) r.error = error;
    r.ok = sent.has_value() && r.error.empty();
  }
  if (r.seconds > 0) {
    r.samples_per_s = static_cast<double>(r.sent) / r.seconds;
    r.gbytes_per_s = r.samples_per_s * static_cast<double>(cfg.size) / 1e9;
  }
  return r;
}

}  // namespace shmslot::bench

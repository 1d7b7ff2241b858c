// ToDdsBridge: segment -> DDS. docs/bridge.md has the back-pressure chain this implements.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include <shmslot/bridge.hpp>
#include <shmslot/wait.hpp>

#include "dds_link.hpp"
#include "envelope.h"
#include "link_tracker.hpp"

namespace shmslot::bridge {

namespace {

using Clock = std::chrono::steady_clock;

// How long one idle wait sleeps before looking at DDS matches and the caller's budget again.
constexpr auto kIdleSlice = std::chrono::milliseconds(100);

std::uint64_t random_writer_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(rd()) << 32) | rd();
  return id;
}

tl::unexpected<BridgeError> slot_error(const char* what, const SlotError& e) {
  return tl::unexpected(BridgeError{BridgeErrorCode::Slot, 0, e, what});
}

dds_duration_t until(Clock::time_point deadline) {
  const auto left = std::clamp<Clock::duration>(deadline - Clock::now(), Clock::duration::zero(), kIdleSlice);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
}

// Claims the reader index the options ask for (see ToDdsOptions::reader_index).
tl::expected<std::uint32_t, BridgeError> claim_reader(SlotBackend& segment, std::optional<std::uint32_t> wanted) {
  if (!wanted) {
    auto index = segment.register_reader();
    if (!index) return slot_error("register_reader", index.error());
    return *index;
  }
  const std::uint32_t r = *wanted;
  if (r >= kMaxReaders) {
    return tl::unexpected(BridgeError{BridgeErrorCode::InvalidArgument, 0, {}, "reader index above 31"});
  }
  const auto me = static_cast<std::uint32_t>(::getpid());
  auto in_use = [r](std::uint32_t pid) {
    return tl::unexpected(
        BridgeError{BridgeErrorCode::ReaderIndexInUse,
                    0,
                    {},
                    "reader index " + std::to_string(r) + " is in use by pid " + std::to_string(pid)});
  };
  auto stats = segment.reader_stats(r);
  if (!stats) {
    if (stats.error().code == SlotErrorCode::Unsupported) return r;  // a ZeroDDS segment: no registry
    return slot_error("reader_stats", stats.error());
  }
  if (stats->owner_pid == me) return r;
  if (stats->owner_pid == 0) {
    // A free index is recorded for this process on first use and keeps its cursor: a restarted
    // bridge resumes where the last one stopped.
    (void)segment.next_unread_slot(r);
    stats = segment.reader_stats(r);
    if (stats && stats->owner_pid != me && stats->owner_pid != 0) return in_use(stats->owner_pid);
    return r;
  }
  // Held: by a live process (refused) or a dead one (taken over, from the newest sample on).
  auto claimed = segment.register_reader(r);
  if (claimed) return r;
  if (claimed.error().code == SlotErrorCode::ReaderIndexInUse) return in_use(stats->owner_pid);
  return slot_error("register_reader", claimed.error());
}

}  // namespace

struct ToDdsBridge::Impl {
  // A sample copied out of the segment and not yet accepted by DDS; its slot is marked read only
  // once it is, which is how a stalled link reaches the segment's writer.
  struct Pending {
    SlotHandle handle;
    std::size_t size = 0;
    std::uint64_t origin = 0;
  };

  SlotBackend* segment = nullptr;
  LinkQos qos;
  std::uint32_t reader = 0;
  detail::Participant dds;
  dds_entity_t writer = 0;
  dds_entity_t waitset = 0;
  std::uint64_t writer_id = random_writer_id();
  std::uint64_t next_link = 0;
  TypeHash type_hash{};
  detail::SequenceUnwrapper unwrap;
  std::vector<std::byte> buffer;
  std::optional<Pending> pending;
  std::uint32_t matched = 0;
  bool stalled = false;  // inside a run of dds_write timeouts (counted once in stats.blocked)
  BridgeStats stats;

  ~Impl() {
    // DDS first: deleting the writer lingers until what it sent is acknowledged (Cyclone's writer
    // linger), so a sample already accepted still reaches the other side.
    dds = {};
    if (segment != nullptr) (void)segment->unregister_reader(reader);
  }

  tl::expected<void, BridgeError> refresh_matched() {
    dds_publication_matched_status_t status{};
    const dds_return_t rc = dds_get_publication_matched_status(writer, &status);
    if (rc != DDS_RETCODE_OK) return tl::unexpected(detail::dds_error("dds_get_publication_matched_status", rc));
    matched = status.current_count;
    return {};
  }

  // Copies the next unread sample into `pending`; false if none came before the deadline. The
  // sample stays unread (so unfreed for the segment's writer) until DDS has accepted it.
  tl::expected<bool, BridgeError> take_next(Clock::time_point deadline) {
    const char* failed = nullptr;  // the call that failed, for the message
    auto next =
        wait_until(*segment, WaitLimit::until(deadline), WaitFor::Sample, [&]() -> tl::expected<std::optional<Pending>, SlotError> {
          for (;;) {
            auto handle = segment->next_unread_slot(reader);
            if (!handle) {
              failed = "next_unread_slot";
              return tl::unexpected(handle.error());
            }
            if (!*handle) return std::optional<Pending>{};
            auto header = segment->read_slot_into(**handle, buffer);
            if (!header) {
              if (header.error().code == SlotErrorCode::Overwritten) continue;  // its number becomes a gap
              failed = "read_slot_into";
              return tl::unexpected(header.error());
            }
            // The cursor sits on the sample next_unread_slot returned: its exact 64-bit number, where
            // the segment keeps cursors (a ZeroDDS segment has only the 32-bit one in the header).
            std::optional<std::uint64_t> cursor;
            if (auto reader_stats = segment->reader_stats(reader)) cursor = reader_stats->cursor;
            std::uint64_t skipped = 0;
            const std::uint64_t origin = unwrap.unwrap(header->sequence_number, skipped, cursor);
            stats.gaps += skipped;
            return std::optional<Pending>(
                Pending{**handle, std::min<std::size_t>(header->sample_size, buffer.size()), origin});
          }
        });
    if (next) {
      pending = *next;
      return true;
    }
    if (next.error().code == SlotErrorCode::TimedOut) return false;
    return slot_error(failed != nullptr ? failed : "next_unread_slot", next.error());
  }

  tl::expected<void, BridgeError> release_pending() {
    auto marked = segment->mark_read(pending->handle, reader);
    pending.reset();
    if (!marked && marked.error().code != SlotErrorCode::Overwritten) return slot_error("mark_read", marked.error());
    return {};
  }

  // dds_write of the pending sample: true when DDS took it, false on a timeout (a full history).
  tl::expected<bool, BridgeError> write_pending() {
    shmslot_bridge_Envelope envelope{};
    envelope.writer_id = writer_id;
    envelope.link_sequence = next_link;
    envelope.origin_sequence = pending->origin;
    std::memcpy(envelope.type_hash, type_hash.data(), type_hash.size());
    // The payload is serialised from our buffer by dds_write; nothing is allocated or freed here.
    envelope.payload._buffer = reinterpret_cast<std::uint8_t*>(buffer.data());
    envelope.payload._length = static_cast<std::uint32_t>(pending->size);
    envelope.payload._maximum = static_cast<std::uint32_t>(pending->size);
    envelope.payload._release = false;
    const dds_return_t rc = dds_write(writer, &envelope);
    if (rc == DDS_RETCODE_TIMEOUT) return false;
    if (rc != DDS_RETCODE_OK) return tl::unexpected(detail::dds_error("dds_write", rc));
    ++next_link;
    return true;
  }

  tl::expected<std::size_t, BridgeError> pump(std::chrono::nanoseconds budget) {
    const auto deadline = Clock::now() + budget;
    const std::uint64_t before = stats.forwarded;
    for (;;) {
      if (auto r = refresh_matched(); !r) return tl::unexpected(r.error());
      if (matched == 0 && qos.reliability == Reliability::Reliable) {
        // Nobody to deliver to: take nothing, so the segment holds the samples (and, once full,
        // its writer) until a reader matches.
        if (Clock::now() >= deadline) break;
        if (const dds_return_t rc = dds_waitset_wait(waitset, nullptr, 0, until(deadline)); rc < 0) {
          return tl::unexpected(detail::dds_error("dds_waitset_wait", rc));
        }
        continue;
      }
      if (!pending) {
        auto got = take_next(deadline);
        if (!got) return tl::unexpected(got.error());
        if (!*got) break;
        // The matches again before writing: the reader may have left while we waited for the
        // sample, and a reliable write to nobody would lose it.
        continue;
      }
      if (matched == 0) {
        ++stats.dropped;  // best effort with no reader: nobody would receive it
        if (auto r = release_pending(); !r) return tl::unexpected(r.error());
        continue;
      }
      auto written = write_pending();
      if (!written) return tl::unexpected(written.error());
      if (!*written) {
        if (!stalled) ++stats.blocked;
        stalled = true;
        if (Clock::now() >= deadline) break;
        continue;
      }
      stalled = false;
      ++stats.forwarded;
      if (auto r = release_pending(); !r) return tl::unexpected(r.error());
    }
    return static_cast<std::size_t>(stats.forwarded - before);
  }
};

tl::expected<ToDdsBridge, BridgeError> ToDdsBridge::open(SlotBackend& segment, const ToDdsOptions& options) {
  auto dds = detail::open_participant(options.link);
  if (!dds) return tl::unexpected(dds.error());
  auto impl = std::make_unique<Impl>();
  impl->segment = &segment;
  impl->qos = options.link.qos;
  impl->dds = std::move(*dds);
  // Registered after the DDS checks, so a bad option never leaves a reader index behind.
  auto reader = claim_reader(segment, options.reader_index);
  if (!reader) {
    impl->segment = nullptr;
    return tl::unexpected(reader.error());
  }
  impl->reader = *reader;
  if (auto cursor = segment.reader_stats(impl->reader)) impl->unwrap = detail::SequenceUnwrapper(cursor->cursor);
  impl->type_hash = segment.type_hash().value_or(TypeHash{});
  impl->buffer.resize(segment.slot_capacity());

  const detail::QosPtr qos = detail::link_qos(options.link.qos);
  const dds_entity_t participant = impl->dds.participant.get();
  impl->writer = dds_create_writer(participant, impl->dds.topic, qos.get(), nullptr);
  if (impl->writer < 0) return tl::unexpected(detail::dds_error("dds_create_writer", impl->writer));
  if (const dds_return_t rc = dds_set_status_mask(impl->writer, DDS_PUBLICATION_MATCHED_STATUS); rc < 0) {
    return tl::unexpected(detail::dds_error("dds_set_status_mask", rc));
  }
  impl->waitset = dds_create_waitset(participant);
  if (impl->waitset < 0) return tl::unexpected(detail::dds_error("dds_create_waitset", impl->waitset));
  if (const dds_return_t rc = dds_waitset_attach(impl->waitset, impl->writer, 0); rc < 0) {
    return tl::unexpected(detail::dds_error("dds_waitset_attach", rc));
  }
  return ToDdsBridge(std::move(impl));
}

ToDdsBridge::ToDdsBridge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ToDdsBridge::ToDdsBridge(ToDdsBridge&&) noexcept = default;
ToDdsBridge& ToDdsBridge::operator=(ToDdsBridge&&) noexcept = default;
ToDdsBridge::~ToDdsBridge() = default;

tl::expected<std::size_t, BridgeError> ToDdsBridge::pump(std::chrono::nanoseconds budget) {
  return impl_->pump(budget);
}
std::uint32_t ToDdsBridge::reader_index() const { return impl_->reader; }
std::uint32_t ToDdsBridge::matched() const { return impl_->matched; }
std::uint64_t ToDdsBridge::writer_id() const { return impl_->writer_id; }
const BridgeStats& ToDdsBridge::stats() const { return impl_->stats; }

}  // namespace shmslot::bridge

// FromDdsBridge: DDS -> segment. docs/bridge.md has the back-pressure chain this implements.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <span>

#include <shmslot/bridge.hpp>
#include <shmslot/wait.hpp>
#include <shmslot/writer.hpp>

#include "dds_link.hpp"
#include "envelope.h"
#include "link_tracker.hpp"

namespace shmslot::bridge {

namespace {

using Clock = std::chrono::steady_clock;

// How long one wait for DDS data sleeps before looking at the caller's budget again.
constexpr auto kIdleSlice = std::chrono::milliseconds(100);

tl::unexpected<BridgeError> slot_error(const char* what, const SlotError& e) {
  return tl::unexpected(BridgeError{BridgeErrorCode::Slot, 0, e, what});
}

// Returns a loan taken by dds_take when it goes out of scope.
class LoanGuard {
 public:
  LoanGuard(dds_entity_t reader, void** samples, int32_t count) : reader_(reader), samples_(samples), count_(count) {}
  LoanGuard(const LoanGuard&) = delete;
  LoanGuard& operator=(const LoanGuard&) = delete;
  ~LoanGuard() { (void)dds_return_loan(reader_, samples_, count_); }

 private:
  dds_entity_t reader_;
  void** samples_;
  int32_t count_;
};

}  // namespace

struct FromDdsBridge::Impl {
  SlotBackend* segment = nullptr;
  LinkQos qos;
  detail::Participant dds;
  dds_entity_t reader = 0;
  dds_entity_t waitset = 0;
  std::optional<Writer> writer;
  // Reliable: the slot the next sample goes into, loaned before the sample is taken from DDS, so
  // that nothing is taken while the segment is full. Given back unpublished if the bridge goes.
  std::optional<Loan> slot;
  TypeHash type_hash{};
  std::size_t capacity = 0;
  detail::LinkTracker tracker;
  std::optional<TypeHash> last_refused;
  std::uint32_t matched = 0;
  bool stalled = false;  // inside a wait for a free slot (counted once in stats.blocked)
  BridgeStats stats;

  tl::expected<void, BridgeError> refresh_matched() {
    dds_subscription_matched_status_t status{};
    const dds_return_t rc = dds_get_subscription_matched_status(reader, &status);
    if (rc != DDS_RETCODE_OK) return tl::unexpected(detail::dds_error("dds_get_subscription_matched_status", rc));
    matched = status.current_count;
    return {};
  }

  // Checks and commits one envelope.
  tl::expected<void, BridgeError> deliver(const shmslot_bridge_Envelope& envelope) {
    const detail::LinkVerdict verdict = tracker.on_sample(envelope.writer_id, envelope.link_sequence);
    stats.senders = tracker.senders();
    stats.gaps += verdict.missing;
    if (verdict.late) ++stats.reordered;
    if (std::memcmp(envelope.type_hash, type_hash.data(), type_hash.size()) != 0) {
      ++stats.type_mismatch;
      TypeHash refused{};
      std::memcpy(refused.data(), envelope.type_hash, refused.size());
      last_refused = refused;
      return {};
    }
    if (envelope.payload._length > capacity) {
      ++stats.too_large;
      return {};
    }
    if (!slot) {
      auto loan = writer->loan(capacity);  // best effort: one try, never a wait
      if (!loan && loan.error().code == SlotErrorCode::NoFreeSlot) {
        ++stats.dropped;
        return {};
      }
      if (!loan) return slot_error("reserve_slot", loan.error());
      slot.emplace(std::move(*loan));
    }
    if (envelope.payload._length > 0) {
      std::memcpy(slot->data().data(), envelope.payload._buffer, envelope.payload._length);
    }
    auto committed = std::move(*slot).commit(envelope.payload._length);
    slot.reset();
    if (!committed) return slot_error("commit", committed.error());
    ++stats.forwarded;
    return {};
  }

  // Takes and delivers one sample; false when DDS had none.
  tl::expected<bool, BridgeError> take_one() {
    void* samples[1] = {nullptr};
    dds_sample_info_t infos[1];
    const dds_return_t n = dds_take(reader, samples, infos, 1, 1);
    if (n < 0) return tl::unexpected(detail::dds_error("dds_take", n));
    if (n == 0) return false;
    const LoanGuard loan(reader, samples, n);
    // A sample without data reports a writer that went away: nothing to forward.
    if (!infos[0].valid_data) return true;
    auto delivered = deliver(*static_cast<const shmslot_bridge_Envelope*>(samples[0]));
    if (!delivered) return tl::unexpected(delivered.error());
    return true;
  }

  tl::expected<std::size_t, BridgeError> pump(std::chrono::nanoseconds budget) {
    const auto deadline = Clock::now() + budget;
    const std::uint64_t before = stats.forwarded;
    for (;;) {
      if (qos.reliability == Reliability::Reliable && !slot) {
        auto loan = writer->loan(capacity);
        if (!loan && loan.error().code == SlotErrorCode::NoFreeSlot && Clock::now() < deadline) {
          if (!stalled) ++stats.blocked;  // one wait for readers, counted once however long it lasts
          loan = writer->loan_blocking(capacity, WaitLimit::until(deadline));
        }
        stalled =
            !loan && (loan.error().code == SlotErrorCode::NoFreeSlot || loan.error().code == SlotErrorCode::TimedOut);
        if (stalled) break;  // still full at the deadline: DDS keeps the samples meanwhile
        if (!loan) return slot_error("reserve_slot", loan.error());
        slot.emplace(std::move(*loan));
      }
      auto took = take_one();
      if (!took) return tl::unexpected(took.error());
      if (*took) continue;
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) break;
      const auto slice = std::chrono::duration_cast<std::chrono::nanoseconds>(std::min<Clock::duration>(left, kIdleSlice));
      if (const dds_return_t rc = dds_waitset_wait(waitset, nullptr, 0, slice.count()); rc < 0) {
        return tl::unexpected(detail::dds_error("dds_waitset_wait", rc));
      }
    }
    if (auto r = refresh_matched(); !r) return tl::unexpected(r.error());
    return static_cast<std::size_t>(stats.forwarded - before);
  }
};

tl::expected<FromDdsBridge, BridgeError> FromDdsBridge::open(SlotBackend& segment, const FromDdsOptions& options) {
  auto dds = detail::open_participant(options.link);
  if (!dds) return tl::unexpected(dds.error());
  auto impl = std::make_unique<Impl>();
  impl->segment = &segment;
  impl->qos = options.link.qos;
  impl->dds = std::move(*dds);
  impl->writer.emplace(segment);
  impl->writer->set_active_readers(options.active_readers);
  impl->type_hash = segment.type_hash().value_or(TypeHash{});
  impl->capacity = segment.slot_capacity();

  const detail::QosPtr qos = detail::link_qos(options.link.qos);
  const dds_entity_t participant = impl->dds.participant.get();
  impl->reader = dds_create_reader(participant, impl->dds.topic, qos.get(), nullptr);
  if (impl->reader < 0) return tl::unexpected(detail::dds_error("dds_create_reader", impl->reader));
  impl->waitset = dds_create_waitset(participant);
  if (impl->waitset < 0) return tl::unexpected(detail::dds_error("dds_create_waitset", impl->waitset));
  const dds_entity_t readable = dds_create_readcondition(impl->reader, DDS_ANY_STATE);
  if (readable < 0) return tl::unexpected(detail::dds_error("dds_create_readcondition", readable));
  if (const dds_return_t rc = dds_waitset_attach(impl->waitset, readable, 0); rc < 0) {
    return tl::unexpected(detail::dds_error("dds_waitset_attach", rc));
  }
  return FromDdsBridge(std::move(impl));
}

FromDdsBridge::FromDdsBridge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FromDdsBridge::FromDdsBridge(FromDdsBridge&&) noexcept = default;
FromDdsBridge& FromDdsBridge::operator=(FromDdsBridge&&) noexcept = default;
FromDdsBridge::~FromDdsBridge() = default;

tl::expected<std::size_t, BridgeError> FromDdsBridge::pump(std::chrono::nanoseconds budget) {
  return impl_->pump(budget);
}
std::uint32_t FromDdsBridge::matched() const { return impl_->matched; }
const BridgeStats& FromDdsBridge::stats() const { return impl_->stats; }
std::optional<TypeHash> FromDdsBridge::last_refused_type_hash() const { return impl_->last_refused; }

}  // namespace shmslot::bridge

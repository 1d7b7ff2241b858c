// The writer: one incarnation writes samples 0, 1, 2, ... stamped with its incarnation number, with
// back-pressure (it waits on a full segment and never drops a sample): half of them through
// FlatWriter::write_bp(Reliable), half through a loan filled in place. Only one writer runs at a
// time, so its samples take consecutive sequence numbers; the board says how many commits returned.
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include <shmslot/shmslot.hpp>

#include "chaos/phase_word.hpp"
#include "chaos/roles.hpp"
#include "recovery/recovery_sample.hpp"

namespace shmslot::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using test::RecoverySample;

// Longer than any wait the library promises (a lease, a reap); reaching it is a stall.
constexpr auto kStall = std::chrono::seconds(30);

std::string api_text(const char* call, const SlotError& e) {
  return std::string("api: ") + call + " failed: " + to_string(e.code) + " (" + e.message() + ")";
}

class Writer {
 public:
  Writer(PosixSlotAllocator& segment, WriterBoard& board, PhaseWord& word, std::uint64_t seed)
      : seg_(segment),
        board_(board),
        word_(word),
        writer_(segment),
        rng_(seed ^ static_cast<std::uint64_t>(::getpid())),
        id_(board.incarnation.load()) {}

  int run() {
    for (;;) {
      const auto command = static_cast<Command>(board_.child.command.load(std::memory_order_acquire));
      if (command == Command::Leave) return test::kChildOk;
      // Pauses only between samples, and only once this incarnation has committed one: its last
      // sequence number is then a committed sample, never a gap a reader would wait a lease for.
      if (command == Command::Pause && next_ > 0) {
        pause();
        continue;
      }
      if (const int code = publish_next(); code != test::kChildOk) return code;
      if (command == Command::Step) {
        auto step = static_cast<std::uint32_t>(Command::Step);
        board_.child.command.compare_exchange_strong(step, static_cast<std::uint32_t>(Command::Pause));
      }
    }
  }

 private:
  void pause() {
    word_.set(Phase::Paused);
    board_.child.state.store(static_cast<std::uint32_t>(RunState::Paused), std::memory_order_release);
    while (board_.child.command.load(std::memory_order_acquire) == static_cast<std::uint32_t>(Command::Pause)) {
      ::usleep(200);
    }
    board_.child.state.store(static_cast<std::uint32_t>(RunState::Running), std::memory_order_release);
  }

  int publish_next() {
    const std::uint64_t i = next_;
    switch (static_cast<WriterFault>(board_.fault.exchange(0))) {
      case WriterFault::None: break;
      case WriterFault::TornSample: return publish(i, i + 1, true);
      case WriterFault::Repeated: return publish(i - 1, i, false);
      case WriterFault::Skipped: return publish(i + 1, i + 2, false);
      case WriterFault::Overclaimed: claim_ = 1; break;
      case WriterFault::Underclaimed: claim_ = -1; break;
    }
    return publish(i, i + 1, false);
  }

  // Publishes sample `index`; afterwards `committed` samples count as committed.
  int publish(std::uint64_t index, std::uint64_t committed, bool corrupt) {
    tl::expected<std::uint32_t, SlotError> seq = 0U;
    const bool loan_way = corrupt || word_.aimed_at(Phase::Reserve) || word_.aimed_at(Phase::Fill) ||
                          word_.aimed_at(Phase::Commit) || word_.aimed_at(Phase::WaitSpace) ||
                          (!word_.aimed_at(Phase::WriteBp) && rng_() % 2 == 0);
    if (loan_way) {
      auto loan = loan_blocking();
      if (!loan) return loan.error();
      word_.step(Phase::Fill, [&] {
        test::fill_sample(**loan, id_, index);
        if (corrupt) (**loan).bytes[100] ^= std::byte{0x5A};  // after the checksum: a torn sample
      });
      seq = word_.step(Phase::Commit, [&] { return std::move(*loan).commit(); });
      if (!seq) return board_.child.failure.report(test::kChildApiError, api_text("commit", seq.error()));
    } else {
      const RecoverySample sample = test::make_sample(id_, index);
      auto outcome =
          word_.step(Phase::WriteBp, [&] { return writer_.write_bp(sample, Reliability::Reliable, kStall); });
      if (!outcome) return board_.child.failure.report(test::kChildApiError, api_text("write_bp", outcome.error()));
      if (outcome->kind != WriteOutcome::Kind::Written) {
        return board_.child.failure.report(test::kChildCheckFailed,
                                           "stall: write_bp(Reliable) found no free slot for 30 s (writer " +
                                               std::to_string(id_) + " sample " + std::to_string(index) + ")");
      }
      seq = outcome->sequence_number;
    }
    if (index == 0) board_.first_seq.store(*seq, std::memory_order_relaxed);
    // SYNC: release; the harness reads committed (acquire), then first_seq.
    board_.committed.store(committed + static_cast<std::uint64_t>(claim_), std::memory_order_release);
    next_ = committed;
    return test::kChildOk;
  }

  // A loan, waiting on a full segment as wait_until does: the sleep is announced before the try,
  // and the wait wakes at least every half lease (reserve_slot reaps dead peers on that path).
  tl::expected<FlatLoan<RecoverySample>, int> loan_blocking() {
    const auto deadline = Clock::now() + kStall;
    for (;;) {
      const SlotBackend::WaitAnnouncement announced = seg_.announce_wait(WaitFor::Change);
      auto loan = word_.step(Phase::Reserve, [&] { return writer_.loan(); });
      if (loan) {
        seg_.withdraw_wait(announced);
        return std::move(*loan);
      }
      if (loan.error().code != SlotErrorCode::NoFreeSlot || Clock::now() >= deadline) seg_.withdraw_wait(announced);
      if (loan.error().code != SlotErrorCode::NoFreeSlot) {
        return tl::unexpected(board_.child.failure.report(test::kChildApiError, api_text("loan", loan.error())));
      }
      if (Clock::now() >= deadline) {
        return tl::unexpected(board_.child.failure.report(
            test::kChildCheckFailed, "stall: no free slot for 30 s (writer " + std::to_string(id_) + ")"));
      }
      word_.set(Phase::WaitSpace);
      seg_.sleep_announced(announced, seg_.lease() / 2);
    }
  }

  PosixSlotAllocator& seg_;
  WriterBoard& board_;
  PhaseWord& word_;
  FlatWriter<RecoverySample> writer_;
  std::mt19937_64 rng_;
  const std::uint32_t id_;
  std::uint64_t next_ = 0;
  std::int64_t claim_ = 0;  // WriterFault::Overclaimed, Underclaimed: reported commits - real ones
};

}  // namespace

int run_writer(const WriterPlan& plan, WriterBoard& board, Board& shared) {
  ChildBoard& child = board.child;
  child.pid.store(static_cast<std::int32_t>(::getpid()));
  PhaseWord word(child, shared);
  auto segment = word.step(Phase::Attach, [&] { return PosixSlotAllocator::attach(plan.flink); });
  if (!segment) return child.failure.report(test::kChildSetup, "setup: attach: " + segment.error().message());
  if (!word.watch(*segment)) return child.failure.report(test::kChildSetup, "setup: segment mapping not found");
  child.state.store(static_cast<std::uint32_t>(RunState::Running), std::memory_order_release);
  Writer writer(*segment, board, word, plan.seed);
  return writer.run();
}

}  // namespace shmslot::chaos

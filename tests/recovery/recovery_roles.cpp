#include "recovery/recovery_roles.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>
#include <vector>

#include "core/layout.hpp"

namespace shmslot::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string api_text(const char* call, const SlotError& e) {
  return std::string(call) + " failed: " + to_string(e.code) + " (" + e.message() + ")";
}

// One reader's check of the stream it receives.
class StreamCheck {
 public:
  StreamCheck(const ReaderSpec& spec, ReaderBoard& board) : spec_(spec), board_(board) {}

  // Empty when the sample is acceptable (and then counted), else what is wrong.
  std::optional<std::string> accept(const Stamp& s) {
    if (s.writer == kDoomedWriter) {
      return "delivered the half-written sample of a writer that died before committing (index " +
             std::to_string(s.index) + ")";
    }
    if (s.writer == 0 || s.writer >= kMaxIncarnations) return "sample of unknown writer " + std::to_string(s.writer);
    const std::string who = "writer " + std::to_string(s.writer) + " index " + std::to_string(s.index);
    if (!have_last_) {
      if (spec_.from_start && !spec_.lossy && s.index != 0) {
        return "first sample is " + who + ", but this reader registered before that writer started";
      }
      board_.first_writer.store(s.writer, std::memory_order_relaxed);
      board_.first_index.store(s.index, std::memory_order_relaxed);
    } else if (s.writer == last_writer_) {
      if (spec_.lossy ? s.index <= last_index_ : s.index != last_index_ + 1) {
        return who + " arrived after index " + std::to_string(last_index_) +
               (s.index <= last_index_ ? " (duplicate or reordered)" : " (samples lost)");
      }
    } else if (s.writer > last_writer_) {
      if (!spec_.lossy && s.index != 0) {
        return who + " is that writer's first sample here: its indices 0.." + std::to_string(s.index - 1) +
               " were lost";
      }
    } else {
      return who + " arrived after writer " + std::to_string(last_writer_) +
             ": an older writer's sample after a newer one";
    }
    have_last_ = true;
    last_writer_ = s.writer;
    last_index_ = s.index;
    board_.per_writer[s.writer].fetch_add(1, std::memory_order_relaxed);
    board_.last_writer.store(s.writer, std::memory_order_relaxed);
    board_.last_index.store(s.index, std::memory_order_relaxed);
    board_.samples.fetch_add(1, std::memory_order_release);
    return std::nullopt;
  }

 private:
  const ReaderSpec& spec_;
  ReaderBoard& board_;
  bool have_last_ = false;
  std::uint32_t last_writer_ = 0;
  std::uint64_t last_index_ = 0;
};

int run_reader(PosixSlotAllocator& seg, const ReaderSpec& spec, ReaderBoard& board) {
  FailureNote& note = board.failure;
  std::optional<FlatReader<RecoverySample>> reader;
  if (spec.index) {
    auto index = seg.register_reader(*spec.index);
    if (!index) return note.report(kChildApiError, api_text("register_reader(index)", index.error()));
    reader.emplace(seg, *index);
  } else {
    auto registered = FlatReader<RecoverySample>::registered(seg);
    if (!registered) return note.report(kChildApiError, api_text("FlatReader::registered", registered.error()));
    reader.emplace(std::move(*registered));
  }
  board.index.store(reader->reader_index(), std::memory_order_release);
  if (spec.ready != nullptr) spec.ready->post();

  std::mt19937_64 rng(spec.seed ^ static_cast<std::uint64_t>(::getpid()));
  StreamCheck check(spec, board);
  auto stalled = [&](const char* call) {
    const auto stats = seg.reader_stats(reader->reader_index());
    const SegmentSnapshot snap = seg.snapshot();
    return note.report(kChildCheckFailed, std::string(call) + " found no sample for " +
                                              std::to_string(spec.stall.count()) + " ms (stall): reader " +
                                              std::to_string(reader->reader_index()) + " cursor " +
                                              std::to_string(stats ? stats->cursor : 0) + ", next sequence " +
                                              std::to_string(snap.next_sequence) + ", " +
                                              std::to_string(board.samples.load()) + " samples so far");
  };
  for (;;) {
    ReadStyle style = spec.style;
    if (style == ReadStyle::Mixed) style = rng() % 2 == 0 ? ReadStyle::Take : ReadStyle::ReadRef;
    Stamp stamp;
    if (style == ReadStyle::Take) {
      const auto started = Clock::now();
      auto taken = reader->take_blocking(spec.stall);
      if (!taken) return note.report(kChildApiError, api_text("take_blocking", taken.error()));
      if (!*taken) return stalled("take_blocking");
      // A sample that comes only as the wait runs out came because the wait ran out (the last
      // attempt after the timeout): nothing woke the reader, it stalled just the same.
      if (Clock::now() - started >= spec.stall) return stalled("take_blocking (a sample came only at the timeout)");
      auto verified = verify_sample(**taken);
      if (auto* problem = std::get_if<std::string>(&verified)) return note.report(kChildCheckFailed, *problem);
      stamp = std::get<Stamp>(verified);
    } else {
      const auto started = Clock::now();
      auto guard = reader->read_ref_blocking(spec.stall);
      if (!guard) return note.report(kChildApiError, api_text("read_ref_blocking", guard.error()));
      if (!*guard) return stalled("read_ref_blocking");
      if (Clock::now() - started >= spec.stall) return stalled("read_ref_blocking (a sample came only at the timeout)");
      const RecoverySample& in_place = ***guard;
      auto verified = verify_sample(in_place);  // checked in the slot itself
      if (auto* problem = std::get_if<std::string>(&verified)) return note.report(kChildCheckFailed, *problem);
      stamp = std::get<Stamp>(verified);
      if (spec.max_hold_us > 0) {
        const RecoverySample copy = in_place;
        board.holding.store(1, std::memory_order_release);
        std::this_thread::sleep_for(
            std::chrono::microseconds(rng() % (static_cast<std::uint64_t>(spec.max_hold_us) + 1)));
        const bool same = std::memcmp(&copy, &in_place, sizeof copy) == 0;
        board.holding.store(0, std::memory_order_release);
        if (!same) {
          return note.report(kChildCheckFailed, "the sample under a zero-copy guard (writer " +
                                                    std::to_string(stamp.writer) + " index " +
                                                    std::to_string(stamp.index) + ") changed while it was held");
        }
        board.guards_held.fetch_add(1, std::memory_order_relaxed);
      }
    }  // the guard's destruction marks the sample read
    if (stamp.writer == kEndMarkerWriter) break;
    if (auto problem = check.accept(stamp)) return note.report(kChildCheckFailed, *problem);
  }
  board.evictions.store(reader->evictions(), std::memory_order_relaxed);
  board.done.store(1, std::memory_order_release);
  if (spec.on_done) {
    if (const int code = spec.on_done(seg); code != kChildOk) return code;
  }
  if (spec.done != nullptr) spec.done->post();
  if (spec.leave != nullptr && !spec.leave->take(kWatchdog)) {
    return note.report(kChildSetup, "the parent never let the reader leave");
  }
  return kChildOk;
}

// Waits while the segment is full, as write_bp does (half-lease slices; reserve_slot reaps).
tl::expected<FlatLoan<RecoverySample>, SlotError> loan_blocking(FlatWriter<RecoverySample>& writer, SlotBackend& seg) {
  const auto deadline = Clock::now() + kWatchdog;
  for (;;) {
    const std::uint64_t generation = seg.notify_generation();
    auto loan = writer.loan();
    if (loan || loan.error().code != SlotErrorCode::NoFreeSlot) return loan;
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return loan;
    seg.wait_for_change(generation, std::min<std::chrono::nanoseconds>(left, seg.lease() / 2));
  }
}

}  // namespace

int FailureNote::report(int code, const std::string& what) {
  std::uint32_t expected = 0;
  // Only the first report is kept; `failed` goes 0 -> 2 (writing) -> 1 (readable).
  if (failed.compare_exchange_strong(expected, 2, std::memory_order_acq_rel)) {
    const std::size_t n = std::min(what.size(), sizeof text - 1);
    std::memcpy(text, what.data(), n);
    text[n] = '\0';
    failed.store(1, std::memory_order_release);
  }
  std::fprintf(stderr, "[pid %d] %s\n", static_cast<int>(::getpid()), what.c_str());
  return code;
}

std::string FailureNote::message() const {
  if (failed.load(std::memory_order_acquire) != 1) return any() ? "(message being written)" : "";
  return std::string(text);
}

int with_segment(const std::string& flink, FailureNote& note, const std::function<int(PosixSlotAllocator&)>& body) {
  auto segment = PosixSlotAllocator::attach(flink);
  if (!segment) return note.report(kChildSetup, "attach " + flink + ": " + segment.error().message());
  return body(*segment);
}

int recovery_reader(const std::string& flink, const ReaderSpec& spec, ReaderBoard& board) {
  board.pid.store(static_cast<std::int32_t>(::getpid()), std::memory_order_release);
  return with_segment(flink, board.failure, [&](PosixSlotAllocator& seg) { return run_reader(seg, spec, board); });
}

int recovery_writer(SlotBackend& seg, const WriterSpec& spec, WriterBoard& board) {
  board.pid.store(static_cast<std::int32_t>(::getpid()), std::memory_order_release);
  FlatWriter<RecoverySample> writer(seg);
  writer.set_max_sample_age(spec.max_age);
  std::mt19937_64 rng(spec.seed ^ static_cast<std::uint64_t>(::getpid()));
  auto publish = [&](std::uint32_t id, std::uint64_t index) -> int {
    WriteStyle style = spec.style;
    if (style == WriteStyle::Mixed) style = rng() % 2 == 0 ? WriteStyle::Copy : WriteStyle::Loan;
    if (style == WriteStyle::Copy) {
      auto outcome = writer.write_bp(make_sample(id, index), Reliability::Reliable, kWatchdog);
      if (!outcome) return board.failure.report(kChildApiError, api_text("write_bp", outcome.error()));
      if (outcome->kind != WriteOutcome::Kind::Written) {
        return board.failure.report(kChildCheckFailed, "write_bp of index " + std::to_string(index) +
                                                           " found no free slot for " +
                                                           std::to_string(kWatchdog.count()) + " ms");
      }
      return kChildOk;
    }
    auto loan = loan_blocking(writer, seg);
    if (!loan)
      return board.failure.report(kChildApiError,
                                  api_text("loan", loan.error()) + " at index " + std::to_string(index));
    fill_sample(**loan, id, index);
    auto committed = std::move(*loan).commit();
    if (!committed) return board.failure.report(kChildApiError, api_text("commit", committed.error()));
    return kChildOk;
  };
  std::uint64_t i = 0;
  for (; spec.count != 0 ? i < spec.count : spec.stop->load(std::memory_order_acquire) == 0; ++i) {
    if (const int code = publish(spec.writer_id, i); code != kChildOk) return code;
    board.committed.store(i + 1, std::memory_order_release);
  }
  if (spec.end_marker) {
    if (const int code = publish(kEndMarkerWriter, i); code != kChildOk) return code;
  }
  board.finished.store(1, std::memory_order_release);
  return kChildOk;
}

CreateOptions recovery_options(std::chrono::milliseconds lease) {
  CreateOptions options;
  options.lease = lease;
  options.type_hash = type_hash_of<RecoverySample>;
  return options;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds watchdog) {
  const auto deadline = Clock::now() + watchdog;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

char process_state(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return '?';
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  return p != nullptr && p[1] == ' ' && p[2] != '\0' ? p[2] : '?';
}

bool stop_process(const ChildProcess& child) {
  child.kill(SIGSTOP);
  return wait_until([&] { return process_state(child.pid()) == 'T'; });
}

void continue_process(const ChildProcess& child) { child.kill(SIGCONT); }

std::size_t reserve_every_slot(SlotBackend& segment, ReaderMask mask) {
  std::vector<SlotHandle> loans;
  const std::size_t n = segment.slot_count().value_or(0);
  while (loans.size() < n) {
    auto handle = segment.reserve_slot(mask);
    if (!handle) break;
    loans.push_back(*handle);
  }
  for (const SlotHandle& h : loans) (void)segment.discard_slot(h);
  return loans.size();
}

int bit_count(ReaderMask mask) { return std::popcount(mask); }

std::string describe_exit(const std::optional<int>& code) {
  if (!code) return "killed by the watchdog";
  if (*code >= 128) return "signal " + std::to_string(*code - 128);
  return "exit " + std::to_string(*code);
}

RawSegmentAccess::RawSegmentAccess(const std::string& shm_name) {
  const int fd = ::shm_open(shm_name.c_str(), O_RDWR, 0);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    size_ = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) base_ = static_cast<std::byte*>(p);
  }
  ::close(fd);
}

RawSegmentAccess::~RawSegmentAccess() {
  if (base_ != nullptr) ::munmap(base_, size_);
}

namespace {
core::Geometry geometry_of(const std::byte* base) {
  const auto* header = reinterpret_cast<const core::SegmentHeader*>(base);
  return core::make_geometry(header->slot_count, header->slot_total_size,
                             header->slot_total_size - core::kSlotHeaderSize, true);
}
}  // namespace

std::uint64_t RawSegmentAccess::take_sequence_number() {
  const core::Geometry g = geometry_of(base_);
  auto* ctl = reinterpret_cast<core::ExtControl*>(base_ + g.ext_offset);
  return ctl->next_seq.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t RawSegmentAccess::take_sequence_number_in(std::uint32_t slot) {
  const core::Geometry g = geometry_of(base_);
  auto* ctl = reinterpret_cast<core::ExtControl*>(base_ + g.ext_offset);
  auto* ext = reinterpret_cast<core::SlotExt*>(base_ + g.slot_ext_offset) + slot;
  ext->seq.store(core::kSeqTaking, std::memory_order_relaxed);
  const std::uint64_t seq = ctl->next_seq.fetch_add(1, std::memory_order_acq_rel);
  ext->seq.store(seq, std::memory_order_relaxed);
  return seq;
}

void RawSegmentAccess::finish_commit(std::uint32_t slot, std::uint64_t seq, std::uint32_t len) {
  namespace sw = core::slot_word;
  const core::Geometry g = geometry_of(base_);
  auto* ext = reinterpret_cast<core::SlotExt*>(base_ + g.slot_ext_offset) + slot;
  auto* hdr = reinterpret_cast<core::SharedSlotHeader*>(base_ + core::kSegmentHeaderSize + slot * g.slot_total_size);
  const std::uint64_t w = ext->word.load(std::memory_order_relaxed);
  hdr->sequence_number.store(static_cast<std::uint32_t>(seq), std::memory_order_relaxed);
  hdr->sample_size.store(len, std::memory_order_relaxed);
  hdr->reader_mask.store(0, std::memory_order_relaxed);
  ext->seq.store(seq, std::memory_order_relaxed);
  ext->word.store(sw::make(sw::Phase::kCommitted, sw::generation(w)), std::memory_order_release);
}

std::uint64_t RawSegmentAccess::reader_owner_start(std::uint32_t r) const {
  const core::Geometry g = geometry_of(base_);
  const auto* ctl = reinterpret_cast<const core::ExtControl*>(base_ + g.ext_offset);
  return ctl->readers[r].owner_start.load(std::memory_order_relaxed);
}

std::uint64_t RawSegmentAccess::commit_without_publishing(std::uint32_t slot, std::uint32_t len) {
  namespace sw = core::slot_word;
  const core::Geometry g = geometry_of(base_);
  auto* ctl = reinterpret_cast<core::ExtControl*>(base_ + g.ext_offset);
  auto* ext = reinterpret_cast<core::SlotExt*>(base_ + g.slot_ext_offset) + slot;
  auto* hdr = reinterpret_cast<core::SharedSlotHeader*>(base_ + core::kSegmentHeaderSize + slot * g.slot_total_size);
  const std::uint64_t w = ext->word.load(std::memory_order_relaxed);
  const std::uint64_t seq = ctl->next_seq.fetch_add(1, std::memory_order_relaxed);
  hdr->sequence_number.store(static_cast<std::uint32_t>(seq), std::memory_order_relaxed);
  hdr->sample_size.store(len, std::memory_order_relaxed);
  hdr->reader_mask.store(0, std::memory_order_relaxed);
  ext->seq.store(seq, std::memory_order_relaxed);
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  ext->commit_time_ns.store(
      static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec),
      std::memory_order_relaxed);
  ext->word.store(sw::make(sw::Phase::kCommitted, sw::generation(w)), std::memory_order_release);
  return seq;
}

}  // namespace shmslot::test

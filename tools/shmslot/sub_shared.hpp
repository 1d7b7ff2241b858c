// What `shmslot sub` shares between its one-segment loop (cmd_sub.cpp) and its many-segment loop
// (sub_many.cpp): the options, the tally, how a sample is printed, and the idle damage check.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <shmslot/posix_slot_allocator.hpp>

#include "generated_payload.hpp"

namespace shmslot::cli::sub {

inline constexpr const char* kCommand = "sub";
// How long one wait sleeps before looking at the stop flag, the timeout and the flink file.
inline constexpr auto kWaitSlice = std::chrono::milliseconds(100);
inline constexpr auto kPublishedCheckInterval = std::chrono::milliseconds(500);

struct Options {
  std::vector<std::string> flinks;
  std::string group;
  std::uint32_t reader = 0;
  bool json = false;
  bool hex = false;
  bool count = false;
  bool verify = false;
  bool history = false;  // register as a late joiner: the retained samples first
  std::uint64_t max = 0;
  double timeout_s = 0;
  std::string type_hash;

  // One line per sample (not only a count or a verification summary).
  bool per_sample() const { return json || hex || (!count && !verify); }
};

// Why a read loop ended.
enum class End { Stopped, Max, Timeout, SegmentGone, OutputClosed, Error };

struct Tally {
  std::uint64_t received = 0;
  std::uint64_t overwritten = 0;  // gone before the copy completed (the writer reused the slot)
  StreamVerifier verifier;
};

// One line for the sample; `segment` (the flink as given) leads it when sub reads several.
void print_sample(const Options& o, const std::string* segment, const SlotHeader& header,
                  std::span<const std::byte> data);
// The --count and --verify lines at the end; `segment` leads them when sub reads several.
void print_summary(const Options& o, const std::string* segment, const Tally& t);

// Says once, on stderr, when an idle look at the segment finds its slot words scribbled on: the
// protocol skips such slots, so without this `sub` would only sit silent.
class DamageWatch {
 public:
  explicit DamageWatch(const PosixSlotAllocator& segment);
  void on_idle(const PosixSlotAllocator& segment, std::chrono::steady_clock::time_point now);

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point next_{};
};

// Reads every segment as reader o.reader through one WaitSet, printing each sample after its
// segment's name; tallies per segment (sub_many.cpp).
End read_many(const Options& o, std::vector<PosixSlotAllocator>& segments, std::vector<Tally>& tallies,
              int& exit_code);

}  // namespace shmslot::cli::sub

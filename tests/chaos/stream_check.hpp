// A reader's check of every sample it accepts, as it arrives: never older than its registration,
// strictly in sequence order, and within one writer incarnation without a hole. It also keeps, per
// writer incarnation, the first and last sample it got, for the harness's check of what is missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chaos/board.hpp"
#include "multiprocess/stamped_sample.hpp"

namespace shmslot::chaos {

class StreamCheck {
 public:
  explicit StreamCheck(ReaderBoard& board) : board_(board) {}

  // Empty when the sample (its stamp, and the 64-bit sequence number it was delivered as) is
  // acceptable, and then recorded; else what is wrong.
  std::optional<std::string> accept(const test::Stamp& stamp, std::uint64_t seq);

 private:
  ReaderBoard& board_;
  bool any_ = false;
  std::uint32_t last_writer_ = 0;
  std::uint64_t last_index_ = 0;
  std::uint64_t last_seq_ = 0;
};

}  // namespace shmslot::chaos

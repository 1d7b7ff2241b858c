// The C++ half of the numpy frame example (frame_reader.py): attaches to a segment, and publishes
// `count` frames of rows x cols bytes, each filled in place in its slot (a loan, no copy), pixel
// (r, c) of frame i being (i + r + c) mod 256. It waits for the segment's registered readers.
//
// Usage: shmslot_python_frame_writer FLINK COUNT ROWS COLS
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <shmslot/shmslot.hpp>

int main(int argc, char** argv) {
  using namespace shmslot;
  using namespace std::chrono_literals;
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s FLINK COUNT ROWS COLS\n", argv[0]);
    return 2;
  }
  const std::string flink = argv[1];
  const auto count = std::strtoull(argv[2], nullptr, 10);
  const auto rows = std::strtoull(argv[3], nullptr, 10);
  const auto cols = std::strtoull(argv[4], nullptr, 10);
  auto segment = PosixSlotAllocator::attach(flink);
  if (!segment) {
    std::fprintf(stderr, "attach %s: %s\n", flink.c_str(), segment.error().message().c_str());
    return 1;
  }
  Writer writer(*segment);  // waits for every registered reader: the Python process registered first
  for (std::uint64_t i = 0; i < count; ++i) {
    auto loan = writer.loan_blocking(rows * cols, WaitLimit::within(30s));
    if (!loan) {
      std::fprintf(stderr, "loan: %s\n", loan.error().message().c_str());
      return 1;
    }
    auto* pixels = loan->data().data();
    for (std::uint64_t r = 0; r < rows; ++r) {
      for (std::uint64_t c = 0; c < cols; ++c) pixels[r * cols + c] = static_cast<std::byte>((i + r + c) & 0xFF);
    }
    if (auto sn = std::move(*loan).commit(); !sn) {
      std::fprintf(stderr, "commit: %s\n", sn.error().message().c_str());
      return 1;
    }
  }
  return 0;
}

// One thread waiting on two segments: a WaitSet in a blocking loop, then the same set's file
// descriptor in an epoll loop (docs/waitset.md).
#include <sys/epoll.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>
#include <thread>

#include <shmslot/shmslot.hpp>
#include <shmslot/wait_set.hpp>

using namespace shmslot;
using namespace std::chrono_literals;

namespace {
std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// Takes everything `reader` has and prints it after `name`; returns how many.
int take_all(Reader& reader, const char* name) {
  int n = 0;
  for (;; ++n) {
    auto sample = reader.take();  // marked read when it goes, at the end of this turn
    if (!sample || !*sample) return n;
    std::printf("%s: %.*s\n", name, static_cast<int>((*sample)->size()), reinterpret_cast<const char*>((*sample)->data()));
  }
}
}  // namespace

int main() {
  auto imu = PosixSlotAllocator::create("waitset-example-imu", /*slot_count=*/8, /*slot_capacity=*/64);
  auto camera = PosixSlotAllocator::create("waitset-example-camera", 8, 4096);
  if (!imu || !camera) return 1;
  auto imu_reader = Reader::registered(*imu);  // in an application: other processes' segments
  auto camera_reader = Reader::registered(*camera);
  if (!imu_reader || !camera_reader) return 1;

  WaitSet set;  // futex_waitv over both segments' words (or one word and a short poll without it)
  auto imu_id = set.add(*imu_reader);
  auto camera_id = set.add(*camera_reader);
  if (!imu_id || !camera_id) return 1;

  std::thread writers([&] {  // in an application: the writer processes
    std::this_thread::sleep_for(10ms);
    (void)Writer(*imu).write(bytes("accel 0.1 0.0 9.8"));
    (void)Writer(*camera).write(bytes("frame 1"));
  });
  for (int taken = 0; taken < 2;) {
    auto ready = set.wait(WaitLimit::within(5s));  // TimedOut, Stopped, or what is ready
    if (!ready) {
      std::fprintf(stderr, "wait: %s\n", ready.error().message().c_str());
      return 1;
    }
    for (const WaitSetEvent& e : ready->events) {
      taken += e.id == *imu_id ? take_all(*imu_reader, "imu") : take_all(*camera_reader, "camera");
    }
  }
  writers.join();

  // The same set in an event loop: its fd is readable once something is ready after drain().
  auto fd = set.event_fd();
  const int loop = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event interest{.events = EPOLLIN, .data = {.fd = fd ? *fd : -1}};
  if (!fd || loop < 0 || ::epoll_ctl(loop, EPOLL_CTL_ADD, *fd, &interest) != 0) return 1;
  (void)Writer(*camera).write(bytes("frame 2"));
  epoll_event event{};
  if (::epoll_wait(loop, &event, 1, 5000) != 1) return 1;
  set.drain();  // first re-arm, then look: what comes after the look makes the fd readable again
  auto ready = set.poll();
  if (!ready) return 1;
  for (const WaitSetEvent& e : ready->events) {
    if (e.id == *camera_id) take_all(*camera_reader, "camera (epoll)");
  }
  ::close(loop);
}

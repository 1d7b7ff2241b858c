#include "compat_fixture.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

namespace shmslot::test {

void CompatTest::SetUp() { before_ = shm_objects(); }

void CompatTest::TearDown() {
  EXPECT_TRUE(dir_.entries().empty()) << "flink directory " << dir_.path() << " still holds " << dir_.entries().size()
                                      << " entries, e.g. " << (dir_.entries().empty() ? "" : *dir_.entries().begin());
  const auto after = shm_objects();
  for (const auto& name : after) {
    if (before_.count(name) != 0) continue;
    if (tracked_.count(name) != 0) {
      ADD_FAILURE() << "segment /dev/shm/" << name << " created by this test is still there";
    } else {
      std::cerr << "note: /dev/shm/" << name << " appeared during the test but was not created by it\n";
    }
  }
}

void CompatTest::track(const std::string& shm_name) {
  tracked_.insert(!shm_name.empty() && shm_name[0] == '/' ? shm_name.substr(1) : shm_name);
}

std::uint8_t value_for(std::uint32_t sn) { return static_cast<std::uint8_t>(sn * 37U + 11U); }

std::size_t size_for(std::uint32_t sn, std::size_t capacity) {
  return 1 + static_cast<std::size_t>((std::uint64_t{sn} * 53U) % capacity);
}

std::vector<std::byte> uniform(std::size_t size, std::uint8_t value) {
  return std::vector<std::byte>(size, std::byte{value});
}

std::vector<std::byte> pattern(std::size_t size, std::uint32_t seed) {
  std::vector<std::byte> out(size);
  for (std::size_t j = 0; j < size; ++j) out[j] = static_cast<std::byte>((seed * 7U + j * 13U) & 0xFFU);
  return out;
}

bool is_uniform(std::span<const std::byte> bytes, std::uint8_t value) {
  for (std::byte b : bytes) {
    if (b != std::byte{value}) return false;
  }
  return true;
}

std::vector<std::byte> to_vector(std::span<const std::byte> bytes) { return {bytes.begin(), bytes.end()}; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds watchdog) {
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(1ms);
  }
}

WakeResult wake_while_asleep(const std::function<bool()>& wait, const std::function<void()>& wake,
                             const std::function<bool(std::uintptr_t)>& accept_address) {
  WakeResult r;
  std::atomic<int> tid{0};
  std::atomic<bool> done{false};
  bool result = false;
  std::thread waiter([&] {
    tid.store(static_cast<int>(::syscall(SYS_gettid)), std::memory_order_release);
    result = wait();
    done.store(true, std::memory_order_release);
  });
  r.fell_asleep = eventually([&] {
    const int t = tid.load(std::memory_order_acquire);
    if (t == 0) return false;
    const auto addr = futex_wait_address(t);
    return addr.has_value() && accept_address(*addr);
  });
  wake();
  r.woken = eventually([&] { return done.load(std::memory_order_acquire); });
  waiter.join();  // if not woken, the wait's own timeout ends it
  r.wait_result = result;
  return r;
}

std::vector<std::byte*> mappings_of(const std::string& shm_name) {
  const std::string file = "/dev/shm/" + (!shm_name.empty() && shm_name[0] == '/' ? shm_name.substr(1) : shm_name);
  std::vector<std::byte*> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    if (!(in >> range >> perms >> offset >> dev >> inode >> path)) continue;
    if (path != file || offset != "00000000") continue;
    out.push_back(reinterpret_cast<std::byte*>(std::stoull(range.substr(0, range.find('-')), nullptr, 16)));
  }
  return out;
}

}  // namespace shmslot::test

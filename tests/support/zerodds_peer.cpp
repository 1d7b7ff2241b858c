#include "support/zerodds_peer.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace shmslot::test {

namespace {

using Errc = ZeroDdsPeer::Errc;

tl::unexpected<ZeroDdsPeer::Error> fail(Errc code, std::string detail, int err = 0) {
  return tl::unexpected(ZeroDdsPeer::Error{code, err, std::move(detail)});
}
tl::unexpected<ZeroDdsPeer::Error> sys_fail(const std::string& what) {
  const int err = errno;
  return fail(Errc::Shm, what, err);
}

// rand::random::<u64>() in the shared_memory crate.
std::uint64_t random_u64() {
  static std::mutex mu;
  static std::mt19937_64 gen{(std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}() ^
                             static_cast<std::uint64_t>(::getpid())};
  std::lock_guard<std::mutex> lock(mu);
  return gen();
}

// format!("/shmem_{:X}", u64): upper-case hex, no zero padding.
std::string random_os_id() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/shmem_%llX", static_cast<unsigned long long>(random_u64()));
  return buf;
}

std::uint64_t align_up64(std::uint64_t x) { return (x + 63) & ~std::uint64_t{63}; }

std::uint32_t* word_at(std::byte* base, std::size_t offset) { return reinterpret_cast<std::uint32_t*>(base + offset); }

long futex(std::uint32_t* addr, int op, std::uint32_t val, const timespec* ts) {
  // Shared (non-private) futex ops: the key is the physical page, so they work across processes
  // and across two mappings of the same object in one process.
  return ::syscall(SYS_futex, addr, op, val, ts, nullptr, 0);
}

}  // namespace

struct ZeroDdsPeer::State {
  std::string flink_path;
  std::string os_id;
  bool owner = false;
  int fd = -1;
  std::byte* base = nullptr;
  std::size_t size = 0;
  std::size_t header_size = kV3HeaderSize;
  bool has_gen = true;
  std::uint32_t slot_count = 0;
  std::uint32_t slot_total_size = 0;
  std::uint32_t slot_capacity = 0;
  ZeroDdsPeer::Layout layout = ZeroDdsPeer::Layout::V3;
  int pending = 0;  // create steps left: 2 = write flink + init header, 1 = init header
  mutable std::mutex loaned_mu;
  std::vector<bool> loaned;

  ~State() {
    // The Shmem drop order: the flink file first (ShmemConf), then the mapping (munmap, shm_unlink
    // for the owner, close).
    if (owner && !flink_path.empty()) ::unlink(flink_path.c_str());
    if (base != nullptr) ::munmap(base, size);
    if (owner && !os_id.empty()) ::shm_unlink(os_id.c_str());
    if (fd >= 0) ::close(fd);
  }
};

std::string ZeroDdsPeer::Error::message() const {
  const char* name = "?";
  switch (code) {
    case Errc::Shm: name = "Shm"; break;
    case Errc::LinkExists: name = "LinkExists"; break;
    case Errc::CapacityOverflow: name = "CapacityOverflow"; break;
    case Errc::InvalidHeader: name = "InvalidHeader"; break;
    case Errc::NoFreeSlot: name = "NoFreeSlot"; break;
    case Errc::OutOfBounds: name = "OutOfBounds"; break;
    case Errc::SampleTooLarge: name = "SampleTooLarge"; break;
  }
  std::string out = std::string(name) + ": " + detail;
  if (sys_errno != 0) out += std::string(": ") + std::strerror(sys_errno);
  return out;
}

ZeroDdsPeer::ZeroDdsPeer(std::unique_ptr<State> state) : s_(std::move(state)) {}
ZeroDdsPeer::ZeroDdsPeer(ZeroDdsPeer&&) noexcept = default;
ZeroDdsPeer& ZeroDdsPeer::operator=(ZeroDdsPeer&&) noexcept = default;
ZeroDdsPeer::~ZeroDdsPeer() = default;

ZeroDdsPeer::Result<ZeroDdsPeer> ZeroDdsPeer::create(const std::string& flink_path, std::size_t slot_count,
                                                     std::size_t slot_capacity, Layout layout, CreateStop stop) {
  // 1. create_dir_all(parent), result ignored.
  {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(flink_path).parent_path(), ec);
  }
  // 2. u32::try_from for capacity, count and the padded slot size.
  constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
  const std::uint64_t total = align_up64(kSlotHeaderSize + std::uint64_t{slot_capacity});
  if (slot_capacity > kU32Max || slot_count > kU32Max || total > kU32Max) {
    return fail(Errc::CapacityOverflow, "slot capacity overflows u32");
  }
  // 3. total = HEADER + count * slot_total_size (unchecked in the crate).
  const std::size_t header = layout == Layout::V3 ? kV3HeaderSize : kV1HeaderSize;
  const std::size_t size = header + slot_count * static_cast<std::size_t>(total);

  // 4. ShmemConf::new().size(total).flink(path).create()
  auto st = std::make_unique<State>();
  st->header_size = header;
  st->has_gen = layout == Layout::V3;
  st->slot_count = static_cast<std::uint32_t>(slot_count);
  st->slot_total_size = static_cast<std::uint32_t>(total);
  st->slot_capacity = static_cast<std::uint32_t>(slot_capacity);
  st->loaned.assign(slot_count, false);
  {
    struct stat fst {};
    if (::stat(flink_path.c_str(), &fst) == 0 && S_ISREG(fst.st_mode)) {
      return fail(Errc::LinkExists, "flink " + flink_path + " already exists");
    }
  }
  if (size == 0) return fail(Errc::Shm, "MapSizeZero");
  for (;;) {
    std::string id = random_os_id();
    const int fd = ::shm_open(id.c_str(), O_CREAT | O_EXCL | O_RDWR, S_IRUSR | S_IWUSR);
    if (fd >= 0) {
      st->fd = fd;
      st->os_id = std::move(id);
      st->owner = true;
      break;
    }
    if (errno != EEXIST) return sys_fail("shm_open " + id);
  }
  if (::ftruncate(st->fd, static_cast<off_t>(size)) != 0) return sys_fail("ftruncate " + st->os_id);
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, st->fd, 0);
  if (p == MAP_FAILED) return sys_fail("mmap " + st->os_id);
  st->base = static_cast<std::byte*>(p);
  st->size = size;
  // The flink file: create_new (O_CREAT|O_EXCL, 0666 & ~umask); the name is written by a separate
  // write, so a consumer can find the file empty.
  {
    const int ffd = ::open(flink_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (ffd < 0) return sys_fail("create flink " + flink_path);  // State dtor unlinks the segment
    ::close(ffd);
    st->flink_path = flink_path;
  }
  st->layout = layout;
  ZeroDdsPeer peer(std::move(st));
  if (stop == CreateStop::AfterFlinkCreated) {
    peer.s_->pending = 2;
    return peer;
  }
  if (auto r = peer.write_flink(); !r) return tl::unexpected(r.error());
  if (stop == CreateStop::BeforeHeaderInit) {
    peer.s_->pending = 1;
    return peer;
  }
  peer.init_header();
  return peer;
}

ZeroDdsPeer::Result<void> ZeroDdsPeer::write_flink() {
  const int ffd = ::open(s_->flink_path.c_str(), O_WRONLY);
  if (ffd < 0) return sys_fail("open flink " + s_->flink_path);
  const ssize_t n = ::write(ffd, s_->os_id.data(), s_->os_id.size());
  ::close(ffd);
  if (n != static_cast<ssize_t>(s_->os_id.size())) {
    ::unlink(s_->flink_path.c_str());
    s_->flink_path.clear();
    return fail(Errc::Shm, "write flink");
  }
  // 5. V3: chmod 0600 on the flink file and /dev/shm/<os_id without '/'>, errors ignored.
  if (s_->layout == Layout::V3) {
    (void)::chmod(s_->flink_path.c_str(), 0600);
    (void)::chmod(("/dev/shm/" + s_->os_id.substr(1)).c_str(), 0600);
  }
  return {};
}

void ZeroDdsPeer::finish_create() {
  if (s_->pending >= 2) (void)write_flink();
  if (s_->pending >= 1) init_header();
  s_->pending = 0;
}

void ZeroDdsPeer::init_header() {
  // 6./7. Header words with plain native stores, then the slot array zeroed.
  std::byte* b = s_->base;
  *word_at(b, 0x00) = kMagic;
  *word_at(b, 0x04) = s_->slot_count;
  *word_at(b, 0x08) = s_->slot_total_size;
  *word_at(b, 0x0C) = 0;
  if (s_->has_gen) *word_at(b, kGenOffset) = 0;
  std::memset(b + s_->header_size, 0, static_cast<std::size_t>(s_->slot_count) * s_->slot_total_size);
}

ZeroDdsPeer::Result<ZeroDdsPeer> ZeroDdsPeer::attach(const std::string& flink_path) {
  auto st = std::make_unique<State>();
  // ShmemConf::new().flink(path).open(): read the name, shm_open(O_RDWR), retrying 5 x 50 ms.
  std::string name;
  {
    std::ifstream in(flink_path, std::ios::binary);
    if (!in) return fail(Errc::Shm, "open flink " + flink_path, ENOENT);
    name.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    fd = ::shm_open(name.c_str(), O_RDWR, S_IRUSR);
    if (fd >= 0) break;
    if (attempt >= 5) return sys_fail("shm_open " + name);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  st->fd = fd;
  st->os_id = name;
  st->flink_path = flink_path;
  st->owner = false;
  struct stat sst {};
  if (::fstat(fd, &sst) != 0) return sys_fail("fstat " + name);
  st->size = static_cast<std::size_t>(sst.st_size);
  if (st->size == 0) return fail(Errc::Shm, "MapSizeZero");
  void* p = ::mmap(nullptr, st->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return sys_fail("mmap " + name);
  st->base = static_cast<std::byte*>(p);
  // Four header words, plain reads; the magic is the only check.
  std::uint32_t words[4];
  std::memcpy(words, st->base, sizeof words);
  if (words[0] != kMagic) return fail(Errc::InvalidHeader, "segment magic/version mismatch");
  st->slot_count = words[1];
  st->slot_total_size = words[2];
  st->slot_capacity = words[2] - static_cast<std::uint32_t>(kSlotHeaderSize);  // padding included
  st->loaned.assign(st->slot_count, false);
  return ZeroDdsPeer(std::move(st));
}

std::byte* ZeroDdsPeer::slot_ptr(std::uint32_t i) const {
  return s_->base + s_->header_size + static_cast<std::size_t>(i) * s_->slot_total_size;
}

void ZeroDdsPeer::bump_notify() {
  if (!s_->has_gen) return;  // rc.1 has no generation word and no futex
  std::uint32_t* gen = word_at(s_->base, kGenOffset);
  std::atomic_ref<std::uint32_t>(*gen).fetch_add(1, std::memory_order_release);
  (void)futex(gen, FUTEX_WAKE, static_cast<std::uint32_t>(INT_MAX), nullptr);
}

ZeroDdsPeer::Result<std::uint32_t> ZeroDdsPeer::reserve_slot(std::uint32_t active) {
  std::lock_guard<std::mutex> lock(s_->loaned_mu);
  for (std::uint32_t i = 0; i < s_->slot_count; ++i) {
    if (s_->loaned[i]) continue;
    Header h;
    std::memcpy(&h, slot_ptr(i), sizeof h);  // plain 16-byte read
    if (h.sample_size == 0 || (h.reader_mask & active) == active) {
      s_->loaned[i] = true;
      return i;
    }
  }
  return fail(Errc::NoFreeSlot, "no free slot in segment");
}

ZeroDdsPeer::Result<std::uint32_t> ZeroDdsPeer::commit_slot(std::uint32_t i, std::span<const std::byte> bytes) {
  auto sn = begin_commit(i, bytes);
  if (!sn) return sn;
  end_commit(i, *sn, bytes.size());
  return sn;
}

ZeroDdsPeer::Result<std::uint32_t> ZeroDdsPeer::begin_commit(std::uint32_t i, std::span<const std::byte> bytes) {
  if (bytes.size() > s_->slot_capacity) {
    return fail(Errc::SampleTooLarge, "sample " + std::to_string(bytes.size()) +
                                          " byte does not fit in slot capacity " + std::to_string(s_->slot_capacity));
  }
  if (i >= s_->slot_count) return fail(Errc::OutOfBounds, "slot index out of bounds");
  const std::uint32_t sn =
      std::atomic_ref<std::uint32_t>(*word_at(s_->base, kNextSnOffset)).fetch_add(1, std::memory_order_relaxed);
  if (!bytes.empty()) std::memcpy(slot_ptr(i) + kSlotHeaderSize, bytes.data(), bytes.size());
  return sn;
}

void ZeroDdsPeer::end_commit(std::uint32_t i, std::uint32_t sn, std::size_t len) {
  const Header h{sn, static_cast<std::uint32_t>(len), 0, 0};
  std::memcpy(slot_ptr(i), &h, sizeof h);  // ptr::write of the whole header, no fence
  {
    std::lock_guard<std::mutex> lock(s_->loaned_mu);
    s_->loaned[i] = false;
  }
  bump_notify();
}

ZeroDdsPeer::Result<std::span<std::byte>> ZeroDdsPeer::slot_data_ptr(std::uint32_t i) {
  std::lock_guard<std::mutex> lock(s_->loaned_mu);
  if (i >= s_->loaned.size() || !s_->loaned[i]) return fail(Errc::OutOfBounds, "slot index out of bounds");
  return std::span<std::byte>(slot_ptr(i) + kSlotHeaderSize, s_->slot_capacity);
}

ZeroDdsPeer::Result<std::uint32_t> ZeroDdsPeer::commit_in_place(std::uint32_t i, std::size_t len) {
  if (len > s_->slot_capacity) {
    return fail(Errc::SampleTooLarge, "sample " + std::to_string(len) + " byte does not fit in slot capacity " +
                                          std::to_string(s_->slot_capacity));
  }
  if (i >= s_->slot_count) return fail(Errc::OutOfBounds, "slot index out of bounds");
  const std::uint32_t sn =
      std::atomic_ref<std::uint32_t>(*word_at(s_->base, kNextSnOffset)).fetch_add(1, std::memory_order_relaxed);
  end_commit(i, sn, len);
  return sn;
}

ZeroDdsPeer::Result<void> ZeroDdsPeer::discard_slot(std::uint32_t i) {
  {
    std::lock_guard<std::mutex> lock(s_->loaned_mu);
    if (i >= s_->loaned.size()) return fail(Errc::OutOfBounds, "slot index out of bounds");
    s_->loaned[i] = false;
  }
  bump_notify();
  return {};
}

ZeroDdsPeer::Result<ZeroDdsPeer::Read> ZeroDdsPeer::read_slot(std::uint32_t i) const {
  if (i >= s_->slot_count) return fail(Errc::OutOfBounds, "slot index out of bounds");
  Read out;
  std::memcpy(&out.header, slot_ptr(i), sizeof out.header);
  const std::size_t n = std::min<std::size_t>(out.header.sample_size, s_->slot_capacity);
  out.bytes.resize(n);
  if (n != 0) std::memcpy(out.bytes.data(), slot_ptr(i) + kSlotHeaderSize, n);
  return out;
}

ZeroDdsPeer::Result<std::span<const std::byte>> ZeroDdsPeer::slot_read_ptr(std::uint32_t i) const {
  if (i >= s_->slot_count) return fail(Errc::OutOfBounds, "slot index out of bounds");
  Header h;
  std::memcpy(&h, slot_ptr(i), sizeof h);
  const std::size_t n = std::min<std::size_t>(h.sample_size, s_->slot_capacity);
  return std::span<const std::byte>(slot_ptr(i) + kSlotHeaderSize, n);
}

ZeroDdsPeer::Result<std::optional<std::uint32_t>> ZeroDdsPeer::next_unread_slot(std::uint32_t reader) const {
  const std::uint32_t bit = 1U << (reader & 31U);  // Rust release builds mask the shift amount
  for (std::uint32_t i = 0; i < s_->slot_count; ++i) {
    Header h;
    std::memcpy(&h, slot_ptr(i), sizeof h);
    if (h.sample_size > 0 && (h.reader_mask & bit) == 0) return std::optional<std::uint32_t>(i);
  }
  return std::optional<std::uint32_t>{};
}

ZeroDdsPeer::Result<void> ZeroDdsPeer::mark_read(std::uint32_t i, std::uint32_t reader) {
  if (i >= s_->slot_count) return fail(Errc::OutOfBounds, "slot index out of bounds");
  std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(slot_ptr(i) + 8))
      .fetch_or(1U << (reader & 31U), std::memory_order_relaxed);
  bump_notify();
  return {};
}

ZeroDdsPeer::Result<void> ZeroDdsPeer::mark_reader_disconnected(std::uint32_t reader) {
  for (std::uint32_t i = 0; i < s_->slot_count; ++i) {
    std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(slot_ptr(i) + 8))
        .fetch_or(1U << (reader & 31U), std::memory_order_relaxed);
  }
  bump_notify();
  return {};
}

std::uint32_t ZeroDdsPeer::slot_count() const { return s_->slot_count; }
std::uint32_t ZeroDdsPeer::slot_total_size() const { return s_->slot_total_size; }
std::size_t ZeroDdsPeer::slot_capacity() const { return s_->slot_capacity; }

std::uint32_t ZeroDdsPeer::notify_generation() const {
  if (!s_->has_gen) return 0;
  return std::atomic_ref<std::uint32_t>(*word_at(s_->base, kGenOffset)).load(std::memory_order_acquire);
}

bool ZeroDdsPeer::wait_for_change(std::uint32_t last, std::chrono::nanoseconds timeout) const {
  if (s_->has_gen) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(secs.count());
    ts.tv_nsec = static_cast<long>((timeout - secs).count());
    (void)futex(word_at(s_->base, kGenOffset), FUTEX_WAIT, last, &ts);
  }
  return notify_generation() != last;
}

const std::string& ZeroDdsPeer::flink_path() const { return s_->flink_path; }
const std::string& ZeroDdsPeer::shm_name() const { return s_->os_id; }
bool ZeroDdsPeer::is_owner() const { return s_->owner; }
std::size_t ZeroDdsPeer::mapped_size() const { return s_->size; }
std::size_t ZeroDdsPeer::header_size() const { return s_->header_size; }

ZeroDdsPeer::Header ZeroDdsPeer::raw_header(std::uint32_t i) const {
  Header h;
  std::memcpy(&h, slot_ptr(i), sizeof h);
  return h;
}

std::uint32_t ZeroDdsPeer::header_word(std::size_t offset) const {
  return std::atomic_ref<std::uint32_t>(*word_at(s_->base, offset)).load(std::memory_order_acquire);
}

std::span<const std::byte> ZeroDdsPeer::bytes() const { return {s_->base, s_->size}; }

bool ZeroDdsPeer::loaned(std::uint32_t i) const {
  std::lock_guard<std::mutex> lock(s_->loaned_mu);
  return i < s_->loaned.size() && s_->loaned[i];
}

std::optional<std::uintptr_t> futex_wait_address(int tid) {
  // /proc/<pid>/task/<tid>/syscall: "<nr> <arg0> <arg1> ..." while blocked, "running" otherwise.
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long nr = -1;
  if (!(in >> nr) || nr != SYS_futex) return std::nullopt;
  std::string addr;
  std::string op;
  if (!(in >> addr >> op)) return std::nullopt;
  const unsigned long op_value = std::stoul(op, nullptr, 16);
  if ((op_value & FUTEX_CMD_MASK) != FUTEX_WAIT && (op_value & FUTEX_CMD_MASK) != FUTEX_WAIT_BITSET) {
    return std::nullopt;
  }
  return static_cast<std::uintptr_t>(std::stoull(addr, nullptr, 16));
}

}  // namespace shmslot::test

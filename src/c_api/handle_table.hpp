// The process-wide table behind every C handle. A handle is (generation << 32) | (index + 1): a
// closed entry's generation moves on, so a stale or doubly freed handle finds nothing instead of
// freed memory, and 0 is never a handle. Entries form a tree (segment -> writer -> loan, segment ->
// reader -> sample); erasing one erases its subtree first, children before parents.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "status.hpp"

namespace shmslot::c_api {

enum class Kind : std::uint8_t { Segment, Writer, Reader, Loan, Sample };

/// What an entry holds; each kind's object is defined in objects.hpp.
struct Object {
  virtual ~Object() = default;
};

class HandleTable {
 public:
  /// The one table of the process.
  static HandleTable& instance();

  /// Every other member needs this lock held.
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }

  /// The object of a live handle of kind `kind`, else nullptr.
  template <class T>
  T* find(std::uint64_t handle, Kind kind) {
    Entry* e = entry(handle, kind);
    return e == nullptr ? nullptr : static_cast<T*>(e->object.get());
  }
  /// Stores `object` under a new handle whose parent is `parent` (0: none). Throws bad_alloc.
  std::uint64_t insert(Kind kind, std::uint64_t parent, std::unique_ptr<Object> object);
  /// Destroys the handle's subtree; false if the handle is not live of kind `kind`.
  bool erase(std::uint64_t handle, Kind kind);

 private:
  struct Entry {
    std::uint32_t generation = 1;
    Kind kind = Kind::Segment;
    std::uint64_t parent = 0;
    std::unique_ptr<Object> object;  // null: the entry is free
  };
  Entry* entry(std::uint64_t handle, Kind kind);
  void erase_subtree(std::uint64_t handle);

  std::mutex mutex_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> free_;
};

// Runs `fn(table, object)` with the table locked and the live object `handle` names, or returns
// invalid_handle(name) when it names none: the one way a call reaches an object it acts on.
template <class T, class Fn>
shmslot_status with_object(std::uint64_t handle, Kind kind, const char* name, Fn&& fn) {
  HandleTable& table = HandleTable::instance();
  auto lock = table.lock();
  T* object = table.find<T>(handle, kind);
  if (object == nullptr) return invalid_handle(name);
  return fn(table, object);
}

}  // namespace shmslot::c_api

#include "handle_table.hpp"

#include <new>
#include <utility>

namespace shmslot::c_api {

namespace {
std::uint64_t make_handle(std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | (std::uint64_t{index} + 1);
}
}  // namespace

HandleTable& HandleTable::instance() {
  // Never destroyed: a C caller may close handles from an atexit handler or another thread while
  // static destructors run.
  static HandleTable* table = new HandleTable();
  return *table;
}

HandleTable::Entry* HandleTable::entry(std::uint64_t handle, Kind kind) {
  const std::uint64_t low = handle & 0xFFFFFFFFU;
  if (low == 0 || low > entries_.size()) return nullptr;
  Entry& e = entries_[low - 1];
  if (e.object == nullptr || e.kind != kind || e.generation != static_cast<std::uint32_t>(handle >> 32)) {
    return nullptr;
  }
  return &e;
}

std::uint64_t HandleTable::insert(Kind kind, std::uint64_t parent, std::unique_ptr<Object> object) {
  std::uint32_t index = 0;
  if (free_.empty()) {
    if (entries_.size() >= 0xFFFFFFFEU) throw std::bad_alloc();
    free_.reserve(entries_.size() + 1);  // every entry fits in free_, so erase never allocates
    entries_.emplace_back();
    index = static_cast<std::uint32_t>(entries_.size() - 1);
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Entry& e = entries_[index];
  e.kind = kind;
  e.parent = parent;
  e.object = std::move(object);
  return make_handle(index, e.generation);
}

bool HandleTable::erase(std::uint64_t handle, Kind kind) {
  if (entry(handle, kind) == nullptr) return false;
  erase_subtree(handle);
  return true;
}

void HandleTable::erase_subtree(std::uint64_t handle) {
  for (std::uint32_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].object != nullptr && entries_[i].parent == handle) {
      erase_subtree(make_handle(i, entries_[i].generation));
    }
  }
  Entry& e = entries_[(handle & 0xFFFFFFFFU) - 1];
  // Take the object out before destroying it, so the entry is free whatever its destructor does.
  std::unique_ptr<Object> doomed = std::move(e.object);
  e.parent = 0;
  // A stale handle could match again only after 2^32 - 1 reuses of this one entry.
  e.generation = e.generation == 0xFFFFFFFFU ? 1 : e.generation + 1;
  free_.push_back(static_cast<std::uint32_t>((handle & 0xFFFFFFFFU) - 1));
  doomed.reset();
}

}  // namespace shmslot::c_api

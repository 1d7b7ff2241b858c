// Segments: create, attach, close and what they tell about themselves.
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "objects.hpp"
#include "shmslot/shmslot.h"
#include "status.hpp"

using namespace shmslot;
using namespace shmslot::c_api;

namespace {

TypeHash to_type_hash(const std::uint8_t (&bytes)[SHMSLOT_TYPE_HASH_SIZE]) {
  TypeHash h{};
  std::copy(std::begin(bytes), std::end(bytes), h.begin());
  return h;
}

shmslot_status store_segment(tl::expected<PosixSlotAllocator, PosixSlotError> made, shmslot_segment* out) {
  if (!made) return fail(made.error());
  auto segment = std::make_shared<PosixSlotAllocator>(std::move(*made));
  auto& table = HandleTable::instance();
  auto lock = table.lock();
  out->id = table.insert(Kind::Segment, 0, std::make_unique<SegmentObject>(std::move(segment)));
  return SHMSLOT_OK;
}

}  // namespace

extern "C" shmslot_status shmslot_create_options_init(shmslot_create_options* options) {
  if (options == nullptr) return null_argument("options");
  *options = shmslot_create_options{};
  options->mode = 0600;
  options->notify = SHMSLOT_NOTIFY_WAKE_ON_DEMAND;
  options->lease_ms = static_cast<std::uint32_t>(kDefaultLease.count());
  return SHMSLOT_OK;
}

extern "C" shmslot_status shmslot_attach_options_init(shmslot_attach_options* options) {
  if (options == nullptr) return null_argument("options");
  *options = shmslot_attach_options{};
  return SHMSLOT_OK;
}

extern "C" shmslot_status shmslot_segment_create(const char* flink, size_t slot_count, size_t slot_capacity,
                                                 const shmslot_create_options* options, shmslot_segment* out) {
  return guarded([&] {
    if (flink == nullptr) return null_argument("flink");
    if (out == nullptr) return null_argument("out");
    out->id = 0;
    CreateOptions opts;
    if (options != nullptr) {
      const int notify = c_enum_value(options->notify);
      if (notify != SHMSLOT_NOTIFY_WAKE_ON_DEMAND && notify != SHMSLOT_NOTIFY_WAKE_ALWAYS) {
        return fail(SHMSLOT_E_INVALID_ARGUMENT, "notify is not a shmslot_notify_mode");
      }
      opts.mode = static_cast<mode_t>(options->mode);
      if (options->has_group != 0) opts.group = static_cast<gid_t>(options->group);
      if (options->has_type_hash != 0) opts.type_hash = to_type_hash(options->type_hash);
      opts.notify = notify == SHMSLOT_NOTIFY_WAKE_ALWAYS ? NotifyMode::WakeAlways : NotifyMode::WakeOnDemand;
      opts.lease = std::chrono::milliseconds(options->lease_ms);
    }
    return store_segment(PosixSlotAllocator::create(flink, slot_count, slot_capacity, opts), out);
  });
}

extern "C" shmslot_status shmslot_segment_attach(const char* flink, const shmslot_attach_options* options,
                                                 shmslot_segment* out) {
  return guarded([&] {
    if (flink == nullptr) return null_argument("flink");
    if (out == nullptr) return null_argument("out");
    out->id = 0;
    AttachOptions opts;
    if (options != nullptr) {
      if (options->has_expected_type_hash != 0) opts.expected_type_hash = to_type_hash(options->expected_type_hash);
      opts.allow_foreign_owner = options->allow_foreign_owner != 0;
      if (options->has_group != 0) opts.group = static_cast<gid_t>(options->group);
    }
    return store_segment(PosixSlotAllocator::attach(flink, opts), out);
  });
}

extern "C" shmslot_status shmslot_segment_close(shmslot_segment segment) {
  return guarded([&] {
    auto& table = HandleTable::instance();
    auto lock = table.lock();
    return table.erase(segment.id, Kind::Segment) ? SHMSLOT_OK : invalid_handle("segment");
  });
}

namespace {
// Runs `body(PosixSlotAllocator&)` on a live segment under the table's lock.
template <class Body>
shmslot_status with_segment(shmslot_segment segment, Body&& body) {
  return guarded([&] {
    return with_object<SegmentObject>(
        segment.id, Kind::Segment, "segment",
        [&]([[maybe_unused]] HandleTable& table, SegmentObject* obj) { return body(*obj->segment); });
  });
}
}  // namespace

extern "C" shmslot_status shmslot_segment_slot_count(shmslot_segment segment, size_t* out) {
  if (out == nullptr) return null_argument("out");
  return with_segment(segment, [&](PosixSlotAllocator& s) {
    auto n = s.slot_count();
    if (!n) return fail(n.error());
    *out = *n;
    return SHMSLOT_OK;
  });
}

extern "C" shmslot_status shmslot_segment_slot_capacity(shmslot_segment segment, size_t* out) {
  if (out == nullptr) return null_argument("out");
  return with_segment(segment, [&](PosixSlotAllocator& s) {
    *out = s.slot_capacity();
    return SHMSLOT_OK;
  });
}

extern "C" shmslot_status shmslot_segment_type_hash(shmslot_segment segment, uint8_t out[SHMSLOT_TYPE_HASH_SIZE],
                                                    int* has_type_hash) {
  if (out == nullptr) return null_argument("out");
  if (has_type_hash == nullptr) return null_argument("has_type_hash");
  return with_segment(segment, [&](PosixSlotAllocator& s) {
    const auto hash = s.type_hash();
    *has_type_hash = hash ? 1 : 0;
    std::memset(out, 0, SHMSLOT_TYPE_HASH_SIZE);
    if (hash) std::copy(hash->begin(), hash->end(), out);
    return SHMSLOT_OK;
  });
}

extern "C" shmslot_status shmslot_segment_locator(shmslot_segment segment, const char* hostname, uint8_t* buffer,
                                                  size_t capacity, size_t* size) {
  if (hostname == nullptr) return null_argument("hostname");
  if (size == nullptr) return null_argument("size");
  if (buffer == nullptr && capacity != 0) return null_argument("buffer");
  return with_segment(segment, [&](PosixSlotAllocator& s) {
    auto bytes = s.locator(hostname).to_bytes_le();
    if (!bytes) return fail(SHMSLOT_E_INVALID_ARGUMENT, to_string(bytes.error()));
    *size = bytes->size();
    if (bytes->size() > capacity) {
      return fail(SHMSLOT_E_BUFFER_TOO_SMALL,
                  "locator of " + std::to_string(bytes->size()) + " bytes does not fit in " + std::to_string(capacity));
    }
    std::copy(bytes->begin(), bytes->end(), buffer);
    return SHMSLOT_OK;
  });
}

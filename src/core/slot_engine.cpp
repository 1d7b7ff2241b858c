// What both engines share, and the choice between them.
#include "core/slot_engine.hpp"

#include <cstring>

#include "core/extended_engine.hpp"
#include "core/zerodds_engine.hpp"

namespace shmslot::core {

std::unique_ptr<SlotEngine> make_engine(std::byte* base, const Geometry& geometry, std::uint64_t segment_id) {
  const SegmentView view(base, geometry, segment_id);
  if (geometry.extended) return std::make_unique<ExtendedEngine>(view);
  return std::make_unique<ZeroDdsEngine>(view);
}

tl::expected<SlotRead, SlotError> SlotEngine::read(SlotHandle h) const {
  SlotRead out;
  auto header = copy_out(h, CopyDest{{}, &out.bytes});
  if (!header) return tl::unexpected(header.error());
  out.header = *header;
  return out;
}

std::optional<TypeHash> SlotEngine::type_hash() const {
  if (!view_.extended() || (view_.control().flags & kFlagHasTypeHash) == 0) return std::nullopt;
  TypeHash h{};
  std::memcpy(h.data(), view_.control().type_hash, h.size());
  return h;
}

void SlotEngine::record_type_hash(const TypeHash& hash) {
  if (!view_.extended()) return;
  std::memcpy(view_.control().type_hash, hash.data(), hash.size());
  view_.control().flags |= kFlagHasTypeHash;
}

}  // namespace shmslot::core

// The bytes of one slot as a Python buffer (memoryview(view), numpy.frombuffer(view)). The view
// holds the mapping, and every memoryview or array made from it holds the view (its base object),
// so no Python object can ever point at unmapped memory: a segment closed while views exist is
// unmapped when the last of them goes.
#pragma once

#include <cstddef>
#include <span>

#include "node.hpp"

namespace shmslot::python {

class SlotView {
 public:
  /// A writable view of a loan's bytes.
  SlotView(Mapping mapping, std::span<std::byte> bytes) : mapping_(std::move(mapping)), bytes_(bytes) {}
  /// A read-only view of a sample's bytes.
  SlotView(Mapping mapping, std::span<const std::byte> bytes)
      : mapping_(std::move(mapping)),
        bytes_(const_cast<std::byte*>(bytes.data()), bytes.size()),  // exported read-only below
        readonly_(true) {}

  std::byte* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool readonly() const { return readonly_; }
  /// Refuses further buffers: the loan was committed or discarded.
  void revoke() { revoked_ = true; }
  bool revoked() const { return revoked_; }

 private:
  Mapping mapping_;
  std::span<std::byte> bytes_;
  bool readonly_ = false;
  bool revoked_ = false;
};

}  // namespace shmslot::python

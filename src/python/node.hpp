// Lifetimes across the Python boundary. A Segment holds the mapping; its writers and readers, and
// their loans and samples, are nodes under it. Closing a node closes its subtree first, children
// before parents (a sample is released before its reader unregisters, a loan discarded before its
// writer goes), as the C API does. Every node holds its segment, and through it the segment's
// mutex: a blocking call sleeps with the GIL released and runs each try under that mutex, so a
// close from another thread waits for the try and the try then finds the node closed.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "shmslot/posix_slot_allocator.hpp"

namespace shmslot::python {

using Mapping = std::shared_ptr<PosixSlotAllocator>;

/// A closable object with closable children. Its methods run with the segment's mutex held.
class Node {
 public:
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;

  /// Closes the children (newest first), then this node. Closing twice does nothing.
  void close_locked();
  bool closed() const { return closed_; }
  /// Makes `child` close with this node. Held weakly: a child dropped by Python goes on its own.
  void adopt(const std::shared_ptr<Node>& child);

 protected:
  /// What closing this node gives back (a loan discarded, a sample released, a reader unregistered).
  virtual void release_locked() = 0;

 private:
  std::vector<std::weak_ptr<Node>> children_;
  std::size_t prune_at_ = 16;  // children_ is pruned of expired entries when it reaches this size
  bool closed_ = false;
};

/// The segment: its mapping (null once closed) and the mutex every node under it locks.
class SegmentNode final : public Node {
 public:
  explicit SegmentNode(Mapping mapping) : mapping_(std::move(mapping)) {}
  ~SegmentNode() override;

  std::recursive_mutex& mutex() const { return mutex_; }
  /// The mapping, or null once closed. Call with the mutex held.
  const Mapping& mapping() const { return mapping_; }

 protected:
  void release_locked() override { mapping_.reset(); }

 private:
  // Recursive: a Python object made while it is held may start a garbage collection that drops
  // another node of this segment, whose destructor locks it again on the same thread.
  mutable std::recursive_mutex mutex_;
  Mapping mapping_;
};

}  // namespace shmslot::python

#include "node.hpp"

#include <algorithm>

namespace shmslot::python {

void Node::close_locked() {
  if (closed_) return;
  closed_ = true;
  // Newest first: a sample goes before the reader it came from, when both are children here.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (auto child = it->lock()) child->close_locked();
  }
  children_.clear();
  release_locked();
}

void Node::adopt(const std::shared_ptr<Node>& child) {
  if (children_.size() >= prune_at_) {
    std::erase_if(children_, [](const std::weak_ptr<Node>& c) { return c.expired(); });
    prune_at_ = std::max<std::size_t>(16, 2 * children_.size());
  }
  children_.push_back(child);
}

SegmentNode::~SegmentNode() {
  // Python dropped the last reference: nothing can lock the mutex any more.
  close_locked();
}

}  // namespace shmslot::python

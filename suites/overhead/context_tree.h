// ContextTree — a tree of cancellable Contexts for the `overhead` suite's
// cancellation-latency benchmark.
//
// This file offers:
//   class ContextTree
//     ContextTree(depth, width)   root = with_cancel(background()); below it
//                                 `depth` levels, every node of a level having
//                                 `width` with_cancel children: width^depth
//                                 leaves (depth 0: the root is the only leaf)
//     cancel_root()               the root's CancelFunc (Go: cancel())
//     leaves()                    the deepest level's contexts
//     nodes()                     cancellable contexts below the root
//     all_leaves_done()           every leaf's err() is set (no waiting)
//     wait_all_leaves_done()      receives from every leaf's done() channel in
//                                 turn: returns once each has been closed
//   node_count(depth, width)      nodes below the root, without building
//
// The tree keeps every node's CancelFunc and calls them all when destroyed
// (Go's "defer cancel()": it unlinks the nodes from their parents; a node
// already cancelled through its root is unaffected).
#ifndef SYNCSCOPE_SUITES_OVERHEAD_CONTEXT_TREE_H_
#define SYNCSCOPE_SUITES_OVERHEAD_CONTEXT_TREE_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include <syncscope/context.h>

namespace syncscope::suites {

inline std::size_t node_count(int depth, int width) noexcept {
  std::size_t level = 1, total = 0;
  for (int d = 0; d < depth; ++d) {
    level *= static_cast<std::size_t>(width);
    total += level;
  }
  return total;
}

class ContextTree {
 public:
  // Limits a tree to what one benchmark round can build quickly.
  static constexpr std::size_t kMaxNodes = 1 << 16;

  ContextTree(int depth, int width) {
    if (depth < 0 || width < 1 || node_count(depth, width) > kMaxNodes)
      throw std::invalid_argument("ContextTree: depth >= 0, width >= 1 and at most 65536 nodes");
    auto [root, cancel] = with_cancel(Context::background());
    cancel_root_ = cancel;
    cancels_.reserve(node_count(depth, width));
    std::vector<Context> level{root};
    for (int d = 0; d < depth; ++d) {
      std::vector<Context> next;
      next.reserve(level.size() * static_cast<std::size_t>(width));
      for (const Context& parent : level) {
        for (int w = 0; w < width; ++w) {
          auto [child, child_cancel] = with_cancel(parent);
          cancels_.push_back(std::move(child_cancel));
          next.push_back(std::move(child));
        }
      }
      level = std::move(next);
    }
    leaves_ = std::move(level);
  }
  ~ContextTree() {
    for (const CancelFunc& c : cancels_) c();
    cancel_root_();
  }
  ContextTree(const ContextTree&) = delete;
  ContextTree& operator=(const ContextTree&) = delete;

  const CancelFunc& cancel_root() const noexcept { return cancel_root_; }
  const std::vector<Context>& leaves() const noexcept { return leaves_; }
  std::size_t nodes() const noexcept { return cancels_.size(); }

  bool all_leaves_done() const noexcept {
    for (const Context& c : leaves_)
      if (!c.err()) return false;
    return true;
  }

  // Blocks until every leaf's done channel is closed (a receive on a closed
  // channel returns "closed" at once; on an open one it parks).
  void wait_all_leaves_done() const {
    for (const Context& c : leaves_) {
      const DoneChan d = c.done();
      while (d.receive().has_value()) {
      }  // nothing is ever sent on a done channel: returns when closed
    }
  }

 private:
  CancelFunc cancel_root_;
  std::vector<CancelFunc> cancels_;  // every node below the root
  std::vector<Context> leaves_;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_OVERHEAD_CONTEXT_TREE_H_

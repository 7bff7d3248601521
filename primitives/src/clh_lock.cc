// ClhLock's node arena, pool and waiting path (see syncscope/clh_lock.h).
#include <syncscope/clh_lock.h>

#include <mutex>
#include <new>

#include <syncscope/spin_lock.h>

namespace syncscope {
namespace detail {
namespace {

// The arena lock. A SpinLock rather than std::mutex: it is constant-
// initialised and trivially destructible, so ClhLocks with static storage
// (constructed before main, destroyed after it) can use the arena safely.
// Its critical sections are a few pointer updates, or one chunk allocation.
constinit SpinLock arena_lock;
// Free nodes (linked through pool_next). Guarded by arena_lock.
constinit ClhNode* arena_free = nullptr;
// The lowest index never handed out. Guarded by arena_lock. Only grows.
constinit uint32_t arena_next = 0;

constexpr uint32_t kArenaCapacity = kClhMaxChunks * kClhChunkNodes;
static_assert(kArenaCapacity - 1 <= UINT32_MAX, "indices fit 32 bits");

}  // namespace

ClhNode* clh_arena_take() {
  std::lock_guard<SpinLock> guard(arena_lock);
  if (ClhNode* n = arena_free; n != nullptr) {
    arena_free = n->pool_next;
    return n;
  }
  if (arena_next == kArenaCapacity) throw std::bad_alloc();
  const uint32_t index = arena_next;
  if ((index & (kClhChunkNodes - 1)) == 0) {
    // First node of a new chunk: create and publish the chunk.
    ClhNode* chunk = new ClhNode[kClhChunkNodes];
    for (uint32_t i = 0; i < kClhChunkNodes; ++i) chunk[i].index = index + i;
    clh_chunks[index >> kClhChunkBits].store(chunk, std::memory_order_release);
  }
  ++arena_next;
  return clh_node_at(index);
}

void clh_arena_give(ClhNode* n) noexcept {
  std::lock_guard<SpinLock> guard(arena_lock);
  n->pool_next = arena_free;
  arena_free = n;
}

ClhNodePool::~ClhNodePool() {
  if (head_ == nullptr) return;
  ClhNode* last = head_;
  while (last->pool_next != nullptr) last = last->pool_next;
  std::lock_guard<SpinLock> guard(arena_lock);
  last->pool_next = arena_free;
  arena_free = head_;
  head_ = nullptr;
}

}  // namespace detail

ClhLock::ClhLock() {
  detail::ClhNode* dummy = detail::clh_arena_take();
  dummy->locked.store(0, std::memory_order_relaxed);
  ++dummy->generation;
  tail_.store(word_of(dummy), std::memory_order_relaxed);
}

ClhLock::~ClhLock() {
  detail::clh_arena_give(detail::clh_node_at(index_of(tail_.load(std::memory_order_acquire))));
}

void ClhLock::wait_on(detail::ClhNode* pred) noexcept {
  SpinWait wait;
  while (pred->locked.load(std::memory_order_acquire) != 0) wait.once();
}

}  // namespace syncscope

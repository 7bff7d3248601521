// The live-worker count behind syncscope::go() (see syncscope/chan_patterns.h).
#include <syncscope/chan_patterns.h>

#include <atomic>

namespace syncscope {
namespace {

// Threads started by go() and not finished. Incremented (relaxed) before the
// thread exists; decremented (release) as the thread's last action, so a
// reader that sees the drop with acquire also sees everything the worker did.
std::atomic<std::size_t> g_live_workers{0};

}  // namespace

namespace detail {
void worker_started() noexcept { g_live_workers.fetch_add(1, std::memory_order_relaxed); }
void worker_finished() noexcept { g_live_workers.fetch_sub(1, std::memory_order_release); }
}  // namespace detail

std::size_t live_workers() noexcept { return g_live_workers.load(std::memory_order_acquire); }

}  // namespace syncscope

// Shared pieces of the Go mutex family (see syncscope/go_mutex_common.h).
#include <syncscope/arch/atomic.h>
#include <syncscope/go_mutex_common.h>
#include <syncscope/goroutine.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace syncscope {

void go_fatal(const char* msg) noexcept {
  // One write(2) of a stack buffer: no allocation, no stdio lock, so it works
  // even when the caller broke the heap or holds locks.
  static constexpr char kPrefix[] = "fatal error: ";
  char buf[256];
  std::size_t n = 0;
  for (const char* p = kPrefix; *p != '\0' && n < sizeof buf - 1; ++p) buf[n++] = *p;
  for (const char* p = msg; *p != '\0' && n < sizeof buf - 1; ++p) buf[n++] = *p;
  buf[n++] = '\n';
  ssize_t ignored = ::write(STDERR_FILENO, buf, n);
  (void)ignored;
  std::abort();
}

bool GoSpinPolicy::runtime_permits_spin() noexcept {
  return runtime_permits(internal::spin_view());
}

void GoSpinPolicy::do_spin() noexcept {
  for (int i = 0; i < kActiveSpinCount; ++i) arch::cpu_relax();
  preempt_point();  // a goroutine the runtime's monitor marked yields here
}

namespace detail {

void MutexStatsRecorder::add_mode_switch(bool entered_starvation) noexcept {
  (entered_starvation ? entries_ : exits_).fetch_add(1, std::memory_order_relaxed);
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
  // Timestamps are positive on Linux (CLOCK_MONOTONIC counts from boot); the
  // max() keeps a packed event non-zero even so.
  const uint64_t packed =
      (static_cast<uint64_t>(std::max<int64_t>(ns, 1)) << 1) | (entered_starvation ? 1u : 0u);
  const uint64_t slot = ring_next_.fetch_add(1, std::memory_order_relaxed);
  ring_[slot % kModeSwitchRingCapacity].store(packed, std::memory_order_relaxed);
}

GoMutexStats MutexStatsRecorder::snapshot() const noexcept {
  GoMutexStats s;
  s.spins = spins_.load(std::memory_order_relaxed);
  s.parks = parks_.load(std::memory_order_relaxed);
  s.barges = barges_.load(std::memory_order_relaxed);
  s.handoffs = handoffs_.load(std::memory_order_relaxed);
  s.starvation_entries = entries_.load(std::memory_order_relaxed);
  s.starvation_exits = exits_.load(std::memory_order_relaxed);
  s.mode_switches = s.starvation_entries + s.starvation_exits;
  return s;
}

ModeSwitchTimeline MutexStatsRecorder::timeline() const noexcept {
  ModeSwitchTimeline t;
  const uint64_t next = ring_next_.load(std::memory_order_relaxed);
  const uint64_t first = next > kModeSwitchRingCapacity ? next - kModeSwitchRingCapacity : 0;
  t.dropped = first;
  for (uint64_t i = first; i < next; ++i) {
    const uint64_t packed = ring_[i % kModeSwitchRingCapacity].load(std::memory_order_relaxed);
    if (packed == 0) continue;  // reserved, not yet written
    ModeSwitchEvent& e = t.events[t.size++];
    e.steady_ns = static_cast<int64_t>(packed >> 1);
    e.entered_starvation = (packed & 1u) != 0;
  }
  std::sort(
      t.events.begin(), t.events.begin() + static_cast<std::ptrdiff_t>(t.size),
      [](const ModeSwitchEvent& a, const ModeSwitchEvent& b) { return a.steady_ns < b.steady_ns; });
  return t;
}

void MutexStatsRecorder::reset() noexcept {
  spins_.store(0, std::memory_order_relaxed);
  parks_.store(0, std::memory_order_relaxed);
  barges_.store(0, std::memory_order_relaxed);
  handoffs_.store(0, std::memory_order_relaxed);
  entries_.store(0, std::memory_order_relaxed);
  exits_.store(0, std::memory_order_relaxed);
  ring_next_.store(0, std::memory_order_relaxed);
  for (auto& slot : ring_) slot.store(0, std::memory_order_relaxed);
}

}  // namespace detail
}  // namespace syncscope

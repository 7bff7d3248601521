// The usable CPUs, read once at load (see syncscope/internal/cpus.h).
#include <sched.h>
#include <syncscope/internal/cpus.h>

#include <algorithm>
#include <thread>

namespace syncscope {

const std::vector<int>& usable_cpu_list() noexcept {
  static const std::vector<int> cpus = [] {
    std::vector<int> out;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) out.push_back(c);
    }
    if (out.empty()) {
      const int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      for (int c = 0; c < n; ++c) out.push_back(c);
    }
    return out;
  }();
  return cpus;
}

unsigned usable_cpus() noexcept { return static_cast<unsigned>(usable_cpu_list().size()); }

namespace {
// Forces the read at load time, from the main thread, before any thread can
// pin itself (see the header). Static initialization of this translation
// unit runs before main() since the library's users reference it.
[[maybe_unused]] const unsigned kUsableCpusAtLoad = usable_cpus();
}  // namespace

}  // namespace syncscope

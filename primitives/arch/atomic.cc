// Path selection for <syncscope/arch/atomic.h>: names, CPU detection, the
// available set, force_path() and the SYNCSCOPE_ATOMIC_PATH environment
// variable. Everything here runs off the measured path: it decides which
// instructions the inline operations use, and runs once or on request.
#include <syncscope/arch/atomic.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace syncscope::arch {
namespace {

constexpr Path kAllPaths[] = {Path::kPortable, Path::kX86_64, Path::kLlsc, Path::kLse};

constexpr const char* kEnvVar = "SYNCSCOPE_ATOMIC_PATH";

bool is_available(Path p) {
  for (Path q : available_paths())
    if (q == p) return true;
  return false;
}

std::string join_names(const std::vector<Path>& paths) {
  std::string s;
  for (Path p : paths) {
    if (!s.empty()) s += ", ";
    s += path_name(p);
  }
  return s;
}

// Each Ops struct's kName is its path's name (the benchmarks label results
// with kName, the environment variable and force_path use path_name).
static_assert(std::string_view(PortableOps::kName) == "portable");
#if defined(__x86_64__)
static_assert(std::string_view(X86Ops::kName) == "x86_64");
#endif
#if defined(__aarch64__)
static_assert(std::string_view(LlscOps::kName) == "llsc");
static_assert(std::string_view(LseOps::kName) == "lse");
#endif

}  // namespace

const char* path_name(Path p) noexcept {
  switch (p) {
    case Path::kPortable: return "portable";
    case Path::kX86_64: return "x86_64";
    case Path::kLlsc: return "llsc";
    case Path::kLse: return "lse";
  }
  return "unknown";
}

std::optional<Path> parse_path(std::string_view name) {
  for (Path p : kAllPaths)
    if (name == path_name(p)) return p;
  return std::nullopt;
}

bool cpu_has_lse() noexcept {
#if defined(__aarch64__) && defined(__linux__)
  // The kernel's view of ID_AA64ISAR0_EL1.Atomic; constant for the process.
  static const bool has = (getauxval(AT_HWCAP) & HWCAP_ATOMICS) != 0;
  return has;
#else
  return false;
#endif
}

Path native_path() noexcept {
#if defined(SYNCSCOPE_ARCH_TSAN)
  return Path::kPortable;
#elif defined(__x86_64__)
  return Path::kX86_64;
#elif defined(__aarch64__)
  return cpu_has_lse() ? Path::kLse : Path::kLlsc;
#else
  return Path::kPortable;
#endif
}

std::vector<Path> available_paths() {
  std::vector<Path> paths{Path::kPortable};
#if !defined(SYNCSCOPE_ARCH_TSAN)
#if defined(__x86_64__)
  paths.push_back(Path::kX86_64);
#elif defined(__aarch64__)
  paths.push_back(Path::kLlsc);
  if (cpu_has_lse()) paths.push_back(Path::kLse);
#endif
#endif
  return paths;
}

void force_path(Path p) {
  (void)active_path();  // read the environment first: a bad value exits here too
  if (!is_available(p)) {
    throw std::invalid_argument(std::string("syncscope::arch::force_path: path '") + path_name(p) +
                                "' is not available in this build on this CPU; available: " +
                                join_names(available_paths()));
  }
  detail::active_path_state.store(static_cast<int>(p), std::memory_order_relaxed);
}

namespace detail {

Path path_from_environment() noexcept {
  const char* value = std::getenv(kEnvVar);
  if (value == nullptr || *value == '\0') return native_path();
  const std::optional<Path> p = parse_path(value);
  if (!p || !is_available(*p)) {
    // One line: the bad value, why, and the valid ones.
    std::fprintf(stderr, "%s=%s: %s; valid values here: %s\n", kEnvVar, value,
                 p ? "path not available in this build on this CPU" : "unknown atomic path",
                 join_names(available_paths()).c_str());
    std::exit(2);
  }
  return *p;
}

Path init_active_path() noexcept {
  int expected = kPathUnset;
  const int chosen = static_cast<int>(path_from_environment());
  // Install unless force_path() (or a racing initialiser) got there first.
  if (!active_path_state.compare_exchange_strong(expected, chosen, std::memory_order_relaxed))
    return static_cast<Path>(expected);
  return static_cast<Path>(chosen);
}

void reset_active_path_for_testing() noexcept {
  active_path_state.store(kPathUnset, std::memory_order_relaxed);
}

}  // namespace detail
}  // namespace syncscope::arch

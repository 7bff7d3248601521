// Tests of <syncscope/arch/atomic.h>.
//
// Every available path is tested twice: through the dispatching free
// functions after force_path() (variant "<path>_dispatch") and through its
// Ops struct directly (variant "<path>_direct"). The variants are built from
// available_paths() at run time, so under qemu -cpu max the lse variants
// exist and run, and under -cpu cortex-a57 they do not exist (and the
// dispatch tests check that lse is refused there). Each body runs for the
// 32- and 64-bit types; single-thread checks also for the signed ones.
#include <syncscope/arch/atomic.h>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace syncscope::arch {
namespace {

constexpr std::memory_order kRmwOrders[] = {
    std::memory_order_relaxed, std::memory_order_consume, std::memory_order_acquire,
    std::memory_order_release, std::memory_order_acq_rel, std::memory_order_seq_cst};
constexpr std::memory_order kLoadOrders[] = {std::memory_order_relaxed, std::memory_order_consume,
                                             std::memory_order_acquire, std::memory_order_seq_cst};
constexpr std::memory_order kStoreOrders[] = {std::memory_order_relaxed, std::memory_order_release,
                                              std::memory_order_seq_cst};
constexpr std::memory_order kFailureOrders[] = {
    std::memory_order_relaxed, std::memory_order_consume, std::memory_order_acquire,
    std::memory_order_seq_cst};
constexpr Path kAllPaths[] = {Path::kPortable, Path::kX86_64, Path::kLlsc, Path::kLse};

constexpr bool kTsan =
#if defined(SYNCSCOPE_ARCH_TSAN)
    true;
#else
    false;
#endif

bool is_available(Path p) {
  for (Path q : available_paths())
    if (q == p) return true;
  return false;
}

// The dispatching free functions, shaped like an Ops struct.
struct DispatchOps {
  template <class T>
  static T fetch_add(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    return arch::fetch_add(a, v, o);
  }
  template <class T>
  static bool compare_exchange(std::atomic<T>& a, T& expected, T desired, std::memory_order s,
                               std::memory_order f) noexcept {
    return arch::compare_exchange(a, expected, desired, s, f);
  }
  template <class T>
  static T exchange(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    return arch::exchange(a, v, o);
  }
  template <class T>
  static T load(const std::atomic<T>& a, std::memory_order o) noexcept {
    return arch::load(a, o);
  }
  template <class T>
  static void store(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    arch::store(a, v, o);
  }
  static void fence(std::memory_order o) noexcept { arch::fence(o); }
  static void pause() noexcept { cpu_relax(); }
};

struct Variant {
  Path path;
  bool direct;  // the Ops struct itself, not the dispatching functions
};

std::vector<Variant> all_variants() {
  std::vector<Variant> v;
  for (Path p : available_paths()) {
    v.push_back({p, false});
    v.push_back({p, true});
  }
  return v;
}

// gtest and CTest show the parameter by this name.
void PrintTo(const Variant& v, std::ostream* os) {
  *os << path_name(v.path) << (v.direct ? "_direct" : "_dispatch");
}

std::string variant_name(const testing::TestParamInfo<Variant>& info) {
  return std::string(path_name(info.param.path)) + (info.param.direct ? "_direct" : "_dispatch");
}

// Calls f(Ops{}) with the Ops type of `v` (DispatchOps for a dispatch
// variant, which must have its path forced first).
template <class F>
void with_ops(const Variant& v, F&& f) {
  if (!v.direct) {
    f(DispatchOps{});
    return;
  }
  switch (v.path) {
    case Path::kPortable: f(PortableOps{}); return;
#if defined(__x86_64__)
    case Path::kX86_64: f(X86Ops{}); return;
#endif
#if defined(__aarch64__)
    case Path::kLlsc: f(LlscOps{}); return;
    case Path::kLse: f(LseOps{}); return;
#endif
    default: FAIL() << "no Ops struct for path " << path_name(v.path);
  }
}

// Restores the active path a test changed.
class PathGuard {
 public:
  PathGuard() : saved_(active_path()) {}
  ~PathGuard() { force_path(saved_); }

 private:
  Path saved_;
};

// Values with bits set in both 32-bit halves and in the sign bit, so that a
// path operating on the wrong width or sign-extending shows up.
template <class T>
T pattern() {
  if constexpr (sizeof(T) == 8) {
    return static_cast<T>(0x8765432112345678ull);
  } else {
    return static_cast<T>(0x87654321u);
  }
}
template <class T>
constexpr T kGuard = static_cast<T>(0x5a5a5a5a5a5a5a5aull);

// The atomic under test between two guard words: an operation of the wrong
// width would change a neighbour.
template <class T>
struct Guarded {
  std::atomic<T> before{kGuard<T>};
  std::atomic<T> a{0};
  std::atomic<T> after{kGuard<T>};
  void expect_guards_intact() const {
    EXPECT_EQ(before.load(), kGuard<T>);
    EXPECT_EQ(after.load(), kGuard<T>);
  }
};

template <class T>
std::string type_label() {
  return std::string(std::is_signed_v<T> ? "int" : "uint") + std::to_string(sizeof(T) * 8);
}

// ---------------------------------------------------------------------------
// Single-thread semantics: return values, wrap-around, CAS failure writing
// `expected`, every memory order of every operation.

template <class Ops, class T>
void check_semantics() {
  SCOPED_TRACE(type_label<T>());
  const T big = pattern<T>();
  Guarded<T> g;
  for (std::memory_order o : kRmwOrders) {
    SCOPED_TRACE("order " + std::to_string(static_cast<int>(o)));
    g.a.store(big);
    EXPECT_EQ(Ops::fetch_add(g.a, T(1), o), big);
    EXPECT_EQ(g.a.load(), static_cast<T>(big + 1));
    // Wrap-around: max + 1 is min (two's complement for the signed types).
    g.a.store(std::numeric_limits<T>::max());
    EXPECT_EQ(Ops::fetch_add(g.a, T(1), o), std::numeric_limits<T>::max());
    EXPECT_EQ(g.a.load(), std::numeric_limits<T>::min());
    // Adding a "negative" value.
    g.a.store(T(3));
    EXPECT_EQ(Ops::fetch_add(g.a, static_cast<T>(-5), o), T(3));
    EXPECT_EQ(g.a.load(), static_cast<T>(T(3) + static_cast<T>(-5)));
    // exchange returns the previous value, also for zero.
    g.a.store(big);
    EXPECT_EQ(Ops::exchange(g.a, T(7), o), big);
    EXPECT_EQ(Ops::exchange(g.a, T(0), o), T(7));
    EXPECT_EQ(Ops::exchange(g.a, big, o), T(0));
    EXPECT_EQ(g.a.load(), big);
  }
  for (std::memory_order s : kRmwOrders) {
    for (std::memory_order f : kFailureOrders) {
      SCOPED_TRACE("cas orders " + std::to_string(static_cast<int>(s)) + "/" +
                   std::to_string(static_cast<int>(f)));
      g.a.store(big);
      T expected = big;
      EXPECT_TRUE(Ops::compare_exchange(g.a, expected, T(42), s, f));
      EXPECT_EQ(expected, big);  // untouched on success
      EXPECT_EQ(g.a.load(), T(42));
      expected = big;  // stale
      EXPECT_FALSE(Ops::compare_exchange(g.a, expected, T(99), s, f));
      EXPECT_EQ(expected, T(42));  // the observed value
      EXPECT_EQ(g.a.load(), T(42));
      // Values differing only in the top bit, or only in the lowest bit,
      // must not compare equal (a narrower compare would miss the first).
      g.a.store(big);
      const T top = static_cast<T>(big ^ static_cast<T>(T(1) << (sizeof(T) * 8 - 1)));
      expected = top;
      EXPECT_FALSE(Ops::compare_exchange(g.a, expected, T(0), s, f));
      EXPECT_EQ(expected, big);
      expected = static_cast<T>(big ^ T(1));
      EXPECT_FALSE(Ops::compare_exchange(g.a, expected, T(0), s, f));
      EXPECT_EQ(expected, big);
      // Storing zero (the zero register on aarch64).
      EXPECT_TRUE(Ops::compare_exchange(g.a, expected, T(0), s, f));
      EXPECT_EQ(g.a.load(), T(0));
    }
  }
  if constexpr (sizeof(T) == 8) {
    // Same low half, different high half: must fail.
    g.a.store(static_cast<T>(0x00000001'00000005ull));
    T expected = static_cast<T>(0x00000002'00000005ull);
    EXPECT_FALSE(Ops::compare_exchange(g.a, expected, T(1), std::memory_order_seq_cst,
                                       std::memory_order_seq_cst));
    EXPECT_EQ(expected, static_cast<T>(0x00000001'00000005ull));
  }
  for (std::memory_order o : kLoadOrders) {
    g.a.store(big);
    EXPECT_EQ(Ops::load(g.a, o), big);
    g.a.store(T(0));
    EXPECT_EQ(Ops::load(g.a, o), T(0));
  }
  for (std::memory_order o : kStoreOrders) {
    Ops::store(g.a, big, o);
    EXPECT_EQ(g.a.load(), big);
    Ops::store(g.a, T(0), o);
    EXPECT_EQ(g.a.load(), T(0));
    Ops::store(g.a, std::numeric_limits<T>::min(), o);
    EXPECT_EQ(g.a.load(), std::numeric_limits<T>::min());
  }
  for (std::memory_order o : kRmwOrders) Ops::fence(o);
  Ops::pause();
  g.expect_guards_intact();
}

// ---------------------------------------------------------------------------
// Contention: exact totals.

constexpr int kThreads = 4;

template <class F>
void run_threads(int n, F&& body) {
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) threads.emplace_back(body, i);
  for (std::thread& t : threads) t.join();
}

// kThreads threads x kAdds fetch_add(1), each thread with another order,
// starting just below the type's maximum so the total wraps around.
template <class Ops, class T>
void check_contended_fetch_add() {
  SCOPED_TRACE(type_label<T>());
  constexpr int kAdds = 20000;
  const T start = static_cast<T>(std::numeric_limits<T>::max() - T(1000));
  Guarded<T> g;
  g.a.store(start);
  run_threads(kThreads, [&](int t) {
    const std::memory_order o = kRmwOrders[t % std::size(kRmwOrders)];
    for (int i = 0; i < kAdds; ++i) Ops::fetch_add(g.a, T(1), o);
  });
  using U = std::make_unsigned_t<T>;
  EXPECT_EQ(g.a.load(), static_cast<T>(static_cast<U>(start) + U(kThreads) * U(kAdds)));
  g.expect_guards_intact();
}

// A counter incremented by CAS loops: every failure must hand back the
// current value, or the loop would spin forever or lose increments.
template <class Ops, class T>
void check_cas_loop_counter() {
  SCOPED_TRACE(type_label<T>());
  constexpr int kIncrements = 10000;
  const T start = pattern<T>();
  Guarded<T> g;
  g.a.store(start);
  run_threads(kThreads, [&](int t) {
    const std::memory_order s = t % 2 ? std::memory_order_acq_rel : std::memory_order_seq_cst;
    const std::memory_order f = t % 2 ? std::memory_order_relaxed : std::memory_order_acquire;
    for (int i = 0; i < kIncrements; ++i) {
      T expected = Ops::load(g.a, std::memory_order_relaxed);
      while (!Ops::compare_exchange(g.a, expected, static_cast<T>(expected + 1), s, f)) {
      }
    }
  });
  using U = std::make_unsigned_t<T>;
  EXPECT_EQ(g.a.load(), static_cast<T>(static_cast<U>(start) + U(kThreads) * U(kIncrements)));
  g.expect_guards_intact();
}

// A token passed between threads through one slot with exchange: a thread
// takes the token by swapping in 0 (acquire), owns it, and hands back the
// next token (release) — and that exchange must return 0, since nobody else
// may have put a token in meanwhile. The token guards a plain counter (a
// lock built on exchange), so lost or duplicated tokens and missing
// ordering both show up in the totals.
template <class Ops, class T>
void check_exchange_token_passing() {
  SCOPED_TRACE(type_label<T>());
  constexpr int kPasses = 2000;
  // High bits set: tokens must survive the exchange at full width.
  const T first = sizeof(T) == 8 ? static_cast<T>(0x1'0000'0001ull) : T(1);
  Guarded<T> g;
  g.a.store(first);
  int64_t guarded_count = 0;  // written only by the token's owner
  std::atomic<int> bad_returns{0};
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kPasses; ++i) {
      T token;
      int spins = 0;
      while ((token = Ops::exchange(g.a, T(0), std::memory_order_acquire)) == T(0)) {
        Ops::pause();
        if (++spins % 64 == 0) std::this_thread::yield();  // the owner may be descheduled
      }
      ++guarded_count;
      if (Ops::exchange(g.a, static_cast<T>(token + 1), std::memory_order_release) != T(0))
        bad_returns.fetch_add(1);
    }
  });
  EXPECT_EQ(bad_returns.load(), 0);
  EXPECT_EQ(guarded_count, int64_t{kThreads} * kPasses);
  EXPECT_EQ(g.a.load(), static_cast<T>(first + static_cast<T>(kThreads * kPasses)));
  g.expect_guards_intact();
}

// Message passing between two threads, round after round: with
// release/acquire store and load, or with relaxed ones and fences.
template <class Ops, class T>
void check_message_passing(bool use_fences) {
  SCOPED_TRACE(type_label<T>() + (use_fences ? " fences" : " release/acquire"));
  constexpr int kRounds = 2000;
  std::atomic<T> data{0}, flag{0}, ack{0};
  std::atomic<int> mismatches{0};
  const std::memory_order st = use_fences ? std::memory_order_relaxed : std::memory_order_release;
  const std::memory_order ld = use_fences ? std::memory_order_relaxed : std::memory_order_acquire;
  const T base = pattern<T>();
  run_threads(2, [&](int t) {
    for (int r = 1; r <= kRounds; ++r) {
      const T value = static_cast<T>(base + T(r));
      if (t == 0) {  // writer
        Ops::store(data, value, std::memory_order_relaxed);
        if (use_fences) Ops::fence(std::memory_order_release);
        Ops::store(flag, T(r), st);
        for (int spins = 1; Ops::load(ack, ld) != T(r); ++spins)
          if (spins % 64 == 0) std::this_thread::yield();
      } else {  // reader
        for (int spins = 1; Ops::load(flag, ld) != T(r); ++spins) {
          Ops::pause();
          if (spins % 64 == 0) std::this_thread::yield();
        }
        if (use_fences) Ops::fence(std::memory_order_acquire);
        if (Ops::load(data, std::memory_order_relaxed) != value) mismatches.fetch_add(1);
        Ops::store(ack, T(r), st);
      }
    }
  });
  EXPECT_EQ(mismatches.load(), 0);
}

// ---------------------------------------------------------------------------
// Per-variant tests.

class ArchPathTest : public testing::TestWithParam<Variant> {
 protected:
  void SetUp() override { force_path(GetParam().path); }

 private:
  PathGuard guard_;
};

TEST_P(ArchPathTest, SingleThreadSemantics) {
  with_ops(GetParam(), [](auto ops) {
    using Ops = decltype(ops);
    check_semantics<Ops, uint32_t>();
    check_semantics<Ops, uint64_t>();
    check_semantics<Ops, int32_t>();
    check_semantics<Ops, int64_t>();
  });
}

TEST_P(ArchPathTest, ContendedFetchAddExactTotal) {
  with_ops(GetParam(), [](auto ops) {
    using Ops = decltype(ops);
    check_contended_fetch_add<Ops, uint32_t>();
    check_contended_fetch_add<Ops, uint64_t>();
    check_contended_fetch_add<Ops, int64_t>();
  });
}

TEST_P(ArchPathTest, CasLoopCounterExactTotal) {
  with_ops(GetParam(), [](auto ops) {
    using Ops = decltype(ops);
    check_cas_loop_counter<Ops, uint32_t>();
    check_cas_loop_counter<Ops, uint64_t>();
  });
}

TEST_P(ArchPathTest, ExchangeTokenPassing) {
  with_ops(GetParam(), [](auto ops) {
    using Ops = decltype(ops);
    check_exchange_token_passing<Ops, uint32_t>();
    check_exchange_token_passing<Ops, uint64_t>();
  });
}

TEST_P(ArchPathTest, MessagePassing) {
  with_ops(GetParam(), [](auto ops) {
    using Ops = decltype(ops);
    for (bool fences : {false, true}) {
      check_message_passing<Ops, uint32_t>(fences);
      check_message_passing<Ops, uint64_t>(fences);
    }
  });
}

TEST_P(ArchPathTest, ForcedPathIsActive) {
  EXPECT_EQ(active_path(), GetParam().path);
}

INSTANTIATE_TEST_SUITE_P(Paths, ArchPathTest, testing::ValuesIn(all_variants()), variant_name);

// All available paths at once on one counter, one Ops struct per thread:
// the paths are interchangeable on the same storage, which is what makes
// switching the active path at run time safe.
TEST(ArchMixedPaths, AllPathsOnOneCounter) {
  const std::vector<Path> paths = available_paths();
  constexpr int kAdds = 10000;
  const int n = std::max<int>(kThreads, static_cast<int>(paths.size()));
  std::atomic<uint64_t> counter{0};
  std::atomic<uint32_t> cas_counter{0};
  run_threads(n, [&](int t) {
    with_ops({paths[t % paths.size()], true}, [&](auto ops) {
      using Ops = decltype(ops);
      for (int i = 0; i < kAdds; ++i) {
        Ops::fetch_add(counter, uint64_t{1}, std::memory_order_seq_cst);
        uint32_t expected = Ops::load(cas_counter, std::memory_order_relaxed);
        while (!Ops::compare_exchange(cas_counter, expected, expected + 1,
                                      std::memory_order_acq_rel, std::memory_order_relaxed)) {
        }
      }
    });
  });
  EXPECT_EQ(counter.load(), uint64_t{kAdds} * n);
  EXPECT_EQ(cas_counter.load(), uint32_t{kAdds} * n);
}

// ---------------------------------------------------------------------------
// Path selection.

TEST(ArchDispatch, PathNamesRoundTrip) {
  EXPECT_STREQ(path_name(Path::kPortable), "portable");
  EXPECT_STREQ(path_name(Path::kX86_64), "x86_64");
  EXPECT_STREQ(path_name(Path::kLlsc), "llsc");
  EXPECT_STREQ(path_name(Path::kLse), "lse");
  EXPECT_STREQ(path_name(static_cast<Path>(42)), "unknown");
  for (Path p : kAllPaths) EXPECT_EQ(parse_path(path_name(p)), p);
  EXPECT_STREQ(PortableOps::kName, "portable");
  EXPECT_EQ(PortableOps::kPath, Path::kPortable);
#if defined(__x86_64__)
  EXPECT_STREQ(X86Ops::kName, "x86_64");
  EXPECT_EQ(X86Ops::kPath, Path::kX86_64);
#endif
#if defined(__aarch64__)
  EXPECT_STREQ(LlscOps::kName, "llsc");
  EXPECT_EQ(LlscOps::kPath, Path::kLlsc);
  EXPECT_STREQ(LseOps::kName, "lse");
  EXPECT_EQ(LseOps::kPath, Path::kLse);
#endif
}

TEST(ArchDispatch, ParseRejectsUnknownNames) {
  for (std::string_view bad : {"", "LSE", "Portable", "x86", "x86-64", "arm64", "lse ", " llsc",
                               "portable\n", "unknown"}) {
    EXPECT_EQ(parse_path(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ArchDispatch, AvailablePathsMatchBuildAndCpu) {
  const std::vector<Path> paths = available_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), Path::kPortable);
  EXPECT_TRUE(is_available(native_path()));
  for (size_t i = 1; i < paths.size(); ++i)
    EXPECT_LT(paths[i - 1], paths[i]);  // enum order, no duplicates
  std::vector<Path> want{Path::kPortable};
  if (!kTsan) {
#if defined(__x86_64__)
    want.push_back(Path::kX86_64);
#elif defined(__aarch64__)
    want.push_back(Path::kLlsc);
    if (cpu_has_lse()) want.push_back(Path::kLse);
#endif
  }
  EXPECT_EQ(paths, want);
}

TEST(ArchDispatch, NativePathConsistentWithCpuHasLse) {
#if defined(__aarch64__)
  if (kTsan) {
    EXPECT_EQ(native_path(), Path::kPortable);
  } else {
    EXPECT_EQ(native_path(), cpu_has_lse() ? Path::kLse : Path::kLlsc);
  }
  // Under qemu-user the CPU model is known: -cpu max has LSE, cortex-a57
  // (ARMv8.0) does not.
  if (const char* q = std::getenv("QEMU_CPU")) {
    if (std::string_view(q) == "max") {
      EXPECT_TRUE(cpu_has_lse());
    }
    if (std::string_view(q) == "cortex-a57") {
      EXPECT_FALSE(cpu_has_lse());
      EXPECT_FALSE(is_available(Path::kLse));
      PathGuard guard;
      EXPECT_THROW(force_path(Path::kLse), std::invalid_argument);
    }
  }
#elif defined(__x86_64__)
  EXPECT_FALSE(cpu_has_lse());
  EXPECT_EQ(native_path(), kTsan ? Path::kPortable : Path::kX86_64);
#else
  EXPECT_FALSE(cpu_has_lse());
  EXPECT_EQ(native_path(), Path::kPortable);
#endif
}

TEST(ArchDispatch, ForcePathSelectsEveryAvailablePath) {
  PathGuard guard;
  for (Path p : available_paths()) {
    force_path(p);
    EXPECT_EQ(active_path(), p);
  }
}

TEST(ArchDispatch, ForcePathRejectsUnavailablePaths) {
  PathGuard guard;
  const Path before = active_path();
  int rejected = 0;
  std::vector<Path> candidates(std::begin(kAllPaths), std::end(kAllPaths));
  candidates.push_back(static_cast<Path>(42));
  for (Path p : candidates) {
    if (is_available(p)) continue;
    ++rejected;
    try {
      force_path(p);
      ADD_FAILURE() << "force_path(" << path_name(p) << ") did not throw";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("'") + path_name(p) + "'"), std::string::npos) << what;
      for (Path q : available_paths())
        EXPECT_NE(what.find(path_name(q)), std::string::npos) << what;
    }
    EXPECT_EQ(active_path(), before);  // unchanged by a refused force
  }
  // No build has all four paths: at least one real path and the bogus value.
  EXPECT_GE(rejected, 2);
}

TEST(ArchDispatch, FreeFunctionsWithDefaultOrders) {
  PathGuard guard;
  for (Path p : available_paths()) {
    SCOPED_TRACE(path_name(p));
    force_path(p);
    std::atomic<uint64_t> a{5};
    EXPECT_EQ(fetch_add(a, uint64_t{3}), 5u);
    EXPECT_EQ(exchange(a, uint64_t{10}), 8u);
    EXPECT_EQ(load(a), 10u);
    store(a, uint64_t{11});
    EXPECT_EQ(load(a, std::memory_order_acquire), 11u);
    uint64_t expected = 11;
    EXPECT_TRUE(compare_exchange(a, expected, uint64_t{12}));
    EXPECT_FALSE(compare_exchange(a, expected, uint64_t{13}, std::memory_order_acq_rel));
    EXPECT_EQ(expected, 12u);
    EXPECT_TRUE(compare_exchange(a, expected, uint64_t{14}, std::memory_order_release));
    EXPECT_EQ(load(a), 14u);
    fence();
    cpu_relax();
  }
}

// Sets or clears SYNCSCOPE_ATOMIC_PATH for one scope.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* value) {
    if (const char* old = std::getenv(kVar)) old_ = old;
    if (value) {
      setenv(kVar, value, 1);
    } else {
      unsetenv(kVar);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(kVar, old_->c_str(), 1);
    } else {
      unsetenv(kVar);
    }
  }

 private:
  static constexpr const char* kVar = "SYNCSCOPE_ATOMIC_PATH";
  std::optional<std::string> old_;
};

TEST(ArchDispatch, EnvironmentChoosesInitialPath) {
  PathGuard guard;
  for (Path p : available_paths()) {
    ScopedEnv env(path_name(p));
    detail::reset_active_path_for_testing();
    EXPECT_EQ(active_path(), p);
  }
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    ScopedEnv env(unset);
    detail::reset_active_path_for_testing();
    EXPECT_EQ(active_path(), native_path());
  }
}

TEST(ArchDispatch, EnvironmentIsReadOnce) {
  PathGuard guard;
  {
    ScopedEnv env("portable");
    detail::reset_active_path_for_testing();
    EXPECT_EQ(active_path(), Path::kPortable);
  }
  ScopedEnv env(path_name(native_path()));
  EXPECT_EQ(active_path(), Path::kPortable);  // not re-read
}

// The first unavailable real path of this build on this CPU.
Path some_unavailable_path() {
  for (Path p : kAllPaths)
    if (!is_available(p)) return p;
  return Path::kPortable;  // unreachable: no build has all four paths
}

// ThreadSanitizer runs a background thread, and forking a multi-threaded
// process (gtest's default "fast" death-test style) is unsafe: re-execute
// the test binary instead ("threadsafe") there.
void use_safe_death_test_style() {
  if constexpr (kTsan) GTEST_FLAG_SET(death_test_style, "threadsafe");
}

TEST(ArchEnvDeathTest, UnknownValueExitsWithStatus2) {
  use_safe_death_test_style();
  EXPECT_EXIT(
      {
        setenv("SYNCSCOPE_ATOMIC_PATH", "bogus", 1);
        detail::reset_active_path_for_testing();
        (void)active_path();
        std::_Exit(0);
      },
      testing::ExitedWithCode(2), "SYNCSCOPE_ATOMIC_PATH=bogus: unknown atomic path.*portable");
}

TEST(ArchEnvDeathTest, UnavailableValueExitsWithStatus2) {
  use_safe_death_test_style();
  const std::string bad = path_name(some_unavailable_path());
  ASSERT_FALSE(is_available(some_unavailable_path()));
  EXPECT_EXIT(
      {
        setenv("SYNCSCOPE_ATOMIC_PATH", bad.c_str(), 1);
        detail::reset_active_path_for_testing();
        (void)active_path();
        std::_Exit(0);
      },
      testing::ExitedWithCode(2),
      "SYNCSCOPE_ATOMIC_PATH=" + bad + ": path not available.*valid values here: portable");
}

TEST(ArchEnvDeathTest, ForcePathAlsoReportsBadValue) {
  use_safe_death_test_style();
  EXPECT_EXIT(
      {
        setenv("SYNCSCOPE_ATOMIC_PATH", "LSE", 1);
        detail::reset_active_path_for_testing();
        force_path(Path::kPortable);
        std::_Exit(0);
      },
      testing::ExitedWithCode(2), "SYNCSCOPE_ATOMIC_PATH=LSE: unknown atomic path");
}

#if defined(__aarch64__)
// HWCAP_ATOMICS tells the truth: without it an LSE instruction traps.
TEST(ArchLseDeathTest, LseInstructionsTrapExactlyWithoutHwcap) {
  std::atomic<uint64_t> a{1};
  if (cpu_has_lse()) {
    EXPECT_EQ(LseOps::fetch_add(a, uint64_t{2}, std::memory_order_seq_cst), 1u);
    EXPECT_EQ(a.load(), 3u);
  } else {
    EXPECT_EXIT(
        {
          rlimit no_core{};  // no core file from the expected SIGILL
          setrlimit(RLIMIT_CORE, &no_core);
          LseOps::fetch_add(a, uint64_t{2}, std::memory_order_seq_cst);
          std::_Exit(0);
        },
        testing::KilledBySignal(SIGILL), "");
  }
}
#endif

}  // namespace
}  // namespace syncscope::arch

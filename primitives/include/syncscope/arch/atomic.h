// syncscope/arch/atomic.h — the ONE dispatch point for per-arch atomics.
//
// This is the only header that code outside primitives/arch includes. It
// offers:
//
//   enum class Path          the atomic implementations ("paths") of a build:
//                            kPortable, kX86_64, kLlsc, kLse
//   path_name / parse_path   Path <-> "portable" | "x86_64" | "llsc" | "lse"
//   cpu_has_lse()            ARMv8.1 LSE atomics reported by the kernel
//   native_path()            the path this CPU would pick by itself
//   available_paths()        the paths usable in this build on this CPU
//   active_path()            the path the dispatching functions use now
//   force_path(p)            select a path (throws if unavailable)
//   cpu_relax()              spin-wait hint: `pause` on x86, `yield` on ARM64
//
//   PortableOps              std::atomic, i.e. what the compiler emits
//   X86Ops      (x86-64)     inline asm: lock xadd, lock cmpxchg, xchg, mov
//   LlscOps     (aarch64)    inline asm: ldaxr/stlxr (ldxr/stxr) retry loops
//   LseOps      (aarch64)    inline asm: ARMv8.1 ldadd*, cas*, swp*
//
//   fetch_add, compare_exchange, exchange, load, store, fence
//                            free functions that branch on active_path()
//
// Every Ops struct has the same static members, for T in {uint32_t,
// uint64_t, int32_t, int64_t}:
//
//   static constexpr Path kPath;  static constexpr const char* kName;
//   T    fetch_add(std::atomic<T>& a, T v, std::memory_order o)
//   bool compare_exchange(std::atomic<T>& a, T& expected, T desired,
//                         std::memory_order success, std::memory_order failure)
//   T    exchange(std::atomic<T>& a, T v, std::memory_order o)
//   T    load(const std::atomic<T>& a, std::memory_order o)
//   void store(std::atomic<T>& a, T v, std::memory_order o)
//   void fence(std::memory_order o)          a thread fence
//   void pause()                             the spin-wait hint
//
// so a benchmark can be templated over the struct (`BM<X86Ops>`) and measure
// one path with no dispatch branch at all, while ordinary code calls the free
// functions and gets whichever path is active. compare_exchange is the
// *strong* form: it fails only if the value differed, and then writes the
// value it observed to `expected` (as std::atomic::compare_exchange_strong).
// The asm paths operate on the std::atomic<T>'s own storage, so every path
// can be mixed freely on the same object, also concurrently: all of them are
// real atomic instructions on the same memory. That is what makes switching
// the path at run time safe.
//
// Choosing the path. The initial active path is native_path(), unless the
// environment variable SYNCSCOPE_ATOMIC_PATH names another one
// (portable | x86_64 | llsc | lse). It is read once, lazily, by the first
// call of active_path() (or of any dispatching function, or force_path). An
// unknown or unavailable value prints one line naming the bad value and the
// valid ones to stderr and exits with status 2 — a benchmark must never run
// silently on a path other than the one asked for. force_path() overrides
// the choice at any time; benchmarks force before starting their threads.
//
// ThreadSanitizer (SYNCSCOPE_TSAN, or -fsanitize=thread detected) cannot see
// memory accesses made by inline asm: it would miss the happens-before edges
// they create and report false races. Sanitized builds therefore have only
// the portable path available and the dispatching functions compile to
// PortableOps alone. The Ops structs still exist (a benchmark templated over
// them still compiles) but tests run them only where available.
//
// Memory ordering: every Ops member implements the C++ memory_order it is
// given, never weaker; some paths give a stronger order than asked where the
// hardware has nothing cheaper (x86: every locked RMW is a full barrier).
// memory_order_consume is treated as acquire, as every compiler does. The
// `failure` order of compare_exchange must not be release or acq_rel (as for
// std::atomic); the asm paths implement the union of success and failure
// orders. The per-path headers document the exact instruction each order
// maps to:
//   primitives/arch/portable/portable_ops.h
//   primitives/arch/x86_64/x86_64_ops.h
//   primitives/arch/aarch64/aarch64_common.h, rmw_llsc.h, rmw_lse.h
// The dispatching functions add no ordering of their own: the path variable
// is read relaxed (see detail::active_path_state).
#ifndef SYNCSCOPE_ARCH_ATOMIC_H_
#define SYNCSCOPE_ARCH_ATOMIC_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#if defined(SYNCSCOPE_TSAN) || defined(__SANITIZE_THREAD__)
#define SYNCSCOPE_ARCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNCSCOPE_ARCH_TSAN 1
#endif
#endif

namespace syncscope::arch {

// The atomic implementations. The integer values are stable (they are
// stored in detail::active_path_state and printed by nothing else).
enum class Path : int { kPortable = 0, kX86_64 = 1, kLlsc = 2, kLse = 3 };

// The path's name: "portable", "x86_64", "llsc", "lse"; "unknown" for a
// value outside the enum.
const char* path_name(Path p) noexcept;

// The inverse of path_name: exact, case-sensitive match; nullopt otherwise.
std::optional<Path> parse_path(std::string_view name);

// aarch64: the kernel reports ARMv8.1 LSE atomics (getauxval(AT_HWCAP) &
// HWCAP_ATOMICS). false on every other architecture.
bool cpu_has_lse() noexcept;

// The path this build would pick on this CPU: x86_64 on x86-64; lse if
// cpu_has_lse() else llsc on aarch64; portable under ThreadSanitizer or on
// other architectures.
Path native_path() noexcept;

// The paths usable in this build on this CPU, in enum order. portable is
// always there; x86_64 on x86-64; llsc on aarch64, lse on aarch64 only if
// cpu_has_lse(); none but portable under ThreadSanitizer.
std::vector<Path> available_paths();

// Makes `p` the active path. Throws std::invalid_argument naming `p` and the
// available paths if `p` is not one of available_paths(). Reads
// SYNCSCOPE_ATOMIC_PATH first if nothing has yet (so a bad value is reported
// the same way in every program).
void force_path(Path p);

// The spin-wait hint: `pause` on x86-64, `yield` on aarch64, a compiler
// barrier elsewhere. It tells the core a spin loop is running (x86: avoids
// the memory-order mis-speculation flush on loop exit and yields the core's
// resources to the SMT sibling). It orders nothing.
inline void cpu_relax() noexcept;

namespace detail {

// Sentinel of active_path_state before the environment has been read.
inline constexpr int kPathUnset = -1;

// The active path as an int (a Path value), or kPathUnset.
// Written by force_path() (any thread, any time) and by the one-time lazy
// initialiser (from kPathUnset only, by compare-exchange, so a force_path
// that raced with it wins). Read by every dispatching call.
// Direction: leaves kPathUnset once and never returns to it (except through
// reset_active_path_for_testing).
// Ordering: relaxed everywhere. The value only selects which instructions
// operate on the caller's atomic; every path is atomic on the same storage,
// so a thread that still sees the old path is correct, merely measuring the
// other path. Programs that need every thread on the new path force it
// before creating the threads (thread creation orders the store).
inline std::atomic<int> active_path_state{kPathUnset};

// Slow path of active_path(): reads SYNCSCOPE_ATOMIC_PATH (exits with status
// 2 on a bad value), installs the result unless force_path() already ran, and
// returns the now-active path. Outlined: it runs once per process and does
// I/O, while active_path() is inlined into every dispatching call.
Path init_active_path() noexcept;

// The path SYNCSCOPE_ATOMIC_PATH asks for (native_path() if it is unset or
// empty). On an unknown or unavailable value: one line to stderr naming the
// value and the valid ones, then std::exit(2).
Path path_from_environment() noexcept;

// Tests only: forget the active path so the next active_path() reads the
// environment again.
void reset_active_path_for_testing() noexcept;

// The spin-wait hint shared by cpu_relax() and PortableOps::pause().
inline void spin_hint() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

// The storage of a std::atomic<T>, for the asm paths. They access the
// object's bytes directly, which is sound only because std::atomic<T> of
// these types is exactly a T (same size and alignment) and lock-free.
template <class T>
inline constexpr bool kSupportedAtomic =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && (sizeof(T) == 4 || sizeof(T) == 8);

template <class T>
inline T* storage(std::atomic<T>& a) noexcept {
  static_assert(kSupportedAtomic<T>, "syncscope::arch ops take 32- or 64-bit integers");
  static_assert(sizeof(std::atomic<T>) == sizeof(T), "std::atomic<T> must be exactly a T");
  static_assert(alignof(std::atomic<T>) == alignof(T) && alignof(T) == sizeof(T),
                "std::atomic<T> must be naturally aligned");
  static_assert(std::atomic<T>::is_always_lock_free, "std::atomic<T> must be lock-free");
  return reinterpret_cast<T*>(&a);
}

template <class T>
inline const T* storage(const std::atomic<T>& a) noexcept {
  return storage(const_cast<std::atomic<T>&>(a));
}

// Order classification shared by the asm paths.
constexpr bool has_acquire(std::memory_order o) noexcept {
  return o == std::memory_order_consume || o == std::memory_order_acquire ||
         o == std::memory_order_acq_rel || o == std::memory_order_seq_cst;
}
constexpr bool has_release(std::memory_order o) noexcept {
  return o == std::memory_order_release || o == std::memory_order_acq_rel ||
         o == std::memory_order_seq_cst;
}

// The success order of a CAS strengthened to cover its failure order:
// seq_cst if failure is seq_cst; with acquire added if failure acquires.
constexpr std::memory_order cas_success_order(std::memory_order success,
                                              std::memory_order failure) noexcept {
  if (failure == std::memory_order_seq_cst) return std::memory_order_seq_cst;
  if (has_acquire(failure) && !has_acquire(success)) {
    return success == std::memory_order_release ? std::memory_order_acq_rel
                                                : std::memory_order_acquire;
  }
  return success;
}

}  // namespace detail

// The path the dispatching functions use now. Fast path inline (one relaxed
// load); the first call in a process reads the environment (outlined).
inline Path active_path() noexcept {
  const int p = detail::active_path_state.load(std::memory_order_relaxed);
  if (p < 0) [[unlikely]] return detail::init_active_path();
  return static_cast<Path>(p);
}

inline void cpu_relax() noexcept { detail::spin_hint(); }

}  // namespace syncscope::arch

// The per-path headers. They refuse to be included from anywhere else; they
// are reached by a path relative to this file so that primitives/arch need
// not be an include directory.
#define SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER 1
#include "../../../arch/portable/portable_ops.h"
#if defined(__x86_64__)
#include "../../../arch/x86_64/x86_64_ops.h"
#endif
#if defined(__aarch64__)
#include "../../../arch/aarch64/aarch64_common.h"
#include "../../../arch/aarch64/rmw_llsc.h"
#include "../../../arch/aarch64/rmw_lse.h"
#endif
#undef SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER

namespace syncscope::arch {

// The dispatching functions: same signatures and semantics as the Ops
// members, on the active path. Under ThreadSanitizer they compile to
// PortableOps only (no asm path can be active there).
#if defined(SYNCSCOPE_ARCH_TSAN) || !(defined(__x86_64__) || defined(__aarch64__))
#define SYNCSCOPE_ARCH_DISPATCH(call) return PortableOps::call
#elif defined(__x86_64__)
#define SYNCSCOPE_ARCH_DISPATCH(call)                            \
  if (active_path() == Path::kX86_64) return X86Ops::call;       \
  return PortableOps::call
#else
#define SYNCSCOPE_ARCH_DISPATCH(call)                            \
  switch (active_path()) {                                       \
    case Path::kLse: return LseOps::call;                        \
    case Path::kLlsc: return LlscOps::call;                      \
    default: return PortableOps::call;                           \
  }
#endif

// a += v; returns the previous value.
template <class T>
inline T fetch_add(std::atomic<T>& a, T v,
                   std::memory_order o = std::memory_order_seq_cst) noexcept {
  SYNCSCOPE_ARCH_DISPATCH(fetch_add(a, v, o));
}

// Strong compare-and-swap: if a == expected, a = desired and true; else
// expected = (value observed) and false.
template <class T>
inline bool compare_exchange(std::atomic<T>& a, T& expected, T desired,
                             std::memory_order success, std::memory_order failure) noexcept {
  SYNCSCOPE_ARCH_DISPATCH(compare_exchange(a, expected, desired, success, failure));
}

// As above with one order; the failure order is derived from it as
// std::atomic does (acq_rel -> acquire, release -> relaxed, else the same).
template <class T>
inline bool compare_exchange(std::atomic<T>& a, T& expected, T desired,
                             std::memory_order o = std::memory_order_seq_cst) noexcept {
  const std::memory_order failure = o == std::memory_order_acq_rel   ? std::memory_order_acquire
                                    : o == std::memory_order_release ? std::memory_order_relaxed
                                                                     : o;
  return compare_exchange(a, expected, desired, o, failure);
}

// a = v; returns the previous value.
template <class T>
inline T exchange(std::atomic<T>& a, T v,
                  std::memory_order o = std::memory_order_seq_cst) noexcept {
  SYNCSCOPE_ARCH_DISPATCH(exchange(a, v, o));
}

// Returns a. `o` must be relaxed, consume, acquire or seq_cst.
template <class T>
inline T load(const std::atomic<T>& a, std::memory_order o = std::memory_order_seq_cst) noexcept {
  SYNCSCOPE_ARCH_DISPATCH(load(a, o));
}

// a = v. `o` must be relaxed, release or seq_cst.
template <class T>
inline void store(std::atomic<T>& a, T v,
                  std::memory_order o = std::memory_order_seq_cst) noexcept {
  SYNCSCOPE_ARCH_DISPATCH(store(a, v, o));
}

// A thread fence of order `o` (std::atomic_thread_fence on the active path).
inline void fence(std::memory_order o = std::memory_order_seq_cst) noexcept {
  SYNCSCOPE_ARCH_DISPATCH(fence(o));
}

#undef SYNCSCOPE_ARCH_DISPATCH

}  // namespace syncscope::arch

#endif  // SYNCSCOPE_ARCH_ATOMIC_H_

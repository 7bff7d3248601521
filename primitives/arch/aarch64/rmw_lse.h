// primitives/arch/aarch64/rmw_lse.h — LseOps: ARMv8.1 Large System Extensions.
//
// Offers syncscope::arch::LseOps (kPath = Path::kLse, kName = "lse"):
// fetch_add, compare_exchange and exchange as single LSE atomic
// instructions; load, store, fence and pause from detail::Aarch64LoadStore
// (aarch64_common.h).
//
//   fetch_add          ldadd{,a,l,al}  v, old, [p]
//   compare_exchange   cas{,a,l,al}    cmp, desired, [p]   (cmp := observed)
//   exchange           swp{,a,l,al}    v, old, [p]
//
// The instructions exist only on ARMv8.1+ CPUs: executing them elsewhere
// raises SIGILL. So LseOps must run only where cpu_has_lse() (the dispatcher
// and force_path() enforce it for the free functions; code using LseOps
// directly checks available_paths(), as the benchmarks do). The rest of the
// program keeps targeting baseline armv8-a: each asm statement enables the
// mnemonics for the assembler with `.arch_extension lse` itself, instead of
// building the file with -march=armv8.1-a (which would let the compiler
// emit LSE anywhere in it). The directive only affects which mnemonics the
// assembler accepts, not what the compiler generates.
//
// compare_exchange: `cas` loads the value into the compare register whether
// or not it stores, so success is (observed == expected) and the observed
// value is what a failure writes back to `expected`. Never fails spuriously.
//
// Memory ordering: the suffix is the order (detail::rmw_order, cas_order):
//
//   order                 fetch_add   compare_exchange   exchange
//   relaxed               ldadd       cas                swp
//   consume, acquire      ldadda      casa               swpa
//   release               ldaddl      casl               swpl
//   acq_rel, seq_cst      ldaddal     casal              swpal
//
// "a" makes the load half an acquire (for cas also on failure), "l" the
// store half a release; both are RCsc, so acq_rel is seq_cst (the C++
// mapping GCC and LLVM use). casa is used when the failure order alone asks
// for acquire; casl's failure performs no release (nothing is stored).
//
// Fairness and starvation: each RMW is one instruction that completes in a
// bounded number of steps (wait-free from the program's view); the hardware
// may execute it at the cache line's home ("far atomic") instead of
// migrating the line, which is why contended counters scale better than
// with LL/SC. Arbitration between cores is the interconnect's.
//
// Include <syncscope/arch/atomic.h>, never this file.
#ifndef SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER
#error "rmw_lse.h is internal: include <syncscope/arch/atomic.h> instead"
#endif

#ifndef SYNCSCOPE_ARCH_AARCH64_RMW_LSE_H_
#define SYNCSCOPE_ARCH_AARCH64_RMW_LSE_H_

#include <atomic>

namespace syncscope::arch {

// One asm statement per ordering variant: OP(R, SUFFIX, clobbers...) where R
// is the register width ("w" or "x"); relaxed clobbers nothing, the others
// "memory".
#define SYNCSCOPE_LSE_BY_ORDER(ORDER, OP, R)                                       \
  switch (ORDER) {                                                                 \
    case detail::RmwOrder::kRelaxed: OP(R, ""); break;                             \
    case detail::RmwOrder::kAcquire: OP(R, "a", "memory"); break;                  \
    case detail::RmwOrder::kRelease: OP(R, "l", "memory"); break;                  \
    default: /* kAcqRel */ OP(R, "al", "memory"); break;                         \
  }

#define SYNCSCOPE_LSE_FETCH_ADD(R, SFX, ...)                                       \
  asm volatile(".arch_extension lse\n\t"                                           \
               "ldadd" SFX "\t%" R "[v], %" R "[old], %[mem]"                      \
               : [old] "=&r"(old), [mem] "+Q"(*p)                                  \
               : [v] "r"(v)                                                        \
               : __VA_ARGS__)

#define SYNCSCOPE_LSE_EXCHANGE(R, SFX, ...)                                        \
  asm volatile(".arch_extension lse\n\t"                                           \
               "swp" SFX "\t%" R "[v], %" R "[old], %[mem]"                        \
               : [old] "=&r"(old), [mem] "+Q"(*p)                                  \
               : [v] "rZ"(v)                                                       \
               : __VA_ARGS__)

#define SYNCSCOPE_LSE_CAS(R, SFX, ...)                                             \
  asm volatile(".arch_extension lse\n\t"                                           \
               "cas" SFX "\t%" R "[cmp], %" R "[des], %[mem]"                      \
               : [cmp] "+&r"(cmp), [mem] "+Q"(*p)                                  \
               : [des] "rZ"(desired)                                               \
               : __VA_ARGS__)

struct LseOps : detail::Aarch64LoadStore {
  static constexpr Path kPath = Path::kLse;
  static constexpr const char* kName = "lse";

  // a += v; returns the previous value. One ldadd{,a,l,al}.
  template <class T>
  static T fetch_add(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    T old;
    if constexpr (sizeof(T) == 4) {
      SYNCSCOPE_LSE_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LSE_FETCH_ADD, "w")
    } else {
      SYNCSCOPE_LSE_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LSE_FETCH_ADD, "x")
    }
    return old;
  }

  // Strong CAS, one cas{,a,l,al}: on failure writes the observed value to
  // `expected`.
  template <class T>
  static bool compare_exchange(std::atomic<T>& a, T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    T* p = detail::storage(a);
    const T want = expected;  // a local: the asm's memory operand may alias `expected`
    T cmp = want;
    if constexpr (sizeof(T) == 4) {
      SYNCSCOPE_LSE_BY_ORDER(detail::cas_order(success, failure), SYNCSCOPE_LSE_CAS, "w")
    } else {
      SYNCSCOPE_LSE_BY_ORDER(detail::cas_order(success, failure), SYNCSCOPE_LSE_CAS, "x")
    }
    expected = cmp;
    return cmp == want;
  }

  // a = v; returns the previous value. One swp{,a,l,al}.
  template <class T>
  static T exchange(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    T old;
    if constexpr (sizeof(T) == 4) {
      SYNCSCOPE_LSE_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LSE_EXCHANGE, "w")
    } else {
      SYNCSCOPE_LSE_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LSE_EXCHANGE, "x")
    }
    return old;
  }
};

#undef SYNCSCOPE_LSE_BY_ORDER
#undef SYNCSCOPE_LSE_FETCH_ADD
#undef SYNCSCOPE_LSE_EXCHANGE
#undef SYNCSCOPE_LSE_CAS

}  // namespace syncscope::arch

#endif  // SYNCSCOPE_ARCH_AARCH64_RMW_LSE_H_

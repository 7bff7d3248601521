// primitives/arch/aarch64/rmw_llsc.h — LlscOps: ARMv8.0 load/store-exclusive.
//
// Offers syncscope::arch::LlscOps (kPath = Path::kLlsc, kName = "llsc"):
// fetch_add, compare_exchange and exchange as load-exclusive /
// store-exclusive retry loops, which every ARMv8 CPU has; load, store, fence
// and pause from detail::Aarch64LoadStore (aarch64_common.h).
//
//   fetch_add          1: ldXr old,[p]; add new,old,v; stXr fail,new,[p]; cbnz fail,1b
//   exchange           1: ldXr old,[p];                stXr fail,v,[p];   cbnz fail,1b
//   compare_exchange   1: ldXr old,[p]; cmp old,exp; b.ne 2f;
//                         stXr fail,des,[p]; cbnz fail,1b; b 3f
//                      2: clrex
//                      3:  (success/failure from the flags of the cmp)
//
// How the loop works: ldxr loads the value and arms the core's exclusive
// monitor for the address; stxr stores only if no other observer wrote the
// granule since, and reports 0 (stored) or 1 (lost the reservation: retry).
// The loops keep the exclusive section minimal — no other memory access and
// no branch out between ldxr and stxr, except the CAS mismatch exit — which
// is what the Arm ARM requires for the guarantee of forward progress.
// compare_exchange is strong: it retries after a lost reservation and fails
// only on a value mismatch. On that exit it executes `clrex`, so that every
// load-exclusive is paired with a store-exclusive or a clear, as the Arm ARM
// recommends and LLVM emits. Correctness does not depend on it (the next
// LL/SC sequence re-arms the monitor), but it drops the reservation at once
// instead of leaving the monitor open on a line this core no longer uses.
//
// Memory ordering: the load and the store half each take an acquire /
// release variant (detail::rmw_order, cas_order):
//
//   order                 load    store
//   relaxed               ldxr    stxr
//   consume, acquire      ldaxr   stxr
//   release               ldxr    stlxr
//   acq_rel, seq_cst      ldaxr   stlxr
//
// seq_cst needs no trailing dmb: ldaxr/stlxr are RCsc like ldar/stlr, which
// is the C++ mapping GCC and LLVM use. (The Linux kernel adds `dmb ish` to
// its *fully ordered* atomics, a stronger contract than C++ seq_cst.)
// compare_exchange uses ldaxr if success or failure needs acquire, stlxr if
// success needs release.
//
// Fairness and starvation: none guaranteed. Under contention a core can lose
// its reservation to other writers repeatedly, so an LL/SC RMW is lock-free,
// not wait-free, and its cost grows with the number of contenders (the cache
// line must be held exclusively from ldxr to stxr). LseOps performs the same
// RMW as one instruction the interconnect can execute near the data.
//
// Include <syncscope/arch/atomic.h>, never this file.
#ifndef SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER
#error "rmw_llsc.h is internal: include <syncscope/arch/atomic.h> instead"
#endif

#ifndef SYNCSCOPE_ARCH_AARCH64_RMW_LLSC_H_
#define SYNCSCOPE_ARCH_AARCH64_RMW_LLSC_H_

#include <atomic>
#include <cstdint>

namespace syncscope::arch {

// One asm statement per ordering variant: OP(R, LD, ST, clobbers...) where R
// is the register width ("w" or "x"). Relaxed clobbers nothing; the others
// also clobber "memory" (a compiler barrier, as the order requires).
#define SYNCSCOPE_LLSC_BY_ORDER(ORDER, OP, R)                                      \
  switch (ORDER) {                                                                 \
    case detail::RmwOrder::kRelaxed: OP(R, "ldxr", "stxr"); break;                 \
    case detail::RmwOrder::kAcquire: OP(R, "ldaxr", "stxr", "memory"); break;      \
    case detail::RmwOrder::kRelease: OP(R, "ldxr", "stlxr", "memory"); break;      \
    default: /* kAcqRel */ OP(R, "ldaxr", "stlxr", "memory"); break;             \
  }

// Operands: old (value loaded), sum (value stored), fail (stxr status), all
// early-clobbered (written before the inputs are last read; stxr's status
// must differ from its data and address registers).
#define SYNCSCOPE_LLSC_FETCH_ADD(R, LD, ST, ...)                                   \
  asm volatile("1:\t" LD "\t%" R "[old], %[mem]\n\t"                               \
               "add\t%" R "[sum], %" R "[old], %" R "[v]\n\t"                      \
               ST "\t%w[fail], %" R "[sum], %[mem]\n\t"                            \
               "cbnz\t%w[fail], 1b"                                                \
               : [old] "=&r"(old), [sum] "=&r"(sum), [fail] "=&r"(fail),           \
                 [mem] "+Q"(*p)                                                    \
               : [v] "r"(v)                                                        \
               : __VA_ARGS__)

#define SYNCSCOPE_LLSC_EXCHANGE(R, LD, ST, ...)                                    \
  asm volatile("1:\t" LD "\t%" R "[old], %[mem]\n\t"                               \
               ST "\t%w[fail], %" R "[v], %[mem]\n\t"                              \
               "cbnz\t%w[fail], 1b"                                                \
               : [old] "=&r"(old), [fail] "=&r"(fail), [mem] "+Q"(*p)              \
               : [v] "rZ"(v)                                                       \
               : __VA_ARGS__)

// ok comes from the flags of the cmp: stxr, cbnz, b and clrex leave them.
#define SYNCSCOPE_LLSC_CAS(R, LD, ST, ...)                                         \
  asm volatile("1:\t" LD "\t%" R "[old], %[mem]\n\t"                               \
               "cmp\t%" R "[old], %" R "[exp]\n\t"                                 \
               "b.ne\t2f\n\t"                                                      \
               ST "\t%w[fail], %" R "[des], %[mem]\n\t"                            \
               "cbnz\t%w[fail], 1b\n\t"                                            \
               "b\t3f\n"                                                           \
               "2:\tclrex\n"                                                       \
               "3:"                                                                \
               : "=@cceq"(ok), [old] "=&r"(old), [fail] "=&r"(fail),               \
                 [mem] "+Q"(*p)                                                    \
               : [exp] "r"(expected), [des] "rZ"(desired)                          \
               : __VA_ARGS__)

struct LlscOps : detail::Aarch64LoadStore {
  static constexpr Path kPath = Path::kLlsc;
  static constexpr const char* kName = "llsc";

  // a += v; returns the previous value. ld(a)xr/add/st(l)xr loop.
  template <class T>
  static T fetch_add(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    T old, sum;
    uint32_t fail;
    if constexpr (sizeof(T) == 4) {
      SYNCSCOPE_LLSC_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LLSC_FETCH_ADD, "w")
    } else {
      SYNCSCOPE_LLSC_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LLSC_FETCH_ADD, "x")
    }
    return old;
  }

  // Strong CAS: retries lost reservations, fails only on a mismatch, then
  // writes the observed value to `expected` (and clears the monitor).
  template <class T>
  static bool compare_exchange(std::atomic<T>& a, T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    T* p = detail::storage(a);
    T old;
    uint32_t fail;
    bool ok;
    if constexpr (sizeof(T) == 4) {
      SYNCSCOPE_LLSC_BY_ORDER(detail::cas_order(success, failure), SYNCSCOPE_LLSC_CAS, "w")
    } else {
      SYNCSCOPE_LLSC_BY_ORDER(detail::cas_order(success, failure), SYNCSCOPE_LLSC_CAS, "x")
    }
    expected = old;  // equal to expected already on success
    return ok;
  }

  // a = v; returns the previous value. ld(a)xr/st(l)xr loop.
  template <class T>
  static T exchange(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    T old;
    uint32_t fail;
    if constexpr (sizeof(T) == 4) {
      SYNCSCOPE_LLSC_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LLSC_EXCHANGE, "w")
    } else {
      SYNCSCOPE_LLSC_BY_ORDER(detail::rmw_order(o), SYNCSCOPE_LLSC_EXCHANGE, "x")
    }
    return old;
  }
};

#undef SYNCSCOPE_LLSC_BY_ORDER
#undef SYNCSCOPE_LLSC_FETCH_ADD
#undef SYNCSCOPE_LLSC_EXCHANGE
#undef SYNCSCOPE_LLSC_CAS

}  // namespace syncscope::arch

#endif  // SYNCSCOPE_ARCH_AARCH64_RMW_LLSC_H_

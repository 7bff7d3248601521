// primitives/arch/aarch64/aarch64_common.h — what the two ARM64 paths share.
//
// Offers detail::Aarch64LoadStore, the base of LlscOps (rmw_llsc.h) and
// LseOps (rmw_lse.h): load, store, fence and pause, plus the order
// classification both read-modify-write files use. As in Concurrency Kit's
// aarch64 port, fences, loads and stores are the same instructions on every
// ARMv8 CPU; only read-modify-write differs between the LL/SC and the LSE
// file. Everything here is baseline armv8-a.
//
//   load   relaxed            ldr  reg, mem
//          consume/acquire/   ldar reg, [base]
//          seq_cst
//   store  relaxed            str  reg, mem
//          release/seq_cst    stlr reg, [base]
//   fence  relaxed            nothing
//          consume/acquire    dmb ishld
//          release/acq_rel/   dmb ish
//          seq_cst
//   pause                     yield
//
// Memory ordering (ARMv8 is other-multi-copy-atomic but weakly ordered: any
// two accesses to different locations may be reordered unless an
// acquire/release instruction, a barrier or a dependency orders them):
//   * ldar is a load-acquire: no later access is performed before it.
//   * stlr is a store-release: no earlier access is performed after it.
//   * ldar and stlr are "RCsc": an ldar is never performed before an earlier
//     stlr in program order. That is exactly what seq_cst needs between a
//     seq_cst store and a later seq_cst load, so seq_cst loads and stores
//     need no dmb (the mapping GCC and LLVM use).
//   * A release fence must order earlier loads *and* stores before later
//     stores; `dmb ishst` orders stores only, so it is `dmb ish`. An acquire
//     fence orders earlier loads before later loads and stores: `dmb ishld`.
// The asm is volatile and clobbers "memory" unless the order is relaxed.
//
// Include <syncscope/arch/atomic.h>, never this file.
#ifndef SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER
#error "aarch64_common.h is internal: include <syncscope/arch/atomic.h> instead"
#endif

#ifndef SYNCSCOPE_ARCH_AARCH64_AARCH64_COMMON_H_
#define SYNCSCOPE_ARCH_AARCH64_AARCH64_COMMON_H_

#if !defined(__aarch64__)
#error "aarch64_common.h targets aarch64 only"
#endif

#include <atomic>

namespace syncscope::arch::detail {

// The four ordering variants of an ARMv8 read-modify-write: whether its load
// half is an acquire and whether its store half is a release.
enum class RmwOrder { kRelaxed, kAcquire, kRelease, kAcqRel };

constexpr RmwOrder rmw_order(bool acquire, bool release) noexcept {
  return acquire ? (release ? RmwOrder::kAcqRel : RmwOrder::kAcquire)
                 : (release ? RmwOrder::kRelease : RmwOrder::kRelaxed);
}

// An RMW of order o (fetch_add, exchange). seq_cst is acq_rel: an RMW whose
// load is an acquire and whose store is a release is RCsc-ordered against
// every other seq_cst access (the C++-to-ARMv8 mapping).
constexpr RmwOrder rmw_order(std::memory_order o) noexcept {
  return rmw_order(has_acquire(o), has_release(o));
}

// A compare-exchange: the load half must satisfy both orders (on failure
// only the load happens), the store half only the success order.
constexpr RmwOrder cas_order(std::memory_order success, std::memory_order failure) noexcept {
  return rmw_order(has_acquire(success) || has_acquire(failure), has_release(success));
}

struct Aarch64LoadStore {
  // relaxed: `ldr`; every other order: `ldar` (load-acquire, RCsc).
  template <class T>
  static T load(const std::atomic<T>& a, std::memory_order o) noexcept {
    const T* p = storage(a);
    T r;
    if constexpr (sizeof(T) == 4) {
      if (o == std::memory_order_relaxed) {
        asm volatile("ldr %w0, %1" : "=r"(r) : "m"(*p));
      } else {
        asm volatile("ldar %w0, %1" : "=r"(r) : "Q"(*p) : "memory");
      }
    } else {
      if (o == std::memory_order_relaxed) {
        asm volatile("ldr %x0, %1" : "=r"(r) : "m"(*p));
      } else {
        asm volatile("ldar %x0, %1" : "=r"(r) : "Q"(*p) : "memory");
      }
    }
    return r;
  }

  // relaxed: `str`; release and seq_cst: `stlr` (store-release, RCsc).
  // Zero is stored from the zero register, like the compiler does.
  template <class T>
  static void store(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = storage(a);
    if constexpr (sizeof(T) == 4) {
      if (o == std::memory_order_relaxed) {
        asm volatile("str %w1, %0" : "=m"(*p) : "rZ"(v));
      } else {
        asm volatile("stlr %w1, %0" : "=Q"(*p) : "rZ"(v) : "memory");
      }
    } else {
      if (o == std::memory_order_relaxed) {
        asm volatile("str %x1, %0" : "=m"(*p) : "rZ"(v));
      } else {
        asm volatile("stlr %x1, %0" : "=Q"(*p) : "rZ"(v) : "memory");
      }
    }
  }

  // consume/acquire: `dmb ishld`; release/acq_rel/seq_cst: `dmb ish`;
  // relaxed: nothing. Inner-shareable domain: all the cores of the system.
  static void fence(std::memory_order o) noexcept {
    if (o == std::memory_order_relaxed) return;
    if (o == std::memory_order_consume || o == std::memory_order_acquire) {
      asm volatile("dmb ishld" ::: "memory");
    } else {
      asm volatile("dmb ish" ::: "memory");
    }
  }

  // `yield`: the spin-wait hint (a compiler barrier too).
  static void pause() noexcept { asm volatile("yield" ::: "memory"); }
};

}  // namespace syncscope::arch::detail

#endif  // SYNCSCOPE_ARCH_AARCH64_AARCH64_COMMON_H_

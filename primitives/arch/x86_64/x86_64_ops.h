// primitives/arch/x86_64/x86_64_ops.h — X86Ops: the x86-64 inline-asm path.
//
// Offers syncscope::arch::X86Ops (kPath = Path::kX86_64, kName = "x86_64"):
//
//   fetch_add          lock xadd  reg, mem
//   compare_exchange   lock cmpxchg reg, mem   (expected in rax, result from ZF)
//   exchange           xchg reg, mem           (implicitly locked)
//   load               mov mem, reg
//   store              mov reg/imm, mem; xchg reg, mem for seq_cst
//   fence              mfence for seq_cst; a compiler barrier otherwise
//   pause              pause
//
// Each operation is one instruction, written out so the benchmark measures
// the instruction and nothing else; for fetch_add this is exactly what GCC
// emits for std::atomic::fetch_add when the result is used (the arch
// disassembly test pins that). Differences from the compiler's own code, so
// a reader of the benchmark knows what portable vs x86_64 compares:
//   * fetch_add always uses xadd: GCC emits `lock add` when the result is
//     discarded, X86Ops always produces the old value.
//   * fence(seq_cst) is `mfence`; GCC 12 emits `lock or $0,(%rsp)`, which
//     orders ordinary memory as well but not non-temporal stores.
//
// Memory ordering (x86-64 TSO: loads are not reordered with loads, stores not
// with stores, loads not with older stores to the same location; the only
// reordering the hardware does is a later load passing an earlier store to a
// different location, through the store buffer):
//   * Every locked RMW (lock xadd, lock cmpxchg, xchg) drains the store
//     buffer and is a full barrier, so each RMW is seq_cst whatever order is
//     asked; relaxed only lets the *compiler* move other accesses across it.
//   * A plain mov load is already acquire, a plain mov store already
//     release; they differ from relaxed only by a compiler barrier.
//   * A seq_cst store must not let a later seq_cst load pass it (the one
//     TSO reordering), hence xchg, a locked RMW, instead of mov; seq_cst
//     loads stay plain movs (the "fence on store" mapping C++ compilers use).
// Fairness: a locked instruction completes in bounded time once issued
// (wait-free from the program's view); which core's RMW wins a contended
// line is decided by the cache-coherence hardware, not by this code.
// Every asm statement is volatile (never deleted, merged or hoisted out of a
// spin loop, as for std::atomic) and has a "memory" clobber (compiler
// barrier) unless the order is relaxed.
//
// Include <syncscope/arch/atomic.h>, never this file.
#ifndef SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER
#error "x86_64_ops.h is internal: include <syncscope/arch/atomic.h> instead"
#endif

#ifndef SYNCSCOPE_ARCH_X86_64_X86_64_OPS_H_
#define SYNCSCOPE_ARCH_X86_64_X86_64_OPS_H_

#if !defined(__x86_64__)
#error "x86_64_ops.h targets x86-64 only"
#endif

#include <atomic>

namespace syncscope::arch {

struct X86Ops {
  static constexpr Path kPath = Path::kX86_64;
  static constexpr const char* kName = "x86_64";

  // a += v; returns the previous value. `lock xadd`: a full barrier for any o.
  template <class T>
  static T fetch_add(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    if (o == std::memory_order_relaxed) {
      asm volatile("lock xadd %0, %1" : "+r"(v), "+m"(*p) : : "cc");
    } else {
      asm volatile("lock xadd %0, %1" : "+r"(v), "+m"(*p) : : "cc", "memory");
    }
    return v;
  }

  // Strong CAS, `lock cmpxchg`: compares rax (`expected`) with the memory;
  // if equal stores `desired` and sets ZF, else loads the memory into rax
  // (which becomes `expected`). Never fails spuriously. Full barrier on both
  // outcomes, so success/failure orders only steer the compiler.
  template <class T>
  static bool compare_exchange(std::atomic<T>& a, T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    T* p = detail::storage(a);
    bool ok;
    if (success == std::memory_order_relaxed && failure == std::memory_order_relaxed) {
      asm volatile("lock cmpxchg %3, %1"
                   : "=@ccz"(ok), "+m"(*p), "+a"(expected)
                   : "r"(desired));
    } else {
      asm volatile("lock cmpxchg %3, %1"
                   : "=@ccz"(ok), "+m"(*p), "+a"(expected)
                   : "r"(desired)
                   : "memory");
    }
    return ok;
  }

  // a = v; returns the previous value. `xchg` with a memory operand is
  // locked without the prefix: a full barrier for any o.
  template <class T>
  static T exchange(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    if (o == std::memory_order_relaxed) {
      asm volatile("xchg %0, %1" : "+r"(v), "+m"(*p));
    } else {
      asm volatile("xchg %0, %1" : "+r"(v), "+m"(*p) : : "memory");
    }
    return v;
  }

  // A plain `mov` (acquire on TSO; seq_cst because seq_cst stores fence).
  template <class T>
  static T load(const std::atomic<T>& a, std::memory_order o) noexcept {
    const T* p = detail::storage(a);
    T r;
    if (o == std::memory_order_relaxed) {
      asm volatile("mov %1, %0" : "=r"(r) : "m"(*p));
    } else {
      asm volatile("mov %1, %0" : "=r"(r) : "m"(*p) : "memory");
    }
    return r;
  }

  // relaxed/release: a plain `mov` (release on TSO; an immediate is stored
  // directly, like the compiler does). seq_cst: `xchg`, whose implicit lock
  // keeps a later load from passing the store in the store buffer.
  template <class T>
  static void store(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    T* p = detail::storage(a);
    if (o == std::memory_order_seq_cst) {
      asm volatile("xchg %0, %1" : "+r"(v), "+m"(*p) : : "memory");
    } else if (o == std::memory_order_relaxed) {
      // %z0: the size suffix of operand 0 (l or q), needed with an immediate.
      asm volatile("mov%z0 %1, %0" : "=m"(*p) : "er"(v));
    } else {
      asm volatile("mov%z0 %1, %0" : "=m"(*p) : "er"(v) : "memory");
    }
  }

  // seq_cst: `mfence` (orders the store buffer against later loads).
  // acquire/release/acq_rel: TSO already gives them; a compiler barrier.
  // relaxed: nothing.
  static void fence(std::memory_order o) noexcept {
    if (o == std::memory_order_seq_cst) {
      asm volatile("mfence" ::: "memory");
    } else if (o != std::memory_order_relaxed) {
      asm volatile("" ::: "memory");
    }
  }

  // `pause`: the spin-wait hint (also a compiler barrier, so a spin loop
  // built on relaxed loads re-reads memory).
  static void pause() noexcept { asm volatile("pause" ::: "memory"); }
};

}  // namespace syncscope::arch

#endif  // SYNCSCOPE_ARCH_X86_64_X86_64_OPS_H_

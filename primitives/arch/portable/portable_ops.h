// primitives/arch/portable/portable_ops.h — PortableOps: the std::atomic path.
//
// Offers syncscope::arch::PortableOps (kPath = Path::kPortable, kName =
// "portable"): fetch_add, compare_exchange, exchange, load, store, fence,
// pause, each a direct call of the std::atomic member of the same meaning.
// It is what the compiler emits for std::atomic, so it is the baseline the
// asm paths are measured against, and the only path sanitizer builds use
// (ThreadSanitizer intercepts std::atomic, not inline asm).
//
// What the compiler emits (GCC 12):
//   x86-64   the same instructions as X86Ops (lock xadd, lock cmpxchg, xchg,
//            mov; xchg for a seq_cst store).
//   aarch64  with the default -moutline-atomics, a call to a libgcc helper
//            (__aarch64_ldadd8_acq_rel, ...) that picks LSE or LL/SC at run
//            time from HWCAP_ATOMICS; loads and stores inline (ldr/ldar,
//            str/stlr). So on ARM64 "portable" measures the call overhead of
//            the outlined helpers on top of the instruction itself.
//
// Memory ordering: exactly the std::memory_order given (the C++ model, as
// implemented by the compiler's mapping for the target).
//
// Include <syncscope/arch/atomic.h>, never this file.
#ifndef SYNCSCOPE_ARCH_INSIDE_DISPATCH_HEADER
#error "portable_ops.h is internal: include <syncscope/arch/atomic.h> instead"
#endif

#ifndef SYNCSCOPE_ARCH_PORTABLE_PORTABLE_OPS_H_
#define SYNCSCOPE_ARCH_PORTABLE_PORTABLE_OPS_H_

#include <atomic>

namespace syncscope::arch {

struct PortableOps {
  static constexpr Path kPath = Path::kPortable;
  static constexpr const char* kName = "portable";

  // a += v (std::atomic::fetch_add); returns the previous value.
  template <class T>
  static T fetch_add(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    (void)detail::storage(a);  // the same static checks as the asm paths
    return a.fetch_add(v, o);
  }

  // Strong CAS (std::atomic::compare_exchange_strong): on failure writes the
  // observed value to `expected`. A failure order stronger than the success
  // order (legal since C++17) is folded into the success order first, as the
  // asm paths do: GCC 12 still diagnoses the unfolded form.
  template <class T>
  static bool compare_exchange(std::atomic<T>& a, T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    (void)detail::storage(a);
    return a.compare_exchange_strong(expected, desired, detail::cas_success_order(success, failure),
                                     failure);
  }

  // a = v (std::atomic::exchange); returns the previous value.
  template <class T>
  static T exchange(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    (void)detail::storage(a);
    return a.exchange(v, o);
  }

  // std::atomic::load.
  template <class T>
  static T load(const std::atomic<T>& a, std::memory_order o) noexcept {
    (void)detail::storage(a);
    return a.load(o);
  }

  // std::atomic::store.
  template <class T>
  static void store(std::atomic<T>& a, T v, std::memory_order o) noexcept {
    (void)detail::storage(a);
    a.store(v, o);
  }

  // std::atomic_thread_fence (spelled as the builtin it calls, so the
  // pragma below covers its location). ThreadSanitizer does not model
  // standalone fences: it sees the atomic accesses around them but no
  // happens-before from the fence itself, so plain data published only
  // through fences would be reported as a race. GCC says so with -Wtsan at
  // every fence; the warning is silenced here, where it is documented.
  static void fence(std::memory_order o) noexcept {
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
    __atomic_thread_fence(static_cast<int>(o));
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
  }

  // The architecture's spin-wait hint (as cpu_relax()).
  static void pause() noexcept { detail::spin_hint(); }
};

}  // namespace syncscope::arch

#endif  // SYNCSCOPE_ARCH_PORTABLE_PORTABLE_OPS_H_

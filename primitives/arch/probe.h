// primitives/arch/probe.h — instantiates one Ops struct into extern "C"
// functions for the arch_disassembly test (check_disassembly.sh).
//
// SYNCSCOPE_ARCH_PROBES(Ops, tag) defines, for B in {32, 64} and each
// memory order ON in {relaxed, acquire, release, acq_rel, seq_cst}:
//   syncscope_probe_<tag>_fetch_add_<B>_<ON>   Ops::fetch_add
//   syncscope_probe_<tag>_exchange_<B>_<ON>    Ops::exchange
//   syncscope_probe_<tag>_cas_<B>_<ON>         Ops::compare_exchange, the
//       failure order derived from ON as std::atomic does
//   syncscope_probe_<tag>_cas_<B>_relaxed_fail_acquire
//       success relaxed, failure acquire (the load half must be acquire)
//   syncscope_probe_<tag>_load_<B>_<ON>        ON in {relaxed, acquire, seq_cst}
//   syncscope_probe_<tag>_store_<B>_<ON>       ON in {relaxed, release, seq_cst}
//   syncscope_probe_<tag>_fence_<ON>           ON in {acquire, release, acq_rel, seq_cst}
//   syncscope_probe_<tag>_pause
// Each function has its order as a constant, so it holds exactly one
// variant of the operation; the test compiles probes with -O2 -fno-ipa-icf
// so identical bodies are not merged into one symbol.
#ifndef SYNCSCOPE_PRIMITIVES_ARCH_PROBE_H_
#define SYNCSCOPE_PRIMITIVES_ARCH_PROBE_H_

#include <atomic>
#include <cstdint>

#include <syncscope/arch/atomic.h>

#define SYNCSCOPE_PROBE extern "C" __attribute__((noinline, used))

#define SYNCSCOPE_PROBE_RMW(OPS, TAG, B, ON, O, FAIL)                                           \
  SYNCSCOPE_PROBE std::uint##B##_t syncscope_probe_##TAG##_fetch_add_##B##_##ON(                \
      std::atomic<std::uint##B##_t>* a, std::uint##B##_t v) {                                   \
    return OPS::fetch_add(*a, v, O);                                                            \
  }                                                                                             \
  SYNCSCOPE_PROBE std::uint##B##_t syncscope_probe_##TAG##_exchange_##B##_##ON(                 \
      std::atomic<std::uint##B##_t>* a, std::uint##B##_t v) {                                   \
    return OPS::exchange(*a, v, O);                                                             \
  }                                                                                             \
  SYNCSCOPE_PROBE bool syncscope_probe_##TAG##_cas_##B##_##ON(                                  \
      std::atomic<std::uint##B##_t>* a, std::uint##B##_t* expected, std::uint##B##_t desired) { \
    return OPS::compare_exchange(*a, *expected, desired, O, FAIL);                              \
  }

#define SYNCSCOPE_PROBE_LOAD(OPS, TAG, B, ON, O)                            \
  SYNCSCOPE_PROBE std::uint##B##_t syncscope_probe_##TAG##_load_##B##_##ON( \
      const std::atomic<std::uint##B##_t>* a) {                             \
    return OPS::load(*a, O);                                                \
  }

#define SYNCSCOPE_PROBE_STORE(OPS, TAG, B, ON, O)                                                 \
  SYNCSCOPE_PROBE void syncscope_probe_##TAG##_store_##B##_##ON(std::atomic<std::uint##B##_t>* a, \
                                                                std::uint##B##_t v) {             \
    OPS::store(*a, v, O);                                                                         \
  }

#define SYNCSCOPE_PROBE_WIDTH(OPS, TAG, B)                                                        \
  SYNCSCOPE_PROBE_RMW(OPS, TAG, B, relaxed, std::memory_order_relaxed, std::memory_order_relaxed) \
  SYNCSCOPE_PROBE_RMW(OPS, TAG, B, acquire, std::memory_order_acquire, std::memory_order_acquire) \
  SYNCSCOPE_PROBE_RMW(OPS, TAG, B, release, std::memory_order_release, std::memory_order_relaxed) \
  SYNCSCOPE_PROBE_RMW(OPS, TAG, B, acq_rel, std::memory_order_acq_rel, std::memory_order_acquire) \
  SYNCSCOPE_PROBE_RMW(OPS, TAG, B, seq_cst, std::memory_order_seq_cst, std::memory_order_seq_cst) \
  SYNCSCOPE_PROBE bool syncscope_probe_##TAG##_cas_##B##_relaxed_fail_acquire(                    \
      std::atomic<std::uint##B##_t>* a, std::uint##B##_t* expected, std::uint##B##_t desired) {   \
    return OPS::compare_exchange(*a, *expected, desired, std::memory_order_relaxed,               \
                                 std::memory_order_acquire);                                      \
  }                                                                                               \
  SYNCSCOPE_PROBE_LOAD(OPS, TAG, B, relaxed, std::memory_order_relaxed)                           \
  SYNCSCOPE_PROBE_LOAD(OPS, TAG, B, acquire, std::memory_order_acquire)                           \
  SYNCSCOPE_PROBE_LOAD(OPS, TAG, B, seq_cst, std::memory_order_seq_cst)                           \
  SYNCSCOPE_PROBE_STORE(OPS, TAG, B, relaxed, std::memory_order_relaxed)                          \
  SYNCSCOPE_PROBE_STORE(OPS, TAG, B, release, std::memory_order_release)                          \
  SYNCSCOPE_PROBE_STORE(OPS, TAG, B, seq_cst, std::memory_order_seq_cst)

#define SYNCSCOPE_PROBE_FENCE(OPS, TAG, ON, O) \
  SYNCSCOPE_PROBE void syncscope_probe_##TAG##_fence_##ON() { OPS::fence(O); }

#define SYNCSCOPE_ARCH_PROBES(OPS, TAG)                                         \
  SYNCSCOPE_PROBE_WIDTH(OPS, TAG, 32)                                           \
  SYNCSCOPE_PROBE_WIDTH(OPS, TAG, 64)                                           \
  SYNCSCOPE_PROBE_FENCE(OPS, TAG, acquire, std::memory_order_acquire)           \
  SYNCSCOPE_PROBE_FENCE(OPS, TAG, release, std::memory_order_release)           \
  SYNCSCOPE_PROBE_FENCE(OPS, TAG, acq_rel, std::memory_order_acq_rel)           \
  SYNCSCOPE_PROBE_FENCE(OPS, TAG, seq_cst, std::memory_order_seq_cst)           \
  SYNCSCOPE_PROBE void syncscope_probe_##TAG##_pause() { OPS::pause(); }

#endif  // SYNCSCOPE_PRIMITIVES_ARCH_PROBE_H_

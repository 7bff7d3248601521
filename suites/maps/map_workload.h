// Map workloads — what each thread of a `maps` benchmark does, planned
// before the measured loop (so the loop neither draws random numbers nor
// allocates).
//
// This file offers:
//   enum class MapScenario   the seed's two sync.Map scenarios and a mix
//   scenario_name(s)         "write_once_read_many", "disjoint_keys",
//                            "read_90_write_10"
//   shared_keys(s)           keys stored before the run (Setup), 0 if none
//   make_plan(s, thread, n)  n planned operations of one thread: the key in
//                            the low 63 bits, kWriteBit set for a store
//   own_keys(s, thread)      keys the thread stores itself before its run
//                            (disjoint_keys), as [first, first + count)
//
// Scenarios (the seed's sync.Map slide: "设置一次，多次读(比如cache)" and
// "多个goroutine并发的读、写、更新不同的key"):
//   write_once_read_many  kSharedKeys keys stored once before the run; every
//                         operation loads a uniformly random one of them.
//   disjoint_keys         each thread owns kKeysPerThread keys (stored by
//                         itself before the run, in its own key range);
//                         half the operations load, half overwrite, always
//                         one of its own keys.
//   read_90_write_10      kSharedKeys keys stored before the run; 90 % of
//                         the operations load and 10 % overwrite a
//                         uniformly random one of them (all threads on the
//                         same keys).
#ifndef SYNCSCOPE_SUITES_MAPS_MAP_WORKLOAD_H_
#define SYNCSCOPE_SUITES_MAPS_MAP_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace syncscope::suites {

enum class MapScenario { kWriteOnceReadMany, kDisjointKeys, kRead90Write10 };

inline constexpr uint64_t kSharedKeys = 4096;
inline constexpr uint64_t kKeysPerThread = 1024;
inline constexpr uint64_t kWriteBit = uint64_t{1} << 63;
// Thread t's own keys start at (t + 1) << kOwnKeyShift: disjoint from the
// shared keys and from every other thread's (up to 2^31 threads).
inline constexpr int kOwnKeyShift = 32;

inline const char* scenario_name(MapScenario s) noexcept {
  switch (s) {
    case MapScenario::kWriteOnceReadMany: return "write_once_read_many";
    case MapScenario::kDisjointKeys: return "disjoint_keys";
    case MapScenario::kRead90Write10: return "read_90_write_10";
  }
  return "?";
}

inline double write_fraction(MapScenario s) noexcept {
  switch (s) {
    case MapScenario::kWriteOnceReadMany: return 0.0;
    case MapScenario::kDisjointKeys: return 0.5;
    case MapScenario::kRead90Write10: return 0.1;
  }
  return 0.0;
}

inline uint64_t shared_keys(MapScenario s) noexcept {
  return s == MapScenario::kDisjointKeys ? 0 : kSharedKeys;
}

// [first, first + count) of the keys thread `thread` owns (count 0: none).
inline std::pair<uint64_t, uint64_t> own_keys(MapScenario s, int thread) noexcept {
  if (s != MapScenario::kDisjointKeys) return {0, 0};
  return {static_cast<uint64_t>(thread + 1) << kOwnKeyShift, kKeysPerThread};
}

// n operations for thread `thread`, deterministic per (scenario, thread).
inline std::vector<uint64_t> make_plan(MapScenario s, int thread, std::size_t n) {
  std::mt19937_64 rng(0x6d617073ull + static_cast<uint64_t>(thread) * 0x9e3779b97f4a7c15ull);
  std::bernoulli_distribution write(write_fraction(s));
  const auto [first, count] = own_keys(s, thread);
  const uint64_t base = count ? first : 0;
  std::uniform_int_distribution<uint64_t> pick(0, (count ? count : kSharedKeys) - 1);
  std::vector<uint64_t> plan(n);
  for (uint64_t& op : plan) op = (base + pick(rng)) | (write(rng) ? kWriteBit : 0);
  return plan;
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_MAPS_MAP_WORKLOAD_H_

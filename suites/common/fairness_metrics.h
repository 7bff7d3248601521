// Fairness metrics over per-thread acquisition counts and over the sequence
// of acquiring threads.
//
// Long-term (counts x_i of n threads):
//   jain_index      (Σx)² / (n·Σx²): 1 = perfectly even, 1/n = one thread
//                   got everything (Jain, Chiu, Hawe 1984).
//   cv              standard deviation / mean of the counts.
//   min_max_ratio   min / max count (0 when some thread starved completely).
// Short-term (sequence s_0, s_1, ... of thread ids in acquisition order):
//   barging_share   share of acquisitions by the same thread as the previous
//                   one (a releasing thread re-acquiring at once).
//   lwss            mean number of distinct acquirers per window of
//                   kLwssWindow consecutive acquisitions (Dice, "Malthusian
//                   Locks", EuroSys 2017).
//   mttr            median, over acquisitions, of the number of acquisitions
//                   since the same thread's previous one (median time to
//                   reacquire, in acquisitions).
// Lock moves (the CPU each acquisition ran on, in acquisition order):
//   lock_moves      share of consecutive acquisitions k-1, k (both recorded)
//                   that ran on different CPUs: how often the lock, and the
//                   lines its holder touches, changed CPU. 0 = the lock
//                   stayed on one CPU, 1 = it moved at every hand-over.
#ifndef SYNCSCOPE_SUITES_COMMON_FAIRNESS_METRICS_H_
#define SYNCSCOPE_SUITES_COMMON_FAIRNESS_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace syncscope::suites {

constexpr size_t kLwssWindow = 1000;

struct CountFairness {
  double jain_index = 0;
  double cv = 0;
  double min_max_ratio = 0;
};
CountFairness count_fairness(const std::vector<uint64_t>& counts);

struct SequenceFairness {
  double barging_share = 0;
  double lwss = 0;
  double mttr = 0;
  size_t length = 0;  // acquisitions in the analysed sequence
};
SequenceFairness sequence_fairness(const std::vector<uint16_t>& seq, size_t window = kLwssWindow);

// Rebuilds the acquisition sequence from per-thread order lists: orders[t]
// holds the global order numbers thread t obtained (ascending). Keeps the
// longest prefix 0..k-1 in which every order is present.
std::vector<uint16_t> merge_orders(const std::vector<const std::vector<uint32_t>*>& orders,
                                   const std::vector<size_t>& lengths);

// A CPU number that was not read (cpu_id.h's read failed, or not recorded).
constexpr uint16_t kNoCpu = UINT16_MAX;

struct LockMoves {
  uint64_t moves = 0;  // pairs whose two acquisitions ran on different CPUs
  uint64_t pairs = 0;  // consecutive orders k-1, k both recorded with a CPU
  double per_acq() const {
    return pairs ? static_cast<double>(moves) / static_cast<double>(pairs) : 0;
  }
};

// Merges per-thread (order, CPU) lists by order number — orders[t][i] was
// obtained by thread t on CPU cpus[t][i], for i < lengths[t] — and counts,
// over every pair of consecutive orders k-1, k that are both present with
// a CPU (not kNoCpu), those whose CPUs differ. Gaps (orders past a
// thread's capacity, reads that failed) only drop the pairs they touch.
LockMoves lock_moves(const std::vector<const std::vector<uint32_t>*>& orders,
                     const std::vector<const std::vector<uint16_t>*>& cpus,
                     const std::vector<size_t>& lengths);

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_FAIRNESS_METRICS_H_

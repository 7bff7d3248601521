// Tests of usable_cpu_list()/usable_cpus() (syncscope/internal/cpus.h): the
// list is the process's affinity mask (ascending, no duplicates, never
// empty), the count is its size, and both stay what they were at load when
// a thread later pins itself to one CPU.
#include <gtest/gtest.h>
#include <sched.h>
#include <syncscope/internal/cpus.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace syncscope {
namespace {

std::vector<int> current_mask() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

TEST(UsableCpusTest, ListIsTheProcessMaskAscendingAndCountIsItsSize) {
  const std::vector<int>& cpus = usable_cpu_list();
  ASSERT_FALSE(cpus.empty());
  EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
  EXPECT_EQ(std::adjacent_find(cpus.begin(), cpus.end()), cpus.end()) << "duplicates";
  EXPECT_EQ(usable_cpus(), cpus.size());
  // Nothing in this test binary has pinned the main thread: its mask now is
  // the one the library read at load.
  const std::vector<int> mask = current_mask();
  ASSERT_FALSE(mask.empty()) << "sched_getaffinity failed";
  EXPECT_EQ(cpus, mask);
}

TEST(UsableCpusTest, PinnedThreadStillSeesTheLoadTimeList) {
  const std::vector<int> before = usable_cpu_list();
  std::vector<int> seen;
  unsigned count = 0;
  bool pinned = false;
  std::vector<int> own_mask;
  std::thread t([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(before.front(), &one);
    pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    own_mask = current_mask();
    seen = usable_cpu_list();
    count = usable_cpus();
  });
  t.join();
  ASSERT_TRUE(pinned) << "could not pin a thread to CPU " << before.front();
  EXPECT_EQ(own_mask, std::vector<int>{before.front()});  // the pin took effect
  EXPECT_EQ(seen, before);
  EXPECT_EQ(count, before.size());
}

}  // namespace
}  // namespace syncscope

#include "common/lock_list.h"

#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace syncscope::suites {
namespace {

struct FakeLock {};
struct OtherLock {};

using Registry = LockList<Lock<"First", FakeLock, "#010203">, Lock<"Second", OtherLock, "#a0b0c0">,
                          Lock<"First_instr", FakeLock>>;

TEST(LockList, EntriesCarryNameTypeAndColour) {
  using E = Lock<"First", FakeLock, "#010203">;
  EXPECT_STREQ(E::kName, "First");
  EXPECT_STREQ(E::kColour, "#010203");
  EXPECT_TRUE((std::is_same_v<E::type, FakeLock>));
  // No colour: the plots give it the colour of the design it is a build of.
  EXPECT_STREQ((Lock<"First_instr", FakeLock>::kColour), "");
}

TEST(LockList, ForEachVisitsInRegistrationOrder) {
  std::vector<std::string> names;
  for_each_lock(Registry{}, [&]<class E>() { names.push_back(E::kName); });
  EXPECT_EQ(names, (std::vector<std::string>{"First", "Second", "First_instr"}));
}

// The text the lock suites write into their JSON context and the plots read
// (plots/common.py, LockRegistry): name=colour pairs in registration order.
TEST(LockList, RegistryText) {
  EXPECT_EQ(registry_text(Registry{}), "First=#010203,Second=#a0b0c0,First_instr=");
  EXPECT_EQ(registry_text(LockList<>{}), "");
  EXPECT_EQ(registry_text(LockList<Lock<"Only", FakeLock, "#ffffff">>{}), "Only=#ffffff");
}

}  // namespace
}  // namespace syncscope::suites

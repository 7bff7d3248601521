// Tests of RecursiveMutex / TokenRecursiveMutex (syncscope/recursive_mutex.h):
// re-entrancy, the seed's misuse panics as LockMisuse with the state left
// untouched, the token adapter, and exclusion under contention. (The common
// Lockable behaviour is also covered by locks_test's typed suite.)

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <syncscope/recursive_mutex.h>
#include <syncscope/spin_lock.h>

namespace syncscope {
namespace {

template <class F>
auto on_other_thread(F f) {
  decltype(f()) result{};
  std::thread([&] { result = f(); }).join();
  return result;
}

template <class L>
bool other_thread_can_lock(L& m) {
  return on_other_thread([&] {
    const bool got = m.try_lock();
    if (got) m.unlock();
    return got;
  });
}

// The message of the LockMisuse thrown by f, or "" if none was thrown.
template <class F>
std::string misuse_message(F f) {
  try {
    f();
  } catch (const LockMisuse& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

static_assert(std::is_base_of_v<std::logic_error, LockMisuse>);

TEST(ThreadIdTest, NonZeroStableAndDistinct) {
  const int64_t me = detail::current_thread_id();
  EXPECT_NE(me, 0);
  EXPECT_EQ(detail::current_thread_id(), me);
  EXPECT_EQ(me, static_cast<int64_t>(getpid())) << "the test's main thread id is the pid";
  const int64_t other = on_other_thread([] { return detail::current_thread_id(); });
  EXPECT_NE(other, 0);
  EXPECT_NE(other, me);
}

// A forked child must not keep the parent thread's cached id.
TEST(ThreadIdTest, ForkedChildReadsItsOwnId) {
  ASSERT_NE(detail::current_thread_id(), 0);  // cache filled in the parent
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    _exit(detail::current_thread_id() == static_cast<int64_t>(getpid()) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

template <class M>
class RecursiveMutexTest : public ::testing::Test {};
using RecursiveTypes = ::testing::Types<RecursiveMutex, BasicRecursiveMutex<std::mutex>,
                                        BasicRecursiveMutex<SpinLock>>;
class RecursiveNames {
 public:
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, RecursiveMutex>) return "OverGoMutex";
    if constexpr (std::is_same_v<T, BasicRecursiveMutex<std::mutex>>) return "OverStdMutex";
    return "OverSpinLock";
  }
};
TYPED_TEST_SUITE(RecursiveMutexTest, RecursiveTypes, RecursiveNames);

TYPED_TEST(RecursiveMutexTest, ReentersAndReleasesAtDepthZero) {
  TypeParam m;
  EXPECT_EQ(m.owner(), TypeParam::kNoOwner);
  m.lock();
  m.lock();
  EXPECT_TRUE(m.try_lock());  // re-enters
  EXPECT_EQ(m.recursion(), 3);
  EXPECT_EQ(m.owner(), detail::current_thread_id());
  EXPECT_FALSE(other_thread_can_lock(m));
  m.unlock();
  m.unlock();
  EXPECT_EQ(m.recursion(), 1);
  EXPECT_FALSE(other_thread_can_lock(m));
  m.unlock();
  EXPECT_EQ(m.owner(), TypeParam::kNoOwner);
  EXPECT_TRUE(other_thread_can_lock(m));
}

TYPED_TEST(RecursiveMutexTest, UnlockByNonOwnerThrowsAndChangesNothing) {
  TypeParam m;
  m.lock();
  m.lock();
  const int64_t owner = detail::current_thread_id();
  int64_t intruder = 0;
  const std::string msg = on_other_thread([&] {
    intruder = detail::current_thread_id();
    return misuse_message([&] { m.unlock(); });
  });
  const std::string want =
      "wrong the owner(" + std::to_string(owner) + "): " + std::to_string(intruder) + "!";
  EXPECT_EQ(msg.rfind(want, 0), 0u) << msg;
  // Untouched: same owner, same depth, still excludes others.
  EXPECT_EQ(m.owner(), owner);
  EXPECT_EQ(m.recursion(), 2);
  EXPECT_FALSE(other_thread_can_lock(m));
  // The real owner can still unlock, and then others can lock.
  m.unlock();
  m.unlock();
  EXPECT_TRUE(other_thread_can_lock(m));
}

TYPED_TEST(RecursiveMutexTest, UnlockOfUnlockedThrows) {
  TypeParam m;
  const int64_t me = detail::current_thread_id();
  EXPECT_EQ(misuse_message([&] { m.unlock(); }),
            "wrong the owner(0): " + std::to_string(me) +
                "! (RecursiveMutex::unlock by a thread that does not hold it; owner 0 = not "
                "locked)");
  // One unlock too many.
  m.lock();
  m.unlock();
  EXPECT_PRED2(contains, misuse_message([&] { m.unlock(); }), "wrong the owner(0)");
  // Still usable.
  m.lock();
  EXPECT_FALSE(other_thread_can_lock(m));
  m.unlock();
  EXPECT_TRUE(other_thread_can_lock(m));
}

TYPED_TEST(RecursiveMutexTest, ExclusionWithNesting) {
  constexpr int kThreads = 6;
  constexpr int kIters = 1000;
  TypeParam m;
  int64_t counter = 0;  // guarded by m
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIters; ++i) {
        std::lock_guard<TypeParam> outer(m);
        ++counter;
        std::lock_guard<TypeParam> inner(m);  // re-enters
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, int64_t{2} * kThreads * kIters);
  EXPECT_EQ(m.owner(), TypeParam::kNoOwner);
}

// ---------------------------------------------------------------------------
// TokenRecursiveMutex

TEST(TokenRecursiveMutexTest, SameTokenReentersAcrossThreads) {
  TokenRecursiveMutex m;
  m.lock(7);
  // Another thread acting for token 7 (ordered after the lock by the thread
  // start) re-enters instead of waiting.
  std::thread([&] {
    m.lock(7);
    EXPECT_EQ(m.recursion(), 2);
    EXPECT_TRUE(m.try_lock(7));
    m.unlock(7);
    m.unlock(7);
  }).join();
  EXPECT_EQ(m.token(), 7);
  EXPECT_EQ(m.recursion(), 1);
  m.unlock(7);
  EXPECT_EQ(m.token(), TokenRecursiveMutex::kNoToken);
}

TEST(TokenRecursiveMutexTest, OtherTokenIsExcluded) {
  TokenRecursiveMutex m;
  m.lock(7);
  EXPECT_FALSE(on_other_thread([&] { return m.try_lock(8); }));
  m.unlock(7);
  EXPECT_TRUE(on_other_thread([&] {
    const bool got = m.try_lock(8);
    if (got) m.unlock(8);
    return got;
  }));
}

TEST(TokenRecursiveMutexTest, WrongTokenThrowsAndChangesNothing) {
  TokenRecursiveMutex m;
  m.lock(7);
  m.lock(7);
  EXPECT_EQ(misuse_message([&] { m.unlock(8); }),
            "wrong the token(7): 8! (TokenRecursiveMutex::unlock with a token that does not hold "
            "it; token 0 = not locked)");
  EXPECT_EQ(m.token(), 7);
  EXPECT_EQ(m.recursion(), 2);
  EXPECT_FALSE(on_other_thread([&] { return m.try_lock(8); }));
  m.unlock(7);
  m.unlock(7);
  // Then another token can take it.
  m.lock(8);
  EXPECT_EQ(m.token(), 8);
  m.unlock(8);
  // Unlock of an unlocked token mutex.
  EXPECT_PRED2(contains, misuse_message([&] { m.unlock(5); }), "wrong the token(0): 5!");
}

// The seed accepts token 0 and then "locks" without the inner mutex; here it
// is rejected everywhere and the mutex is unaffected.
TEST(TokenRecursiveMutexTest, TokenZeroIsRejected) {
  TokenRecursiveMutex m;
  EXPECT_PRED2(contains, misuse_message([&] { m.lock(0); }),
               "TokenRecursiveMutex::lock: token 0 is reserved");
  EXPECT_PRED2(contains, misuse_message([&] { (void)m.try_lock(0); }),
               "TokenRecursiveMutex::try_lock: token 0 is reserved");
  EXPECT_PRED2(contains, misuse_message([&] { m.unlock(0); }),
               "TokenRecursiveMutex::unlock: token 0 is reserved");
  EXPECT_EQ(m.token(), TokenRecursiveMutex::kNoToken);
  m.lock(3);
  EXPECT_PRED2(contains, misuse_message([&] { m.unlock(0); }), "token 0 is reserved");
  EXPECT_EQ(m.token(), 3);
  m.unlock(3);
  EXPECT_TRUE(m.try_lock(4));
  m.unlock(4);
}

TEST(TokenRecursiveMutexTest, WithTokenIsLockable) {
  TokenRecursiveMutex m;
  std::mutex other;
  auto h = m.with_token(42);
  EXPECT_EQ(h.token(), 42);
  {
    std::scoped_lock lk(h, other);
    EXPECT_EQ(m.token(), 42);
    std::unique_lock<decltype(h)> again(h);  // re-enters
    EXPECT_EQ(m.recursion(), 2);
  }
  EXPECT_EQ(m.token(), TokenRecursiveMutex::kNoToken);
}

TEST(TokenRecursiveMutexTest, ExclusionBetweenTokens) {
  constexpr int kThreads = 6;
  constexpr int kIters = 1000;
  TokenRecursiveMutex m;
  int64_t counter = 0;  // guarded by m
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto h = m.with_token(t + 1);
      for (int i = 0; i < kIters; ++i) {
        std::lock_guard<decltype(h)> outer(h);
        ++counter;
        std::lock_guard<decltype(h)> inner(h);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, int64_t{2} * kThreads * kIters);
}

}  // namespace
}  // namespace syncscope

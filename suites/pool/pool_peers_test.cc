// Tests of the pool peers (pool_peers.h): each peer makes objects through
// on_new when it has none, reuses what was put (or, for the allocators,
// never does), frees what it holds, and behaves on gc() as documented.
#include "pool/pool_peers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <type_traits>
#include <thread>
#include <vector>

namespace syncscope::suites {
namespace {

// An object that counts live instances and carries the intrusive link the
// free lists need, and a size for the cap.
struct Tracked {
  Tracked() { live.fetch_add(1); }
  ~Tracked() { live.fetch_sub(1); }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  Tracked* next = nullptr;
  std::size_t size = 8;
  int made_by_on_new = 0;
  static inline std::atomic<int> live{0};
};

template <class Peer>
class PeerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Tracked::live.load(), 0); }
  void TearDown() override {
    EXPECT_EQ(Tracked::live.load(), 0) << "a peer leaked or double-freed";
  }
  static PeerConfig<Tracked> counting(std::atomic<int>* news) {
    return PeerConfig<Tracked>{[news](Tracked& t) {
                                 news->fetch_add(1);
                                 t.made_by_on_new = 1;
                               },
                               {},
                               SIZE_MAX};
  }
};

template <class T>
using PoolNoVictim = PoolPeer<T, 2>;

using Peers = ::testing::Types<PoolPeer<Tracked>, PoolNoVictim<Tracked>, NoPoolPeer<Tracked>,
                               MutexFreeListPeer<Tracked>, LinkedFreeListPeer<Tracked>,
                               ThreadLocalFreeListPeer<Tracked>, TbbScalablePeer<Tracked>>;
TYPED_TEST_SUITE(PeerTest, Peers);

// Peers that keep objects for reuse (the allocator peers never do).
template <class Peer>
constexpr bool kReuses =
    !std::is_same_v<Peer, NoPoolPeer<Tracked>> && !std::is_same_v<Peer, TbbScalablePeer<Tracked>>;

TYPED_TEST(PeerTest, EmptyPeerMakesObjectsWithOnNew) {
  std::atomic<int> news{0};
  TypeParam peer(this->counting(&news));
  Tracked* a = peer.get();
  Tracked* b = peer.get();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(news.load(), 2);
  EXPECT_EQ(a->made_by_on_new, 1);
  peer.destroy(a);
  peer.destroy(b);
  EXPECT_EQ(Tracked::live.load(), 0);
  peer.thread_done();
}

TYPED_TEST(PeerTest, PutThenGetReusesOnTheSameThread) {
  std::atomic<int> news{0};
  TypeParam peer(this->counting(&news));
  Tracked* a = peer.get();
  peer.put(a);
  EXPECT_EQ(peer.retained(), kReuses<TypeParam> ? 1u : 0u);
  Tracked* b = peer.get();
  if constexpr (kReuses<TypeParam>) {
    EXPECT_EQ(b, a);
    EXPECT_EQ(news.load(), 1);
  } else {
    EXPECT_EQ(news.load(), 2);
    EXPECT_EQ(Tracked::live.load(), 1);  // the first one was freed by put
  }
  peer.put(b);
  peer.thread_done();
}

TYPED_TEST(PeerTest, ManyObjectsComeBackDistinctAndTheDestructorFreesThem) {
  std::atomic<int> news{0};
  {
    TypeParam peer(this->counting(&news));
    std::vector<Tracked*> objs;
    for (int i = 0; i < 100; ++i) objs.push_back(peer.get());
    for (Tracked* p : objs) peer.put(p);
    if constexpr (kReuses<TypeParam>) {
      EXPECT_EQ(peer.retained(), 100u);
    }
    std::set<Tracked*> again;
    for (int i = 0; i < 100; ++i) again.insert(peer.get());
    EXPECT_EQ(again.size(), 100u);
    EXPECT_EQ(news.load(), kReuses<TypeParam> ? 100 : 200);
    for (Tracked* p : again) peer.put(p);
    peer.thread_done();  // the thread-local list frees here, the others below
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

TYPED_TEST(PeerTest, GcDropsOnlyWhatThePeerDocumentsDropping) {
  std::atomic<int> news{0};
  TypeParam peer(this->counting(&news));
  std::vector<Tracked*> objs;
  for (int i = 0; i < 10; ++i) objs.push_back(peer.get());
  for (Tracked* p : objs) peer.put(p);
  peer.gc();
  if constexpr (std::is_same_v<TypeParam, PoolPeer<Tracked>>) {
    EXPECT_EQ(peer.retained(), 10u);  // in the victim cache
    peer.gc();
    EXPECT_EQ(peer.retained(), 0u);  // a second GC frees them
    EXPECT_EQ(Tracked::live.load(), 0);
  } else if constexpr (std::is_same_v<TypeParam, PoolNoVictim<Tracked>>) {
    EXPECT_EQ(peer.retained(), 0u);  // one "GC" = two trims: gone at once
    EXPECT_EQ(Tracked::live.load(), 0);
  } else if constexpr (kReuses<TypeParam>) {
    EXPECT_EQ(peer.retained(), 10u);  // free lists are never cleared
  } else {
    EXPECT_EQ(Tracked::live.load(), 0);
  }
  peer.thread_done();
}

TYPED_TEST(PeerTest, ObjectsPutOnOneThreadAreFoundOnAnotherExceptThreadLocal) {
  std::atomic<int> news{0};
  TypeParam peer(this->counting(&news));
  std::vector<Tracked*> objs;
  for (int i = 0; i < 20; ++i) objs.push_back(peer.get());
  std::thread putter([&] {
    for (Tracked* p : objs) peer.put(p);
    peer.thread_done();  // the thread-local list's objects die with this thread's use
  });
  putter.join();
  Tracked* p = peer.get();
  if constexpr (std::is_same_v<TypeParam, ThreadLocalFreeListPeer<Tracked>>) {
    EXPECT_EQ(news.load(), 21);  // nothing crossed threads
  } else if constexpr (kReuses<TypeParam>) {
    EXPECT_EQ(news.load(), 20);  // reused: stolen (Pool) or from the shared list
  } else {
    EXPECT_EQ(news.load(), 21);
  }
  peer.put(p);
  peer.thread_done();
}

TEST(PoolPeerTest, SizeCapDropsOversizedObjectsOnPut) {
  PeerConfig<Tracked> cfg{{}, [](const Tracked& t) { return t.size; }, 64};
  {
    PoolPeer<Tracked> peer(cfg);
    Tracked* small = peer.get();
    Tracked* big = peer.get();
    big->size = 65;
    peer.put(small);
    peer.put(big);  // above the cap: destroyed
    EXPECT_EQ(peer.retained(), 1u);
    EXPECT_EQ(Tracked::live.load(), 1);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

TEST(BufferTest, ReserveOnlyGrows) {
  Buffer b;
  EXPECT_TRUE(b.reserve(1024));
  EXPECT_EQ(b.cap, 1024u);
  EXPECT_FALSE(b.reserve(10));
  EXPECT_EQ(b.cap, 1024u);
  EXPECT_TRUE(b.reserve(4096));
  EXPECT_EQ(b.cap, 4096u);
  b.data[4095] = std::byte{7};
  EXPECT_EQ(b.data[4095], std::byte{7});
}

}  // namespace
}  // namespace syncscope::suites

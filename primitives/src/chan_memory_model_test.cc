// Tests of Go's memory model for channels (the seed's 内存模型 / Channel):
//   1. the n-th send happens-before the n-th receive completes;
//   2. for capacity m, the n-th receive happens-before the (n+m)-th send
//      completes (m = 0: the n-th receive happens-before the n-th send
//      completes);
//   3. a close happens-before a receive that returns because of it.
// Each test writes plain (non-atomic) data on one side of the edge and reads
// it on the other. Natively they check the values; under ThreadSanitizer a
// missing edge is reported as a data race, so the same tests demonstrate the
// edges themselves. Every path is covered: buffer, direct handoff to a
// waiting receiver, refill from a waiting sender, select, try_*, and the
// lock-free "closed" fast path.
#include <syncscope/chan.h>
#include <syncscope/select.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "chan_test_support.h"

namespace syncscope {
namespace {

using chan_testing::eventually;
using chan_testing::scaled;
using chan_testing::Threads;

class ChanMemoryModelTest : public ::testing::TestWithParam<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, ChanMemoryModelTest, ::testing::Values(0, 1, 4, 128));

// Rule 1: data written before the n-th send is visible after the n-th
// receive. The payload travels outside the channel (plain vector slots);
// only the index goes through it.
TEST_P(ChanMemoryModelTest, SendHappensBeforeReceiveCompletes) {
  Chan<int> c(GetParam());
  const int n = scaled(4000);
  std::vector<std::string> payload(static_cast<std::size_t>(n));
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) {
      payload[static_cast<std::size_t>(i)] = "value " + std::to_string(i);  // plain write
      c.send(i);
    }
  });
  for (int i = 0; i < n; ++i) {
    const int k = *c.receive();
    ASSERT_EQ(payload[static_cast<std::size_t>(k)], "value " + std::to_string(k));  // plain read
  }
}

// Rule 2: the receiver writes slot j before its j-th receive; the sender
// reads slot j after its (j+m)-th send completed (m = capacity). With the
// capacity as a counting semaphore this is Go's "limit concurrency" idiom.
TEST_P(ChanMemoryModelTest, ReceiveHappensBeforeSendCapacityLaterCompletes) {
  const std::size_t m = GetParam();
  Chan<int> c(m);
  const int n = scaled(4000);
  std::vector<int> written(static_cast<std::size_t>(n), -1);
  Threads threads;
  threads.spawn([&] {
    for (int j = 0; j < n; ++j) {
      written[static_cast<std::size_t>(j)] = 2 * j;  // plain write before the j-th receive
      c.receive();
    }
  });
  for (int i = 0; i < n; ++i) {
    c.send(i);  // the i-th send has completed
    const int j = i - static_cast<int>(m);
    if (j >= 0) {
      ASSERT_EQ(written[static_cast<std::size_t>(j)], 2 * j);  // plain read
    }
  }
}

// Rule 3, blocking receive: the receiver is parked (or spinning) in the
// channel when close() wakes it.
TEST_P(ChanMemoryModelTest, CloseHappensBeforeABlockedReceiverSeesIt) {
  Chan<int> c(GetParam());
  std::string note;
  Threads threads;
  threads.spawn([&] {
    EXPECT_FALSE(c.receive().has_value());
    EXPECT_EQ(note, "written before close");  // plain read
  });
  ASSERT_TRUE(eventually([&] { return c.waiting_receivers() == 1; }));
  note = "written before close";  // plain write
  c.close();
}

// Rule 3 through the lock-free fast path of try_receive (no channel lock
// taken) and through select.
TEST_P(ChanMemoryModelTest, CloseHappensBeforeTryReceiveAndSelectSeeIt) {
  const int n = scaled(300);
  for (int i = 0; i < n; ++i) {
    Chan<int> c(GetParam());
    int plain = 0;
    Threads threads;
    threads.spawn([&] {
      while (c.try_receive().status != RecvStatus::kClosed) std::this_thread::yield();
      ASSERT_EQ(plain, i);
    });
    threads.spawn([&] {
      bool closed = false;
      Select().recv(c, [&](std::optional<int> v) { closed = !v; }).run();
      ASSERT_TRUE(closed);
      ASSERT_EQ(plain, i);
    });
    plain = i;
    c.close();
  }
}

// Rule 1 through select's send and receive cases, in both directions of a
// handoff (a waiting select woken by a plain operation and vice versa).
TEST_P(ChanMemoryModelTest, SelectCasesCarryTheSameEdges) {
  Chan<int> a(GetParam());
  Chan<int> b(GetParam());
  const int n = scaled(2000);
  std::vector<long> data(static_cast<std::size_t>(2 * n), 0);
  Threads threads;
  threads.spawn([&] {
    // Producer: alternately a select send and a plain send.
    for (int i = 0; i < 2 * n; ++i) {
      data[static_cast<std::size_t>(i)] = 1000L + i;  // plain write
      if (i % 2 == 0) {
        Select().send(a, i).send(b, i).run();
      } else {
        (i % 4 == 1 ? a : b).send(i);
      }
    }
  });
  int received = 0;
  while (received < 2 * n) {
    int k = -1;
    if (received % 3 == 0) {
      Select()
          .recv(a, [&](std::optional<int> v) { k = *v; })
          .recv(b, [&](std::optional<int> v) { k = *v; })
          .run();
    } else {
      // A plain receive on whichever has something, else wait in a select.
      if (auto r = a.try_receive()) {
        k = *r;
      } else if (auto r2 = b.try_receive()) {
        k = *r2;
      } else {
        Select()
            .recv(a, [&](std::optional<int> v) { k = *v; })
            .recv(b, [&](std::optional<int> v) { k = *v; })
            .run();
      }
    }
    ASSERT_EQ(data[static_cast<std::size_t>(k)], 1000L + k);  // plain read
    ++received;
  }
}

// Rule 2 for a blocked sender refilled by a receiver (buffered channels):
// the receive that frees the slot happens-before the waiting send completes.
TEST(ChanMemoryModelEdgeTest, ReceiveThatFreesTheSlotHappensBeforeTheWaitingSendCompletes) {
  const int n = scaled(500);
  for (int i = 0; i < n; ++i) {
    Chan<int> c(1);
    c.send(0);  // full
    int plain = 0;
    Threads threads;
    threads.spawn([&] {
      c.send(1);  // waits for the receive below
      ASSERT_EQ(plain, i + 1);
    });
    if (i % 2 == 0) {
      ASSERT_TRUE(eventually([&] { return c.waiting_senders() == 1; }));
    }
    plain = i + 1;  // before the receive
    EXPECT_EQ(c.receive(), 0);
    threads.join();
    EXPECT_EQ(c.receive(), 1);
  }
}

}  // namespace
}  // namespace syncscope

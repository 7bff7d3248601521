// Tests of a channel's lifetime around a hand-off: the thread whose
// operation completes last may drop the last handle as soon as its own call
// returns, because the partner's operation is complete by then (Go's memory
// model: the send is synchronized before the receive completes, the k-th
// receive before the (k+C)-th send completes, close before a receive that
// returns because of it). So the partner must not touch the channel after
// its hand-off became visible — no unlock, no queue check, no wake through
// the channel (chan_core.h, "Lifetime").
//
// Each round below gives the ONLY handle to one thread (a heap Chan the
// other thread reaches through a raw pointer, as a goroutine capturing a
// channel by reference would) and deletes it right after that thread's own
// operation returns. Before the fix, the unbuffered sender unlocked the
// channel after handing its value to a parked receiver, which then freed
// it: a heap-use-after-free that ThreadSanitizer and AddressSanitizer report
// (natively it usually goes unnoticed, the memory being reused later).
// These tests assert the values, and are run under ThreadSanitizer in CI,
// which fails them on any access to the freed channel.
#include <syncscope/chan.h>
#include <syncscope/select.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "chan_test_support.h"

namespace syncscope {
namespace {

using chan_testing::eventually;
using chan_testing::receivers_queued;
using chan_testing::scaled;
using chan_testing::senders_queued;
using chan_testing::Threads;

class ChanLifetimeTest : public ::testing::TestWithParam<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, ChanLifetimeTest, ::testing::Values(0, 1, 4));

// A receiver parked on an empty channel; the sender hands it a value; the
// receiver deletes the only handle as soon as receive() returns.
TEST_P(ChanLifetimeTest, ReceiverDropsTheLastHandleRightAfterAHandOff) {
  for (int round = 0; round < scaled(200); ++round) {
    auto* ch = new Chan<int>(GetParam());
    std::optional<int> got;
    Threads receiver;
    receiver.spawn([&] {
      got = ch->receive();
      delete ch;  // the sender's send() may still be running
    });
    ASSERT_TRUE(eventually([&] { return receivers_queued(*ch); }));
    ch->send(round);  // no touch of *ch after this returns either
    receiver.join();
    EXPECT_EQ(got, round);
  }
}

// A sender parked on a full channel; a receiver takes a value (and with it
// the slot, or the parked sender's value); the sender deletes the only
// handle as soon as send() returns.
TEST_P(ChanLifetimeTest, SenderDropsTheLastHandleRightAfterAHandOff) {
  for (int round = 0; round < scaled(200); ++round) {
    const std::size_t cap = GetParam();
    auto* ch = new Chan<int>(cap);
    for (std::size_t i = 0; i < cap; ++i) ch->send(-1);
    Threads sender;
    sender.spawn([&] {
      ch->send(round);
      delete ch;  // the receiver's receive() may still be running
    });
    ASSERT_TRUE(eventually([&] { return senders_queued(*ch); }));
    // The last receive that touches *ch: the one whose completion lets the
    // sender's send() return (then *ch may be gone).
    EXPECT_EQ(ch->receive(), cap == 0 ? round : -1);
    sender.join();
  }
}

// A receiver parked on an empty channel is woken by close and deletes the
// only handle at once; close() must be done with the channel by then.
TEST_P(ChanLifetimeTest, ReceiverDropsTheLastHandleRightAfterClose) {
  for (int round = 0; round < scaled(200); ++round) {
    auto* ch = new Chan<int>(GetParam());
    std::optional<int> got = 1;
    Threads receiver;
    receiver.spawn([&] {
      got = ch->receive();
      delete ch;
    });
    ASSERT_TRUE(eventually([&] { return receivers_queued(*ch); }));
    ch->close();
    receiver.join();
    EXPECT_FALSE(got.has_value());
  }
}

// The same through select: a parked select receives, then deletes the only
// handle while the sender may still be inside send().
TEST_P(ChanLifetimeTest, SelectDropsTheLastHandleRightAfterAHandOff) {
  for (int round = 0; round < scaled(200); ++round) {
    auto* ch = new Chan<int>(GetParam());
    Chan<int> other(GetParam());
    std::optional<int> got;
    Threads receiver;
    receiver.spawn([&] {
      Select().recv(*ch, [&](std::optional<int> v) { got = v; }).recv(other).run();
      delete ch;
    });
    ASSERT_TRUE(eventually([&] { return receivers_queued(*ch) && receivers_queued(other); }));
    ch->send(round);
    receiver.join();
    EXPECT_EQ(got, round);
  }
}

// Many rounds without waiting for the partner to park: hand-offs, ring
// operations and fast paths race with the deletion in every order.
TEST_P(ChanLifetimeTest, RacingPartnersNeverTouchAFreedChannel) {
  for (int round = 0; round < scaled(2000); ++round) {
    auto* ch = new Chan<int>(GetParam());
    std::atomic<bool> sent{false};
    Threads sender;
    sender.spawn([&] {
      ch->send(round);
      sent.store(true);
    });
    EXPECT_EQ(ch->receive(), round);
    // The send is complete once receive() returned? Not for a buffered
    // channel (the send may not have returned yet): only the receiver's
    // side is finished, so wait for the sender before deleting unless the
    // channel is unbuffered (then the send completed with the receive).
    if (GetParam() == 0) {
      delete ch;
      sender.join();
    } else {
      sender.join();
      delete ch;
    }
    EXPECT_TRUE(sent.load());
  }
}

}  // namespace
}  // namespace syncscope

// Go's channel tests, ported one group per upstream behaviour (the way
// crossbeam-channel's tests/golang.rs ports them). Sources, Go 1.19:
//   runtime/chan_test.go   TestChan, TestNonblockRecvRace,
//                          TestNonblockSelectRace(2), TestSelfSelect,
//                          TestSelectStress, TestSelectFairness,
//                          TestChanSendInterface, TestPseudoRandomSend,
//                          TestMultiConsumer, TestSelectDuplicateChannel
//   test/chan/sieve1.go    the concurrent prime sieve
//   test/chan/powser1.go   McIlroy's power series (demand channels)
//   test/chan/doubleselect.go, test/chan/fifo.go
// Goroutines become threads; where Go lets goroutines leak at exit (sieve,
// powser) the port stops them through a done channel and checks that they
// all ended. Loop counts are scaled down under TSan/qemu (kScale).
#include <syncscope/chan.h>
#include <syncscope/chan_patterns.h>
#include <syncscope/select.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "chan_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using chan_testing::eventually;
using chan_testing::scaled;
using chan_testing::Threads;
using chan_testing::workers_drained;

// ---- TestChan -------------------------------------------------------------------

class GoTestChan : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Caps, GoTestChan, ::testing::Values(0, 1, 2, 3, 5, 8, 13, 19));

TEST_P(GoTestChan, ReceiveFromEmptyBlocks) {
  Chan<int> c(static_cast<std::size_t>(GetParam()));
  std::atomic<bool> recv1{false};
  std::atomic<bool> recv2{false};
  Threads threads;
  threads.spawn([&] {
    c.receive();
    recv1 = true;
  });
  threads.spawn([&] {
    c.receive_ok();
    recv2 = true;
  });
  std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(recv1.load() || recv2.load()) << "receive from empty chan";
  // Non-blocking receive does not block.
  EXPECT_EQ(Select().recv(c).default_case().run(), 1);
  EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock);
  c.send(0);
  c.send(0);
  threads.join();
  EXPECT_TRUE(recv1.load() && recv2.load());
}

TEST_P(GoTestChan, SendToFullBlocks) {
  const int cap = GetParam();
  Chan<int> c(static_cast<std::size_t>(cap));
  for (int i = 0; i < cap; ++i) c.send(i);
  std::atomic<bool> sent{false};
  Threads threads;
  threads.spawn([&] {
    c.send(0);
    sent = true;
  });
  std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(sent.load()) << "send to full chan";
  EXPECT_EQ(Select().send(c, 0).default_case().run(), 1);
  c.receive();
  threads.join();
}

TEST_P(GoTestChan, ReceiveZeroFromClosed) {
  const int cap = GetParam();
  Chan<int> c(static_cast<std::size_t>(cap));
  for (int i = 0; i < cap; ++i) c.send(i);
  c.close();
  for (int i = 0; i < cap; ++i) EXPECT_EQ(c.receive(), i);
  EXPECT_EQ(c.receive_ok().value, 0);
  const RecvOk<int> r = c.receive_ok();
  EXPECT_EQ(r.value, 0);
  EXPECT_FALSE(r.ok);
}

TEST_P(GoTestChan, CloseUnblocksReceive) {
  Chan<int> c(static_cast<std::size_t>(GetParam()));
  Chan<bool> done(0);
  Threads threads;
  threads.spawn([&] {
    const RecvOk<int> r = c.receive_ok();
    done.send(r.value == 0 && !r.ok);
  });
  std::this_thread::sleep_for(1ms);
  c.close();
  EXPECT_TRUE(*done.receive()) << "received non zero from closed chan";
}

TEST_P(GoTestChan, FifoAndManySendersReceivers) {
  Chan<int> c(static_cast<std::size_t>(GetParam()));
  {
    // Send 100 integers, receive them non-corrupted in FIFO order (twice:
    // with receive and with the comma-ok receive).
    Threads threads;
    threads.spawn([&] {
      for (int i = 0; i < 100; ++i) c.send(i);
    });
    for (int i = 0; i < 100; ++i) ASSERT_EQ(c.receive(), i);
    threads.join();
    threads.spawn([&] {
      for (int i = 0; i < 100; ++i) c.send(i);
    });
    for (int i = 0; i < 100; ++i) {
      const RecvOk<int> r = c.receive_ok();
      ASSERT_TRUE(r.ok);
      ASSERT_EQ(r.value, i);
    }
  }
  // Send L integers in P threads; P receivers; every value arrives P times.
  constexpr int kP = 4;
  const int kL = scaled(1000);
  Threads threads;
  for (int p = 0; p < kP; ++p) {
    threads.spawn([&] {
      for (int i = 0; i < kL; ++i) c.send(i);
    });
  }
  Chan<std::shared_ptr<std::map<int, int>>> done(0);
  for (int p = 0; p < kP; ++p) {
    threads.spawn([&] {
      auto recv = std::make_shared<std::map<int, int>>();
      for (int i = 0; i < kL; ++i) ++(*recv)[*c.receive()];
      done.send(recv);
    });
  }
  std::map<int, int> recv;
  for (int p = 0; p < kP; ++p) {
    const std::shared_ptr<std::map<int, int>> part = *done.receive();
    for (auto [k, v] : *part) recv[k] += v;
  }
  ASSERT_EQ(static_cast<int>(recv.size()), kL);
  for (auto [k, v] : recv) EXPECT_EQ(v, kP) << k;
}

TEST_P(GoTestChan, LenCap) {
  const int cap = GetParam();
  Chan<int> c(static_cast<std::size_t>(cap));
  EXPECT_EQ(c.len(), 0u);
  EXPECT_EQ(c.cap(), static_cast<std::size_t>(cap));
  for (int i = 0; i < cap; ++i) c.send(i);
  EXPECT_EQ(c.len(), static_cast<std::size_t>(cap));
  EXPECT_EQ(c.cap(), static_cast<std::size_t>(cap));
}

// ---- TestNonblockRecvRace / TestNonblockSelectRace(2) -----------------------------

TEST(GoChanTest, NonblockRecvRace) {
  const int n = scaled(2000);
  for (int i = 0; i < n; ++i) {
    Chan<int> c(1);
    c.send(1);
    std::atomic<bool> ready{true};
    Threads threads;
    threads.spawn([&] {
      if (Select().recv(c).default_case().run() != 0) ready = false;
    });
    c.close();
    c.receive();
    threads.join();
    ASSERT_TRUE(ready.load()) << "chan is not ready";
  }
}

// A select acts on the state of its channels at one moment: from the time
// the thread starts, at least one of c1, c2 is always ready, so the
// non-blocking select must never take the default.
TEST(GoChanTest, NonblockSelectRace) {
  const int n = scaled(2000);
  Chan<bool> done(1);
  for (int i = 0; i < n; ++i) {
    Chan<int> c1(1);
    Chan<int> c2(1);
    c1.send(1);
    Threads threads;
    threads.spawn([&] {
      done.send(Select().recv(c1).recv(c2).default_case().run() != 2);
    });
    c2.send(1);
    Select().recv(c1).default_case().run();
    ASSERT_TRUE(*done.receive()) << "no chan is ready";
  }
}

TEST(GoChanTest, NonblockSelectRace2) {
  const int n = scaled(2000);
  Chan<bool> done(1);
  for (int i = 0; i < n; ++i) {
    Chan<int> c1(1);
    Chan<int> c2(0);
    c1.send(1);
    Threads threads;
    threads.spawn([&] {
      done.send(Select().recv(c1).recv(c2).default_case().run() != 2);
    });
    c2.close();
    Select().recv(c1).default_case().run();
    ASSERT_TRUE(*done.receive()) << "no chan is ready";
  }
}

// ---- TestSelfSelect ---------------------------------------------------------------

// Send and receive on the same channel in one select: no crash, no
// deadlock, and (unbuffered) never a value received from oneself.
TEST(GoChanTest, SelfSelect) {
  for (std::size_t cap : {std::size_t{0}, std::size_t{10}}) {
    Chan<int> c(cap);
    std::atomic<int> self_receives{0};
    const int n = scaled(1000);
    Threads threads;
    for (int p = 0; p < 2; ++p) {
      threads.spawn([&, p] {
        const auto check = [&](std::optional<int> v) {
          if (cap == 0 && v && *v == p) self_receives.fetch_add(1);
        };
        for (int i = 0; i < n; ++i) {
          if (p == 0 || i % 2 == 0) {
            Select().send(c, p).recv(c, check).run();
          } else {
            Select().recv(c, check).send(c, p).run();
          }
        }
      });
    }
    threads.join();
    EXPECT_EQ(self_receives.load(), 0) << "self receive, cap " << cap;
  }
}

// ---- TestSelectStress -------------------------------------------------------------

// 4 senders and 4 receivers of N values on one channel each, plus one thread
// that sends N on every channel in a single select and one that receives
// N from every channel in a single select (a finished channel's case set to
// nil). Everything interacts chaotically; nothing may deadlock.
TEST(GoChanTest, SelectStress) {
  std::array<Chan<int>, 4> c{Chan<int>(0), Chan<int>(0), Chan<int>(2), Chan<int>(3)};
  const int n = scaled(4000);
  Threads threads;
  for (int k = 0; k < 4; ++k) {
    threads.spawn([&, k] {
      for (int i = 0; i < n; ++i) c[k].send(0);
    });
    threads.spawn([&, k] {
      for (int i = 0; i < n; ++i) c[k].receive();
    });
  }
  threads.spawn([&] {
    std::array<int, 4> cnt{};
    std::array<Chan<int>, 4> c1 = c;
    const auto sent = [&](int k) {
      return [&, k] {
        if (++cnt[k] == n) c1[k] = Chan<int>();
      };
    };
    for (int i = 0; i < 4 * n; ++i) {
      Select()
          .send(c1[3], 0, sent(3))
          .send(c1[2], 0, sent(2))
          .send(c1[0], 0, sent(0))
          .send(c1[1], 0, sent(1))
          .run();
    }
  });
  threads.spawn([&] {
    std::array<int, 4> cnt{};
    std::array<Chan<int>, 4> c1 = c;
    const auto got = [&](int k) {
      return [&, k] {
        if (++cnt[k] == n) c1[k] = Chan<int>();
      };
    };
    for (int i = 0; i < 4 * n; ++i) {
      Select()
          .recv(c1[0], got(0))
          .recv(c1[1], got(1))
          .recv(c1[2], got(2))
          .recv(c1[3], got(3))
          .run();
    }
  });
  threads.join();
  for (const Chan<int>& ch : c) EXPECT_EQ(ch.len(), 0u);
}

// ---- TestSelectFairness -----------------------------------------------------------

// Two always-ready buffered channels and two never-ready unbuffered ones: the
// ready pair must be chosen about equally often. Go's bound is |r - 1/2| <=
// 4.891676 / (2 sqrt(trials)): a two-sided normal z of 4.89, i.e. a false
// failure once in 1e6 runs, too often for a suite of thousands of tests run
// on every change. The select's random stream cannot be seeded from here,
// so the bound is widened to z = 5.730729 (a false failure once in 1e8
// runs); a select that favoured one case 40/60 would still fail it (45/55
// too, natively and under qemu).
TEST(GoChanTest, SelectFairness) {
  const int trials = scaled(10000);
  Chan<uint8_t> c1(static_cast<std::size_t>(trials) + 1);
  Chan<uint8_t> c2(static_cast<std::size_t>(trials) + 1);
  for (int i = 0; i < trials + 1; ++i) {
    c1.send(1);
    c2.send(2);
  }
  Chan<uint8_t> c3(0);
  Chan<uint8_t> c4(0);
  Chan<uint8_t> out(0);
  Chan<uint8_t> done(0);
  Threads threads;
  threads.spawn([&] {
    for (;;) {
      uint8_t b = 0;
      const auto take = [&b](std::optional<uint8_t> v) { b = *v; };
      Select().recv(c3, take).recv(c4, take).recv(c1, take).recv(c2, take).run();
      if (Select().send(out, b).recv(done).run() == 1) return;
    }
  });
  int cnt1 = 0;
  int cnt2 = 0;
  for (int i = 0; i < trials; ++i) {
    const uint8_t b = *out.receive();
    if (b == 1) {
      ++cnt1;
    } else {
      ASSERT_EQ(b, 2) << "unexpected value on channel";
      ++cnt2;
    }
  }
  const double r = static_cast<double>(cnt1) / trials;
  const double e = std::abs(r - 0.5);
  EXPECT_LE(e, 5.730729 / (2 * std::sqrt(static_cast<double>(trials))))
      << "unfair select: in " << trials << " trials, results were " << cnt1 << ", " << cnt2;
  done.close();
}

// ---- TestChanSendInterface --------------------------------------------------------

TEST(GoChanTest, ChanSendInterface) {
  struct Mt {};
  auto m = std::make_shared<Mt>();
  Chan<std::shared_ptr<void>> c(1);
  c.send(m);
  EXPECT_EQ(Select().send(c, m).default_case().run(), 1);
  EXPECT_EQ(Select().send(c, m).send(c, std::make_shared<Mt>()).default_case().run(), 2);
  EXPECT_EQ(c.receive()->get(), m.get());
}

// ---- TestPseudoRandomSend -------------------------------------------------------

// A select with two send cases of different values on one channel must pick
// both values often.
TEST(GoChanTest, PseudoRandomSend) {
  constexpr int kN = 100;
  for (std::size_t cap : {std::size_t{0}, std::size_t{kN}}) {
    Chan<int> c(cap);
    std::vector<int> l(kN);
    Threads threads;
    threads.spawn([&] {
      for (int i = 0; i < kN; ++i) {
        std::this_thread::yield();
        l[i] = *c.receive();
      }
    });
    for (int i = 0; i < kN; ++i) Select().send(c, 1).send(c, 0).run();
    threads.join();
    int n0 = 0;
    int n1 = 0;
    for (int v : l) {
      n0 += (v + 1) % 2;
      n1 += v;
    }
    EXPECT_TRUE(n0 > kN / 10 && n1 > kN / 10)
        << "want pseudorandom, got " << n0 << " zeros and " << n1 << " ones (cap " << cap << ")";
  }
}

// ---- TestMultiConsumer --------------------------------------------------------

// 23 workers ranging over one queue (some yielding to mess with its FIFO-ish
// nature), a feeder that closes the queue and then, once every worker is
// done, the result channel; every value counted once.
TEST(GoChanTest, MultiConsumer) {
  constexpr int kWork = 23;
  const int niter = scaled(27182);
  const std::array<int, 10> pn{2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
  Chan<int> q(kWork * 3);
  Chan<int> r(kWork * 3);
  Threads threads;
  std::atomic<int> workers_left{kWork};
  for (int w = 0; w < kWork; ++w) {
    threads.spawn([&, w] {
      for (int v : q) {
        if (pn[static_cast<std::size_t>(w) % pn.size()] == v) std::this_thread::yield();
        r.send(v);
      }
      if (workers_left.fetch_sub(1) == 1) r.close();  // wg.Wait(); close(r)
    });
  }
  long expect = 0;
  threads.spawn([&] {
    for (int i = 0; i < niter; ++i) {
      const int v = pn[static_cast<std::size_t>(i) % pn.size()];
      expect += v;
      q.send(v);
    }
    q.close();
  });
  int n = 0;
  long s = 0;
  for (int v : r) {
    ++n;
    s += v;
  }
  threads.join();
  EXPECT_EQ(n, niter);
  EXPECT_EQ(s, expect);
}

// ---- TestSelectDuplicateChannel ---------------------------------------------------

// One thread may be queued on the same channel twice (two cases); when it
// is woken through a third channel it must unlink both without corrupting
// the queue for the next receiver.
TEST(GoChanTest, SelectDuplicateChannel) {
  Chan<int> c(0);
  Chan<int> d(0);
  Chan<int> e(0);
  Threads threads;
  threads.spawn([&] {  // A
    Select().recv(c).recv(c).recv(d).run();
    e.send(9);
  });
  ASSERT_TRUE(eventually([&] { return c.waiting_receivers() == 2; }));
  std::atomic<int> b_got{-1};
  threads.spawn([&] { b_got = *c.receive(); });  // B
  ASSERT_TRUE(eventually([&] { return c.waiting_receivers() == 3; }));
  d.send(7);  // wakes A, which dequeues itself from c
  EXPECT_EQ(e.receive(), 9);
  c.send(8);  // must wake B
  threads.join();
  EXPECT_EQ(b_got.load(), 8);
}

// ---- test/chan/doubleselect.go ------------------------------------------------------

// A sender selecting over four channels must deliver each value exactly
// once (a select never runs two cases).
TEST(GoChanTest, DoubleSelect) {
  const int iterations = scaled(20000);
  std::array<Chan<int>, 4> c{Chan<int>(0), Chan<int>(0), Chan<int>(0), Chan<int>(0)};
  Chan<int> cmux(0);
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < iterations; ++i)
      Select().send(c[0], i).send(c[1], i).send(c[2], i).send(c[3], i).run();
    for (Chan<int>& ch : c) ch.close();
  });
  std::atomic<int> muxes{4};
  for (int k = 0; k < 4; ++k) {
    threads.spawn([&, k] {
      for (int v : c[k]) cmux.send(v);
      if (muxes.fetch_sub(1) == 1) cmux.close();
    });
  }
  std::vector<char> seen(static_cast<std::size_t>(iterations), 0);
  int count = 0;
  for (int v : cmux) {
    ASSERT_EQ(seen[static_cast<std::size_t>(v)], 0) << "got duplicate value: " << v;
    seen[static_cast<std::size_t>(v)] = 1;
    ++count;
  }
  EXPECT_EQ(count, iterations);
}

// ---- test/chan/fifo.go ------------------------------------------------------------

TEST(GoChanTest, AsynchFifo) {
  constexpr int kN = 10;
  Chan<int> ch(kN);
  for (int i = 0; i < kN; ++i) ch.send(i);
  for (int i = 0; i < kN; ++i) EXPECT_EQ(ch.receive(), i) << "bad receive";
}

// A daisy chain of threads reads the elements of an unbuffered channel in
// sequence: each link waits for its turn, then must see its own value.
TEST(GoChanTest, SynchFifo) {
  constexpr int kN = 10;
  Chan<int> ch(0);
  Chan<int> in(0);
  const Chan<int> start = in;
  std::atomic<int> bad{0};
  Threads threads;
  for (int i = 0; i < kN; ++i) {
    Chan<int> out(0);
    threads.spawn([ch, i, in, out, &bad] {
      in.receive();
      if (*ch.receive() != i) bad.fetch_add(1);
      out.send(1);
    });
    in = out;
  }
  start.send(0);
  for (int i = 0; i < kN; ++i) ch.send(i);
  in.receive();
  threads.join();
  EXPECT_EQ(bad.load(), 0);
}

// ---- test/chan/sieve1.go ------------------------------------------------------------

// The classical inefficient concurrent prime sieve: a daisy chain of
// divisibility filters. Go lets the goroutines leak at exit; here a done
// channel stops them all.
TEST(GoChanTest, Sieve) {
  DoneChan done(0);
  Chan<int> primes(0);
  go([done, primes] {
    Chan<int> ch(0);
    go([done, ch] {  // Generate: 2, 3, 4, ...
      for (int i = 2;; ++i) {
        if (!send_or_done(done, ch, i)) return;
      }
    });
    for (;;) {
      const std::optional<int> prime = recv_or_done(done, ch);
      if (!prime || !send_or_done(done, primes, *prime)) return;
      Chan<int> ch1(0);
      go([done, in = ch, out = ch1, p = *prime] {  // Filter
        while (std::optional<int> i = recv_or_done(done, in)) {
          if (*i % p != 0 && !send_or_done(done, out, *i)) return;
        }
      });
      ch = ch1;
    }
  });
  const std::array<int, 25> a{2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41,
                              43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97};
  for (int p : a) EXPECT_EQ(primes.receive(), p);
  done.close();
  EXPECT_TRUE(workers_drained());
}

// ---- test/chan/powser1.go -----------------------------------------------------------

// McIlroy's power series ("Squinting at Power Series"): a series is a
// demand channel (req) plus a data channel (dat) along which rational
// coefficients flow; every operator is a goroutine (here a thread). The
// port keeps the structure and names of powser1.go; every blocking step
// also watches a done channel and unwinds the thread (Stop) when the test
// ends, since the series are infinite and Go simply exits.
class Powser {
 public:
  struct Rat {
    int64_t num = 0;
    int64_t den = 0;
    bool operator==(const Rat&) const = default;
  };
  struct Dch {
    Chan<int> req{0};
    Chan<Rat> dat{0};
  };
  using PS = std::shared_ptr<Dch>;
  using PS2 = std::shared_ptr<std::array<PS, 2>>;
  struct Stop {};

  // Stops every operator thread, and waits for them: they use this object.
  ~Powser() {
    done_.close();
    EXPECT_TRUE(workers_drained());
  }

  static int64_t gcd(int64_t u, int64_t v) {
    if (u < 0) return gcd(-u, v);
    if (u == 0) return v;
    return gcd(v % u, u);
  }
  static Rat i2tor(int64_t u, int64_t v) {
    const int64_t g = gcd(u, v);
    return v > 0 ? Rat{u / g, v / g} : Rat{-u / g, -v / g};
  }
  static Rat itor(int64_t u) { return i2tor(u, 1); }
  static bool end(Rat u) { return u.den == 0; }
  static Rat add(Rat u, Rat v) {
    const int64_t g = gcd(u.den, v.den);
    return i2tor(u.num * (v.den / g) + v.num * (u.den / g), u.den * (v.den / g));
  }
  static Rat mul(Rat u, Rat v) {
    const int64_t g1 = gcd(u.num, v.den);
    const int64_t g2 = gcd(u.den, v.num);
    return Rat{(u.num / g1) * (v.num / g2), (u.den / g2) * (v.den / g1)};
  }
  static Rat neg(Rat u) { return i2tor(-u.num, u.den); }
  static Rat inv(Rat u) { return i2tor(u.den, u.num); }

  const Rat zero = itor(0);
  const Rat one = itor(1);
  const Rat finis = i2tor(1, 0);

  // ---- blocking steps that watch done ----
  template <class T>
  T recv(const Chan<T>& c) {
    std::optional<T> v = recv_or_done(done_, c);
    if (!v) throw Stop{};
    return *v;
  }
  template <class T>
  void send(const Chan<T>& c, T v) {
    if (!send_or_done(done_, c, std::move(v))) throw Stop{};
  }
  template <class F>
  void spawn(F f) {
    go([f = std::move(f)]() mutable {
      try {
        f();
      } catch (const Stop&) {
      }
    });
  }
  int next_seq() { return seqno_.fetch_add(1, std::memory_order_relaxed) + 1; }

  PS mkPS() { return std::make_shared<Dch>(); }
  PS2 mkPS2() { return std::make_shared<std::array<PS, 2>>(std::array<PS, 2>{mkPS(), mkPS()}); }

  // split reads a single demand channel and replicates its output onto two,
  // which may be read at different rates (see powser1.go's dosplit comment:
  // generations hand over through the release/wait channels).
  void dosplit(PS in, PS2 out, Chan<int> wait) {
    bool both = false;
    const auto stop = [] { throw Stop{}; };
    if (Select().recv((*out)[0]->req).recv(wait).recv(done_, stop).run() == 1) {
      both = true;
      if (Select().recv((*out)[0]->req).recv((*out)[1]->req).recv(done_, stop).run() == 1) {
        std::swap((*out)[0], (*out)[1]);
      }
    }
    send(in->req, next_seq());
    Chan<int> release(0);
    spawn([this, in, out, release] { dosplit(in, out, release); });
    const Rat dat = recv(in->dat);
    send((*out)[0]->dat, dat);
    if (!both) recv(wait);
    recv((*out)[1]->req);
    send((*out)[1]->dat, dat);
    send(release, 0);
  }
  void split(PS in, PS2 out) {
    Chan<int> release(0);
    spawn([this, in, out, release] { dosplit(in, out, release); });
    send(release, 0);
  }
  void put(Rat dat, const PS& out) {
    recv(out->req);
    send(out->dat, dat);
  }
  Rat get(const PS& in) {
    send(in->req, next_seq());
    return recv(in->dat);
  }
  // Get one rat from each of two demand channels, in whatever order they
  // become ready (nil-ing the cases already done).
  std::array<Rat, 2> get2(const PS& in0, const PS& in1) {
    std::array<Chan<int>, 2> req{in0->req, in1->req};
    std::array<Chan<Rat>, 2> dat{};
    std::array<Rat, 2> out{};
    for (int n = 4; n > 0; --n) {
      const int seq = next_seq();
      Select()
          .send(req[0], seq, [&] { dat[0] = in0->dat, req[0] = Chan<int>(); })
          .send(req[1], seq, [&] { dat[1] = in1->dat, req[1] = Chan<int>(); })
          .recv(dat[0], [&](std::optional<Rat> it) { out[0] = *it, dat[0] = Chan<Rat>(); })
          .recv(dat[1], [&](std::optional<Rat> it) { out[1] = *it, dat[1] = Chan<Rat>(); })
          .recv(done_, [] { throw Stop{}; })
          .run();
    }
    return out;
  }
  void copy(const PS& in, const PS& out) {
    for (;;) {
      recv(out->req);
      send(out->dat, get(in));
    }
  }
  void repeat(Rat dat, const PS& out) {
    for (;;) put(dat, out);
  }

  PS Split2(PS u, PS2* uu) {  // Split(U) returning both halves
    *uu = mkPS2();
    spawn([this, u, o = *uu] { split(u, o); });
    return (**uu)[0];
  }
  PS Rep(Rat c) {
    PS z = mkPS();
    spawn([this, c, z] { repeat(c, z); });
    return z;
  }
  PS Add(PS u, PS v) {
    PS z = mkPS();
    spawn([this, u, v, z] {
      for (;;) {
        recv(z->req);
        const std::array<Rat, 2> uv = get2(u, v);
        switch (int(end(uv[0])) + 2 * int(end(uv[1]))) {
          case 0:
            send(z->dat, add(uv[0], uv[1]));
            break;
          case 1:
            send(z->dat, uv[1]);
            copy(v, z);
            break;
          case 2:
            send(z->dat, uv[0]);
            copy(u, z);
            break;
          case 3:
            send(z->dat, finis);
            break;
        }
      }
    });
    return z;
  }
  PS Cmul(Rat c, PS u) {
    PS z = mkPS();
    spawn([this, c, u, z] {
      for (bool done = false; !done;) {
        recv(z->req);
        const Rat x = get(u);
        if (end(x)) {
          done = true;
        } else {
          send(z->dat, mul(c, x));
        }
      }
      send(z->dat, finis);
    });
    return z;
  }
  PS Sub(PS u, PS v) { return Add(u, Cmul(neg(one), v)); }
  // Multiply: U = u + x*UU, V = v + x*VV, UV = u*v + x*(u*VV+v*UU) + x*x*UU*VV.
  PS Mul(PS u, PS v) {
    PS z = mkPS();
    spawn([this, u, v, z] {
      recv(z->req);
      const std::array<Rat, 2> uv = get2(u, v);
      if (end(uv[0]) || end(uv[1])) {
        send(z->dat, finis);
        return;
      }
      send(z->dat, mul(uv[0], uv[1]));
      PS2 uu;
      PS2 vv;
      Split2(u, &uu);
      Split2(v, &vv);
      PS w = Add(Cmul(uv[0], (*vv)[0]), Cmul(uv[1], (*uu)[0]));
      recv(z->req);
      send(z->dat, get(w));
      copy(Add(w, Mul((*uu)[1], (*vv)[1])), z);
    });
    return z;
  }
  PS Diff(PS u) {
    PS z = mkPS();
    spawn([this, u, z] {
      recv(z->req);
      Rat x = get(u);
      if (!end(x)) {
        for (int64_t i = 1;; ++i) {
          x = get(u);
          if (end(x)) break;
          send(z->dat, mul(itor(i), x));
          recv(z->req);
        }
      }
      send(z->dat, finis);
    });
    return z;
  }
  PS Integ(Rat c, PS u) {
    PS z = mkPS();
    spawn([this, c, u, z] {
      put(c, z);
      for (int64_t i = 1;; ++i) {
        recv(z->req);
        const Rat x = get(u);
        if (end(x)) break;
        send(z->dat, mul(i2tor(1, i), x));
      }
      send(z->dat, finis);
    });
    return z;
  }
  // Exponential of a series with constant term 0: Z = exp(U), DZ = Z*DU.
  PS Exp(PS u) {
    PS2 zz = mkPS2();
    split(Integ(one, Mul((*zz)[0], Diff(u))), zz);
    return (*zz)[1];
  }
  // Monomial substitution U(c x^n).
  PS MonSubst(PS u, Rat c0, int n) {
    PS z = mkPS();
    spawn([this, u, c0, n, z] {
      Rat c = one;
      for (;;) {
        recv(z->req);
        const Rat x = get(u);
        send(z->dat, mul(x, c));
        c = mul(c, c0);
        if (end(x)) {
          send(z->dat, finis);
          break;
        }
        for (int i = 1; i < n; ++i) {
          recv(z->req);
          send(z->dat, zero);
        }
      }
    });
    return z;
  }

  void check(const PS& u, Rat c, int count, const char* what) {
    for (int i = 0; i < count; ++i) EXPECT_EQ(get(u), c) << what << " term " << i;
  }
  void checka(const PS& u, const std::vector<Rat>& a, const char* what) {
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(get(u), a[i]) << what << " term " << i;
  }

 private:
  DoneChan done_{0};
  std::atomic<int> seqno_{0};
};

TEST(GoChanTest, PowerSeries) {
  using Rat = Powser::Rat;
  {
    Powser p;
    // Exp spawns a thread per coefficient per nested Mul: fewer terms under
    // TSan/qemu keep the thread count modest.
    const int n = chan_testing::kScale == 1 ? 10 : 6;
    const Powser::PS ones = p.Rep(p.one);
    const Powser::PS twos = p.Rep(p.itor(2));
    p.check(ones, p.one, 5, "Ones");
    p.check(p.Add(ones, ones), p.itor(2), 0, "Add Ones Ones");
    p.check(p.Add(ones, twos), p.itor(3), 0, "Add Ones Twos");
    std::vector<Rat> a(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) a[i] = p.itor(i + 1);
    p.checka(p.Diff(ones), a, "Diff");  // 1 2 3 4 5
    a[0] = p.zero;
    for (int i = 1; i < n; ++i) a[i] = Powser::i2tor(1, i);
    p.checka(p.Integ(p.zero, ones), a, "Integ");  // 0 1 1/2 1/3 1/4
    p.check(p.Cmul(Powser::neg(p.one), twos), p.itor(-2), 10, "CMul");
    p.check(p.Sub(ones, twos), p.itor(-1), 0, "Sub Ones Twos");
    for (int i = 0; i < n; ++i) a[i] = p.itor(i + 1);
    p.checka(p.Mul(ones, ones), a, "Mul");  // 1 2 3 4 5
    const std::vector<Rat> exp_terms{p.itor(1),
                                     p.itor(1),
                                     Powser::i2tor(3, 2),
                                     Powser::i2tor(13, 6),
                                     Powser::i2tor(73, 24),
                                     Powser::i2tor(167, 40),
                                     Powser::i2tor(4051, 720),
                                     Powser::i2tor(37633, 5040),
                                     Powser::i2tor(43817, 4480),
                                     Powser::i2tor(4596553, 362880)};
    p.checka(p.Exp(ones), std::vector<Rat>(exp_terms.begin(), exp_terms.begin() + n), "Exp");
    int c = 1;
    for (int i = 0; i < n; ++i) {
      if (i % 2 == 0) {
        a[i] = p.zero;
      } else {
        a[i] = Powser::i2tor(c, i);
        c = -c;
      }
    }
    p.checka(p.Integ(p.zero, p.MonSubst(ones, Powser::neg(p.one), 2)), a, "ATan");  // 0 1 0 -1/3
  }  // ~Powser closes done: every operator thread unwinds
  EXPECT_TRUE(workers_drained());
}

}  // namespace
}  // namespace syncscope

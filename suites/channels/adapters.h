// Channel adapters of the channels suite: one small class per implementation,
// all with the same operation set, so every case is one templated body
// (suites/channels/cases.h) and adding a design is one adapter plus one
// registration line (channels.cc).
//
// Offers:
//   Capacity, kUnbounded, capacity_name()   cap:0 / 1 / 16 / 1024 / unbounded
//   concept ChannelAdapter<A>               what every adapter provides
//   HasTryRecv<A>, HasClose<A>, HasSelect<A>, HasChanStats<A>
//                                           optional abilities; a case that
//                                           needs one is registered only for
//                                           adapters that have it
//   ChanAdapter            syncscope::Chan<T>            caps 0, N; select, close, try_recv
//   BoostFiberAdapter      boost::fibers::unbuffered_channel (cap 0) /
//                          buffered_channel (cap N)      close, try_recv (N > 0)
//   MoodycamelBlockingAdapter   moodycamel::BlockingConcurrentQueue  unbounded MPMC, try_recv
//   MoodycamelRwAdapter         moodycamel::BlockingReaderWriterQueue unbounded SPSC, try_recv
//   MoodycamelRwCircularAdapter moodycamel::BlockingReaderWriterCircularBuffer
//                                                        bounded SPSC (caps N > 0), try_recv
//   TbbBoundedQueueAdapter tbb::concurrent_bounded_queue caps N > 0 (set_capacity) and
//                          unbounded; MPMC, try_recv
//
// An adapter A provides:
//   A::kName                     implementation name in benchmark names (impl:NAME)
//   A::kMultiProducer / kMultiConsumer   false for SPSC-only queues
//   A::supports(Capacity)        the capacities it can express
//   A::usable_capacity(Capacity) values it can hold without blocking a
//                                sender (the seq case's batch)
//   A::Channel<T>                one channel: Channel(Capacity), non-copyable;
//     send(T&&)                  blocks while full (rendezvous at cap 0)
//     recv(F&& f) -> bool        blocks until a value arrives and calls
//                                f(const T&) on it in place (no extra copy);
//                                false: the channel was closed and drained
//   optional:
//     Channel::try_recv(F&&) -> bool   never blocks; true: f was called
//     Channel::close()                 Go's close: every blocked and every
//                                      later receive returns false
//     A::select_recv4(chs, f) / A::select_send4(chs, v)
//                                      Go's select over 4 channels
//     A::select_recv2(a, b, f)         select over 2 (the popular case)
//     A::thread_stats()                the calling thread's blocking counters
//
// What an implementation cannot express is not emulated: tbb's abort() wakes
// only the threads waiting at that moment (later pops still block), so it is
// not a close; moodycamel queues have no close and never block a producer;
// none of the peers has select. Those cases are simply not registered for
// them (the run's context lists what each implementation covers).
//
// boost::fibers channels across std::threads: every std::thread that touches
// a fiber channel gets its own fiber scheduler (round_robin) lazily, with the
// thread's main context as its only fiber. A blocked push/pop suspends that
// context; the scheduler, finding nothing else to run, sleeps on its
// condition variable until another thread's push/pop schedules the context
// back (context::schedule -> schedule_from_remote -> notify). So the channels
// work across threads with one fiber per thread, and every block/wake-up is
// a condition-variable sleep/notify. buffered_channel(n) needs n to be a
// power of two >= 2 and holds at most n - 1 values: cap:N uses
// buffered_channel(N) (N - 1 usable slots), except cap:1 which uses
// buffered_channel(2) (exactly one slot).
//
// Memory ordering: each implementation's own (all are linearizable queues
// whose send happens-before the matching receive); the suite adds nothing.
#ifndef SYNCSCOPE_SUITES_CHANNELS_ADAPTERS_H_
#define SYNCSCOPE_SUITES_CHANNELS_ADAPTERS_H_

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

// syncscope's headers first: Boost.Fiber defines a cpu_relax() macro.
#include <syncscope/chan.h>
#include <syncscope/goroutine.h>
#include <syncscope/select.h>
#include <syncscope/wait_group.h>

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/unbuffered_channel.hpp>
#include <concurrentqueue/blockingconcurrentqueue.h>
#include <readerwriterqueue/readerwritercircularbuffer.h>
#include <readerwriterqueue/readerwriterqueue.h>
#include <tbb/concurrent_queue.h>

namespace syncscope::suites::channels {

// A channel capacity; kUnbounded for queues that grow without limit.
using Capacity = std::size_t;
inline constexpr Capacity kUnbounded = std::numeric_limits<Capacity>::max();

inline std::string capacity_name(Capacity c) {
  return c == kUnbounded ? std::string("unbounded") : std::to_string(c);
}

// A probe element and consumer used only to state the concepts.
struct ProbeMsg {
  uint64_t w[1] = {0};
};
struct ProbeFn {
  void operator()(const ProbeMsg&) const noexcept {}
};

template <class A>
concept ChannelAdapter = requires(typename A::template Channel<ProbeMsg>& ch, ProbeMsg m,
                                  ProbeFn f) {
  { A::kName } -> std::convertible_to<const char*>;
  { A::kMultiProducer } -> std::convertible_to<bool>;
  { A::kMultiConsumer } -> std::convertible_to<bool>;
  { A::supports(Capacity{}) } -> std::same_as<bool>;
  { A::usable_capacity(Capacity{}) } -> std::same_as<Capacity>;
  ch.send(std::move(m));
  { ch.recv(f) } -> std::same_as<bool>;
};

template <class A>
concept HasTryRecv = requires(typename A::template Channel<ProbeMsg>& ch, ProbeFn f) {
  { ch.try_recv(f) } -> std::same_as<bool>;
};

template <class A>
concept HasClose = requires(typename A::template Channel<ProbeMsg>& ch) { ch.close(); };

template <class A>
concept HasSelect = requires(std::array<typename A::template Channel<ProbeMsg>*, 4>& chs,
                             typename A::template Channel<ProbeMsg>& one, ProbeMsg m, ProbeFn f) {
  A::select_recv4(chs, f);
  A::select_send4(chs, std::move(m));
  A::select_recv2(one, one, f);
};

// Blocking counters of the calling thread (only syncscope::Chan has them).
struct BlockStats {
  uint64_t blocked = 0;         // operations that had to wait
  uint64_t parks = 0;           // ... and slept (futex)
  uint64_t lock_contended = 0;  // channel-lock acquisitions that missed the first CAS
  uint64_t spins = 0;           // cpu_relax() hints spent waiting (bounded spinning)
  // Waits on a ring slot whose partner operation is in flight (ChanStats):
  uint64_t in_flight_left = 0;  // lock-free tries that left it to the batch wait
  uint64_t ring_snoozes = 0;    // backoff steps and yields on a slot / stale position
  uint64_t ring_yields = 0;     // ... of which sched_yield
  uint64_t ring_yield_ns = 0;   // wall time in those yields
};

template <class A>
concept HasChanStats = requires { { A::thread_stats() } -> std::same_as<BlockStats>; };

// ---------------------------------------------------------------------------
// syncscope::Chan<T> — the implementation under test.
struct ChanAdapter {
  static constexpr const char* kName = "Chan";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static bool supports(Capacity c) { return c != kUnbounded; }
  static Capacity usable_capacity(Capacity c) { return c; }

  template <class T>
  class Channel {
   public:
    explicit Channel(Capacity c) : ch_(c) {}
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    void send(T&& v) { ch_.send(std::move(v)); }
    template <class F>
    bool recv(F&& f) {
      std::optional<T> v = ch_.receive();
      if (!v) return false;
      f(*v);
      return true;
    }
    template <class F>
    bool try_recv(F&& f) {
      Received<T> r = ch_.try_receive();
      if (!r) return false;
      f(*r);
      return true;
    }
    void close() { ch_.close(); }
    const Chan<T>& chan() const noexcept { return ch_; }

   private:
    Chan<T> ch_;
  };

  template <class T, class F>
  static void select_recv4(std::array<Channel<T>*, 4>& c, F&& f) {
    auto take = [&f](std::optional<T> v) {
      if (v) f(*v);
    };
    Select().recv(c[0]->chan(), take).recv(c[1]->chan(), take).recv(c[2]->chan(), take)
        .recv(c[3]->chan(), take).run();
  }
  template <class T>
  static void select_send4(std::array<Channel<T>*, 4>& c, T&& v) {
    // The builder keeps one copy of the value per case (Go's select also
    // evaluates every send expression); the fired case's copy is moved in.
    Select().send(c[0]->chan(), v).send(c[1]->chan(), v).send(c[2]->chan(), v)
        .send(c[3]->chan(), v).run();
  }
  template <class T, class F>
  static void select_recv2(Channel<T>& a, Channel<T>& b, F&& f) {
    auto take = [&f](std::optional<T> v) {
      if (v) f(*v);
    };
    Select().recv(a.chan(), take).recv(b.chan(), take).run();
  }

  static BlockStats thread_stats() {
    const ChanStats s = chan_thread_stats();
    return BlockStats{s.blocked,        s.parks,        s.lock_contended, s.spins,
                      s.in_flight_left, s.ring_snoozes, s.ring_yields,    s.ring_yield_ns};
  }
};

// ---------------------------------------------------------------------------
// boost::fibers channels used from std::threads (one fiber per thread; see
// the banner).
struct BoostFiberAdapter {
  static constexpr const char* kName = "boost_fiber";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static bool supports(Capacity c) {
    return c != kUnbounded && (c == 0 || c == 1 || (c & (c - 1)) == 0);
  }
  static std::size_t boost_capacity(Capacity c) { return c == 1 ? 2 : c; }
  static Capacity usable_capacity(Capacity c) { return c == 0 ? 0 : boost_capacity(c) - 1; }

  template <class T>
  class Channel {
   public:
    explicit Channel(Capacity c) {
      if (c == 0) {
        unbuffered_ = std::make_unique<boost::fibers::unbuffered_channel<T>>();
      } else {
        buffered_ = std::make_unique<boost::fibers::buffered_channel<T>>(boost_capacity(c));
      }
    }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    void send(T&& v) {
      if (buffered_) {
        buffered_->push(std::move(v));
      } else {
        unbuffered_->push(std::move(v));
      }
    }
    template <class F>
    bool recv(F&& f) {
      T v;
      const auto s = buffered_ ? buffered_->pop(v) : unbuffered_->pop(v);
      if (s != boost::fibers::channel_op_status::success) return false;
      f(v);
      return true;
    }
    // unbuffered_channel has no try_pop: try_recv is registered at cap > 0 only.
    template <class F>
    bool try_recv(F&& f) {
      if (!buffered_) return false;
      T v;
      if (buffered_->try_pop(v) != boost::fibers::channel_op_status::success) return false;
      f(v);
      return true;
    }
    void close() {
      if (buffered_) {
        buffered_->close();
      } else {
        unbuffered_->close();
      }
    }

   private:
    std::unique_ptr<boost::fibers::unbuffered_channel<T>> unbuffered_;
    std::unique_ptr<boost::fibers::buffered_channel<T>> buffered_;
  };
};

// ---------------------------------------------------------------------------
// The three moodycamel queues share one channel: Q is the queue type,
// kBounded says whether it is built with the capacity and whether a send
// waits for room (wait_enqueue) or never blocks (enqueue allocates).
template <class Q, class T, bool kBounded>
class MoodycamelChannel {
 public:
  explicit MoodycamelChannel(Capacity c) : q_(make(c)) {}
  MoodycamelChannel(const MoodycamelChannel&) = delete;
  MoodycamelChannel& operator=(const MoodycamelChannel&) = delete;

  void send(T&& v) {
    if constexpr (kBounded) {
      q_.wait_enqueue(std::move(v));
    } else {
      q_.enqueue(std::move(v));
    }
  }
  template <class F>
  bool recv(F&& f) {
    T v;
    q_.wait_dequeue(v);
    f(v);
    return true;
  }
  template <class F>
  bool try_recv(F&& f) {
    T v;
    if (!q_.try_dequeue(v)) return false;
    f(v);
    return true;
  }

 private:
  static Q make(Capacity c) {
    if constexpr (kBounded) {
      return Q(c);
    } else {
      (void)c;
      return Q();
    }
  }
  Q q_;
};

// moodycamel::BlockingConcurrentQueue: unbounded MPMC (enqueue never blocks;
// it allocates a block when the current ones are full). Implicit producers
// (no tokens), as most users write it.
struct MoodycamelBlockingAdapter {
  static constexpr const char* kName = "moodycamel_blocking";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static bool supports(Capacity c) { return c == kUnbounded; }
  static Capacity usable_capacity(Capacity c) { return c; }
  template <class T>
  using Channel = MoodycamelChannel<moodycamel::BlockingConcurrentQueue<T>, T, false>;
};

// moodycamel::BlockingReaderWriterQueue: unbounded SPSC.
struct MoodycamelRwAdapter {
  static constexpr const char* kName = "moodycamel_rw";
  static constexpr bool kMultiProducer = false;
  static constexpr bool kMultiConsumer = false;
  static bool supports(Capacity c) { return c == kUnbounded; }
  static Capacity usable_capacity(Capacity c) { return c; }
  template <class T>
  using Channel = MoodycamelChannel<moodycamel::BlockingReaderWriterQueue<T>, T, false>;
};

// moodycamel::BlockingReaderWriterCircularBuffer: bounded SPSC (a producer
// blocks while full), exactly cap slots.
struct MoodycamelRwCircularAdapter {
  static constexpr const char* kName = "moodycamel_rw_circular";
  static constexpr bool kMultiProducer = false;
  static constexpr bool kMultiConsumer = false;
  static bool supports(Capacity c) { return c != 0 && c != kUnbounded; }
  static Capacity usable_capacity(Capacity c) { return c; }
  template <class T>
  using Channel = MoodycamelChannel<moodycamel::BlockingReaderWriterCircularBuffer<T>, T, true>;
};

// ---------------------------------------------------------------------------
// tbb::concurrent_bounded_queue: MPMC; set_capacity(N) bounds it (a push
// waits while N values are queued); capacity 0 would make every push wait
// forever (no rendezvous), so cap:0 is not expressible.
struct TbbBoundedQueueAdapter {
  static constexpr const char* kName = "tbb_bounded_queue";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static bool supports(Capacity c) { return c != 0; }
  static Capacity usable_capacity(Capacity c) { return c; }

  template <class T>
  class Channel {
   public:
    explicit Channel(Capacity c) {
      if (c != kUnbounded) q_.set_capacity(static_cast<std::ptrdiff_t>(c));
    }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    void send(T&& v) { q_.push(std::move(v)); }
    template <class F>
    bool recv(F&& f) {
      T v;
      q_.pop(v);
      f(v);
      return true;
    }
    template <class F>
    bool try_recv(F&& f) {
      T v;
      if (!q_.try_pop(v)) return false;
      f(v);
      return true;
    }

   private:
    tbb::concurrent_bounded_queue<T> q_;
  };
};

static_assert(ChannelAdapter<ChanAdapter> && HasSelect<ChanAdapter> && HasClose<ChanAdapter> &&
              HasTryRecv<ChanAdapter> && HasChanStats<ChanAdapter>);
static_assert(ChannelAdapter<BoostFiberAdapter> && HasClose<BoostFiberAdapter> &&
              !HasSelect<BoostFiberAdapter>);
static_assert(ChannelAdapter<MoodycamelBlockingAdapter> && !HasClose<MoodycamelBlockingAdapter>);
static_assert(ChannelAdapter<MoodycamelRwAdapter> && ChannelAdapter<MoodycamelRwCircularAdapter>);
static_assert(ChannelAdapter<TbbBoundedQueueAdapter> && !HasClose<TbbBoundedQueueAdapter>);

}  // namespace syncscope::suites::channels

#endif  // SYNCSCOPE_SUITES_CHANNELS_ADAPTERS_H_

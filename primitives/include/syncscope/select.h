// syncscope/select.h — Go's select statement over Chan<T>s.
//
// API summary:
//   Go                                  syncscope
//   select {                            int i = Select()
//   case v, ok := <-a:  ...               .recv(a, [](std::optional<A> v) { ... })
//   case b <- x:        ...               .send(b, x, [] { ... })
//   case <-c:                             .recv(c)             // callback optional
//   case <-time.After(d): ...             .timeout(d, [] { ... })
//   default:            ...               .default_case([] { ... })
//   }                                     .run();   // i = position of the fired case
//
//   Select()                 an empty builder (SelectBuilder<>). Each call
//                            returns a new builder whose type records the
//                            case: no allocation, no type erasure, no virtual
//                            calls. Use it in one expression, ending in run().
//   .recv(ch [, f])          f(std::optional<T>) — nullopt when ch is closed —
//                            or f(); none: the value is dropped.
//   .send(ch, v [, f])       v is copied/moved into the builder now; moved
//                            into the channel only if this case fires. f().
//   .default_case([f])       makes the select non-blocking (Go's default).
//   .timeout(d [, f])        fires if nothing is ready d after run() starts.
//   .deadline(t [, f])       fires if nothing is ready at time t.
//   .run() -> int            the position of the fired case in the chain,
//                            counting every call above from 0; its callback
//                            has run (after every channel lock was dropped).
//
//   DynamicSelect            the analogue of reflect.Select: a run-time list
//                            of receive and send cases of any element types
//                            (added, removed, disabled and re-pointed between
//                            runs; a nil Chan never fires). add_recv(ch),
//                            add_send(ch[, v]), set_value(i, v), take<T>(i),
//                            disable(i), remove(i); run(), try_run(),
//                            run_until(t), run_for(d) -> fired index or kNone.
//                            Scratch storage is reused: repeated runs do not
//                            allocate.
//
// Semantics (Go's):
//   * If one or more cases can proceed, one of them is chosen uniformly at
//     random (the cases are polled in a random permutation; the first ready
//     one fires), so no case can starve another that is always ready.
//   * A case on a nil channel never fires. A select with no channel cases
//     and no default or timeout blocks forever (Go's `select {}`).
//   * A receive case on a closed channel is ready: it fires with nullopt.
//     A send case on a closed channel that is chosen throws
//     ChanPanic("send on closed channel"), as does a blocked send case whose
//     channel gets closed; no callback runs then.
//   * default_case: if no case is ready right now, the default fires.
//     With both default_case and timeout, the default wins (never waits).
//   * The same channel may appear in several cases (also as send and receive
//     at once; a select never matches with itself).
//
// Algorithm: Go's selectgo (runtime/select.go), with crossbeam-channel's
// first steps in front. Pass 0: in a random order, each case whose channel
// looks ready from outside the locks is tried — a buffered channel's case
// lock-free on its ring, an unbuffered one's under its own channel's lock
// alone; the first that really is ready fires. If none is and the select
// may block, a select on an OS thread whose channels are all buffered
// spins (below) until some case looks ready and runs pass 0 again.
// Pass 1: lock every involved channel in address order (a global order,
// so two selects over the same channels cannot deadlock), then poll the
// cases in a random order and complete the first ready one. Pass 2
// (still nothing): link one Sudog per case into the channels' queues, all
// pointing to one Waiter; unlock; wait on the Waiter (spin, then park),
// until the deadline, if any. Before unlocking,
// the buffered cases' rings are read once more (the waiter's half of the
// handshake with their lock-free partners, chan_core.h): if one became
// ready the Sudogs are unlinked and the select starts over. The first
// thread to complete one of the cases for it (on a buffered channel too:
// its value moved into or out of the ring by the partner) — or to wake it
// to retry — claims the Waiter with a CAS (Go's selectDone); its other
// Sudogs become stale. Pass 3: lock each channel that still holds one of
// its Sudogs, one at a time, and unlink them; the channel of the case a
// partner completed is not locked again unless another case uses it too
// (the partner unlinked that Sudog before it published; Go relocks every
// channel). A select woken through a buffered case to retry tries that
// case first (so the wake-up is consumed, even past the deadline), then
// starts over (spinning again before it queues again). See
// syncscope/chan_core.h.
//
// Spinning before queueing (the rule for OS threads; crossbeam-channel's
// select does the same: Backoff spin, register on every channel, re-check,
// park; Go's selectgo does not spin, it switches goroutines instead). A
// select over buffered channels only that finds nothing ready in pass 0
// and may block spins once, before locking anything: it polls every case's ChanCore::ready_hint
// (relaxed loads of the ring's positions, the opposite queue's head, the
// closed flag: no lock, no write, so the partners it waits for are not
// slowed down) with the exponential backoff and the per-thread adaptive
// budget of a channel's own wait (spin_until; chan_core.cc, "Adaptive
// spinning": a spin that sees a case ready doubles the budget, a wait that
// parks afterwards halves it when its claimer ran on the CPU it spun on).
// As soon as a case looks ready it runs pass 0 again, which fires it
// without locking every channel; if the budget runs out it goes on to
// passes 1 and 2 (it does not spin again before queueing in that round).
// A spin that runs out is wasted CPU, and where partners come much later
// than any budget every spin runs out and the spinners take the CPUs from
// the threads they wait for: the channels suite's `popular` (128 receiving
// threads on 2 CPUs, each served once per 128 messages) ran 1.42x slower
// when its selects spun (8 alternating rounds, load 15-22), and
// select_rx's consumer at cap 16 on threads runs out of nearly every spin
// it starts (it waits for the producers it has just woken, which need its
// CPU). So a
// thread whose spins ran out k times in a row (k <= kPrespinMaxMisses)
// skips the spin in its next 2^k - 1 selects that would spin (they go
// straight to pass 1), and one spin that sees a case ready clears k: a
// thread whose partners are usually late spins once in 64 selects, one
// whose partners are usually in time spins in every select
// (detail::prespin_skips_after).
// Without the spin, a select whose partner was a few hundred nanoseconds
// late took every channel lock twice (pass 1, pass 2), queued a Sudog on
// each channel, woke through its Waiter and locked again to unlink; a
// queued select also makes every partner of every one of its channels
// take that channel's lock (to serve or to drop its Sudog), while a
// spinning one is invisible to them. (Before this rule an all-buffered
// select spun too, but only after pass 1 had locked every channel, and
// then ran passes 0 and 1 again.) Exceptions:
//   * A select with a case on an unbuffered channel does not spin first:
//     it queues at once and spins on its Waiter, as a plain unbuffered
//     operation does. An unbuffered send becomes visible to its partner
//     only by queueing, and a partner that is itself a select would wait
//     out its whole spin for it (two such selects would each spin for the
//     other and then meet through a park). An unbuffered receive case
//     could spin safely (a queued sender shows through ready_hint), and
//     that was tried: it moved the cost of queueing from the receiving
//     select to its partner instead of saving it — where the partner is a
//     select that sends (the channels suite's select_both at cap 0), the
//     sender then queued on all its channels and took their locks again
//     to unlink, and the case became 1.15-1.19x slower (6 and 10
//     alternating rounds, load 9-15), select_rx at cap 0 (plain senders)
//     gained only 0.74-0.99x, and popular (128 receivers whose partner
//     comes once per 128 messages) lost 1.42x (load 15-22) before the skipping rule
//     below. With every case buffered, readiness shows in the ring itself
//     (room, values, the close mark), whoever the partners are, so a
//     spinning select never keeps a partner waiting for it and two
//     spinning selects never wait for each other.
//   * A goroutine never spins (spin_until returns at once: its P runs the
//     partner instead), nor does a thread of a process with one usable CPU.
//   * A non-blocking select (default_case) never spins; a deadline ends
//     the spin, and pass 1 then reports the timeout.
// The guarantees stay those of the passes: a case fires only through its
// channel's own operation (pass 0 or 1), so the choice among the cases
// ready when a pass polls is uniform (its random poll order), queued
// waiters are served oldest first by the channels, the lost-wake-up
// handshake is pass 2's re-check (the spin only decides when to poll),
// and cases on one channel keep Go's PseudoRandomSend order in the queue.
// SelectStats counts the spins (`spins`), those after which a case fired
// without queueing (`spin_fires`) and the skipped ones (`spins_skipped`).
//
// Memory ordering: that of the channel operation that fired (chan.h): the
// select's receive or send is ordered exactly as a plain one would be.
//
// Cost: a ready select draws one random word (the poll order for up to 12
// cases: select.cc, random_poll_order) and completes its first ready case
// — lock-free on a buffered ring, under that channel's lock alone on an
// unbuffered one; the lock order is sorted only if pass 0 finds nothing.
// One whose case becomes ready while it spins pays the same once more and
// takes no other lock. One that still finds nothing takes every distinct
// channel lock twice (poll, enqueue) and, after its wait, the locks of the
// channels still holding its Sudogs (Go: all three times). Per-thread
// counters of the passes: select_thread_stats(). The builder needs C++20 and keeps
// everything on the caller's stack; it initializes nothing it does not
// need (the engine's scratch and Sudogs are raw until used), and a receive
// case's destination lives in run()'s frame, not in the case that each
// builder step moves. Measured (single thread, 4 buffered channels always
// ready, 19:43 UTC, load 5.5-6): 216-435 ns per select before these two
// changes, 46-53 ns after; a plain send + receive pair costs 17-42 ns.

#ifndef SYNCSCOPE_SELECT_H_
#define SYNCSCOPE_SELECT_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <syncscope/chan.h>
#include <syncscope/chan_core.h>

namespace syncscope {

// SelectStats: counters of the calling thread's selects (plain thread-local
// counters, like ChanStats): how many ran, how many fired in pass 0 without
// taking more than the fired channel's own lock, how many locked every
// channel (pass 1, once per round), how many queued (pass 2), how many
// channel locks the selects took to unlink after waking (pass 3), and how
// many spun before queueing ("Spinning before queueing" above; the spin's
// cpu_relax hints and its verdicts for the adaptive budget are in
// ChanStats: spins, prespin_wins) and fired right after the spin. Tests use
// them to check which passes a select went through; benchmarks may read
// them per thread.
struct SelectStats {
  uint64_t runs = 0;           // select_run calls
  uint64_t fast_fires = 0;     // ... that fired in pass 0, before any lock-all
  uint64_t locked_passes = 0;  // pass 1 rounds (every channel locked)
  uint64_t queued = 0;         // pass 2 rounds (a Sudog queued per case)
  uint64_t wake_relocks = 0;   // channel locks taken in pass 3 (unlinking)
  uint64_t spins = 0;          // spins before queueing (at most one per round)
  uint64_t spin_fires = 0;     // ... after which a case fired in pass 0 (no lock-all)
  uint64_t spins_skipped = 0;  // rounds that skipped the spin (earlier spins ran out)
};

namespace detail {
SelectStats select_thread_stats_impl() noexcept;
void reset_select_thread_stats_impl() noexcept;

// set_select_spin_hook(f): tests only. f() runs on the selecting thread at
// the start of each spin before queueing (select.cc), with no lock held;
// nullptr (the default) turns it off. Lets a test make a case ready during
// the spin without depending on timing.
using SelectSpinHook = void (*)();
void set_select_spin_hook(SelectSpinHook hook) noexcept;

// The skipping rule of "Spinning before queueing": after `misses` spins in
// a row that ran out (kPrespinMaxMisses at most), the next
// 2^misses - 1 selects of the thread that would spin skip it instead.
inline constexpr uint32_t kPrespinMaxMisses = 6;
constexpr uint32_t prespin_skips_after(uint32_t misses) noexcept {
  return (1u << (misses < kPrespinMaxMisses ? misses : kPrespinMaxMisses)) - 1;
}
static_assert(prespin_skips_after(0) == 0 && prespin_skips_after(1) == 1 &&
              prespin_skips_after(kPrespinMaxMisses) == 63);
// reset_select_prespin_history(): tests only; forgets the calling thread's
// misses (the next select that may spin does).
void reset_select_prespin_history() noexcept;
}  // namespace detail

// This thread's select counters since it started or since the last reset.
inline SelectStats select_thread_stats() noexcept { return detail::select_thread_stats_impl(); }
inline void reset_select_thread_stats() noexcept { detail::reset_select_thread_stats_impl(); }

namespace detail {

// One case as the engine sees it: untyped. An aggregate without default
// member initializers on purpose: the builder fills every field of each
// entry it passes, and default-initializing its array would cost a
// `rep stos` per select (value-initialize, `SelectCase{}`, for zeroes).
struct SelectCase {
  ChanCore* ch;  // nullptr: a nil channel (never ready)
  void* elem;    // send: T* to move from; receive: std::optional<T>* to fill
  Poll (*poll)(ChanCore*, void*, Handoffs*) noexcept;  // lock held
  bool is_send;
  // Buffered channels only: the lock-free ring operation with its
  // hand-off of a queued partner, called with no lock held (pass 0, and
  // the retry of a case the select was woken through to retry).
  Poll (*try_ring)(ChanCore*, void*);
};

// select_run's results besides a case index.
inline constexpr int kSelectDefault = -1;  // non-blocking and nothing ready
inline constexpr int kSelectTimeout = -2;  // the deadline passed

// select_run(cases, n, scratch, sudogs, block, deadline): Go's selectgo.
// scratch holds 2*n uint32_t, sudogs room for n Sudogs (the engine constructs
// each one it queues; both untouched by callers
// while it runs). Returns the index of the case that fired (its receive
// destination filled, or left empty for a closed channel), kSelectDefault
// (block == false and nothing ready) or kSelectTimeout. Throws ChanPanic for
// a send case on a closed channel. Outlined (select.cc): it is large and
// untyped.
int select_run(SelectCase* cases, uint32_t n, uint32_t* scratch, Sudog* sudogs, bool block,
               const Deadline* deadline);

// random_poll_order(cases, n, order): writes a uniformly random
// permutation of the indices of the non-nil cases to order[0..k) and returns
// k (select.cc; exposed for tests, which seed the stream with
// seed_thread_random).
uint32_t random_poll_order(const SelectCase* cases, uint32_t n, uint32_t* order) noexcept;

// SudogStorage<N>: room for N Sudogs, not constructed: the engine
// constructs one (placement new) only when it queues it (pass 2), so a
// select that fires at once does not pay for initializing them.
template <std::size_t N>
struct SudogStorage {
  alignas(Sudog) unsigned char bytes[N * sizeof(Sudog)];
  Sudog* get() noexcept { return reinterpret_cast<Sudog*>(bytes); }
};

// A callback that does nothing (cases given without one).
struct NoAction {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};

// Where a case's operation leaves its result, in run()'s frame: a receive
// case's std::optional<T>; nothing for the others. Kept out of the cases
// themselves, which each builder step moves into the next builder: a
// destination there would be moved (and stalled on: a byte store of the
// optional's flag, then a 16-byte load of the whole) once per later case.
struct NoSlot {};

template <class T, class F>
struct SelectRecvCase {
  static constexpr bool kChannel = true;
  static constexpr int kKind = 0;
  using Slot = std::optional<T>;
  ChanCore* ch;
  F f;

  void describe(SelectCase& c, Slot& slot) noexcept {
    c.ch = ch;
    c.elem = &slot;
    c.poll = &poll_recv<T>;
    c.is_send = false;
    c.try_ring = &try_recv_ring<T>;
  }
  void fire(Slot& slot) {
    if constexpr (std::is_invocable_v<F&, std::optional<T>&&>) {
      f(std::move(slot));
    } else {
      f();
    }
  }
};

template <class T, class F>
struct SelectSendCase {
  static constexpr bool kChannel = true;
  static constexpr int kKind = 1;
  using Slot = NoSlot;
  ChanCore* ch;
  T value;
  F f;

  void describe(SelectCase& c, Slot&) noexcept {
    c.ch = ch;
    c.elem = &value;
    c.poll = &poll_send<T>;
    c.is_send = true;
    c.try_ring = &try_send_ring<T>;
  }
  void fire(Slot&) { f(); }
};

template <class F>
struct SelectDefaultCase {
  static constexpr bool kChannel = false;
  static constexpr int kKind = 2;
  using Slot = NoSlot;
  F f;
  void fire(Slot&) { f(); }
};

template <class F>
struct SelectDeadlineCase {
  static constexpr bool kChannel = false;
  static constexpr int kKind = 3;
  using Slot = NoSlot;
  // Either an absolute deadline, or a duration counted from run().
  std::optional<Deadline> at;
  Clock::duration after{};
  F f;
  Deadline deadline() const { return at ? *at : deadline_after(after); }
  void fire(Slot&) { f(); }
};

}  // namespace detail

template <class... Cases>
class [[nodiscard]] SelectBuilder {
 public:
  SelectBuilder() = default;

  // recv(ch, f): a receive case. f(std::optional<T>) or f(); omitted: drop.
  template <class T, class F = detail::NoAction>
  auto recv(const Chan<T>& ch, F f = {}) && {
    static_assert(std::is_invocable_v<F&, std::optional<T>&&> || std::is_invocable_v<F&>,
                  "recv callback: f(std::optional<T>) or f()");
    return std::move(*this).add(detail::SelectRecvCase<T, F>{ch.core(), std::move(f)});
  }

  // send(ch, v, f): a send case; v is stored in the builder now and moved
  // into the channel only if this case fires. f(); omitted: nothing.
  template <class T, class U, class F = detail::NoAction>
  auto send(const Chan<T>& ch, U&& v, F f = {}) && {
    static_assert(std::is_constructible_v<T, U&&>, "send value must convert to T");
    static_assert(std::is_invocable_v<F&>, "send callback: f()");
    return std::move(*this).add(
        detail::SelectSendCase<T, F>{ch.core(), T(std::forward<U>(v)), std::move(f)});
  }

  // default_case(f): the select does not wait; f runs if nothing is ready.
  template <class F = detail::NoAction>
  auto default_case(F f = {}) && {
    static_assert(std::is_invocable_v<F&>, "default callback: f()");
    return std::move(*this).add(detail::SelectDefaultCase<F>{std::move(f)});
  }

  // timeout(d, f): fires if no case is ready d after run() starts.
  template <class Rep, class Period, class F = detail::NoAction>
  auto timeout(std::chrono::duration<Rep, Period> d, F f = {}) && {
    static_assert(std::is_invocable_v<F&>, "timeout callback: f()");
    detail::SelectDeadlineCase<F> c{std::nullopt, {}, std::move(f)};
    // Saturate instead of overflowing the steady_clock duration.
    if (std::chrono::duration<long double>(d) >=
        std::chrono::duration<long double>(detail::Clock::duration::max() / 2)) {
      c.at = detail::Deadline::max();
    } else {
      c.after = std::chrono::ceil<detail::Clock::duration>(d);
    }
    return std::move(*this).add(std::move(c));
  }

  // deadline(t, f): fires if no case is ready at time point t (any clock).
  template <class C, class Dur, class F = detail::NoAction>
  auto deadline(const std::chrono::time_point<C, Dur>& t, F f = {}) && {
    static_assert(std::is_invocable_v<F&>, "deadline callback: f()");
    return std::move(*this).add(
        detail::SelectDeadlineCase<F>{detail::to_deadline(t), {}, std::move(f)});
  }

  // run(): performs the select; returns the fired case's position (0-based,
  // in the order the cases were added) after running its callback.
  int run() && {
    constexpr std::size_t kChannels = (std::size_t{0} + ... + (Cases::kChannel ? 1u : 0u));
    constexpr std::size_t kDefaults = (std::size_t{0} + ... + (Cases::kKind == 2 ? 1u : 0u));
    constexpr std::size_t kDeadlines = (std::size_t{0} + ... + (Cases::kKind == 3 ? 1u : 0u));
    static_assert(kDefaults <= 1, "a select has at most one default_case");
    static_assert(kDeadlines <= 1, "a select has at most one timeout/deadline");
    constexpr std::size_t kN = kChannels > 0 ? kChannels : 1;

    // The engine's scratch, left uninitialized: select_run writes each
    // entry before it reads it (a Sudog only if the select queues).
    std::array<detail::SelectCase, kN> descs;
    std::array<int, kN> position;
    detail::SudogStorage<kN> sudogs;
    std::array<uint32_t, 2 * kN> scratch;
    Slots slots;
    int default_pos = -1;
    int deadline_pos = -1;
    detail::Deadline deadline{};
    std::size_t next = 0;
    describe_all(descs, position, slots, next, default_pos, deadline_pos, deadline,
                 std::index_sequence_for<Cases...>{});

    const int r =
        detail::select_run(descs.data(), static_cast<uint32_t>(kChannels), scratch.data(),
                           sudogs.get(), default_pos < 0, deadline_pos >= 0 ? &deadline : nullptr);
    const int fired =
        r >= 0 ? position[r] : (r == detail::kSelectDefault ? default_pos : deadline_pos);
    fire(fired, slots, std::index_sequence_for<Cases...>{});
    return fired;
  }

 private:
  template <class...>
  friend class SelectBuilder;

  explicit SelectBuilder(std::tuple<Cases...>&& cases) : cases_(std::move(cases)) {}

  template <class C>
  SelectBuilder<Cases..., C> add(C&& c) && {
    return SelectBuilder<Cases..., C>(
        std::tuple_cat(std::move(cases_), std::tuple<C>(std::move(c))));
  }

  using Slots = std::tuple<typename Cases::Slot...>;

  template <std::size_t kN, std::size_t... I>
  void describe_all(std::array<detail::SelectCase, kN>& descs, std::array<int, kN>& position,
                    Slots& slots, std::size_t& next, int& default_pos, int& deadline_pos,
                    detail::Deadline& deadline, std::index_sequence<I...>) {
    (describe_one<I>(descs, position, slots, next, default_pos, deadline_pos, deadline), ...);
  }
  template <std::size_t I, std::size_t kN>
  void describe_one(std::array<detail::SelectCase, kN>& descs, std::array<int, kN>& position,
                    Slots& slots, std::size_t& next, int& default_pos, int& deadline_pos,
                    detail::Deadline& deadline) {
    auto& c = std::get<I>(cases_);
    using C = std::remove_reference_t<decltype(c)>;
    if constexpr (C::kChannel) {
      c.describe(descs[next], std::get<I>(slots));
      position[next] = static_cast<int>(I);
      ++next;
    } else if constexpr (C::kKind == 2) {
      default_pos = static_cast<int>(I);
    } else {
      deadline_pos = static_cast<int>(I);
      deadline = c.deadline();
    }
  }

  template <std::size_t... I>
  void fire(int fired, Slots& slots, std::index_sequence<I...>) {
    ((fired == static_cast<int>(I) ? std::get<I>(cases_).fire(std::get<I>(slots)) : void()),
     ...);
  }

  std::tuple<Cases...> cases_;
};

// Select(): the empty builder. `Select().recv(...)....run()`.
using Select = SelectBuilder<>;

// DynamicSelect: reflect.Select — a select whose cases are built at run
// time: any number of receive and send cases, of any element types.
//
//   DynamicSelect sel;
//   const std::size_t kDone = sel.add_recv(done);        // Chan<Signal>
//   for (auto& c : inputs) sel.add_recv(c);              // Chan<int>
//   for (;;) {
//     const int i = sel.run();                           // the fired case
//     if (i == int(kDone)) break;
//     std::optional<int> v = sel.take<int>(i);           // nullopt: closed
//     if (!v) { sel.disable(i); continue; }              // Go: cases[i].Chan = nil
//     use(*v);
//   }
//
// Cases keep their index until remove(i) (which shifts later ones down, as
// erasing from a slice does). A case on a nil channel, or disabled, never
// fires. A send case sends the value last given to add_send/set_value and
// then has none: it is disabled until set_value() gives it another — so
// "send v to every output once, in whatever order they become ready" is:
// set_value on each, then run() once per output (the seed's fanOutReflect).
// take<T>(i) moves out what the last run received on receive case i.
// Typed accessors check the element type and throw std::invalid_argument on
// a mismatch. Scratch storage is reused: after the first run, runs with
// the same number of cases do not allocate. Move-only; one thread at a time.
class DynamicSelect {
 public:
  // Returned by the run functions when no case fired (default / timeout).
  static constexpr int kNone = -1;

  DynamicSelect() = default;
  DynamicSelect(DynamicSelect&&) noexcept = default;
  DynamicSelect& operator=(DynamicSelect&&) noexcept = default;

  template <class T>
  std::size_t add_recv(Chan<T> ch) {
    cases_.push_back(std::make_unique<RecvCase<T>>(std::move(ch)));
    return cases_.size() - 1;
  }
  template <class T>
  std::size_t add_send(Chan<T> ch, T value) {
    cases_.push_back(
        std::make_unique<SendCase<T>>(std::move(ch), std::optional<T>(std::move(value))));
    return cases_.size() - 1;
  }
  // add_send(ch): a send case with no value yet (off until set_value).
  template <class T>
  std::size_t add_send(Chan<T> ch) {
    cases_.push_back(std::make_unique<SendCase<T>>(std::move(ch), std::nullopt));
    return cases_.size() - 1;
  }
  // set_chan(i, ch): re-points case i (a nil Chan disables it).
  template <class T>
  void set_chan(std::size_t i, Chan<T> ch) {
    CaseBase& c = at(i);
    if (auto* r = dynamic_cast<RecvCase<T>*>(&c)) {
      r->ch = std::move(ch);
    } else if (auto* s = dynamic_cast<SendCase<T>*>(&c)) {
      s->ch = std::move(ch);
    } else {
      throw std::invalid_argument("DynamicSelect::set_chan: element type mismatch");
    }
  }
  // set_value(i, v): the value send case i sends next (re-enables it).
  template <class T>
  void set_value(std::size_t i, T value) {
    auto* s = dynamic_cast<SendCase<T>*>(&at(i));
    if (s == nullptr) throw std::invalid_argument("DynamicSelect::set_value: not a send case of T");
    s->value.emplace(std::move(value));
  }
  // take<T>(i): what the last run received on receive case i (nullopt: the
  // channel was closed, or nothing was received there).
  template <class T>
  std::optional<T> take(std::size_t i) {
    auto* r = dynamic_cast<RecvCase<T>*>(&at(i));
    if (r == nullptr) throw std::invalid_argument("DynamicSelect::take: not a receive case of T");
    std::optional<T> v = std::move(r->slot);
    r->slot.reset();
    return v;
  }
  // disable(i): case i never fires (its channel becomes nil).
  void disable(std::size_t i) { at(i).disable(); }
  void remove(std::size_t i) {
    at(i);
    cases_.erase(cases_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  std::size_t size() const noexcept { return cases_.size(); }
  bool is_send(std::size_t i) const { return cases_.at(i)->is_send; }

  // run(): blocks until a case fires; returns its index. try_run(): kNone if
  // none is ready now. run_until(t) / run_for(d): kNone if none fired before
  // the deadline. Throws ChanPanic for a send case on a closed channel.
  int run() { return run_impl(true, nullptr); }
  int try_run() { return run_impl(false, nullptr); }
  template <class C, class Dur>
  int run_until(const std::chrono::time_point<C, Dur>& t) {
    const detail::Deadline d = detail::to_deadline(t);
    return run_impl(true, &d);
  }
  template <class Rep, class Period>
  int run_for(std::chrono::duration<Rep, Period> d) {
    const detail::Deadline dl = detail::deadline_after(d);
    return run_impl(true, &dl);
  }

 private:
  struct CaseBase {
    explicit CaseBase(bool send) : is_send(send) {}
    virtual ~CaseBase() = default;
    // Fills the engine's view of this case for one run (ch nullptr: off).
    virtual void describe(detail::SelectCase& d) = 0;
    virtual void fired() = 0;
    virtual void disable() = 0;
    const bool is_send;
  };
  template <class T>
  struct RecvCase final : CaseBase {
    explicit RecvCase(Chan<T> c) : CaseBase(false), ch(std::move(c)) {}
    void describe(detail::SelectCase& d) override {
      slot.reset();
      d = {ch.core(), &slot, &detail::poll_recv<T>, false, &detail::try_recv_ring<T>};
    }
    void fired() override {}
    void disable() override { ch = Chan<T>(); }
    Chan<T> ch;
    std::optional<T> slot;  // destination of the receive
  };
  template <class T>
  struct SendCase final : CaseBase {
    SendCase(Chan<T> c, std::optional<T> v)
        : CaseBase(true), ch(std::move(c)), value(std::move(v)) {}
    void describe(detail::SelectCase& d) override {
      // Without a value the case is off, like a nil channel.
      d = {value ? ch.core() : nullptr, value ? static_cast<void*>(&*value) : nullptr,
           &detail::poll_send<T>, true, &detail::try_send_ring<T>};
    }
    void fired() override { value.reset(); }
    void disable() override { ch = Chan<T>(); }
    Chan<T> ch;
    std::optional<T> value;  // the value to send; moved from when it fires
  };

  CaseBase& at(std::size_t i) {
    if (i >= cases_.size()) throw std::out_of_range("DynamicSelect: no such case");
    return *cases_[i];
  }

  int run_impl(bool block, const detail::Deadline* deadline) {
    const std::size_t n = cases_.size();
    descs_.resize(n);
    sudogs_.resize(n);
    scratch_.resize(2 * n);
    for (std::size_t i = 0; i < n; ++i) cases_[i]->describe(descs_[i]);
    const int r = detail::select_run(descs_.data(), static_cast<uint32_t>(n), scratch_.data(),
                                     sudogs_.data(), block, deadline);
    if (r < 0) return kNone;
    cases_[static_cast<std::size_t>(r)]->fired();
    return r;
  }

  std::vector<std::unique_ptr<CaseBase>> cases_;
  // Scratch reused by every run (sized to the case count).
  std::vector<detail::SelectCase> descs_;
  std::vector<detail::Sudog> sudogs_;
  std::vector<uint32_t> scratch_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_SELECT_H_

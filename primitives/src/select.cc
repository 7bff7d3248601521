// The select engine (Go's selectgo, runtime/select.go); see
// syncscope/select.h for the semantics and syncscope/chan_core.h for the
// queues and the waiting protocol.
#include <syncscope/select.h>
#include <syncscope/internal/cpus.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/wait_registry.h>

#include <algorithm>
#include <functional>
#include <new>

namespace syncscope {
namespace detail {

namespace {
thread_local SelectStats tls_select_stats;

// Tests only (set_select_spin_hook): called at the start of every spin
// before queueing. Acquire/release: the hook's own data is published with it.
std::atomic<SelectSpinHook> g_spin_hook{nullptr};

// The skipping rule of "Spinning before queueing" (select.h): this
// thread's spins before queueing that ran out in a row (at most
// kPrespinMaxMisses), and how many more selects skip the spin because of
// them. Plain thread-locals: only the owning thread reads or writes them.
thread_local uint32_t tls_prespin_misses = 0;
thread_local uint32_t tls_prespin_skip = 0;

// Above this product of bounds a fresh random word is drawn (see below).
constexpr uint64_t kBatchLimit = uint64_t{1} << 32;
}  // namespace

// The poll order: a uniformly random permutation of the non-nil cases,
// built inside-out (Fisher-Yates, as Go's selectgo builds pollorder): case
// i goes to a uniform position j in [0, k] among the k cases placed before
// it. The bounded draws j come several from one 64-bit random word
// (Brackett-Rozinsky and Lemire, "Batched ranged random integer generation",
// 2024): multiplying the word x, read as a fraction of 2^64, by the bound b
// gives j in the high half and the unused fraction in the low half for the
// next draw. Draws made from one word are the mixed-radix digits of
// floor(x * B / 2^64), B the product of their bounds, so they are uniform
// up to a bias of B / 2^64; a new word is drawn before B would pass 2^32,
// which keeps every permutation's probability within 2^-32 (relative) of
// uniform — one word covers a whole select of up to 12 cases (12! < 2^32).
// Go's fastrandn has the same multiply-shift bias per draw.
uint32_t random_poll_order(const SelectCase* cases, uint32_t n, uint32_t* order) noexcept {
  uint32_t k = 0;
  uint64_t x = 0;
  uint64_t product = kBatchLimit;  // forces a draw before the first bound > 1
  for (uint32_t i = 0; i < n; ++i) {
    if (cases[i].ch == nullptr) continue;
    const uint64_t bound = k + 1;
    uint32_t j = 0;
    if (bound > 1) {
      if (product * bound > kBatchLimit) {
        x = random_u64();
        product = 1;
      }
      product *= bound;
      const __uint128_t m = static_cast<__uint128_t>(x) * bound;
      j = static_cast<uint32_t>(m >> 64);
      x = static_cast<uint64_t>(m);
    }
    order[k] = order[j];
    order[j] = i;
    ++k;
  }
  return k;
}

struct SelectEngine {
  static WaitQueue& queue(ChanCore* c, bool is_send) noexcept {
    return is_send ? c->sendq_ : c->recvq_;
  }

  // Go's sellock: every distinct channel once, in lockorder (address order).
  static void lock_all(const SelectCase* cases, const uint32_t* lockorder, uint32_t n) noexcept {
    ChanCore* prev = nullptr;
    for (uint32_t k = 0; k < n; ++k) {
      ChanCore* c = cases[lockorder[k]].ch;
      if (c != prev) {
        c->lock();
        prev = c;
      }
    }
  }

  // Go's selunlock: in reverse, each distinct channel once.
  static void unlock_all(const SelectCase* cases, const uint32_t* lockorder, uint32_t n) noexcept {
    for (uint32_t k = n; k-- > 0;) {
      ChanCore* c = cases[lockorder[k]].ch;
      if (k > 0 && cases[lockorder[k - 1]].ch == c) continue;
      c->unlock();
    }
  }

  // Pass 3, after the wait: unlinks the Sudogs still queued, one channel
  // at a time (each unlink needs only its own channel's lock; the Waiter is
  // already claimed or cancelled, so no other thread can complete anything
  // through them meanwhile, and holding one lock at a time needs no lock
  // order). `fired`: the case a claimer completed, or -1 (deadline). The
  // claimer unlinked that Sudog itself (WaitQueue::dequeue removes before it
  // claims) before publishing kDone, which we have seen: so a channel used
  // by the fired case alone is not locked again — Go's selectgo relocks
  // every channel here; a select woken on one of k distinct channels takes
  // k - 1 locks.
  static void unlink_after_wait(const SelectCase* cases, const uint32_t* lockorder, uint32_t n,
                                Sudog* sudogs, int fired) noexcept {
    for (uint32_t k = 0; k < n;) {
      ChanCore* const c = cases[lockorder[k]].ch;
      uint32_t end = k + 1;
      bool others = static_cast<int>(lockorder[k]) != fired;
      for (; end < n && cases[lockorder[end]].ch == c; ++end) {
        others = others || static_cast<int>(lockorder[end]) != fired;
      }
      if (others) {
        ++tls_select_stats.wake_relocks;
        c->lock();
        for (uint32_t m = k; m < end; ++m) {
          Sudog& sg = sudogs[lockorder[m]];
          if (sg.linked) queue(c, sg.is_send).remove(&sg);
        }
        c->unlock();
      }
      k = end;
    }
  }

  // After a case's poll found it ready and its lock(s) were dropped: the
  // partners the operation completed are published and woken (the last
  // touch of their channels: "Lifetime" in chan_core.h); a send on a
  // closed channel panics. Returns the case index.
  static int complete(const SelectCase& c, uint32_t i, Poll p, Handoffs& done) {
    done.finish();
    if (p == Poll::kClosed && c.is_send) throw_chan_panic(kSendOnClosedChannel);
    return static_cast<int>(i);
  }

  // Pass 0: in poll order, each case whose channel looks ready from outside
  // (ChanCore::ready_hint, relaxed loads) is polled under its own channel's
  // lock alone; the first that really is ready fires. Returns its index, or
  // -1 if none fired (the caller then runs the authoritative pass 1 under
  // every lock). This is crossbeam-channel's select strategy (try each
  // operation on its own before registering anywhere) in front of Go's:
  // a ready select takes one lock instead of all of them, so it no longer
  // contends with the senders of every other case. Go's semantics hold:
  // a case fires only when its operation can proceed at that moment (each
  // channel operation is atomic under its own lock); the choice among
  // ready cases stays uniform (the first ready one in a uniformly random
  // permutation); default and blocking are still decided by pass 1, which
  // sees all channels at once.
  static int try_each(SelectCase* cases, const uint32_t* pollorder, uint32_t norder) {
    for (uint32_t k = 0; k < norder; ++k) {
      const uint32_t i = pollorder[k];
      SelectCase& c = cases[i];
      if (!c.ch->ready_hint(c.is_send)) continue;
      Handoffs done;
      if (c.ch->cap() != 0) {
        const Poll p = c.try_ring(c.ch, c.elem);
        if (p == Poll::kBlock) continue;  // lost the race for it
        return complete(c, i, p, done);
      }
      c.ch->lock();
      const Poll p = c.poll(c.ch, c.elem, &done);
      c.ch->unlock();
      if (p == Poll::kBlock) continue;  // lost the race for it
      return complete(c, i, p, done);
    }
    return -1;
  }

  // The rule of "Spinning before queueing" (select.h): every case's
  // channel is buffered.
  static bool spin_before_queueing_allowed(const SelectCase* cases, const uint32_t* order,
                                           uint32_t norder) noexcept {
    for (uint32_t k = 0; k < norder; ++k) {
      if (cases[order[k]].ch->cap() == 0) return false;
    }
    return true;
  }

  // The spin before queueing: true when a case looked ready; false when
  // the budget or the deadline ran out, when the skipping rule skips it
  // (select.h, prespin_skips_after), or when the caller is a goroutine or
  // has one usable CPU (no spin at all).
  static bool spin_for_ready(const SelectCase* cases, const uint32_t* order, uint32_t norder,
                             const Deadline* deadline) noexcept {
    if (usable_cpus() <= 1 || internal::parkable_goroutine() != nullptr) return false;
    if (tls_prespin_skip > 0) {
      --tls_prespin_skip;
      ++tls_select_stats.spins_skipped;
      return false;
    }
    ++tls_select_stats.spins;
    if (SelectSpinHook hook = g_spin_hook.load(std::memory_order_acquire)) hook();
    const bool ready = spin_polling(cases, order, norder, deadline);
    if (ready) {
      tls_prespin_misses = 0;
    } else {
      tls_prespin_misses = std::min(tls_prespin_misses + 1, kPrespinMaxMisses);
    }
    tls_prespin_skip = prespin_skips_after(tls_prespin_misses);
    return ready;
  }

  // The spin itself: polls every case's ChanCore::ready_hint (relaxed
  // loads, no lock, no write) in poll order with the exponential backoff
  // and the thread's adaptive budget of spin_until (chan_core.cc,
  // "Adaptive spinning": a spin that sees a case ready doubles it; a wait
  // that then parks learns from where its claimer ran).
  static bool spin_polling(const SelectCase* cases, const uint32_t* order, uint32_t norder,
                           const Deadline* deadline) noexcept {
    struct Ctx {
      const SelectCase* cases;
      const uint32_t* order;
      uint32_t n;
    } ctx{cases, order, norder};
    return spin_until(
        [](const void* p) {
          const auto* x = static_cast<const Ctx*>(p);
          for (uint32_t k = 0; k < x->n; ++k) {
            const SelectCase& c = x->cases[x->order[k]];
            if (c.ch->ready_hint(c.is_send)) return true;
          }
          return false;
        },
        &ctx, deadline);
  }

  static int run(SelectCase* cases, uint32_t n, uint32_t* scratch, Sudog* sudogs, bool block,
                 const Deadline* deadline) {
    uint32_t* const pollorder = scratch;
    uint32_t* const lockorder = scratch + n;
    SelectStats& st = tls_select_stats;
    ++st.runs;

    const uint32_t norder = random_poll_order(cases, n, pollorder);
    if (norder == 0) {
      // Only nil channels (or none): Go's `select {}` or a bare default/timeout.
      if (!block) return kSelectDefault;
      if (deadline == nullptr) block_forever();
      sleep_until(*deadline);
      return kSelectTimeout;
    }

    // Pass 0 before anything else: a ready select (the common case of a
    // busy consumer) pays for the poll order and one try, not for the lock
    // order or the scan below.
    if (const int i = try_each(cases, pollorder, norder); i >= 0) {
      ++st.fast_fires;
      return i;
    }

    // Lock order: by channel address, so that concurrent selects over
    // overlapping channels always lock in one global order (no deadlock).
    // Sorted (stably) from the poll order, not from the cases' own order:
    // cases on one channel stay in random order, and pass 2 queues their
    // Sudogs in lock order, so a partner that finds several of them
    // (GoChanTest.PseudoRandomSend: two sends on one channel) takes a
    // uniformly random one, as in Go (whose lockorder is a heap sort of
    // pollorder).
    std::copy(pollorder, pollorder + norder, lockorder);
    const auto by_address = [cases](uint32_t a, uint32_t b) {
      return std::less<ChanCore*>()(cases[a].ch, cases[b].ch);
    };
    if (norder <= 16) {
      // Insertion sort: the usual select has a handful of cases.
      for (uint32_t k = 1; k < norder; ++k) {
        const uint32_t v = lockorder[k];
        uint32_t m = k;
        for (; m > 0 && by_address(v, lockorder[m - 1]); --m) lockorder[m] = lockorder[m - 1];
        lockorder[m] = v;
      }
    } else {
      std::sort(lockorder, lockorder + norder, by_address);
    }

    // Spinning before queueing (see "Spinning before queueing" in
    // select.h): only on an OS thread (spin_for_ready does nothing on a
    // goroutine or with one usable CPU), only for a select that may block,
    // and only when every case's channel is buffered: an unbuffered case's
    // partner may be a select that becomes visible only by queueing, so a
    // select with one queues at once (and spins after queueing, in
    // wait_for_claim), as a plain unbuffered operation does.
    const bool spin_allowed = block && spin_before_queueing_allowed(cases, pollorder, norder);
    bool may_spin = spin_allowed;
    bool spun = false;  // the round now starting follows a spin that saw a case ready

    // A buffered case we were woken through to retry, tried first on the
    // next round; -1: none.
    int notified = -1;
    bool first_round = true;  // pass 0 has just run
    for (;;) {
      if (notified >= 0) {
        SelectCase& c = cases[notified];
        Handoffs done;
        const Poll p = c.try_ring(c.ch, c.elem);
        if (p != Poll::kBlock) return complete(c, static_cast<uint32_t>(notified), p, done);
        notified = -1;  // a newcomer took it: the wake-up is used up
      }
      if (!first_round) {
        if (const int i = try_each(cases, pollorder, norder); i >= 0) {
          if (spun) ++st.spin_fires;
          return i;
        }
      }
      first_round = false;
      spun = false;
      if (may_spin) {
        // Nothing ready in pass 0. Before locking every channel (pass 1)
        // and queueing on each (pass 2, and a third round of locks to
        // dequeue afterwards), spin once outside the locks until some case
        // looks ready, then run pass 0 again (as a channel's own operation
        // does before it queues; see ChanCore::spin_until_ready).
        may_spin = false;
        if (spin_for_ready(cases, pollorder, norder, deadline)) {
          spun = true;
          continue;
        }
      }
      ++st.locked_passes;
      lock_all(cases, lockorder, norder);

      // Pass 1: the first ready case in poll order fires. A buffered
      // channel's ring effects are visible before the unlock, so it is
      // pinned while polled (chan_core.h, "Lifetime").
      //
      // `served` collects, across every case polled in this pass, the
      // waiters the polls completed, and is published on every way out of
      // the pass (fire, default/timeout, queue, retry) after
      // unlock_all. A buffered case's poll serves the queued waiters first
      // (BufferedChan::serve_locked) and may still block afterwards — e.g.
      // a send case that hands the ring's value to a queued receiver and
      // the freed slot to a queued sender finds the ring full again — so a
      // poll that returns kBlock may have completed waiters too. Dropping
      // them (a Handoffs per case, discarded on kBlock) left those waiters
      // claimed, dequeued and never woken: a lost wake-up (the select_both
      // hang). A blocked case's channel stays alive until `served` is
      // published: the caller holds a handle to every channel of the select
      // for the whole run.
      Handoffs served;
      for (uint32_t k = 0; k < norder; ++k) {
        const uint32_t i = pollorder[k];
        SelectCase& c = cases[i];
        const bool pin = c.ch->cap() != 0;
        if (pin) c.ch->ref();
        const Poll p = c.poll(c.ch, c.elem, &served);
        if (p == Poll::kBlock) {
          if (pin) c.ch->unref();  // not the last reference: the caller holds one
          continue;
        }
        unlock_all(cases, lockorder, norder);
        served.finish();
        if (pin) c.ch->unref();  // last touch of this channel
        return complete(c, i, p, served);
      }

      if (!block || (deadline != nullptr && Clock::now() >= *deadline)) {
        unlock_all(cases, lockorder, norder);
        served.finish();
        return block ? kSelectTimeout : kSelectDefault;
      }

      // Pass 2: queue on every channel, all Sudogs sharing one Waiter.
      ++st.queued;
      Waiter w;
      for (uint32_t k = 0; k < norder; ++k) {
        const uint32_t i = lockorder[k];
        // Constructed here: the builder's storage is raw (SudogStorage).
        Sudog& sg = *::new (static_cast<void*>(&sudogs[i])) Sudog{};
        sg.waiter = &w;
        sg.elem = cases[i].elem;
        sg.case_index = static_cast<int32_t>(i);
        sg.is_send = cases[i].is_send;
        queue(cases[i].ch, sg.is_send).enqueue(&sg);
      }
      // The waiter's half of the handshake with lock-free partners: a
      // buffered ring that became ready after pass 1 and before our
      // enqueue (whose partner may have seen no Sudog) is seen here.
      // Nobody can have claimed w yet: we hold every lock it is queued
      // under.
      bool ready = false;
      for (uint32_t k = 0; k < norder && !ready; ++k) {
        const SelectCase& c = cases[pollorder[k]];
        ready = c.ch->cap() != 0 && c.ch->ring_ready(c.is_send, std::memory_order_seq_cst);
      }
      if (ready) {
        for (uint32_t k = 0; k < norder; ++k) {
          const uint32_t i = lockorder[k];
          queue(cases[i].ch, sudogs[i].is_send).remove(&sudogs[i]);
        }
        unlock_all(cases, lockorder, norder);
        served.finish();
        continue;
      }
      unlock_all(cases, lockorder, norder);
      served.finish();  // before we may sleep: those waiters must not wait for us

      // Spin on the Waiter, then park (a select that could spin before
      // queueing did so above: "Spinning before queueing" in select.h).
      SYNCSCOPE_WAITREG_NOTE(cases[0].ch, What::kSelect);  // detector hook
      const bool completed = wait_for_claim(w, deadline, /*spin=*/true);

      // Pass 3: unlink what is still queued (every Sudog but the one
      // claimed, minus any that a dequeuer already dropped as stale).
      unlink_after_wait(cases, lockorder, norder, sudogs, completed ? w.fired : -1);

      if (!completed) return kSelectTimeout;
      const int fired = w.fired;
      if (cases[fired].ch->cap() != 0 && !w.success) {
        // Woken through a buffered case to retry (closed, or a newcomer
        // won the value / slot a partner meant for us): that case first;
        // spin again before queueing again.
        notified = fired;
        may_spin = spin_allowed;
        continue;
      }
      // Completed by a partner: the value was moved (buffered or not), or
      // an unbuffered channel was closed.
      if (!w.success && cases[fired].is_send) throw_chan_panic(kSendOnClosedChannel);
      return fired;
    }
  }
};

SelectStats select_thread_stats_impl() noexcept { return tls_select_stats; }
void reset_select_prespin_history() noexcept {
  tls_prespin_misses = 0;
  tls_prespin_skip = 0;
}
void set_select_spin_hook(SelectSpinHook hook) noexcept {
  g_spin_hook.store(hook, std::memory_order_release);
}
void reset_select_thread_stats_impl() noexcept { tls_select_stats = SelectStats{}; }

int select_run(SelectCase* cases, uint32_t n, uint32_t* scratch, Sudog* sudogs, bool block,
               const Deadline* deadline) {
  return SelectEngine::run(cases, n, scratch, sudogs, block, deadline);
}

}  // namespace detail
}  // namespace syncscope

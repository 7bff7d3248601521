// The select engine (Go's selectgo, runtime/select.go); see
// syncscope/select.h for the semantics and syncscope/chan_core.h for the
// queues and the waiting protocol.
#include <syncscope/select.h>
#include <syncscope/internal/wait_registry.h>

#include <algorithm>
#include <functional>

namespace syncscope {
namespace detail {

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

  static int run(SelectCase* cases, uint32_t n, uint32_t* scratch, Sudog* sudogs, bool block,
                 const Deadline* deadline) {
    uint32_t* const pollorder = scratch;
    uint32_t* const lockorder = scratch + n;

    // Poll order: a uniformly random permutation of the non-nil cases
    // (inside-out Fisher-Yates, as Go builds it). Nil channels are left out:
    // they are never ready and are not locked.
    uint32_t norder = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (cases[i].ch == nullptr) continue;
      const uint32_t j = uniform_below(norder + 1);
      pollorder[norder] = pollorder[j];
      pollorder[j] = i;
      ++norder;
    }
    if (norder == 0) {
      // Only nil channels (or none): Go's `select {}` or a bare default/timeout.
      if (!block) return kSelectDefault;
      if (deadline == nullptr) block_forever();
      sleep_until(*deadline);
      return kSelectTimeout;
    }

    // Lock order: by channel address, so that concurrent selects over
    // overlapping channels always lock in one global order (no deadlock).
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

    // Spinning before queueing pays only when every case's channel is
    // buffered. On an unbuffered channel a partner becomes visible only by
    // queueing, and a partner that is itself a select would spin before
    // queueing too: two such selects would each wait out their whole budget
    // for the other and then meet through a park and a wake-up. So with an
    // unbuffered case the select queues at once and spins after queueing
    // (wait_for_claim), as a plain unbuffered operation does.
    bool all_buffered = true;
    for (uint32_t k = 0; k < norder; ++k)
      all_buffered = all_buffered && cases[pollorder[k]].ch->cap() != 0;

    // A buffered case we were woken through to retry, tried first on the
    // next round; -1: none.
    int notified = -1;
    for (bool may_spin = block && all_buffered;;) {
      if (notified >= 0) {
        SelectCase& c = cases[notified];
        Handoffs done;
        const Poll p = c.try_ring(c.ch, c.elem);
        if (p != Poll::kBlock) return complete(c, static_cast<uint32_t>(notified), p, done);
        notified = -1;  // a newcomer took it: the wake-up is used up
      }
      if (const int i = try_each(cases, pollorder, norder); i >= 0) return i;
      lock_all(cases, lockorder, norder);

      // Pass 1: the first ready case in poll order fires. A buffered
      // channel's ring effects are visible before the unlock, so it is
      // pinned while polled (chan_core.h, "Lifetime").
      //
      // `served` collects, across every case polled in this pass, the
      // waiters the polls completed, and is published on every way out of
      // the pass (fire, default/timeout, spin, queue, retry) after
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
      if (may_spin) {
        // Nothing ready. Before queueing on every channel (and paying for a
        // third round of locks to dequeue afterwards), spin once outside
        // the locks until some case looks ready, then poll again (as the
        // channels' own operations do; see ChanCore::spin_until_ready).
        may_spin = false;
        unlock_all(cases, lockorder, norder);
        served.finish();
        struct Ctx {
          const SelectCase* cases;
          const uint32_t* order;
          uint32_t n;
        } ctx{cases, pollorder, norder};
        spin_until(
            [](const void* p) {
              const auto* x = static_cast<const Ctx*>(p);
              for (uint32_t k = 0; k < x->n; ++k) {
                const SelectCase& c = x->cases[x->order[k]];
                if (c.ch->ready_hint(c.is_send)) return true;
              }
              return false;
            },
            &ctx, deadline);
        continue;
      }

      // Pass 2: queue on every channel, all Sudogs sharing one Waiter.
      Waiter w;
      for (uint32_t k = 0; k < norder; ++k) {
        const uint32_t i = lockorder[k];
        Sudog& sg = sudogs[i];
        sg = Sudog{};
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

      // Spin on the Waiter, then park (all-buffered selects also spun
      // before queueing: "Spin/park policy" in chan_core.cc).
      SYNCSCOPE_WAITREG_NOTE(cases[0].ch, What::kSelect);  // detector hook
      const bool completed = wait_for_claim(w, deadline, /*spin=*/true);

      // Pass 3: unlink what is still queued (every Sudog but the one
      // claimed, minus any that a dequeuer already dropped as stale).
      lock_all(cases, lockorder, norder);
      for (uint32_t k = 0; k < norder; ++k) {
        const uint32_t i = lockorder[k];
        if (sudogs[i].linked) queue(cases[i].ch, sudogs[i].is_send).remove(&sudogs[i]);
      }
      unlock_all(cases, lockorder, norder);

      if (!completed) return kSelectTimeout;
      const int fired = w.fired;
      if (cases[fired].ch->cap() != 0 && !w.success) {
        // Woken through a buffered case to retry (closed, or a newcomer
        // won the value / slot a partner meant for us): that case first;
        // spin again before queueing again.
        notified = fired;
        may_spin = all_buffered;
        continue;
      }
      // Completed by a partner: the value was moved (buffered or not), or
      // an unbuffered channel was closed.
      if (!w.success && cases[fired].is_send) throw_chan_panic(kSendOnClosedChannel);
      return fired;
    }
  }
};

int select_run(SelectCase* cases, uint32_t n, uint32_t* scratch, Sudog* sudogs, bool block,
               const Deadline* deadline) {
  return SelectEngine::run(cases, n, scratch, sudogs, block, deadline);
}

}  // namespace detail
}  // namespace syncscope

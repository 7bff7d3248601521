// syncscope/go_rwmutex.h — GoRWMutex: Go's sync.RWMutex, the
// writer-preferring reader/writer lock of Go's sync/rwmutex.go (Dmitry
// Vyukov's 2011 design, in Go since 1.0; the seed's "RWMutex 当前实现"),
// built on GoMutex and Sema.
//
// This file offers:
//   class GoRWMutex
//     Lockable:        lock(), unlock(), try_lock()
//     SharedLockable:  lock_shared(), unlock_shared(), try_lock_shared()
//     (so std::lock_guard, std::unique_lock, std::scoped_lock and
//     std::shared_lock work), and the seed's extensions ("RWMutex 扩展"):
//     reader_count(), writer_count().
//
// Go names -> C++: Lock/Unlock/TryLock -> lock/unlock/try_lock;
// RLock/RUnlock/TryRLock -> lock_shared/unlock_shared/try_lock_shared;
// ReaderCount/WriterCount -> reader_count/writer_count; rwmutexMaxReaders ->
// kMaxReaders. A read lock, like a write lock, is not tied to a thread: any
// thread may release it (Go allows RUnlock from another goroutine).
//
// Algorithm:
//   reader_count_ counts readers (holding, or blocked behind a writer). A
//   writer first wins w_ (a GoMutex: writers queue there, one at a time),
//   then subtracts kMaxReaders from reader_count_: the count goes negative,
//   which tells arriving readers "a writer is pending", and the value the
//   subtraction saw is the number r of readers still active. The writer adds
//   r to reader_wait_ and parks on writer_sem_ unless they already left.
//   Each reader that leaves while reader_count_ is negative decrements
//   reader_wait_; the one that brings it to zero wakes the writer. A reader
//   arriving while the count is negative has registered itself by its
//   increment and parks on reader_sem_. The writer's unlock adds kMaxReaders
//   back and releases one reader_sem_ unit per blocked reader, then
//   releases w_.
//
// Invariants: reader_count_ >= 0 with no writer pending or holding;
//   reader_count_ + kMaxReaders = readers active + readers blocked when one
//   is; reader_wait_ = active readers the pending writer still waits for
//   (it may dip below zero for an instant when a reader leaves before the
//   writer has added r). At most kMaxReaders - 1 concurrent readers.
//
// Fairness and starvation: writer-preferring. Once a writer is pending, new
// readers block, so a stream of readers cannot starve writers. When the
// writer unlocks, it admits every reader that blocked behind it before the
// next writer (queued on w_) can announce itself, so writers cannot starve
// readers either: readers and writers alternate in batches. Writers among
// themselves follow GoMutex's fairness (starvation mode after 1 ms).
//
// Recursive read locking is forbidden (the seed's "禁止递归读锁"): a reader
// that calls lock_shared() again while a writer is pending blocks behind the
// writer, and the writer waits for that reader's first read lock: deadlock.
// try_lock_shared() fails in that situation instead of blocking.
//
// Memory ordering: every change to reader_count_ and reader_wait_ is an RMW.
// lock_shared's increment is acquire (it synchronizes with the previous
// writer's unlock increment, release); unlock_shared's decrement is release
// and the writer's announcement subtraction is acq_rel, so a writer that
// sees r = 0 synchronizes with every reader that left. reader_wait_ RMWs are
// acq_rel, so the writer synchronizes with the last reader even when it does
// not park; parking hand-overs synchronize through Sema. unlock()'s increment
// is release, and parked readers synchronize with it through reader_sem_.
//
// Misuse terminates the process, with Go's messages:
//   unlock_shared() without a read lock  "fatal error: sync: RUnlock of unlocked RWMutex"
//   unlock() without the write lock      "fatal error: sync: Unlock of unlocked RWMutex"
//
// Legal operations per state (acq. = acquires, rel. = releases):
//   state                     lock_shared  try_lock_shared  lock   try_lock  unlock_shared  unlock
//   idle                      acq.         true             acq.   true      fatal          fatal
//   n readers, no writer      acq.         true             waits  false     rel.           fatal
//   readers + writer pending  waits        false            waits  false     rel.           fatal
//   writer holds              waits        false            waits  false     fatal          rel.

#ifndef SYNCSCOPE_GO_RWMUTEX_H_
#define SYNCSCOPE_GO_RWMUTEX_H_

#include <syncscope/go_mutex.h>
#include <syncscope/go_mutex_common.h>
#include <syncscope/internal/sema.h>

#include <atomic>
#include <cstdint>

namespace syncscope {

inline constexpr const char* kRUnlockOfUnlockedRWMutex = "sync: RUnlock of unlocked RWMutex";
inline constexpr const char* kUnlockOfUnlockedRWMutex = "sync: Unlock of unlocked RWMutex";

class GoRWMutex {
 public:
  // Go's rwmutexMaxReaders: the bias a pending writer subtracts.
  static constexpr int32_t kMaxReaders = 1 << 30;
  static_assert(kMaxReaders > 0 && -2 * static_cast<int64_t>(kMaxReaders) >= INT32_MIN,
                "reader_count_ - kMaxReaders must stay representable");

  GoRWMutex() noexcept = default;
  GoRWMutex(const GoRWMutex&) = delete;
  GoRWMutex& operator=(const GoRWMutex&) = delete;

  // lock_shared(): acquires a read lock; waits while a writer holds the lock
  // or is pending. Fast path: one RMW.
  void lock_shared() {
    if (reader_count_.fetch_add(1, std::memory_order_acquire) < 0) {
      SYNCSCOPE_WAITREG_NOTE(this, What::kRWMutexRLock);  // detector hook
      reader_sem_.acquire();  // a writer is pending: wait for its unlock
    }
    SYNCSCOPE_WAITREG_HELD(this, Hold::kShared);  // detector hook
  }

  // try_lock_shared(): acquires a read lock unless a writer holds the lock or
  // is pending; never blocks.
  bool try_lock_shared() noexcept {
    int32_t c = reader_count_.load(std::memory_order_relaxed);
    while (c >= 0) {
      if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acquire,
                                              std::memory_order_relaxed)) {
        SYNCSCOPE_WAITREG_HELD(this, Hold::kShared);  // detector hook
        return true;
      }
    }
    return false;
  }

  // unlock_shared(): releases one read lock; the last reader a pending
  // writer waits for wakes it. Fast path: one RMW.
  void unlock_shared() {
    SYNCSCOPE_WAITREG_LET_GO(this, Hold::kShared);  // detector hook
    const int32_t r = reader_count_.fetch_sub(1, std::memory_order_release) - 1;
    if (r < 0) unlock_shared_slow(r);
  }

  // lock(): acquires the write lock: wins w_ against other writers, then
  // announces itself to readers and waits for the active ones to leave.
  void lock();

  // try_lock(): acquires the write lock if no writer holds it or waits for it
  // and no reader holds a read lock; never blocks.
  bool try_lock() noexcept;

  // unlock(): releases the write lock, admits the readers that blocked
  // behind it, then lets the next writer in.
  void unlock();

  // reader_count(): the seed's ReaderCount: readers holding read locks with
  // no writer pending (including readers that have just incremented); with a
  // writer pending, the active readers it still waits for (reader_wait_).
  // Relaxed snapshot. Between a writer's announcement and its adding of the
  // active readers to reader_wait_ (two RMWs in lock()), it reads 0 for an
  // instant, as Go's would.
  int32_t reader_count() const noexcept {
    const int32_t c = reader_count_.load(std::memory_order_relaxed);
    if (c >= 0) return c;
    const int32_t w = reader_wait_.load(std::memory_order_relaxed);
    return w > 0 ? w : 0;
  }
  // writer_count(): the seed's WriterCount: writers holding the write lock or
  // waiting for it (w_'s holder plus its waiters). Relaxed snapshot.
  int32_t writer_count() const noexcept { return w_.waiter_count() + (w_.is_locked() ? 1 : 0); }

 private:
  // Outlined (go_rwmutex.cc): a writer is involved, so the caller is about
  // to wake or has to check misuse; the inline fast paths stay one RMW.
  void unlock_shared_slow(int32_t r);

  // Serializes writers. Locked by lock()/try_lock(), unlocked by unlock().
  GoMutex w_;
  // A pending writer parks here; released once by the last departing reader.
  Sema writer_sem_;
  // Readers blocked behind a writer park here; the writer's unlock releases
  // one unit per blocked reader.
  Sema reader_sem_;
  // Readers (see Invariants). +1 lock_shared/try_lock_shared (acquire),
  // -1 unlock_shared (release), -kMaxReaders by a writer's lock/try_lock
  // (acq_rel), +kMaxReaders by its unlock (release).
  std::atomic<int32_t> reader_count_{0};
  // Departing readers the pending writer waits for. +r by the writer in
  // lock(), -1 by each reader leaving while a writer is pending; acq_rel.
  std::atomic<int32_t> reader_wait_{0};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_GO_RWMUTEX_H_

// GoRWMutex writer paths and reader slow path (see syncscope/go_rwmutex.h).
#include <syncscope/go_rwmutex.h>

namespace syncscope {

void GoRWMutex::unlock_shared_slow(int32_t r) {
  // r + 1 is the count before our decrement: 0 means no reader and no
  // writer; -kMaxReaders means a writer holds the lock and no reader does.
  if (r + 1 == 0 || r + 1 == -kMaxReaders) go_fatal(kRUnlockOfUnlockedRWMutex);
  // A writer is pending: it waits for us if we were one of its r readers.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) {
    writer_sem_.release();  // the last reader unblocks the writer
  }
}

void GoRWMutex::lock() {
  // First, resolve competition with other writers.
  w_.lock();
  SYNCSCOPE_WAITREG_HELD(this, Hold::kExclusive);  // detector hook
  // Announce to readers that a writer is pending; r = readers still active.
  // (fetch_sub returns the count before the subtraction, i.e. Go's
  // AddInt32(&readerCount, -rwmutexMaxReaders) + rwmutexMaxReaders.)
  const int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
  // Wait for the active readers, unless they all left already.
  if (r != 0 && reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    SYNCSCOPE_WAITREG_NOTE(this, What::kRWMutexLock);  // detector hook
    writer_sem_.acquire();
  }
}

bool GoRWMutex::try_lock() noexcept {
  if (!w_.try_lock()) return false;
  int32_t expected = 0;
  if (!reader_count_.compare_exchange_strong(expected, -kMaxReaders, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
    w_.unlock();  // readers hold it
    return false;
  }
  SYNCSCOPE_WAITREG_HELD(this, Hold::kExclusive);  // detector hook
  return true;
}

void GoRWMutex::unlock() {
  SYNCSCOPE_WAITREG_LET_GO(this, Hold::kExclusive);  // detector hook
  // Announce to readers that there is no active writer.
  const int32_t r = reader_count_.fetch_add(kMaxReaders, std::memory_order_release) + kMaxReaders;
  if (r >= kMaxReaders) go_fatal(kUnlockOfUnlockedRWMutex);
  // Admit the readers that blocked behind us.
  for (int32_t i = 0; i < r; ++i) reader_sem_.release();
  // Let the next writer in.
  w_.unlock();
}

}  // namespace syncscope

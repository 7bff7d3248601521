// The epoch domain behind syncscope::Rcu, AtomicValue and Pool (see
// syncscope/rcu.h for the design and the safety argument).
#include <syncscope/rcu.h>

#include <syncscope/panic.h>
#include <syncscope/spin_lock.h>

#include <string>

namespace syncscope::detail {
namespace {

// Head of the global list of records. Records are pushed (release CAS) and
// never removed or freed, so a reclaimer may walk the list at any time
// without protection.
std::atomic<EpochRecord*> g_records{nullptr};
// Number of records created; the next record's index. Only grows.
std::atomic<uint32_t> g_record_count{0};

// Finds a record nobody owns and adopts it (acquire CAS, so the previous
// owner's writes happen-before ours), or creates and publishes a new one.
EpochRecord* adopt_record() {
  for (EpochRecord* r = g_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    bool expected = false;
    if (!r->in_use.load(std::memory_order_relaxed) &&
        r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
      return r;
    }
  }
  auto* r = new EpochRecord;  // may throw: nothing has changed yet
  r->in_use.store(true, std::memory_order_relaxed);
  r->index = g_record_count.fetch_add(1, std::memory_order_relaxed);
  EpochRecord* head = g_records.load(std::memory_order_relaxed);
  do {
    r->next = head;
  } while (!g_records.compare_exchange_weak(head, r, std::memory_order_release,
                                            std::memory_order_relaxed));
  return r;
}

void give_back(EpochRecord* r) noexcept {
  // Already 0 outside a section; a release store, not relaxed, so that a
  // reclaimer reading this 0 (rather than the last unpin's) still
  // synchronises with the thread's last read section.
  r->local.store(0, std::memory_order_release);
  r->in_use.store(false, std::memory_order_release);
}

// Gives the thread's durable record back when the thread exits. Constructed
// (and so registered for destruction) by the thread's first attach.
struct ThreadExit {
  bool armed = false;
  ~ThreadExit() {
    EpochThreadState& s = t_epoch;
    if (s.record != nullptr && !s.temporary) {
      // A thread cannot exit from inside a section it opened (the guards
      // are scopes), so depth is 0 and local is 0 here.
      give_back(s.record);
      s.record = nullptr;
    }
    s.exited = true;
  }
};
thread_local ThreadExit t_exit;

}  // namespace

void epoch_attach_slow() {
  EpochThreadState& s = t_epoch;
  EpochRecord* r = adopt_record();
  s.record = r;
  if (s.exited) {
    // The thread's thread_local destructors are running: borrow the record
    // for this section only (epoch_unpin gives it back).
    s.temporary = true;
  } else {
    s.temporary = false;
    t_exit.armed = true;  // odr-use: registers ThreadExit's destructor
  }
}

void epoch_detach_temporary() noexcept {
  EpochThreadState& s = t_epoch;
  give_back(s.record);
  s.record = nullptr;
  s.temporary = false;
}

uint64_t epoch_min_active() noexcept {
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (EpochRecord* r = g_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    const uint64_t e = r->local.load(std::memory_order_seq_cst);
    if (e != 0 && e < m) m = e;
  }
  return m;
}

uint32_t epoch_record_count() noexcept {
  return g_record_count.load(std::memory_order_relaxed);
}

void RetireList::retire(Retired* r, void (*fn)(Retired*) noexcept) noexcept {
  r->reclaim_fn = fn;
  // x = E.fetch_add(1): seq_cst, after the caller's seq_cst unlink (see the
  // argument in rcu.h). Advancing E lets readers that enter from now on get
  // an epoch > x, so they do not hold this object back.
  r->retired_epoch = g_epoch.value.fetch_add(1, std::memory_order_seq_cst);
  count_.fetch_add(1, std::memory_order_relaxed);
  push_chain(r, r);
}

void RetireList::push_chain(Retired* first, Retired* last) noexcept {
  Retired* head = head_.load(std::memory_order_relaxed);
  do {
    last->retired_next = head;
  } while (!head_.compare_exchange_weak(head, first, std::memory_order_release,
                                        std::memory_order_relaxed));
}

std::size_t RetireList::reclaim() noexcept {
  Retired* list = head_.exchange(nullptr, std::memory_order_acquire);
  if (list == nullptr) return 0;
  // The scan comes after the tags were taken (they happen-before our
  // exchange), which is what the safety argument needs.
  const uint64_t min_active = epoch_min_active();
  Retired* keep_first = nullptr;
  Retired* keep_last = nullptr;
  std::size_t freed = 0;
  while (list != nullptr) {
    Retired* next = list->retired_next;
    if (list->retired_epoch < min_active) {
      list->reclaim_fn(list);
      ++freed;
    } else {
      list->retired_next = keep_first;
      keep_first = list;
      if (keep_last == nullptr) keep_last = list;
    }
    list = next;
  }
  if (keep_first != nullptr) push_chain(keep_first, keep_last);
  if (freed != 0) count_.fetch_sub(freed, std::memory_order_relaxed);
  return freed;
}

std::size_t RetireList::reclaim_all() noexcept {
  Retired* list = head_.exchange(nullptr, std::memory_order_acquire);
  std::size_t freed = 0;
  while (list != nullptr) {
    Retired* next = list->retired_next;
    list->reclaim_fn(list);
    ++freed;
    list = next;
  }
  if (freed != 0) count_.fetch_sub(freed, std::memory_order_relaxed);
  return freed;
}

void wait_for_grace_period(RetireList& list) {
  if (in_read_section()) throw SyncPanic(kSynchronizeInReadSection);
  // Everything retired before this call has a tag < target. Readers that
  // enter from now on read E >= target, so only the readers inside a section
  // now can keep min_active below target: wait for them to leave, then free.
  const uint64_t target = g_epoch.value.load(std::memory_order_seq_cst);
  SpinWait w;
  while (epoch_min_active() < target) w.once();
  list.reclaim();
}

}  // namespace syncscope::detail

namespace syncscope {

// Rcu is a header-only template: compile one instantiation in full here.
template class Rcu<std::string>;

}  // namespace syncscope

// syncscope/internal/wait_registry.h — the blocking-bug detector's hooks.
//
// Machinery behind syncscope/blocking_detector.h (the manual is there). The
// primitives call these hooks where they wait and where they take or give
// up ownership; users do not include this file.
//
// Compile-time switch: SYNCSCOPE_WAIT_REGISTRY (CMake option
// SYNCSCOPE_BLOCKING_DETECTOR, default ON). With 0 every hook below expands
// to nothing: the primitives compile exactly as without a detector. With 1
// the detector is compiled in and OFF at run time until
// syncscope::detector::enable() (or SYNCSCOPE_DETECT=1 in the environment).
//
// Cost when compiled in but off:
//   * ownership hooks (Mutex lock/unlock, RWMutex lock/unlock/lock_shared/
//     unlock_shared) run on the fast paths: one relaxed load of g_on and a
//     not-taken branch each;
//   * wait hooks run only on slow paths (a thread about to park), which cost
//     a futex syscall anyway: one relaxed load each.
// The bugs suite measures both (compiled out / in but off / on).
//
// Hook kinds:
//   SYNCSCOPE_WAITREG_HELD(obj, hold)     the calling thread now holds obj
//   SYNCSCOPE_WAITREG_LET_GO(obj, hold)   ... no longer holds it
//   SYNCSCOPE_WAITREG_NOTE(obj, what)     scope: "if I park now, I wait for
//                                         `what` on obj" (set by a primitive
//                                         before it calls Sema::acquire)
//   SYNCSCOPE_WAITREG_BLOCK(sema, timed)  scope in Sema::acquire_slow: the
//                                         thread entered the parking layer
//   SYNCSCOPE_WAITREG_PARK(slot)          ... it is queued and about to sleep
//                                         (called under the bucket lock, so
//                                         no releaser can unlink it first);
//                                         slot is a void* in its Waiter node
//   SYNCSCOPE_WAITREG_REPORT()            ... hands the findings of PARK to
//                                         the handler (after the bucket lock)
//   SYNCSCOPE_WAITREG_WOKEN(slot)         a releaser unlinked that waiter
//   SYNCSCOPE_WAITREG_GO_START(goid)      the goroutine runtime made goroutine
//                                         goid (Go's goid, > 0) runnable: a
//                                         party from now on (scheduler.cc)
//   SYNCSCOPE_WAITREG_GO_EXIT(goid)       ... it returned: no longer a party
//                                         (runs Go's checkdead, as goexit does)
//
// Parties: a plain thread is one party (its record hangs off a
// thread_local); a goroutine is one party whatever M runs it (its record is
// keyed by its id, which the scheduler publishes in
// detail::tls_thread_id, see recursive_mutex.h, as minus the goid while it
// runs one); an M's own scheduler code (internal::on_scheduler()) is none:
// an idle M sleeping on its note is not a sleeping goroutine. A pending
// wait annotation (Note) lives in the party's record for a goroutine (it
// may park on one M and resume on another), in the thread_local for a
// thread.
//
// Memory ordering: every registry update happens under one process-wide
// std::mutex (the registry is a debug mode; it is never on a measured path
// while off). A waiter's slot is written before the waiter links its node
// under the Sema bucket lock and read by a releaser under that same lock.

#ifndef SYNCSCOPE_INTERNAL_WAIT_REGISTRY_H_
#define SYNCSCOPE_INTERNAL_WAIT_REGISTRY_H_

#ifndef SYNCSCOPE_WAIT_REGISTRY
#define SYNCSCOPE_WAIT_REGISTRY 1
#endif

#include <atomic>
#include <cstdint>

namespace syncscope::internal::waitreg {

// What a parked thread waits for. Names are printed by finding texts.
enum class What : uint8_t {
  kSema,          // a bare Sema (no primitive annotated the wait)
  kMutexLock,     // GoMutex::lock on obj
  kRWMutexLock,   // GoRWMutex::lock on obj (waiting for its readers)
  kRWMutexRLock,  // GoRWMutex::lock_shared on obj (a writer holds or waits)
  kChanSend,      // send on a channel (obj: its core)
  kChanRecv,      // receive from a channel (obj: its core)
  kSelect,        // select over several channels (obj: the first case's core)
  kNilChan,       // operation on a nil channel / empty select: never completes
  kWaitGroup,     // WaitGroup::wait on obj
  kCond,          // Cond::wait on obj (its notify list)
};
const char* what_name(What w) noexcept;

// SYNCSCOPE_DETECT's value: null/""/"0" nothing, "1" enable() with the
// default handler and print leaks() at exit; anything else prints one line
// naming the value and the valid ones and exits 2. Run at start-up.
void apply_env(const char* value);

// How obj is held by the thread that holds it.
enum class Hold : uint8_t { kExclusive, kShared };

#if SYNCSCOPE_WAIT_REGISTRY

// On/off switch. Written by enable()/disable(); read relaxed by every hook
// (a hook that races with a toggle acts on either value; findings are only
// about operations that ran fully while on).
extern std::atomic<bool> g_on;
inline bool on() noexcept { return g_on.load(std::memory_order_relaxed); }

// Goroutine records (see Parties). g_goroutines counts live ones, so that
// GO_EXIT also drops a record made while the detector was on.
extern std::atomic<int> g_goroutines;
void go_start(int64_t goid);
void go_exit(int64_t goid);

void held(const void* obj, Hold h);
void let_go(const void* obj, Hold h);
void woken(void* slot);

// Sets the calling thread's pending wait annotation for its lifetime.
class Note {
 public:
  Note(const void* obj, What w) noexcept {
    if (on()) set(obj, w);
  }
  ~Note() {
    if (active_) clear();
  }
  Note(const Note&) = delete;
  Note& operator=(const Note&) = delete;

 private:
  void set(const void* obj, What w) noexcept;
  void clear() noexcept;
  bool active_ = false;
  const void* prev_obj_ = nullptr;
  What prev_what_ = What::kSema;
  bool prev_set_ = false;
};

// One Sema::acquire_slow call: park() marks the thread asleep (and runs the
// cycle / all-asleep checks); the destructor marks it running again.
class Block {
 public:
  Block(const void* sema, bool timed) noexcept : sema_(sema), timed_(timed) {}
  ~Block() {
    if (parked_) unpark();
  }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  void park(void** slot) {
    if (on()) park_slow(slot);
  }
  void report() {
    if (pending_) report_slow();
  }

 private:
  void park_slow(void** slot);
  void report_slow();
  void unpark() noexcept;
  const void* sema_;
  void* rec_ = nullptr;  // the party that parked (its record), for unpark()
  bool timed_;
  bool parked_ = false;
  bool pending_ = false;  // park_slow found something; report() delivers it
};

#define SYNCSCOPE_WAITREG_HELD(obj, hold)                                              \
  do {                                                                                 \
    if (::syncscope::internal::waitreg::on())                                          \
      ::syncscope::internal::waitreg::held(obj, ::syncscope::internal::waitreg::hold); \
  } while (0)
#define SYNCSCOPE_WAITREG_LET_GO(obj, hold)                                              \
  do {                                                                                   \
    if (::syncscope::internal::waitreg::on())                                            \
      ::syncscope::internal::waitreg::let_go(obj, ::syncscope::internal::waitreg::hold); \
  } while (0)
#define SYNCSCOPE_WAITREG_NOTE(obj, what)                       \
  ::syncscope::internal::waitreg::Note syncscope_waitreg_note_( \
      obj, ::syncscope::internal::waitreg::what)
#define SYNCSCOPE_WAITREG_BLOCK(sema, timed) \
  ::syncscope::internal::waitreg::Block syncscope_waitreg_block_(sema, timed)
#define SYNCSCOPE_WAITREG_PARK(slot) syncscope_waitreg_block_.park(slot)
#define SYNCSCOPE_WAITREG_REPORT() syncscope_waitreg_block_.report()
#define SYNCSCOPE_WAITREG_WOKEN(slot)                                   \
  do {                                                                  \
    if ((slot) != nullptr) ::syncscope::internal::waitreg::woken(slot); \
  } while (0)

#define SYNCSCOPE_WAITREG_GO_START(goid)                                                      \
  do {                                                                                        \
    if (::syncscope::internal::waitreg::on()) ::syncscope::internal::waitreg::go_start(goid); \
  } while (0)
#define SYNCSCOPE_WAITREG_GO_EXIT(goid)                                                    \
  do {                                                                                     \
    if (::syncscope::internal::waitreg::on() ||                                            \
        ::syncscope::internal::waitreg::g_goroutines.load(std::memory_order_relaxed) != 0) \
      ::syncscope::internal::waitreg::go_exit(goid);                                       \
  } while (0)

#else  // !SYNCSCOPE_WAIT_REGISTRY: every hook is nothing at all.

#define SYNCSCOPE_WAITREG_HELD(obj, hold) ((void)0)
#define SYNCSCOPE_WAITREG_LET_GO(obj, hold) ((void)0)
#define SYNCSCOPE_WAITREG_NOTE(obj, what) ((void)0)
#define SYNCSCOPE_WAITREG_BLOCK(sema, timed) ((void)0)
#define SYNCSCOPE_WAITREG_PARK(slot) ((void)0)
#define SYNCSCOPE_WAITREG_REPORT() ((void)0)
#define SYNCSCOPE_WAITREG_WOKEN(slot) ((void)0)
#define SYNCSCOPE_WAITREG_GO_START(goid) ((void)0)
#define SYNCSCOPE_WAITREG_GO_EXIT(goid) ((void)0)

#endif  // SYNCSCOPE_WAIT_REGISTRY

}  // namespace syncscope::internal::waitreg

#endif  // SYNCSCOPE_INTERNAL_WAIT_REGISTRY_H_

// syncscope/panic.h — SyncPanic: the exception for Go's `sync` panics.
//
// This file offers:
//   class SyncPanic            derives from std::logic_error; what() is the
//                              message Go's panic carries (Go's exact text
//                              where Go has one).
//   kNegativeWaitGroupCounter  "sync: negative WaitGroup counter"
//   kWaitGroupReused           "sync: WaitGroup is reused before previous Wait
//                              has returned"
//   kWaitGroupMisuse           "sync: WaitGroup misuse: Add called
//                              concurrently with Wait"
//   kOnceRecursiveDo           syncscope's own text: Go has no check and
//                              deadlocks (see once.h)
//   kSynchronizeInReadSection  syncscope's own text: waiting for a grace
//                              period from inside a read-side section would
//                              wait for itself (see rcu.h)
//
// Where Go panics on misuse of a sync primitive (the standard library's
// sync and sync/atomic, and golang.org/x/sync), syncscope throws SyncPanic
// with Go's message, so a test can catch it and compare the text. The
// messages of this file's primitives are defined here; other headers define
// their own next to the primitive (semaphore.h, err_group.h). Go's
// *fatal errors* (unlock of an unlocked mutex) are not panics: they terminate
// the process (go_fatal in go_mutex_common.h). Channel panics have their own
// type, ChanPanic (chan_core.h): the two families stay separate so a caller
// can tell a channel misuse from a sync misuse.
//
// A SyncPanic leaves the primitive in the state Go leaves it in after the
// panic (Go does not repair it either): e.g. a WaitGroup whose counter went
// negative keeps the negative counter. Each throwing method says so.

#ifndef SYNCSCOPE_PANIC_H_
#define SYNCSCOPE_PANIC_H_

#include <stdexcept>

namespace syncscope {

inline constexpr const char* kNegativeWaitGroupCounter = "sync: negative WaitGroup counter";
inline constexpr const char* kWaitGroupReused =
    "sync: WaitGroup is reused before previous Wait has returned";
inline constexpr const char* kWaitGroupMisuse =
    "sync: WaitGroup misuse: Add called concurrently with Wait";
inline constexpr const char* kOnceRecursiveDo =
    "sync: Once.Do called recursively from inside its own f (Go would deadlock)";
inline constexpr const char* kSynchronizeInReadSection =
    "syncscope: grace-period wait inside a read-side section would wait for itself";

// SyncPanic: thrown where Go's sync package panics; what() is the message.
class SyncPanic : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_PANIC_H_

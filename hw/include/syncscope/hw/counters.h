// syncscope/hw/counters.h — hardware performance counters through PAPI.
//
// Offers:
//   class ThreadCounters     count a set of events on the calling thread
//   struct CountersStatus    can these events be counted here, and why not
//   counters_status(events)  probe once per event list, cached
//   kDefaultEvents           PAPI_TOT_CYC, PAPI_TOT_INS, PAPI_L1_DCM
//
// A missing counter never fails anything. Nothing here throws or aborts:
// an event that cannot be added is dropped from working() and named in
// reason(); if PAPI itself cannot initialise, no event works and reason()
// says why. Virtual machines without a virtual PMU are the common case:
// PAPI initialises but every hardware event fails with PAPI_ENOEVNT.
//
// Initialisation: PAPI_library_init and PAPI_thread_init (with a
// pthread_self-based thread id) run once per process, on first use, under
// std::call_once; their outcome is remembered and reported by every later
// call.
//
// Memory ordering: the initialisation runs under std::call_once, which
// orders it before every later PAPI use on any thread. Event-set setup and
// teardown are serialised by one process-wide mutex (PAPI's event-name
// lookup uses unlocked global state); PAPI_start/PAPI_stop are not, they act
// on the calling thread's own event set. counters_status() guards its cache
// with a mutex.
//
// Thread model: a ThreadCounters belongs to one thread. Construct it
// anywhere, but call start() and stop() (and destroy it) on the thread
// whose events are counted: PAPI event sets count the thread that started
// them. Different threads use different ThreadCounters concurrently.
#ifndef SYNCSCOPE_HW_COUNTERS_H_
#define SYNCSCOPE_HW_COUNTERS_H_

#include <string>
#include <utility>
#include <vector>

namespace syncscope::hw {

inline const std::vector<std::string> kDefaultEvents = {"PAPI_TOT_CYC", "PAPI_TOT_INS",
                                                        "PAPI_L1_DCM"};

class ThreadCounters {
 public:
  // Remembers the events to try (PAPI preset names like "PAPI_TOT_CYC" or
  // native names like "perf::TASK-CLOCK"). Does not touch PAPI.
  explicit ThreadCounters(std::vector<std::string> events);
  ~ThreadCounters();
  ThreadCounters(const ThreadCounters&) = delete;
  ThreadCounters& operator=(const ThreadCounters&) = delete;

  // Initialises PAPI if needed, creates this thread's event set, tries to
  // add each requested event (PAPI_add_named_event) and keeps the ones that
  // work, then starts counting. Returns true if at least one event is being
  // counted. Calling start() again while started returns false and changes
  // nothing; after stop() it starts a fresh count with the same events
  // (the event set is probed only once).
  bool start();

  // Stops counting and returns (event, value) for each working event, in
  // request order. Empty if nothing was started or PAPI_stop failed (then
  // reason() says so).
  std::vector<std::pair<std::string, long long>> stop();

  // The events that could be added (valid after start()).
  const std::vector<std::string>& working() const { return working_; }

  // Empty when every requested event works; otherwise one line naming each
  // failed event with PAPI's error, e.g. "PAPI 7.0.0.0 initialised, but
  // PAPI_TOT_CYC: Event does not exist (PAPI_ENOEVNT); ...;
  // perf_event_paranoid=2". Valid after start().
  std::string reason() const { return reason_; }

 private:
  std::vector<std::string> requested_;  // set by the constructor, read-only after
  std::vector<std::string> working_;    // filled by the first start()
  std::string reason_;                  // written by start()/stop()
  int event_set_;                       // PAPI_NULL until the first start()
  bool probed_ = false;                 // the event set has been built
  bool running_ = false;                // between a successful start() and stop()
};

struct CountersStatus {
  bool available = false;              // at least one requested event works
  std::vector<std::string> usable;     // the events that work, in request order
  std::string reason;                  // empty when every requested event works
  std::vector<std::string> requested;  // the events probed
};

// Probes the events on the calling thread (start + stop of a
// ThreadCounters) the first time a given list is asked for; later calls
// with the same list return the cached answer. Thread-safe.
CountersStatus counters_status(std::vector<std::string> events = kDefaultEvents);

// The symbolic name of a PAPI error code ("PAPI_ENOEVNT"), or "PAPI error N".
std::string papi_error_name(int code);

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_COUNTERS_H_

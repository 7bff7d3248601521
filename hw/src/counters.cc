// Hardware counters through PAPI. See syncscope/hw/counters.h.
#include "syncscope/hw/counters.h"

#include <papi.h>
#include <pthread.h>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace syncscope::hw {
namespace {

// PAPI_thread_init wants an id function returning unsigned long.
unsigned long pthread_id() { return static_cast<unsigned long>(pthread_self()); }

// Outcome of the one-time library initialisation. Written once inside
// std::call_once, read-only afterwards (call_once orders the writes before
// every reader).
struct PapiInit {
  bool ok = false;
  std::string version;  // "7.0.0.0"
  std::string error;    // why !ok
};

const PapiInit& papi_init() {
  static PapiInit init;
  static std::once_flag once;
  std::call_once(once, [] {
    const int rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT) {
      init.error = rc > 0 ? "PAPI_library_init: header/library version mismatch"
                          : "PAPI_library_init failed: " + std::string(PAPI_strerror(rc)) +
                                " (" + papi_error_name(rc) + ")";
      return;
    }
    const int trc = PAPI_thread_init(pthread_id);
    if (trc != PAPI_OK) {
      init.error = "PAPI_thread_init failed: " + std::string(PAPI_strerror(trc)) + " (" +
                   papi_error_name(trc) + ")";
      return;
    }
    const int v = PAPI_get_opt(PAPI_LIB_VERSION, nullptr);
    std::ostringstream os;
    os << PAPI_VERSION_MAJOR(v) << '.' << PAPI_VERSION_MINOR(v) << '.'
       << PAPI_VERSION_REVISION(v) << '.' << PAPI_VERSION_INCREMENT(v);
    init.version = os.str();
    init.ok = true;
  });
  return init;
}

// Serialises event-set setup and teardown across threads. PAPI resolves
// event names through process-wide state that it does not lock (papi.c keeps
// the name being resolved in a global string, freed and strdup'ed on every
// lookup): two threads adding named events at once race on it
// (ThreadSanitizer reports it). Setup happens outside measured regions, so
// a mutex costs nothing that is measured. PAPI_start/PAPI_stop touch only
// the calling thread's event set and are left unserialised, so that
// benchmark threads start counting independently.
std::mutex& papi_setup_mutex() {
  static std::mutex mu;
  return mu;
}

// Registered threads tell PAPI when they exit, so its per-thread records do
// not pile up across the many short-lived benchmark threads.
struct ThreadRegistration {
  bool registered = false;
  ~ThreadRegistration() {
    if (!registered) return;
    std::lock_guard<std::mutex> lock(papi_setup_mutex());
    PAPI_unregister_thread();
  }
};
thread_local ThreadRegistration tls_registration;

std::string perf_event_paranoid() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string v;
  if (in >> v) return v;
  return "unreadable";
}

// Extra context when the perf_event component itself is switched off.
std::string perf_component_note() {
  const int cid = PAPI_get_component_index("perf_event");
  if (cid < 0) return "; PAPI has no perf_event component";
  const PAPI_component_info_t* info = PAPI_get_component_info(cid);
  if (info != nullptr && info->disabled != 0)
    return "; perf_event component disabled: " + std::string(info->disabled_reason);
  return {};
}

}  // namespace

std::string papi_error_name(int code) {
  switch (code) {
    case PAPI_OK: return "PAPI_OK";
    case PAPI_EINVAL: return "PAPI_EINVAL";
    case PAPI_ENOMEM: return "PAPI_ENOMEM";
    case PAPI_ESYS: return "PAPI_ESYS";
    case PAPI_ECMP: return "PAPI_ECMP";
    case PAPI_ECLOST: return "PAPI_ECLOST";
    case PAPI_EBUG: return "PAPI_EBUG";
    case PAPI_ENOEVNT: return "PAPI_ENOEVNT";
    case PAPI_ECNFLCT: return "PAPI_ECNFLCT";
    case PAPI_ENOTRUN: return "PAPI_ENOTRUN";
    case PAPI_EISRUN: return "PAPI_EISRUN";
    case PAPI_ENOEVST: return "PAPI_ENOEVST";
    case PAPI_ENOTPRESET: return "PAPI_ENOTPRESET";
    case PAPI_ENOCNTR: return "PAPI_ENOCNTR";
    case PAPI_EMISC: return "PAPI_EMISC";
    case PAPI_EPERM: return "PAPI_EPERM";
    case PAPI_ENOINIT: return "PAPI_ENOINIT";
    case PAPI_ENOCMP: return "PAPI_ENOCMP";
    case PAPI_ENOSUPP: return "PAPI_ENOSUPP";
    case PAPI_ENOIMPL: return "PAPI_ENOIMPL";
    case PAPI_EBUF: return "PAPI_EBUF";
    case PAPI_EMULPASS: return "PAPI_EMULPASS";
    default: return "PAPI error " + std::to_string(code);
  }
}

ThreadCounters::ThreadCounters(std::vector<std::string> events)
    : requested_(std::move(events)), event_set_(PAPI_NULL) {}

ThreadCounters::~ThreadCounters() {
  if (!probed_ || event_set_ == PAPI_NULL) return;
  if (running_) {
    std::vector<long long> sink(working_.size() + 1);
    PAPI_stop(event_set_, sink.data());
  }
  std::lock_guard<std::mutex> lock(papi_setup_mutex());
  PAPI_cleanup_eventset(event_set_);
  PAPI_destroy_eventset(&event_set_);
}

bool ThreadCounters::start() {
  if (running_) return false;
  if (!probed_) {
    probed_ = true;
    if (requested_.empty()) {
      reason_ = "no events requested";
      return false;
    }
    const PapiInit& init = papi_init();
    if (!init.ok) {
      reason_ = init.error + "; perf_event_paranoid=" + perf_event_paranoid();
      return false;
    }
    std::lock_guard<std::mutex> lock(papi_setup_mutex());
    const int crc = PAPI_create_eventset(&event_set_);
    if (crc != PAPI_OK) {
      event_set_ = PAPI_NULL;
      reason_ = "PAPI " + init.version + ": PAPI_create_eventset failed: " +
                PAPI_strerror(crc) + " (" + papi_error_name(crc) + "); perf_event_paranoid=" +
                perf_event_paranoid();
      return false;
    }
    tls_registration.registered = true;  // the first PAPI call on a thread registers it

    std::string failures;
    size_t nfailed = 0, nnoevent = 0;
    for (const std::string& e : requested_) {
      const int rc = PAPI_add_named_event(event_set_, e.c_str());
      if (rc == PAPI_OK) {
        working_.push_back(e);
        continue;
      }
      ++nfailed;
      if (rc == PAPI_ENOEVNT) ++nnoevent;
      if (!failures.empty()) failures += ", ";
      failures += e + ": " + PAPI_strerror(rc) + " (" + papi_error_name(rc) + ")";
    }
    if (nfailed != 0) {
      std::ostringstream os;
      os << "PAPI " << init.version << " initialised, but " << nfailed << " of "
         << requested_.size() << " requested events failed to add: " << failures
         << "; perf_event_paranoid=" << perf_event_paranoid() << perf_component_note();
      if (working_.empty() && nnoevent == nfailed)
        os << "; no requested event exists for this process's PMU (typical of a virtual "
              "machine without a virtual PMU)";
      reason_ = os.str();
    }
  }
  if (working_.empty() || event_set_ == PAPI_NULL) return false;
  const int src = PAPI_start(event_set_);
  if (src != PAPI_OK) {
    reason_ = "PAPI_start failed: " + std::string(PAPI_strerror(src)) + " (" +
              papi_error_name(src) + "); perf_event_paranoid=" + perf_event_paranoid();
    return false;
  }
  running_ = true;
  return true;
}

std::vector<std::pair<std::string, long long>> ThreadCounters::stop() {
  std::vector<std::pair<std::string, long long>> out;
  if (!running_) return out;
  running_ = false;
  std::vector<long long> values(working_.size(), 0);
  const int rc = PAPI_stop(event_set_, values.data());
  if (rc != PAPI_OK) {
    reason_ = "PAPI_stop failed: " + std::string(PAPI_strerror(rc)) + " (" +
              papi_error_name(rc) + ")";
    return out;
  }
  for (size_t i = 0; i < working_.size(); ++i) out.emplace_back(working_[i], values[i]);
  return out;
}

CountersStatus counters_status(std::vector<std::string> events) {
  static std::mutex mu;
  static std::map<std::vector<std::string>, CountersStatus> cache;  // guarded by mu
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(events); it != cache.end()) return it->second;

  CountersStatus st;
  st.requested = events;
  {
    ThreadCounters probe(events);
    const bool started = probe.start();
    probe.stop();
    if (started) st.usable = probe.working();  // added but not startable is not usable
    st.available = !st.usable.empty();
    st.reason = probe.reason();
  }
  cache.emplace(std::move(events), st);
  return st;
}

}  // namespace syncscope::hw

// Out-of-line parts of syncscope/recursive_mutex.h: thread ids and the
// misuse messages.
#include <syncscope/recursive_mutex.h>

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace syncscope {
namespace detail {
namespace {

// In a forked child only the forking thread survives, with a new kernel id
// but a copy of the parent thread's thread_local cache: forget it.
void reset_thread_id_in_child() noexcept { tls_thread_id = 0; }

}  // namespace

int64_t fetch_thread_id() noexcept {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, &reset_thread_id_in_child);
    return true;
  }();
  (void)registered;
  // syscall() rather than glibc's gettid() wrapper, which older C libraries
  // (and some cross sysroots) lack.
  const int64_t id = static_cast<int64_t>(::syscall(SYS_gettid));
  tls_thread_id = id;
  return id;
}

void throw_wrong_owner(int64_t owner, int64_t caller) {
  throw LockMisuse("wrong the owner(" + std::to_string(owner) + "): " + std::to_string(caller) +
                   "! (RecursiveMutex::unlock by a thread that does not hold it; owner 0 = "
                   "not locked)");
}

void throw_wrong_token(int64_t holder, int64_t caller) {
  throw LockMisuse("wrong the token(" + std::to_string(holder) + "): " + std::to_string(caller) +
                   "! (TokenRecursiveMutex::unlock with a token that does not hold it; token 0 = "
                   "not locked)");
}

void throw_reserved_token(const char* operation) {
  throw LockMisuse(std::string("TokenRecursiveMutex::") + operation +
                   ": token 0 is reserved (it means \"not held\"); use a non-zero token");
}

}  // namespace detail
}  // namespace syncscope

// LockList — compile-time lists of named lock implementations that the lock
// suites are templated over. Adding a design to every lock suite is one class
// and one registration line in lock_registry.h:
//
//   Lock<"MyLock", syncscope::MyLock>,
//
// for_each_lock<List>(f) calls f.template operator()<Entry>() for each entry;
// Entry::type is the lock class and Entry::kName its name in results (one
// fixed colour per name in every plot).
#ifndef SYNCSCOPE_SUITES_COMMON_LOCK_LIST_H_
#define SYNCSCOPE_SUITES_COMMON_LOCK_LIST_H_

#include <algorithm>
#include <cstddef>

namespace syncscope::suites {

template <size_t N>
struct FixedString {
  char value[N];
  constexpr FixedString(const char (&s)[N]) {
    std::copy_n(s, N, value);
  }  // NOLINT: implicit by design
};

template <FixedString Name, class L>
struct Lock {
  using type = L;
  static constexpr const char* kName = Name.value;
};

template <class... Entries>
struct LockList {};

template <class... Entries, class F>
void for_each_lock(LockList<Entries...>, F&& f) {
  (f.template operator()<Entries>(), ...);
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_LOCK_LIST_H_

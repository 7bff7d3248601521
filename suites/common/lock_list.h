// LockList — compile-time lists of named lock implementations that the lock
// suites are templated over. Adding a design to every lock suite is one class
// and one registration line in lock_registry.h:
//
//   Lock<"MyLock", syncscope::MyLock, "#rrggbb">,
//
// for_each_lock<List>(f) calls f.template operator()<Entry>() for each entry;
// Entry::type is the lock class, Entry::kName its name in results and
// Entry::kColour its colour in every plot ("" = the colour of the design it
// is a build of, for "<name>_instr"). registry_text(List{}) writes the list,
// in order, for a suite's JSON context: the plots read the lock order and the
// colours from there (plots/common.py, LockRegistry).
#ifndef SYNCSCOPE_SUITES_COMMON_LOCK_LIST_H_
#define SYNCSCOPE_SUITES_COMMON_LOCK_LIST_H_

#include <algorithm>
#include <cstddef>
#include <string>

namespace syncscope::suites {

template <size_t N>
struct FixedString {
  char value[N];
  constexpr FixedString(const char (&s)[N]) {
    std::copy_n(s, N, value);
  }  // NOLINT: implicit by design
};

template <FixedString Name, class L, FixedString Colour = "">
struct Lock {
  using type = L;
  static constexpr const char* kName = Name.value;
  static constexpr const char* kColour = Colour.value;
};

template <class... Entries>
struct LockList {};

template <class... Entries, class F>
void for_each_lock(LockList<Entries...>, F&& f) {
  (f.template operator()<Entries>(), ...);
}

// "name=#rrggbb,name=#rrggbb,..." in list order (an entry without a colour
// writes "name=").
template <class... Entries>
std::string registry_text(LockList<Entries...>) {
  std::string out;
  ((out += (out.empty() ? "" : ",") + std::string(Entries::kName) + "=" + Entries::kColour), ...);
  return out;
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_LOCK_LIST_H_

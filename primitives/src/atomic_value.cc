// syncscope::AtomicValue is a header-only template (see
// syncscope/atomic_value.h for the design; its reclamation lives in rcu.cc).
// This file compiles one instantiation in full — every member, not only the
// ones a test calls.
#include <syncscope/atomic_value.h>

#include <string>

namespace syncscope {

template class AtomicValue<std::string>;
template class AtomicValue<int>;

}  // namespace syncscope

// SingleFlight<K, V> is a template (syncscope/single_flight.h); this file
// compiles the instantiations the `overhead` suite and the tests use, once.
#include <syncscope/single_flight.h>

#include <cstdint>
#include <string>

namespace syncscope {

template class SingleFlight<std::string, std::string>;
template class SingleFlight<uint64_t, uint64_t>;

}  // namespace syncscope

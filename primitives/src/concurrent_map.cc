// ConcurrentMap<K, V> is a template (syncscope/concurrent_map.h); this file
// compiles the instantiations the `maps` suite and the tests use, once.
#include <syncscope/concurrent_map.h>

#include <cstdint>
#include <string>

namespace syncscope {

template class ConcurrentMap<uint64_t, uint64_t>;
template class ConcurrentMap<std::string, std::string>;

}  // namespace syncscope

// Map<K, V> is a template (syncscope/sync_map.h); this file compiles the
// instantiations the `maps` suite and the tests use, once, so that their
// users do not each instantiate the slow paths.
#include <syncscope/sync_map.h>

#include <cstdint>
#include <string>

namespace syncscope {

template class Map<uint64_t, uint64_t>;
template class Map<std::string, std::string>;

}  // namespace syncscope

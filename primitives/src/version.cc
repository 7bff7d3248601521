// The library's version string — see <syncscope/version.h>.
#include <syncscope/version.h>

namespace syncscope {
const char* version() noexcept { return "0.1.0"; }
}  // namespace syncscope

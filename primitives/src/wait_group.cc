// syncscope::WaitGroup: the slow paths, compiled once here for the
// production hooks (see syncscope/wait_group.h for the design).
#include <syncscope/wait_group.h>

namespace syncscope {

template class BasicWaitGroup<detail::NoWaitGroupHooks>;

}  // namespace syncscope

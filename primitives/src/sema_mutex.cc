// Out-of-line part of syncscope/sema_mutex.h.
#include <syncscope/sema_mutex.h>

#include <syncscope/go_mutex_common.h>

namespace syncscope {

void SemaMutex::fatal_unlock_of_unlocked() noexcept { go_fatal(kUnlockOfUnlockedMutex); }

}  // namespace syncscope

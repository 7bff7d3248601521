// Disassembly probe of LseOps (see probe.h, check_disassembly.sh). Built
// for baseline armv8-a like everything else: the asm enables LSE itself.
#include "../probe.h"

SYNCSCOPE_ARCH_PROBES(syncscope::arch::LseOps, lse)

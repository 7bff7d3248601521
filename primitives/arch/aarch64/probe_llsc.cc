// Disassembly probe of LlscOps (see probe.h, check_disassembly.sh).
#include "../probe.h"

SYNCSCOPE_ARCH_PROBES(syncscope::arch::LlscOps, llsc)

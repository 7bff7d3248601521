// Disassembly probe of X86Ops (see probe.h, check_disassembly.sh).
#include "../probe.h"

SYNCSCOPE_ARCH_PROBES(syncscope::arch::X86Ops, x86_64)

// Disassembly probe of PortableOps: the std::atomic code the x86_64 path is
// compared with instruction for instruction (see check_disassembly.sh).
#include "../probe.h"

SYNCSCOPE_ARCH_PROBES(syncscope::arch::PortableOps, portable)

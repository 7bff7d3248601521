// The CPU number as Linux's vDSO getcpu reads it without RDPID: LSL (load
// segment limit) of the per-CPU GDT segment (cpuid_linux_amd64.go).

#include "textflag.h"

// func lslCPUNode() uint32
// The limit of segment selector 0x7b ((node << 12) | cpu), or 0xffffffff
// when LSL fails (it then leaves its destination unchanged).
TEXT ·lslCPUNode(SB), NOSPLIT, $0-4
	MOVL $0x7b, AX
	MOVL $0xffffffff, BX
	LSLL AX, BX
	MOVL BX, ret+0(FP)
	RET

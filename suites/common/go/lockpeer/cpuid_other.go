//go:build !(linux && amd64)

package lockpeer

// Off linux/amd64 there is no cheap CPU read matching the C++ side's (LSL
// of Linux's per-CPU GDT segment, cpuid_linux_amd64.go): the lock moves
// counter is unavailable, and said so.

import "runtime"

// CPUReadMethod names the instruction ReadCPU uses: none here.
const CPUReadMethod = ""

// ReadCPU is -1: not available on this platform.
func ReadCPU() int { return -1 }

func checkCPURead() CPUReadStatus {
	return CPUReadStatus{Reason: "no CPU read on " + runtime.GOOS + "/" + runtime.GOARCH +
		" (LSL of Linux's per-CPU GDT segment is linux/amd64 only)"}
}

package lockpeer

// The CPU read of the lock moves counter on linux/amd64: the instruction
// suites/common/cpu_id.h uses on the C++ side, so both sides count moves
// the same way.
//
// LSL (load segment limit) of the GDT segment selector 0x7b: Linux gives
// every CPU a GDT entry GDT_ENTRY_CPUNODE (15) whose limit is
// (node << 12) | cpu (setup_getcpu(), arch/x86/kernel/cpu/common.c); the
// selector is 15*8 + RPL 3 (__CPUNODE_SEG, arch/x86/include/asm/segment.h),
// and it is how the vDSO's getcpu / vgetcpu reads the CPU without RDPID
// (vdso_read_cpunode(), same header). Not serialising (RDTSCP is), never a
// trap, no system call. The assembly is cpuid_linux_amd64.s.

import (
	"math"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// CPUReadMethod names the instruction ReadCPU uses (for the context).
const CPUReadMethod = "LSL of the per-CPU GDT segment 0x7b (the vDSO getcpu's read without RDPID)"

const (
	cpuNodeSelector = 15*8 + 3 // GDT_ENTRY_CPUNODE*8 + RPL 3 (the .s file's constant)
	cpuNodeCPUMask  = 0xfff    // VDSO_CPUNODE_BITS = 12
	sysGetcpu       = 309      // __NR_getcpu on x86-64 (Go 1.19's syscall lacks it)
)

func lslCPUNode() uint32

// ReadCPU is the CPU the caller runs on (it may have moved by the time it is
// used), or -1 when the read failed. Unchecked: see CPURead.
func ReadCPU() int {
	p := lslCPUNode()
	if p == 0xffffffff {
		return -1
	}
	return int(p & cpuNodeCPUMask)
}

// getcpu is the getcpu system call (the kernel's own answer), -1 on error.
func getcpu() int {
	var cpu uint32
	if _, _, e := syscall.RawSyscall(sysGetcpu, uintptr(unsafe.Pointer(&cpu)), 0, 0); e != 0 {
		return -1
	}
	return int(cpu)
}

// cpuMask is a sched_{get,set}affinity mask of 1024 CPUs (glibc's cpu_set_t).
type cpuMask [16]uint64

func getAffinity(m *cpuMask) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	return e == 0
}

func setAffinity(m *cpuMask) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	return e == 0
}

// allowedCPUs lists the CPUs the calling thread may run on.
func allowedCPUs() []int {
	var m cpuMask
	if !getAffinity(&m) {
		return nil
	}
	var cpus []int
	for i := 0; i < len(m)*64; i++ {
		if m[i/64]&(1<<(i%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

// pinnedCheck runs f(cpu) on an OS thread pinned to each allowed CPU in
// turn (the thread's affinity restored after); f returns "" when the CPU
// passed. It returns how many CPUs passed and the first failure.
func pinnedCheck(f func(cpu int) string) (checked int, failure string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var orig cpuMask
	if !getAffinity(&orig) {
		return 0, ""
	}
	defer setAffinity(&orig)
	for _, cpu := range allowedCPUs() {
		var one cpuMask
		one[cpu/64] = 1 << (cpu % 64)
		if !setAffinity(&one) {
			continue
		}
		if failure = f(cpu); failure != "" {
			return checked, failure
		}
		checked++
	}
	return checked, ""
}

// checkCPURead: ReadCPU must agree with the getcpu system call on every CPU
// the process may run on (pinned to each in turn), as cpu_id.h checks it
// against sched_getcpu(): otherwise the counter is unavailable, not wrong.
func checkCPURead() CPUReadStatus {
	checked, failure := pinnedCheck(func(cpu int) string {
		if os := getcpu(); os != cpu {
			return "getcpu says " + strconv.Itoa(os) + " on CPU " + strconv.Itoa(cpu)
		}
		if got := ReadCPU(); got != cpu {
			return CPUReadMethod + " says " + strconv.Itoa(got) + " on CPU " + strconv.Itoa(cpu) +
				" (getcpu agrees with the pinning)"
		}
		return ""
	})
	if failure != "" {
		return CPUReadStatus{Reason: failure}
	}
	if checked == 0 {
		// No CPU could be pinned: unpinned, where getcpu gives the same
		// answer before and after the read.
		stable := 0
		for i := 0; i < 64; i++ {
			a, got, b := getcpu(), ReadCPU(), getcpu()
			if a < 0 || a != b {
				continue
			}
			stable++
			if got != a {
				return CPUReadStatus{Reason: CPUReadMethod + " says " + strconv.Itoa(got) +
					" where getcpu says " + strconv.Itoa(a)}
			}
		}
		if stable == 0 {
			return CPUReadStatus{Reason: "could not check it against getcpu (no CPU could be pinned, " +
				"and the thread moved during every unpinned read)"}
		}
		checked = 1
	}
	return CPUReadStatus{Available: true, CPUsChecked: checked, ReadNs: timeRead()}
}

// timeRead: what one ReadCPU takes here, the fastest of a few batches (a
// preempted batch is only slower), as cpu_id.cc times read_cpu().
func timeRead() float64 {
	const batches, reads = 8, 4096
	best := math.Inf(1)
	sink := 0
	for b := 0; b < batches; b++ {
		t0 := Now()
		for i := 0; i < reads; i++ {
			sink += ReadCPU()
		}
		if ns := float64(Now()-t0) / reads; ns < best {
			best = ns
		}
	}
	if sink == -1 { // keeps the reads
		best += 1e-9
	}
	return best
}

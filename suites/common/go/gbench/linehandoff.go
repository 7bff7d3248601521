package gbench

import (
	"runtime"
	"sort"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The machine's state, as the C++ suites record it (suites/common/
// line_handoff.h; the channels peer before each run, every peer at the ends
// of each case's noise window, noise.h): one cache line's one-way hand-off between
// the first two CPUs of the process's affinity mask, by the same CAS
// ping-pong (core-to-core-latency's method), 21 samples of 20 round trips,
// the first discarded, the median. Each side runs on a goroutine locked to
// its own OS thread, pinned with sched_setaffinity; both threads get the
// original mask back before they are unlocked.

// CPUMask is a sched_{get,set}affinity mask.
type CPUMask [1024 / 64]uint64

// GetAffinity reads the calling thread's mask.
func GetAffinity(m *CPUMask) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	return e == 0
}

func setAffinity(m *CPUMask) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	return e == 0
}

func onlyCPU(c int) *CPUMask {
	var m CPUMask
	m[c/64] |= 1 << (uint(c) % 64)
	return &m
}

type paddedCell struct {
	_ [64]byte
	v uint64
	_ [64]byte
}

// handOver waits until the cell holds from, then CASes it to from+1.
func handOver(v *uint64, from uint64) {
	for {
		for atomic.LoadUint64(v) != from {
		}
		if atomic.CompareAndSwapUint64(v, from, from+1) {
			return
		}
	}
}

// ProbeLineHandoffNs returns the median one-way hand-off in ns, or false
// with fewer than two CPUs or when pinning fails.
func ProbeLineHandoffNs() (float64, bool) {
	const rounds, samples = 20, 21
	var orig CPUMask
	if !GetAffinity(&orig) {
		return 0, false
	}
	cpus := []int{}
	for c := 0; c < len(orig)*64 && len(cpus) < 2; c++ {
		if orig[c/64]&(1<<(uint(c)%64)) != 0 {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < 2 {
		return 0, false
	}
	cell := &paddedCell{}
	pongPinned := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ok := setAffinity(onlyCPU(cpus[1]))
		pongPinned <- ok
		if ok {
			for s := 0; s < samples+1; s++ {
				for i := 0; i < rounds; i++ {
					handOver(&cell.v, 2*(uint64(s)*rounds+uint64(i))+1)
				}
			}
			setAffinity(&orig)
		}
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pinned := setAffinity(onlyCPU(cpus[0]))
	if !<-pongPinned {
		setAffinity(&orig)
		<-done
		return 0, false
	}
	oneWay := make([]float64, 0, samples)
	for s := 0; s < samples+1; s++ {
		t0 := nanotime()
		for i := 0; i < rounds; i++ {
			handOver(&cell.v, 2*(uint64(s)*rounds+uint64(i)))
		}
		end := 2 * (uint64(s)*rounds + rounds)
		for atomic.LoadUint64(&cell.v) != end {
		}
		if s > 0 {
			oneWay = append(oneWay, float64(nanotime()-t0)/(2*rounds))
		}
	}
	setAffinity(&orig)
	<-done
	if !pinned {
		return 0, false
	}
	sort.Float64s(oneWay)
	return oneWay[len(oneWay)/2], true
}

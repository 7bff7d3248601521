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

// stopValue is what the pinging side stores to end the exchange early (its
// budget ran out); never a value either side waits for or CASes from, so it
// may be stored at any moment.
const stopValue = ^uint64(0)

// waitFor waits until the cell holds value; false when it holds stopValue
// or past deadline (nanotime; 0: none; the clock read every 256 spins).
func waitFor(v *uint64, value uint64, deadline int64) bool {
	for spins := 1; ; spins++ {
		x := atomic.LoadUint64(v)
		if x == value {
			return true
		}
		if x == stopValue || (deadline != 0 && spins%256 == 0 && nanotime() > deadline) {
			return false
		}
	}
}

// handOver waits until the cell holds from, then CASes it to from+1; false
// as waitFor.
func handOver(v *uint64, from uint64, deadline int64) bool {
	for {
		if !waitFor(v, from, deadline) {
			return false
		}
		if atomic.CompareAndSwapUint64(v, from, from+1) {
			return true
		}
	}
}

// The probe's budget and the samples it needs to answer, as the C++ one's
// (line_handoff.h, kProbeBudget, kProbeMinSamples).
const (
	probeBudgetNs   = 20e6
	probeMinSamples = 3
)

// processMask is the CPUs the process may run on, read once when the
// package is initialised (on the main thread, before the peer's code pins
// any), as the C++ probe takes internal/cpus.h's list read at load: a
// thread pinned later does not hide the machine's second CPU.
var processMask, processMaskOK = func() (CPUMask, bool) {
	var m CPUMask
	ok := GetAffinity(&m)
	return m, ok
}()

// ProbeLineHandoffNs returns the median one-way hand-off in ns, or false
// with fewer than two CPUs in processMask, when pinning fails, or when fewer than
// probeMinSamples samples fit in probeBudgetNs (a loaded machine).
func ProbeLineHandoffNs() (float64, bool) {
	cpus := []int{}
	for c := 0; processMaskOK && c < len(processMask)*64 && len(cpus) < 2; c++ {
		if processMask[c/64]&(1<<(uint(c)%64)) != 0 {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < 2 {
		return 0, false
	}
	oneWay, ok := lineHandoffSamples(cpus[0], cpus[1], 20, 21, probeBudgetNs)
	if !ok || len(oneWay) < probeMinSamples {
		return 0, false
	}
	sort.Float64s(oneWay)
	return oneWay[len(oneWay)/2], true
}

// lineHandoffSamples: one-way times of up to `samples` samples of `rounds`
// round trips (after a warm-up sample) between cpuA (the caller's thread)
// and cpuB (cpuA itself works: the two take turns), ending where budgetNs
// runs out, inside a sample too (0: no budget); false when pinning fails.
func lineHandoffSamples(cpuA, cpuB, rounds, samples int, budgetNs float64) ([]float64, bool) {
	// Each side pins its own locked thread and gives it its own mask back.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var orig CPUMask
	if !GetAffinity(&orig) {
		return nil, false
	}
	cell := &paddedCell{}
	pongPinned := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var mine CPUMask
		ok := GetAffinity(&mine) && setAffinity(onlyCPU(cpuB))
		pongPinned <- ok
		if ok {
		pong:
			for s := 0; s < samples+1; s++ {
				for i := 0; i < rounds; i++ {
					if !handOver(&cell.v, 2*(uint64(s*rounds+i))+1, 0) {
						break pong
					}
				}
			}
			setAffinity(&mine)
		}
		close(done)
	}()
	pinned := setAffinity(onlyCPU(cpuA))
	if !<-pongPinned {
		setAffinity(&orig)
		<-done
		return nil, false
	}
	oneWay := make([]float64, 0, samples)
	var deadline int64
	if budgetNs > 0 {
		deadline = nanotime() + int64(budgetNs)
	}
	for s := 0; s < samples+1; s++ {
		t0 := nanotime()
		whole := true
		for i := 0; i < rounds && whole; i++ {
			whole = handOver(&cell.v, 2*uint64(s*rounds+i), deadline)
		}
		// Wait for the last pong so the sample covers whole round trips.
		whole = whole && waitFor(&cell.v, 2*uint64(s*rounds+rounds), deadline)
		t1 := nanotime()
		if whole && s > 0 {
			oneWay = append(oneWay, float64(t1-t0)/(2*float64(rounds)))
		}
		// Out of time mid-sample, or between samples (waits answered
		// within 256 spins never read the clock).
		if !whole || (s < samples && deadline != 0 && t1 > deadline) {
			atomic.StoreUint64(&cell.v, stopValue) // the pong side reads it and returns
			break
		}
	}
	setAffinity(&orig)
	<-done
	return oneWay, pinned
}

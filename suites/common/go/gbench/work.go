package gbench

import (
	"sync"
	"time"
)

// Calibrated local work, the twin of suites/common/calibrated_work.h: a
// dependent integer chain, measured once (lazily, best of five rounds) in
// steps per ns. The channels and lock peers run it as their non-critical
// and critical work.

var workSink uint64

// WorkSteps runs n steps of a dependent integer chain: the multiply-add of
// calibrated_work.h's work_steps, step for step (TestWorkStepsIsTheCxxChain
// and the C++ test pin the same values).
//
//go:noinline
func WorkSteps(n uint64) uint64 {
	x := n
	for i := uint64(0); i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

var (
	calibrateOnce sync.Once
	stepsPerNs    float64
)

// StepsPerNs is this machine's measured rate (calibrated on first use).
func StepsPerNs() float64 {
	calibrateOnce.Do(func() {
		best := 0.0
		for round := 0; round < 5; round++ {
			const n = 2000000
			t0 := time.Now()
			workSink += WorkSteps(n)
			ns := float64(time.Since(t0).Nanoseconds())
			if ns > 0 && n/ns > best {
				best = n / ns
			}
		}
		if best <= 0 {
			best = 1
		}
		stepsPerNs = best
	})
	return stepsPerNs
}

// StepsFor: the steps of ns nanoseconds of work.
func StepsFor(ns float64) uint64 {
	if ns <= 0 {
		return 0
	}
	return uint64(ns*StepsPerNs() + 0.5)
}

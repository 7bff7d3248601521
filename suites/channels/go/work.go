package main

import "time"

// Calibrated local work (the twin of suites/common/calibrated_work.h): a
// dependent integer chain, measured once in steps per ns; the prodcons case
// runs workNs of it before each send and after each receive.

var workSink uint64

//go:noinline
func workSteps(n uint64) uint64 {
	x := n
	for i := uint64(0); i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

var stepsPerNs = calibrate()

func calibrate() float64 {
	best := 0.0
	for round := 0; round < 5; round++ {
		const n = 2000000
		t0 := time.Now()
		workSink += workSteps(n)
		ns := float64(time.Since(t0).Nanoseconds())
		if ns > 0 && n/ns > best {
			best = n / ns
		}
	}
	if best <= 0 {
		return 1
	}
	return best
}

func stepsFor(ns int) uint64 {
	if ns <= 0 {
		return 0
	}
	return uint64(float64(ns)*stepsPerNs + 0.5)
}

package main

import (
	_ "unsafe" // go:linkname
)

// nanotime is the runtime's monotonic clock (one vDSO clock_gettime, the
// clock C++'s std::chrono::steady_clock reads). time.Now() would read the
// wall clock too, doubling the cost of every sampled timestamp.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// nowNs: a monotonic timestamp in ns, never 0 (0 marks an unsampled message).
func nowNs() uint64 { return uint64(nanotime()) | 1 }

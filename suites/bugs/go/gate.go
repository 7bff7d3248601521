package main

import "runtime"

// gate orders two goroutines' steps without synchronizing them: open and
// wait are not instrumented (//go:norace) and use a plain field, so Go's race
// detector sees no happens-before edge through a gate (as the C++ zoo's
// relaxed atomics give ThreadSanitizer none) and reports the buggy
// versions' unsynchronized accesses as the races they are.
type gate struct{ open bool }

//go:norace
func (g *gate) Open() { g.open = true }

//go:norace
func (g *gate) IsOpen() bool { return g.open }

//go:norace
func (g *gate) Wait() {
	for !g.open {
		runtime.Gosched()
	}
}

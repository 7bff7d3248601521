package main

// The zoo: each function runs one bug as a program's main goroutine and
// returns "" or what went wrong. Same names, shapes and forced orders as
// suites/bugs/zoo/zoo.cc (read the comments there).

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

var live atomic.Int32 // zoo goroutines started by spawn and not ended

// spawn: `go f()`, counted in live.
func spawn(f func()) {
	live.Add(1)
	go func() {
		defer live.Add(-1)
		f()
	}()
}

var zoo = map[string]func(buggy bool) string{
	"mutex_abba":                 mutexAbba,
	"mutex_relock":               mutexRelock,
	"rwmutex_recursive_rlock":    rwmutexRecursiveRLock,
	"waitgroup_missing_done":     waitgroupMissingDone,
	"chan_timeout_leak":          chanTimeoutLeak,
	"chan_mutex_inversion":       chanMutexInversion,
	"context_never_cancelled":    contextNeverCancelled,
	"lost_update":                lostUpdate,
	"loop_var_capture":           loopVarCapture,
	"waitgroup_add_in_goroutine": waitgroupAddInGoroutine,
	"atomic_value_lost_update":   atomicValueLostUpdate,
	"chan_double_close":          chanDoubleClose,
	"timeout_zero_fires_at_once": timeoutZeroFiresAtOnce,
}

func mutexAbba(buggy bool) string {
	var a, b sync.Mutex
	var wg sync.WaitGroup
	var t1HoldsA, t2Ready gate
	wg.Add(2)
	spawn(func() {
		a.Lock()
		t1HoldsA.Open()
		t2Ready.Wait()
		b.Lock()
		b.Unlock()
		a.Unlock()
		wg.Done()
	})
	spawn(func() {
		t1HoldsA.Wait()
		if buggy {
			b.Lock()
			t2Ready.Open()
			a.Lock()
		} else {
			t2Ready.Open()
			a.Lock()
			b.Lock()
		}
		b.Unlock()
		a.Unlock()
		wg.Done()
	})
	wg.Wait()
	return ""
}

func mutexRelock(buggy bool) string {
	var mu sync.Mutex
	state := 0
	spawn(func() {
		mu.Lock()
		if buggy {
			mu.Lock() // helper(): locks again
			state++
			mu.Unlock()
		} else {
			state++ // helper_locked()
		}
		mu.Unlock()
	})
	return ""
}

func rwmutexRecursiveRLock(buggy bool) string {
	var rw sync.RWMutex
	var wg sync.WaitGroup
	var hasReadLock gate
	wg.Add(2)
	spawn(func() {
		rw.RLock()
		hasReadLock.Open()
		for rw.TryRLock() { // until the writer is pending
			rw.RUnlock()
			runtime.Gosched()
		}
		if buggy {
			rw.RLock()
			rw.RUnlock()
		}
		rw.RUnlock()
		wg.Done()
	})
	spawn(func() {
		hasReadLock.Wait()
		rw.Lock()
		rw.Unlock()
		wg.Done()
	})
	wg.Wait()
	return ""
}

func waitgroupMissingDone(buggy bool) string {
	var wg sync.WaitGroup
	wg.Add(2)
	for i := 0; i < 2; i++ {
		failed := i == 1
		spawn(func() {
			if buggy {
				if failed {
					return // forgot wg.Done()
				}
				wg.Done()
				return
			}
			defer wg.Done()
			if failed {
				return
			}
		})
	}
	wg.Wait()
	return ""
}

func chanTimeoutLeak(buggy bool) string {
	result := make(chan int)
	if !buggy {
		result = make(chan int, 1)
	}
	var callerGaveUp gate
	ctx, cancel := context.WithCancel(context.Background())
	spawn(func() {
		callerGaveUp.Wait()
		result <- 42
	})
	cancel() // the timeout fired
	select {
	case <-result:
	case <-ctx.Done():
	}
	callerGaveUp.Open()
	return ""
}

func chanMutexInversion(buggy bool) string {
	var mu sync.Mutex
	ch := make(chan int)
	var wg sync.WaitGroup
	var holdsMu, receiverReady gate
	wg.Add(2)
	spawn(func() {
		mu.Lock()
		holdsMu.Open()
		receiverReady.Wait()
		if buggy {
			ch <- 1
			mu.Unlock()
		} else {
			mu.Unlock()
			ch <- 1
		}
		wg.Done()
	})
	spawn(func() {
		holdsMu.Wait()
		receiverReady.Open()
		mu.Lock()
		mu.Unlock()
		<-ch
		wg.Done()
	})
	wg.Wait()
	return ""
}

func contextNeverCancelled(buggy bool) string {
	ctx, cancel := context.WithCancel(context.Background())
	spawn(func() { <-ctx.Done() })
	if !buggy {
		cancel() // defer cancel()
	}
	return ""
}

func lostUpdate(buggy bool) string {
	var mu sync.Mutex
	n := 0
	var firstRead, secondWrote gate
	var wg sync.WaitGroup // joins the program's end only; Done after every access
	wg.Add(2)
	spawn(func() {
		if !buggy {
			mu.Lock()
		}
		seen := n
		firstRead.Open()
		if buggy {
			secondWrote.Wait()
		}
		n = seen + 1
		if !buggy {
			mu.Unlock()
		}
		wg.Done()
	})
	spawn(func() {
		firstRead.Wait()
		if !buggy {
			mu.Lock()
		}
		seen := n
		n = seen + 1
		secondWrote.Open()
		if !buggy {
			mu.Unlock()
		}
		wg.Done()
	})
	wg.Wait()
	if n != 2 {
		return fmt.Sprintf("n == %d after two increments (lost update)", n)
	}
	return ""
}

func loopVarCapture(buggy bool) string {
	var mu sync.Mutex
	var seen []int
	var loopDone gate
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		if buggy {
			spawn(func() {
				loopDone.Wait()
				v := i // the one loop variable (Go < 1.22 semantics; go.mod says 1.19)
				mu.Lock()
				seen = append(seen, v)
				mu.Unlock()
				wg.Done()
			})
		} else {
			spawn(func(v int) func() {
				return func() {
					loopDone.Wait()
					mu.Lock()
					seen = append(seen, v)
					mu.Unlock()
					wg.Done()
				}
			}(i))
		}
	}
	loopDone.Open()
	wg.Wait()
	mask := 0
	for _, v := range seen {
		if v >= 0 && v < 3 {
			mask |= 1 << v
		}
	}
	if mask != 7 {
		return fmt.Sprintf("closures saw %v (want 0 1 2 in any order)", seen)
	}
	return ""
}

func waitgroupAddInGoroutine(buggy bool) string {
	var wg sync.WaitGroup
	result := 0
	var mayStart gate
	finished := make(chan struct{}) // the program's end waits for the worker
	if !buggy {
		wg.Add(1)
	}
	spawn(func() {
		mayStart.Wait()
		if buggy {
			wg.Add(1)
		}
		result = 42
		wg.Done()
		close(finished)
	})
	if !buggy {
		mayStart.Open()
	}
	wg.Wait()
	seen := result
	mayStart.Open()
	<-finished
	if seen != 42 {
		return fmt.Sprintf("main read result == %d after Wait", seen)
	}
	return ""
}

func atomicValueLostUpdate(buggy bool) string {
	var cfg atomic.Value
	cfg.Store(0)
	var firstLoaded, otherStored gate
	var wg sync.WaitGroup
	wg.Add(2)
	addFlag := func(flag int, afterLoad, beforeLoad *gate) {
		if beforeLoad != nil {
			beforeLoad.Wait()
		}
		for {
			old := cfg.Load().(int)
			if afterLoad != nil && !afterLoad.IsOpen() {
				afterLoad.Open()
				otherStored.Wait()
			}
			if buggy {
				cfg.Store(old | flag)
				break
			}
			if cfg.CompareAndSwap(old, old|flag) {
				break
			}
		}
		if beforeLoad != nil {
			otherStored.Open()
		}
		wg.Done()
	}
	spawn(func() { addFlag(1, &firstLoaded, nil) })
	spawn(func() { addFlag(2, nil, &firstLoaded) })
	wg.Wait()
	if f := cfg.Load().(int); f != 3 {
		return fmt.Sprintf("flags == %d after setting 1 and 2 (lost update)", f)
	}
	return ""
}

func chanDoubleClose(buggy bool) string {
	stop := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	panicked := ""
	var checked [2]gate
	var wg sync.WaitGroup
	wg.Add(2)
	stopper := func(mine, other *gate) {
		defer wg.Done()
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				panicked = fmt.Sprint(r)
				mu.Unlock()
			}
		}()
		if buggy {
			already := false
			select {
			case <-stop:
				already = true
			default:
			}
			mine.Open()
			other.Wait()
			if !already {
				close(stop)
			}
		} else {
			mine.Open()
			other.Wait()
			once.Do(func() { close(stop) })
		}
	}
	spawn(func() { stopper(&checked[0], &checked[1]) })
	spawn(func() { stopper(&checked[1], &checked[0]) })
	wg.Wait()
	if panicked != "" {
		return "panic: " + panicked
	}
	return ""
}

func timeoutZeroFiresAtOnce(buggy bool) string {
	const timeout = 0 // configured: 0 = none
	ctx := context.Background()
	cancel := func() {}
	if buggy || timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	}
	result := make(chan int, 1)
	var callerWaiting gate
	spawn(func() {
		callerWaiting.Wait()
		result <- 42
	})
	if !buggy {
		callerWaiting.Open()
	}
	outcome := "result"
	select {
	case <-result:
	case <-ctx.Done():
		outcome = "timed out"
	}
	callerWaiting.Open()
	cancel()
	if outcome != "result" {
		return "the call " + outcome + " with no timeout configured"
	}
	return ""
}

package main

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"

	"syncscope/gbench"
)

const (
	unroll     = 8
	flightWork = 100 * time.Microsecond // singleflight's fn: a lookup waiting on I/O
	minRounds  = 20
)

var sink atomic.Int64

func ratio(a, b float64) float64 {
	if b > 0 {
		return a / b
	}
	return 0
}

// loop: a tight single-goroutine loop sized like Google Benchmark's; body
// runs n iterations of opsPerIter ops. ns_per_op and cpu_ns_per_op.
func loop(prof gbench.Profile, opsPerIter float64, body func(n int64)) gbench.Result {
	var realS, cpuS float64
	n, _ := gbench.GrowIterations(prof.MinTime, func(k int64) float64 {
		c0, t0 := gbench.CPUNs(), gbench.Now()
		body(k)
		realS, cpuS = float64(gbench.Now()-t0)*1e-9, (gbench.CPUNs()-c0)*1e-9
		return realS
	})
	ops := float64(n) * opsPerIter
	return gbench.Result{Iterations: n, RealS: realS, CPUS: cpuS, Counters: map[string]float64{
		"ns_per_op": ratio(realS*1e9, ops), "cpu_ns_per_op": ratio(cpuS*1e9, ops)}}
}

// rounds runs round() until the run is long enough: at least minRounds,
// at least 1.2 x the profile's minimum time, at most maxRounds (overhead.cc's
// timed_rounds). Returns the rounds done and the wall seconds.
func rounds(prof gbench.Profile, round func()) (int, float64) {
	maxRounds := 20000
	if prof.Full() {
		maxRounds = 200000
	}
	runS := prof.MinTime * 1.2
	t0 := gbench.Now()
	n := 0
	for n < maxRounds && (n < minRounds || float64(gbench.Now()-t0)*1e-9 < runS) {
		round()
		n++
	}
	return n, float64(gbench.Now()-t0) * 1e-9
}

func sorted(v []float64) []float64 { sort.Float64s(v); return v }

// overhead_once: Do(f) on a Once that is already done; op = one call.
func once(prof gbench.Profile) gbench.Result {
	var o sync.Once
	calls := 0
	f := func() { calls++ }
	o.Do(f)
	r := loop(prof, unroll, func(n int64) {
		for j := int64(0); j < n; j++ {
			for u := 0; u < unroll; u++ {
				o.Do(f)
			}
		}
	})
	if calls != 1 {
		panic("sync.Once ran its function more than once")
	}
	return r
}

// overhead_wait_group: Add(1); Done(); Wait() on one goroutine; op = one cycle.
func waitGroup(prof gbench.Profile) gbench.Result {
	var wg sync.WaitGroup
	return loop(prof, 1, func(n int64) {
		for j := int64(0); j < n; j++ {
			wg.Add(1)
			wg.Done()
			wg.Wait()
		}
	})
}

// overhead_cond_broadcast: k goroutines parked in Cond.Wait on a sync.Mutex,
// one Broadcast; op = until the last waiter is awake and has re-acquired
// the lock (broadcast_rig.h's protocol: the round waits under the lock
// until all k are waiting — they release it only inside Wait — stamps t0,
// bumps the generation, unlocks, broadcasts, then waits for the k wake
// stamps).
func condBroadcast(k int, prof gbench.Profile) gbench.Result {
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	var waiting, gen int
	stop := false
	wakes := make([]int64, k)
	var woke atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mu.Lock()
			for {
				seen := gen
				waiting++
				for gen == seen && !stop {
					c.Wait()
				}
				if stop {
					mu.Unlock()
					return
				}
				wakes[i] = gbench.Now()
				mu.Unlock()
				woke.Add(1)
				mu.Lock()
			}
		}(i)
	}
	var last, first []float64
	n, s := rounds(prof, func() {
		for {
			mu.Lock()
			if waiting == k {
				break
			}
			mu.Unlock()
			runtime_Gosched()
		}
		woke.Store(0)
		waiting = 0
		t0 := gbench.Now()
		gen++
		mu.Unlock()
		c.Broadcast()
		for int(woke.Load()) < k {
			runtime_Gosched()
		}
		lo, hi := wakes[0], wakes[0]
		for _, w := range wakes {
			if w < lo {
				lo = w
			}
			if w > hi {
				hi = w
			}
		}
		last = append(last, float64(hi-t0))
		first = append(first, float64(lo-t0))
	})
	mu.Lock()
	stop = true
	mu.Unlock()
	c.Broadcast()
	wg.Wait()
	last, first = sorted(last), sorted(first)
	p50 := gbench.Percentile(last, 0.5)
	return gbench.Result{Iterations: 1, RealS: s, Counters: map[string]float64{
		"ns_per_op": p50, "last_wake_p50_ns": p50,
		"last_wake_p99_ns":  gbench.Percentile(last, 0.99),
		"first_wake_p50_ns": gbench.Percentile(first, 0.5),
		"rounds":            float64(n)}}
}

// overhead_context_cancel: a tree of WithCancel contexts below a root,
// width^depth leaves; one goroutine blocks on every leaf's Done() in turn.
// op = from just before the root's cancel until that goroutine has seen
// every leaf's Done() closed.
func contextCancel(depth, width int, prof gbench.Profile) gbench.Result {
	type tree struct {
		cancel context.CancelFunc
		leaves []context.Context
		nodes  int
	}
	build := func() *tree {
		root, cancel := context.WithCancel(context.Background())
		t := &tree{cancel: cancel} // nodes: below the root, as context_tree.h counts them
		level := []context.Context{root}
		for d := 0; d < depth; d++ {
			var next []context.Context
			for _, p := range level {
				for w := 0; w < width; w++ {
					c, cc := context.WithCancel(p)
					_ = cc // cancelled through the root
					next = append(next, c)
					t.nodes++
				}
			}
			level = next
		}
		t.leaves = level
		return t
	}
	trees := make(chan *tree)
	var receiving atomic.Bool
	var doneAt atomic.Int64
	go func() {
		for t := range trees {
			receiving.Store(true)
			for _, l := range t.leaves {
				<-l.Done()
			}
			doneAt.Store(gbench.Now())
		}
	}()
	var allDone, call []float64
	nodes, leaves := 0, 0
	n, s := rounds(prof, func() {
		t := build()
		nodes, leaves = t.nodes, len(t.leaves)
		doneAt.Store(0)
		receiving.Store(false)
		trees <- t
		for !receiving.Load() {
			runtime_Gosched()
		}
		c0 := gbench.Now()
		t.cancel()
		c1 := gbench.Now()
		var d int64
		for d = doneAt.Load(); d == 0; d = doneAt.Load() {
			runtime_Gosched()
		}
		call = append(call, float64(c1-c0))
		allDone = append(allDone, float64(d-c0))
	})
	close(trees)
	allDone, call = sorted(allDone), sorted(call)
	p50 := gbench.Percentile(allDone, 0.5)
	return gbench.Result{Iterations: 1, RealS: s, Counters: map[string]float64{
		"ns_per_op": p50, "all_done_p50_ns": p50,
		"all_done_p99_ns":    gbench.Percentile(allDone, 0.99),
		"cancel_call_p50_ns": gbench.Percentile(call, 0.5),
		"nodes":              float64(nodes), "leaves": float64(leaves), "rounds": float64(n)}}
}

// overhead_semaphore: a Weighted semaphore of size 1, Acquire(1) +
// Release(1), on t goroutines; op = one pair per goroutine; ops_per_s all.
func semaphoreCase(t int, prof gbench.Profile) gbench.Result {
	sem := semaphore.NewWeighted(1)
	ctx := context.Background()
	perNs := make([]float64, t)
	var realS, cpuS float64
	n, _ := gbench.GrowIterations(prof.MinTime, func(k int64) float64 {
		c0 := gbench.CPUNs()
		realS = gbench.Threads(t, func(i int) {
			t0 := gbench.Now()
			for j := int64(0); j < k; j++ {
				if err := sem.Acquire(ctx, 1); err != nil {
					panic(err)
				}
				sem.Release(1)
			}
			perNs[i] = float64(gbench.Now() - t0)
		})
		cpuS = (gbench.CPUNs() - c0) * 1e-9
		return realS
	})
	ns := 0.0
	for _, v := range perNs {
		ns += v / float64(t)
	}
	ops := float64(n)
	return gbench.Result{Iterations: n, RealS: realS, CPUS: cpuS, Counters: map[string]float64{
		"ns_per_op": ratio(ns, ops), "cpu_ns_per_op": ratio(cpuS*1e9, ops*float64(t)),
		"ops_per_s": ratio(ops*float64(t), realS)}}
}

// overhead_single_flight: b goroutines released at once call Do("key", fn)
// with the same key; fn sleeps 100 us. ns_per_op = median Do latency. In
// Go 1.16 and later a sleep under 1 ms on Linux lasts about 1 ms when the
// process has nothing else to do (the timer wakes through the netpoller's
// millisecond epoll timeout, golang/go#44343): Go's latency here is mostly
// that, fn_calls_per_do and shared_rate are the comparable counters.
func singleFlight(b int, prof gbench.Profile) gbench.Result {
	var g singleflight.Group
	var fnCalls, dos, shared atomic.Int64
	lat := make([][]float64, b)
	fn := func() (interface{}, error) {
		fnCalls.Add(1)
		time.Sleep(flightWork)
		return 42, nil
	}
	// b persistent goroutines; a round is one release and one join
	// (burst_rig.h's two barrier phases, with channels).
	gos := make([]chan bool, b)
	done := make(chan struct{}, b)
	for i := range gos {
		gos[i] = make(chan bool)
		go func(i int) {
			for run := range gos[i] {
				if !run {
					return
				}
				c0 := gbench.Now()
				v, _, sh := g.Do("key", fn)
				lat[i] = append(lat[i], float64(gbench.Now()-c0))
				sink.Add(int64(v.(int)))
				dos.Add(1)
				if sh {
					shared.Add(1)
				}
				done <- struct{}{}
			}
		}(i)
	}
	n, s := rounds(prof, func() {
		for _, c := range gos {
			c <- true
		}
		for range gos {
			<-done
		}
	})
	for _, c := range gos {
		close(c)
	}
	var all []float64
	for _, l := range lat {
		all = append(all, l...)
	}
	all = sorted(all)
	d := float64(dos.Load())
	return gbench.Result{Iterations: 1, RealS: s, Counters: map[string]float64{
		"fn_calls_per_do":       ratio(float64(fnCalls.Load()), d),
		"ideal_fn_calls_per_do": 1 / float64(b),
		"shared_rate":           ratio(float64(shared.Load()), d),
		"ns_per_op":             gbench.Percentile(all, 0.5),
		"do_p99_ns":             gbench.Percentile(all, 0.99),
		"rounds":                float64(n)}}
}

var errLost = errors.New("errgroup lost a task")

// overhead_err_group: tasks trivial functions started with Go and waited
// for; op = one task.
func errGroup(tasks int, prof gbench.Profile) gbench.Result {
	var ran atomic.Int64
	var ops int64
	r := loop(prof, float64(tasks), func(n int64) {
		for j := int64(0); j < n; j++ {
			var g errgroup.Group
			for i := 0; i < tasks; i++ {
				g.Go(func() error { ran.Add(1); return nil })
			}
			if err := g.Wait(); err != nil {
				panic(err)
			}
			ops += int64(tasks)
		}
	})
	if ran.Load() != ops {
		panic(errLost)
	}
	return r
}

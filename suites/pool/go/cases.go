package main

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"syncscope/gbench"
)

// Sizes: suites/pool/pool.cc's constants.
const (
	overflowBatch = 100 // Go's BenchmarkPoolOverflow: 100 puts, 100 gets
	starveGets    = 100 // Go's BenchmarkPoolStarvation: count
	starvePuts    = 67  // count - 33 %
	chanCap       = 64  // cross-thread channel capacity
	checkedOut    = 100 // expensive New: objects per goroutine per round
	roundsPerGc   = 10  // expensive New
)

// item is the suite's Item: 64 bytes, one allocation.
type item struct{ payload [8]uint64 }

// sink keeps results alive (the compiler cannot drop what is stored here).
var sink atomic.Uint64

// counted is a sync.Pool whose New counts what it makes.
type counted struct {
	sync.Pool
	news atomic.Uint64
}

func newCounted(expensive bool) *counted {
	c := &counted{}
	c.New = func() interface{} {
		c.news.Add(1)
		if expensive && !warming.Load() {
			time.Sleep(time.Millisecond) // go#22950's expensive New
		}
		return new(item)
	}
	return c
}

// warming: while set, the expensive New does not sleep (the warm-up fills
// the pool the way a long-running program would have).
var warming atomic.Bool

// meter: the process's clocks and counters, and the pool's News, around a
// run.
type meter struct {
	t       int64
	cpu     float64
	mallocs uint64
	gcs     uint32
	news    uint64
}

func now(p *counted) meter {
	m, g := gbench.Mallocs()
	return meter{t: gbench.Now(), cpu: gbench.CPUNs(), mallocs: m, gcs: g, news: p.news.Load()}
}

func ratio(a, b float64) float64 {
	if b > 0 {
		return a / b
	}
	return 0
}

// symmetric: the counters of a family where each of `threads` goroutines
// does opsPerThread ops, all of them gets (report_symmetric in pool.cc).
// perThreadNs is each goroutine's own wall time, averaged. The News and
// allocations of the goroutines' set-up (their first Get) are in the
// window: at most one per goroutine per run.
func symmetric(a, b meter, perThreadNs, opsPerThread float64, threads int) map[string]float64 {
	ops := opsPerThread * float64(threads)
	news := float64(b.news - a.news)
	return map[string]float64{
		"ns_per_op":        ratio(perThreadNs, opsPerThread),
		"cpu_ns_per_op":    ratio(b.cpu-a.cpu, ops),
		"ops_per_s":        ratio(ops, float64(b.t-a.t)*1e-9),
		"news_per_op":      ratio(news, ops),
		"hit_rate":         1 - ratio(news, ops),
		"allocs_per_op":    ratio(float64(b.mallocs-a.mallocs), ops),
		"gc_cycles":        float64(b.gcs - a.gcs),
		"gc_cycles_per_op": ratio(float64(b.gcs-a.gcs), ops),
	}
}

// threaded runs body(i, n) on t goroutines with Google Benchmark's sizing
// (each goroutine does n iterations; the run's wall time grows to the
// minimum time); returns the last run's result with symmetric counters,
// opsPerIter ops (all gets) per iteration.
func threaded(t int, prof gbench.Profile, p *counted, opsPerIter float64, body func(n int64)) gbench.Result {
	perThread := make([]int64, t)
	var a, b meter
	n, _ := gbench.GrowIterations(prof.MinTime, func(k int64) float64 {
		a = now(p)
		s := gbench.Threads(t, func(i int) {
			t0 := gbench.Now()
			body(k)
			perThread[i] = gbench.Now() - t0
		})
		b = now(p)
		return s
	})
	ns := 0.0
	for _, v := range perThread {
		ns += float64(v) / float64(t)
	}
	return gbench.Result{Iterations: n, RealS: float64(b.t-a.t) * 1e-9, CPUS: (b.cpu - a.cpu) * 1e-9,
		Counters: symmetric(a, b, ns, float64(n)*opsPerIter, t)}
}

// pool_put_get: Go's BenchmarkPool; op = one Put + Get.
func putGet(t int, prof gbench.Profile) gbench.Result {
	p := newCounted(false)
	return threaded(t, prof, p, 1, func(k int64) {
		obj := p.Get().(*item)
		for j := int64(0); j < k; j++ {
			p.Put(obj)
			obj = p.Get().(*item)
		}
		p.Put(obj)
	})
}

// pool_overflow: Go's BenchmarkPoolOverflow, 100 Puts then 100 Gets per
// iteration; op = one Put + Get.
func overflow(t int, prof gbench.Profile) gbench.Result {
	p := newCounted(false)
	return threaded(t, prof, p, overflowBatch, func(k int64) {
		var held [overflowBatch]*item
		for i := range held {
			held[i] = p.Get().(*item)
		}
		for j := int64(0); j < k; j++ {
			for _, o := range held {
				p.Put(o)
			}
			for i := range held {
				held[i] = p.Get().(*item)
			}
		}
		for _, o := range held {
			p.Put(o)
		}
	})
}

// pool_starvation: Go's BenchmarkPoolStarvation, 67 Puts then 100 Gets per
// iteration; the 33 extra objects become garbage; op = one Get.
func starvation(t int, prof gbench.Profile) gbench.Result {
	p := newCounted(false)
	return threaded(t, prof, p, starveGets, func(k int64) {
		var held [starveGets]*item
		for i := 0; i < starvePuts; i++ {
			held[i] = p.Get().(*item)
		}
		for j := int64(0); j < k; j++ {
			for i := 0; i < starvePuts; i++ {
				p.Put(held[i])
			}
			for i := range held {
				held[i] = p.Get().(*item)
			}
		}
		for i := 0; i < starvePuts; i++ {
			p.Put(held[i])
		}
	})
}

// pool_cross_thread: goroutine 0 Gets an object and sends it through a
// chan (capacity 64), goroutine 1 receives it and Puts it back; op = one
// object passed. ns_per_op per goroutine (averaged), news/hit rate of the
// producer's Gets.
func crossThread(prof gbench.Profile) gbench.Result {
	p := newCounted(false)
	perThread := make([]int64, 2)
	var a, b meter
	n, _ := gbench.GrowIterations(prof.MinTime, func(k int64) float64 {
		ch := make(chan *item, chanCap)
		var got uint64
		a = now(p)
		s := gbench.Threads(2, func(i int) {
			t0 := gbench.Now()
			if i == 0 {
				for j := int64(0); j < k; j++ {
					o := p.Get().(*item)
					o.payload[0] = uint64(j)
					ch <- o
				}
			} else {
				for j := int64(0); j < k; j++ {
					o := <-ch
					got += o.payload[0]
					p.Put(o)
				}
			}
			perThread[i] = gbench.Now() - t0
		})
		b = now(p)
		sink.Add(got)
		return s
	})
	ops := float64(n)
	news := float64(b.news - a.news)
	return gbench.Result{Iterations: n, RealS: float64(b.t-a.t) * 1e-9, CPUS: (b.cpu - a.cpu) * 1e-9,
		Counters: map[string]float64{
			"ns_per_op":     ratio(float64(perThread[0]+perThread[1])/2, ops),
			"cpu_ns_per_op": ratio(b.cpu-a.cpu, 2*ops),
			"allocs_per_op": ratio(float64(b.mallocs-a.mallocs), ops),
			"ops_per_s":     ratio(ops, float64(b.t-a.t)*1e-9),
			"news_per_op":   ratio(news, ops),
			"hit_rate":      1 - ratio(news, ops),
			"gc_cycles":     float64(b.gcs - a.gcs),
		}}
}

// pool_expensive_new: go#22950's BenchmarkPoolExpensiveNew. New sleeps
// 1 ms; each of n goroutines checks 100 objects out and returns them per
// round; goroutine 0 runs runtime.GC() every 10 rounds (where the C++ side
// calls Peer::gc(), i.e. trim()). At most maxRounds rounds or maxS seconds.
func expensiveNew(threads int, prof gbench.Profile) gbench.Result {
	maxRounds, maxS := 40, 0.15
	if prof.Full() {
		maxRounds, maxS = 200, 2.0
	}
	p := newCounted(true)
	// Warm-up: the objects a long-running program would already have.
	warming.Store(true)
	gbench.Threads(threads, func(int) {
		var held [checkedOut]*item
		for i := range held {
			held[i] = p.Get().(*item)
		}
		for _, o := range held {
			p.Put(o)
		}
	})
	warming.Store(false)
	perNs := make([]float64, threads)
	rounds := make([]int, threads)
	var gcs int
	a := now(p)
	s := gbench.Threads(threads, func(t int) {
		var held [checkedOut]*item
		t0 := gbench.Now()
		for r := 0; r < maxRounds; r++ {
			if float64(gbench.Now()-t0)*1e-9 >= maxS {
				break
			}
			for i := range held {
				held[i] = p.Get().(*item)
			}
			for _, o := range held {
				p.Put(o)
			}
			rounds[t]++
			if t == 0 && (r+1)%roundsPerGc == 0 {
				runtime.GC()
				gcs++
			}
		}
		perNs[t] = float64(gbench.Now() - t0)
	})
	b := now(p)
	gets, nsPerOp := 0.0, 0.0
	for t := 0; t < threads; t++ {
		g := float64(rounds[t] * checkedOut)
		gets += g
		nsPerOp += ratio(perNs[t], g) / float64(threads)
	}
	news := float64(b.news - a.news)
	return gbench.Result{Iterations: 1, RealS: s, CPUS: (b.cpu - a.cpu) * 1e-9,
		Counters: map[string]float64{
			"ns_per_op":     nsPerOp,
			"news_per_op":   ratio(news, gets),
			"hit_rate":      1 - ratio(news, gets),
			"allocs_per_op": ratio(float64(b.mallocs-a.mallocs), gets),
			"gets":          gets,
			"gcs":           float64(gcs),
			"gc_cycles":     float64(b.gcs - a.gcs),
			"trims_per_gc":  1,
		}}
}

// pool_victim: get 1000, put 1000, then one GC per iteration
// (runtime.GC() where the C++ side calls trim() once).
func victim(held int, prof gbench.Profile) gbench.Result {
	p := newCounted(false)
	objs := make([]*item, held)
	cycle := func() {
		for i := range objs {
			objs[i] = p.Get().(*item)
		}
		for _, o := range objs {
			p.Put(o)
		}
		runtime.GC()
	}
	cycle() // warm-up: the pool holds its objects
	var a, b meter
	n, _ := gbench.GrowIterations(prof.MinTime, func(k int64) float64 {
		a = now(p)
		for j := int64(0); j < k; j++ {
			cycle()
		}
		b = now(p)
		return float64(b.t-a.t) * 1e-9
	})
	cycles := float64(n)
	gets := cycles * float64(held)
	news := float64(b.news - a.news)
	allocs := float64(b.mallocs - a.mallocs)
	return gbench.Result{Iterations: n, RealS: float64(b.t-a.t) * 1e-9, CPUS: (b.cpu - a.cpu) * 1e-9,
		Counters: map[string]float64{
			"ns_per_op":        ratio(float64(b.t-a.t), gets),
			"cpu_ns_per_op":    ratio(b.cpu-a.cpu, gets),
			"allocs_per_cycle": ratio(allocs, cycles),
			"allocs_per_op":    ratio(allocs, gets),
			"news_per_cycle":   ratio(news, cycles),
			"news_per_op":      ratio(news, gets),
			"hit_rate":         1 - ratio(news, gets),
			"trims_per_gc":     1,
		}}
}

// pool_trim_pause: objects Put, then two GC cycles, each timed: the first
// moves them to the victim cache, the second drops them (as the C++ side's
// two trim() calls). A GC cycle is more than poolCleanup (marking and
// sweeping the heap), which is part of what Go's way costs.
func trimPause(objects int, prof gbench.Profile) gbench.Result {
	samples := 20
	if prof.Full() {
		samples = 100
	}
	p := newCounted(false)
	var swap, free []float64
	t0 := gbench.Now()
	for s := 0; s < samples; s++ {
		for i := 0; i < objects; i++ {
			p.Put(new(item))
		}
		c0 := gbench.Now()
		runtime.GC()
		c1 := gbench.Now()
		runtime.GC()
		c2 := gbench.Now()
		swap = append(swap, float64(c1-c0))
		free = append(free, float64(c2-c1))
	}
	real := float64(gbench.Now()-t0) * 1e-9
	sort.Float64s(swap)
	sort.Float64s(free)
	return gbench.Result{Iterations: 1, RealS: real, CPUS: 0,
		Counters: map[string]float64{
			"trim_free_p50_ns": gbench.Percentile(free, 0.50),
			"trim_free_p95_ns": gbench.Percentile(free, 0.95),
			"trim_free_max_ns": free[len(free)-1],
			"trim_swap_p50_ns": gbench.Percentile(swap, 0.50),
			"trim_swap_p95_ns": gbench.Percentile(swap, 0.95),
			"samples":          float64(samples),
		}}
}

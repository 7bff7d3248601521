// Command goroutines_go is the Go peer of the syncscope `goroutines` suite:
// the suite's cases (suites/goroutines/goroutines.cc) with the Go runtime's
// own goroutines, WaitGroup and chans, written in the shape Google
// Benchmark gives the C++ entries (impl:go_runtime for the runtime's costs,
// impl:go_chan for channels), so that they sit in the same goroutines.json.
//
// Usage (suites/goroutines/peer.sh runs it, or the suite serves it):
//
//	goroutines_go [-serve] -out GO.json [-profile quick|full] [-gomaxprocs N]
//
// Without -serve it runs every case, one after the other. With -serve
// (issue 11) the suite runs it as its child and, after each benchmark,
// sends that benchmark's rows on stdin (suites/common/served_peer.h): the
// case whose C++ twin that row is (cases, below) runs at once and its row
// names are the answer on stdout; at EOF the cases no request named run
// too, so the output always holds every case.
//
// Every case: `repetitions` repetitions (quick 3, full 10), each looping
// batches until the profile's minimum time (quick 0.05 s, full 0.5 s) has
// passed; per repetition an "iteration" entry, then a "median" aggregate,
// with ns_per_op (and the case's other counters) as top-level numbers.
// Each case's rows carry the noise_* fields of its own window (its
// repetitions back to back; gbench.CaseNoise, as the gbench peers' rows),
// and the context the peer's noise record, goroutines_go_noise: the sum of
// the case windows when served (gbench.ServedNoise: the suite's own
// benchmarks between them are in none), the whole replay otherwise
// (gbench.Noise).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"syncscope/gbench"
)

type entry map[string]interface{}

var (
	reps    = 3
	minTime = 50 * time.Millisecond
	procs   = runtime.NumCPU()
	out     []entry
	// windows: each case's noise window, [start, end], in the order run.
	windows [][2]gbench.NoiseSample
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "goroutines_go: error: "+format+"\n", a...)
	os.Exit(2)
}

// record adds one repetition's entry; counters holds ns_per_op & co.
func record(name string, rep int, iters int64, realNs float64, counters map[string]float64) {
	e := entry{"name": name, "run_name": name, "run_type": "iteration", "repetitions": reps,
		"repetition_index": rep, "threads": 1, "iterations": iters, "real_time": realNs,
		"cpu_time": realNs, "time_unit": "ns"}
	for k, v := range counters {
		e[k] = v
	}
	out = append(out, e)
}

// aggregate appends the median of every numeric key of name's iterations.
func aggregate(name string) {
	var its []entry
	for _, e := range out {
		if e["run_name"] == name && e["run_type"] == "iteration" {
			its = append(its, e)
		}
	}
	if len(its) == 0 {
		return
	}
	med := entry{"name": name + "_median", "run_name": name, "run_type": "aggregate",
		"aggregate_name": "median", "repetitions": reps, "threads": 1, "time_unit": "ns"}
	for k, v := range its[0] {
		if _, ok := v.(float64); !ok || k == "repetition_index" {
			continue
		}
		var xs []float64
		for _, e := range its {
			xs = append(xs, e[k].(float64))
		}
		sort.Float64s(xs)
		n := len(xs)
		if n%2 == 1 {
			med[k] = xs[n/2]
		} else {
			med[k] = (xs[n/2-1] + xs[n/2]) / 2
		}
	}
	out = append(out, med)
}

// timed runs batch (which does `ops` operations) until minTime has passed;
// returns batches run, total ns, ns per op.
func timed(ops int, batch func()) (int64, float64, float64) {
	var n int64
	start := time.Now()
	for {
		batch()
		n++
		if time.Since(start) >= minTime {
			break
		}
	}
	total := float64(time.Since(start).Nanoseconds())
	return n, total, total / (float64(n) * float64(ops))
}

func spawnJoin() {
	const tasks = 1000
	runtime.GOMAXPROCS(procs)
	name := "goroutines_spawn_join/impl:go_runtime/tasks:" + strconv.Itoa(tasks) + "/manual_time"
	for r := 0; r < reps; r++ {
		n, total, per := timed(tasks, func() {
			var wg sync.WaitGroup
			wg.Add(tasks)
			for i := 0; i < tasks; i++ {
				go func() { wg.Done() }()
			}
			wg.Wait()
		})
		record(name, r, n, total/float64(n), map[string]float64{"ns_per_op": per, "gomaxprocs": float64(procs)})
	}
	aggregate(name)
}

func switchCost() {
	const batch = 1000
	runtime.GOMAXPROCS(1)
	name := "goroutines_switch/impl:go_runtime/manual_time"
	var stop int32
	done := make(chan struct{})
	go func() {
		for atomic.LoadInt32(&stop) == 0 {
			runtime.Gosched()
		}
		close(done)
	}()
	for r := 0; r < reps; r++ {
		n, total, per := timed(batch, func() {
			for i := 0; i < batch; i++ {
				runtime.Gosched()
			}
		})
		// two switches per Gosched of this goroutine (see the C++ case)
		record(name, r, n, total/float64(n), map[string]float64{"ns_per_op": per / 2, "gomaxprocs": 1})
	}
	atomic.StoreInt32(&stop, 1)
	<-done
	aggregate(name)
}

func unpark(cross bool) {
	const batch = 200
	p := 1
	label := "same"
	if cross {
		p, label = 2, "cross"
	}
	runtime.GOMAXPROCS(p)
	name := "goroutines_unpark/impl:go_runtime/p:" + label + "/manual_time"
	wake := make(chan int64, 1)
	back := make(chan int, 1)
	var seen, latency int64
	var waiting int32
	done := make(chan struct{})
	go func() {
		for {
			atomic.StoreInt32(&waiting, 1)
			t0 := <-wake
			t1 := time.Now().UnixNano()
			if t0 < 0 {
				break
			}
			atomic.StoreInt64(&latency, t1-t0)
			if cross {
				atomic.AddInt64(&seen, 1)
			} else {
				back <- 1
			}
		}
		close(done)
	}()
	var samples []int64
	var k int64
	for r := 0; r < reps; r++ {
		var sum int64
		var n int64
		start := time.Now()
		for time.Since(start) < minTime {
			for i := 0; i < batch; i++ {
				if cross {
					// wait until the wakee is about to block in its receive
					for atomic.LoadInt64(&seen) != k || atomic.LoadInt32(&waiting) == 0 {
					}
					atomic.StoreInt32(&waiting, 0)
					runtime.Gosched() // gives it its chance to park if it shares our P
				}
				wake <- time.Now().UnixNano()
				k++
				if cross {
					for atomic.LoadInt64(&seen) != k {
					}
				} else {
					<-back
				}
				l := atomic.LoadInt64(&latency)
				sum += l
				if len(samples) < 1<<16 {
					samples = append(samples, l)
				}
			}
			n++
		}
		per := float64(sum) / float64(n*batch)
		record(name, r, n, float64(sum)/float64(n), map[string]float64{"ns_per_op": per, "gomaxprocs": float64(p)})
	}
	wake <- -1
	<-done
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	for i := range out {
		if out[i]["run_name"] == name && len(samples) > 0 {
			out[i]["p50_ns"] = float64(samples[len(samples)/2])
			out[i]["p99_ns"] = float64(samples[len(samples)*99/100])
		}
	}
	aggregate(name)
}

func rssBytes() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		fail("reading /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	v, _ := strconv.ParseFloat(f[1], 64)
	return v * float64(os.Getpagesize())
}

func parkedMemory() {
	const n = 100000
	runtime.GOMAXPROCS(procs)
	name := "goroutines_parked_memory/impl:go_runtime/n:" + strconv.Itoa(n) + "/manual_time"
	memReps := 1
	if reps > 3 {
		memReps = 3
	}
	for r := 0; r < memReps; r++ {
		runtime.GC()
		gate := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(n)
		before := rssBytes()
		start := time.Now()
		for i := 0; i < n; i++ {
			go func() { <-gate; wg.Done() }()
		}
		for runtime.NumGoroutine() < n+1 {
			time.Sleep(time.Millisecond)
		}
		after := rssBytes()
		el := float64(time.Since(start).Nanoseconds())
		close(gate)
		wg.Wait()
		record(name, r, 1, el, map[string]float64{"rss_per_g_bytes": (after - before) / n, "n": n, "gomaxprocs": float64(procs)})
	}
	aggregate(name)
}

func chanCase(pingpong bool) {
	const batch = 1000
	runtime.GOMAXPROCS(procs)
	c := "spsc"
	if pingpong {
		c = "pingpong"
	}
	name := "goroutines_chan/impl:go_chan/case:" + c + "/cap:0/manual_time"
	a, b := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		for v := range a {
			if pingpong {
				b <- v
			}
		}
		close(done)
	}()
	msgs := batch
	if pingpong {
		msgs = 2 * batch
	}
	for r := 0; r < reps; r++ {
		n, total, per := timed(msgs, func() {
			for i := 0; i < batch; i++ {
				a <- i
				if pingpong {
					<-b
				}
			}
		})
		record(name, r, n, total/float64(n), map[string]float64{"ns_per_op": per, "gomaxprocs": float64(procs)})
	}
	close(a)
	<-done
	aggregate(name)
}

// goCase is one of the peer's cases and the C++ row it twins (a run_name
// prefix): in serve mode it runs right after that row's benchmark.
type goCase struct {
	twin string
	run  func()
}

// cases, in the order the replay runs them (the suite's order).
var cases = []goCase{
	{"goroutines_spawn_join/impl:goroutine/", spawnJoin},
	{"goroutines_switch/impl:gosched/", switchCost},
	{"goroutines_unpark/impl:goroutine/p:same/", func() { unpark(false) }},
	{"goroutines_unpark/impl:goroutine/p:cross/", func() { unpark(true) }},
	{"goroutines_parked_memory/impl:goroutine/", parkedMemory},
	{"goroutines_chan/impl:Chan/case:spsc/", func() { chanCase(false) }},
	{"goroutines_chan/impl:Chan/case:pingpong/", func() { chanCase(true) }},
}

// runCase runs cases[i] once, gives the rows it added its noise window,
// and returns their names.
func runCase(i int, done []bool) []string {
	done[i] = true
	first := len(out)
	start := gbench.SampleNoiseAndState()
	cases[i].run()
	end := gbench.SampleNoiseAndState()
	windows = append(windows, [2]gbench.NoiseSample{start, end})
	for k, v := range gbench.CaseNoise(start, end) {
		for _, e := range out[first:] {
			e[k] = v
		}
	}
	var names []string
	for _, e := range out[first:] {
		if e["run_type"] == "iteration" && (len(names) == 0 || names[len(names)-1] != e["name"]) {
			names = append(names, e["name"].(string))
		}
	}
	return names
}

// serve answers the suite's requests (gbench.ServeLines): a request whose
// row twins a case not yet run runs it now; at EOF the cases no request
// named run too, so the output holds every case as a replay's does.
func serve(in io.Reader, w io.Writer) error {
	done := make([]bool, len(cases))
	ready := fmt.Sprintf("goroutines_go: the Go runtime's goroutines and chans on the goroutines suite's requests; %s %s/%s, GOMAXPROCS=%d",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, procs)
	err := gbench.ServeLines(in, w, ready, func(rows []map[string]interface{}) ([]string, error) {
		ran := []string{}
		for _, row := range rows {
			name, _ := row["run_name"].(string)
			for i, c := range cases {
				if !done[i] && strings.HasPrefix(name, c.twin) {
					ran = append(ran, runCase(i, done)...)
				}
			}
		}
		return ran, nil
	})
	if err != nil {
		return err
	}
	for i := range cases {
		if !done[i] {
			runCase(i, done)
		}
	}
	return nil
}

func main() {
	outPath := flag.String("out", "", "output JSON")
	profile := flag.String("profile", "quick", "quick or full")
	gmp := flag.Int("gomaxprocs", runtime.NumCPU(), "P's for the multi-P cases")
	serveFlag := flag.Bool("serve", false, "run each case when the suite asks for it (requests on "+
		"stdin, answers on stdout; the suite runs this peer as its child) instead of all at once")
	flag.Parse()
	switch *profile {
	case "quick":
	case "full":
		reps, minTime = 10, 500*time.Millisecond
	default:
		fail("unknown profile '%s' (valid: quick, full)", *profile)
	}
	if *outPath == "" {
		fail("-out is required (valid: a path for the JSON output)")
	}
	if *gmp < 1 {
		fail("-gomaxprocs %d (valid: 1 or more)", *gmp)
	}
	procs = *gmp
	mode := gbench.PeerModeReplayed
	var noise map[string]interface{}
	if *serveFlag {
		mode = gbench.PeerModeServed
		if err := serve(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines_go: error: %v\n", err)
			os.Exit(1)
		}
		noise = gbench.ServedNoise(windows)
	} else {
		before := gbench.SampleNoiseAndState()
		done := make([]bool, len(cases))
		for i := range cases {
			runCase(i, done)
		}
		noise = gbench.Noise(before, gbench.SampleNoiseAndState())
		noise["per_benchmark"] = "recorded: each case's rows carry the noise_* fields of its own " +
			"window (its repetitions back to back)"
	}
	doc := map[string]interface{}{
		"context": map[string]interface{}{"goroutines_peer_go": runtime.Version(),
			"goroutines_peer_mode": mode, "goroutines_go_noise": noise},
		"benchmarks": out,
	}
	if err := gbench.WriteJSON(*outPath, doc); err != nil {
		fail("writing %s: %v", *outPath, err)
	}
}

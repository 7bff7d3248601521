package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"syncscope/gbench"
	"syncscope/hist"
)

// The cases of suites/channels/cases.h, written with goroutines and chans.
// Each body mirrors its C++ twin line for line: the same split of units
// between producers and consumers, the same sampling of timestamps (one
// message in sampleEvery), the same start gate and clock.

const (
	sampleEvery = 16 // power of two, as kSampleEvery
	selectWays  = 4  // channels per select, as kSelectWays
	closeSettle = time.Millisecond
	// runOnSettleNs: how long the handoff_runon sender waits after the
	// receiver announced itself before it sends, as kRunOnSettleNs.
	runOnSettleNs = 200_000
)

// msg is a message of 8, 64 or 1024 bytes; element 0 carries the send
// timestamp of a sampled message (0 otherwise).
type msg interface {
	[1]uint64 | [8]uint64 | [128]uint64
}

type caseSpec struct {
	kind      string // seq spsc mpsc mpmc select_rx select_both pingpong prodcons try_recv popular close handoff_runon
	capacity  int
	msgBytes  int
	threads   int
	producers int
	consumers int
	workNs    int    // prodcons: each side, per message; handoff_runon: after each send
	neighbour bool   // .../neighbour:busy: the noisy neighbour runs (neighbour.go)
	model     string // "" (threads) or "goroutine": Chan's rows; only "" is replayed
}

type slot struct {
	hist    *hist.Histogram
	sink    uint64
	finish  uint64
	spansNs float64
	_       [64]byte // keep slots on separate lines
}

type outcome struct {
	wallS, measuredS  float64
	units, messages   uint64
	hist              *hist.Histogram
	cpuS, ctxSwitches float64
	// runDelayS: the run delay of every thread of this process over the run
	// (time runnable, waiting for a CPU; the C++ suite's
	// common/run_delay.h); haveRunDelay false where schedstat is unreadable.
	runDelayS    float64
	haveRunDelay bool
	// lineHandoffNs: the machine's state just before the run
	// (gbench.ProbeLineHandoffNs); haveLineHandoff false with one CPU.
	lineHandoffNs   float64
	haveLineHandoff bool
	sink            uint64
}

func messagesOf(c caseSpec, units uint64) uint64 {
	switch c.kind {
	case "pingpong":
		return 2 * units
	case "popular":
		return units * uint64(c.consumers)
	}
	return units
}

func makeMsg[M msg](k uint64) M {
	var m M
	if k&(sampleEvery-1) == 0 {
		m[0] = nowNs()
	}
	return m
}

func take[M msg](s *slot, m *M) {
	t := (*m)[0]
	if t != 0 {
		s.hist.Record(nowNs() - t)
	}
	s.sink += t
}

func rusageNow() (cpu float64, csw float64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
	return cpu, float64(ru.Nvcsw + ru.Nivcsw)
}

// runDelayNow sums the second field of /proc/self/task/*/schedstat (ns a
// thread spent runnable but not on a CPU) over this process's live threads
// (the Go runtime's M's outlive a run); ok is false where it cannot be read.
func runDelayNow() (ns uint64, ok bool) {
	if _, err := os.Stat("/proc/thread-self/schedstat"); err != nil {
		return 0, false
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue // exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) != 3 {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			ns += v
		}
	}
	return ns, true
}

// runTeam runs body(i, slot) on n goroutines released together; the clock
// runs from the release to the last one's finish.
func runTeam(n int, body func(i int, s *slot)) outcome {
	handoff, haveHandoff := gbench.ProbeLineHandoffNs() // before the parties exist
	slots := make([]*slot, n)
	for i := range slots {
		slots[i] = &slot{hist: hist.New()}
	}
	var ready int32
	var gate int32
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			s := slots[i]
			atomic.AddInt32(&ready, 1)
			for atomic.LoadInt32(&gate) == 0 {
				runtime.Gosched()
			}
			body(i, s)
			s.finish = nowNs()
		}(i)
	}
	for atomic.LoadInt32(&ready) < int32(n) {
		runtime.Gosched()
	}
	rd0, ok0 := runDelayNow()
	cpu0, csw0 := rusageNow()
	t0 := nowNs()
	atomic.StoreInt32(&gate, 1)
	wg.Wait()
	cpu1, csw1 := rusageNow()
	rd1, ok1 := runDelayNow()
	o := outcome{hist: hist.New(), lineHandoffNs: handoff, haveLineHandoff: haveHandoff}
	if ok0 && ok1 && rd1 >= rd0 {
		o.haveRunDelay = true
		o.runDelayS = float64(rd1-rd0) * 1e-9
	}
	last := t0
	for _, s := range slots {
		if s.finish > last {
			last = s.finish
		}
		o.hist.Merge(s.hist)
		o.sink += s.sink
		o.measuredS += s.spansNs * 1e-9
	}
	o.wallS = float64(last-t0) * 1e-9
	o.cpuS = cpu1 - cpu0
	o.ctxSwitches = csw1 - csw0
	return o
}

func runSeq[M msg](c caseSpec, units uint64) outcome {
	ch := make(chan M, c.capacity)
	batch := uint64(c.capacity)
	return runTeam(1, func(_ int, s *slot) {
		for k := uint64(0); k < units; {
			b := batch
			if units-k < b {
				b = units - k
			}
			for j := uint64(0); j < b; j++ {
				ch <- makeMsg[M](k + j)
			}
			for j := uint64(0); j < b; j++ {
				m := <-ch
				take(s, &m)
			}
			k += b
		}
	})
}

// spsc, mpsc, mpmc, prodcons: producers [0, P), consumers [P, P+C).
func runTransfer[M msg](c caseSpec, units uint64) outcome {
	ch := make(chan M, c.capacity)
	p := c.producers
	perProducer := units / uint64(c.producers)
	perConsumer := units / uint64(c.consumers)
	work := gbench.StepsFor(float64(c.workNs))
	return runTeam(c.producers+c.consumers, func(i int, s *slot) {
		if i < p {
			for k := uint64(0); k < perProducer; k++ {
				if work != 0 {
					s.sink += gbench.WorkSteps(work)
				}
				ch <- makeMsg[M](k)
			}
		} else {
			for k := uint64(0); k < perConsumer; k++ {
				m := <-ch
				take(s, &m)
				if work != 0 {
					s.sink += gbench.WorkSteps(work)
				}
			}
		}
	})
}

func runSelect[M msg](c caseSpec, units uint64) outcome {
	c0, c1, c2, c3 := make(chan M, c.capacity), make(chan M, c.capacity), make(chan M, c.capacity), make(chan M, c.capacity)
	chs := [selectWays]chan M{c0, c1, c2, c3}
	both := c.kind == "select_both"
	perProducer := units / selectWays
	perConsumer := units
	if both {
		perConsumer = units / selectWays
	}
	return runTeam(c.threads, func(i int, s *slot) {
		if i < selectWays {
			for k := uint64(0); k < perProducer; k++ {
				m := makeMsg[M](k)
				if both {
					select {
					case c0 <- m:
					case c1 <- m:
					case c2 <- m:
					case c3 <- m:
					}
				} else {
					chs[i] <- m
				}
			}
		} else {
			for k := uint64(0); k < perConsumer; k++ {
				var m M
				select {
				case m = <-c0:
				case m = <-c1:
				case m = <-c2:
				case m = <-c3:
				}
				take(s, &m)
			}
		}
	})
}

func runPingPong[M msg](c caseSpec, units uint64) outcome {
	ping, pong := make(chan M, c.capacity), make(chan M, c.capacity)
	return runTeam(2, func(i int, s *slot) {
		if i == 0 {
			for r := uint64(0); r < units; r++ {
				var t uint64
				if r&(sampleEvery-1) == 0 {
					t = nowNs()
				}
				var m M
				m[0] = r
				ping <- m
				back := <-pong
				s.sink += back[0]
				if t != 0 {
					s.hist.Record(nowNs() - t)
				}
			}
		} else {
			for r := uint64(0); r < units; r++ {
				m := <-ping
				pong <- m
			}
		}
	})
}

func runTryRecv[M msg](c caseSpec, units uint64) outcome {
	ch := make(chan M, c.capacity)
	return runTeam(1, func(_ int, s *slot) {
		for k := uint64(0); k < units; k++ {
			select {
			case m := <-ch:
				s.sink += m[0] + 2
			default:
			}
		}
	})
}

// popular: goroutine 0 sends; 1..K select on the popular channel and their own.
func runPopular[M msg](c caseSpec, units uint64) outcome {
	popular := make(chan M)
	own := make([]chan M, c.consumers)
	for j := range own {
		own[j] = make(chan M)
	}
	return runTeam(c.consumers+1, func(i int, s *slot) {
		if i == 0 {
			k := uint64(0)
			for r := uint64(0); r < units; r++ {
				for _, ch := range own {
					ch <- makeMsg[M](k)
					k++
				}
			}
		} else {
			mine := own[i-1]
			for r := uint64(0); r < units; r++ {
				var m M
				select {
				case m = <-popular:
				case m = <-mine:
				}
				take(s, &m)
			}
		}
	})
}

// close: goroutine 0 makes a channel per round, waits for the K receivers and
// closeSettle, then closes it; a round's time is close -> last receiver running.
func runClose[M msg](c caseSpec, units uint64) outcome {
	k := int32(c.consumers)
	var mu sync.Mutex // guards current (published by the round counter)
	var current chan M
	var round uint64
	var ready, done int32
	var tClose, lastWake uint64
	return runTeam(c.consumers+1, func(i int, s *slot) {
		if i == 0 {
			for r := uint64(1); r <= units; r++ {
				ch := make(chan M)
				atomic.StoreInt32(&ready, 0)
				atomic.StoreInt32(&done, 0)
				atomic.StoreUint64(&lastWake, 0)
				mu.Lock()
				current = ch
				mu.Unlock()
				atomic.StoreUint64(&round, r)
				for atomic.LoadInt32(&ready) < k {
					runtime.Gosched()
				}
				time.Sleep(closeSettle)
				t := nowNs()
				atomic.StoreUint64(&tClose, t)
				close(ch)
				for atomic.LoadInt32(&done) < k {
					runtime.Gosched()
				}
				s.spansNs += float64(atomic.LoadUint64(&lastWake) - t)
			}
		} else {
			for r := uint64(1); r <= units; r++ {
				for atomic.LoadUint64(&round) < r {
					runtime.Gosched()
				}
				mu.Lock()
				ch := current
				mu.Unlock()
				atomic.AddInt32(&ready, 1)
				m, ok := <-ch
				w := nowNs()
				s.sink += m[0]
				if ok {
					s.sink++ // a value would be a bug: nobody sends
				}
				s.hist.Record(w - atomic.LoadUint64(&tClose))
				for {
					prev := atomic.LoadUint64(&lastWake)
					if prev >= w || atomic.CompareAndSwapUint64(&lastWake, prev, w) {
						break
					}
				}
				atomic.AddInt32(&done, 1)
			}
		}
	})
}

// handoff_runon: goroutine 0 sends one message a round once goroutine 1 has
// announced itself and runOnSettleNs passed (Go cannot ask a chan whether a
// receiver waits; a receiver on an empty chan parks at once), then runs
// workNs of calibrated work; goroutine 1 records send -> running with the
// value, every message. A round's time is that span.
func runHandoffRunOn[M msg](c caseSpec, units uint64) outcome {
	ch := make(chan M, c.capacity)
	var announced uint64
	work := gbench.StepsFor(float64(c.workNs))
	return runTeam(2, func(i int, s *slot) {
		if i == 0 {
			for r := uint64(1); r <= units; r++ {
				for atomic.LoadUint64(&announced) < r {
					runtime.Gosched()
				}
				settled := nowNs() + runOnSettleNs
				for nowNs() < settled {
					runtime.Gosched()
				}
				var m M
				m[0] = nowNs()
				ch <- m
				if work != 0 {
					s.sink += gbench.WorkSteps(work) // runs on: no blocking call
				}
			}
		} else {
			for r := uint64(1); r <= units; r++ {
				atomic.StoreUint64(&announced, r)
				m := <-ch
				waited := nowNs() - m[0]
				s.hist.Record(waited)
				s.spansNs += float64(waited)
			}
		}
	})
}

// reportsSpans: the cases whose time is the sum of their spans (and which
// sample every message), as reports_spans in cases.h.
func reportsSpans(c caseSpec) bool { return c.kind == "close" || c.kind == "handoff_runon" }

func runCaseTyped[M msg](c caseSpec, units uint64) outcome {
	var o outcome
	switch c.kind {
	case "seq":
		o = runSeq[M](c, units)
	case "spsc", "mpsc", "mpmc", "prodcons":
		o = runTransfer[M](c, units)
	case "select_rx", "select_both":
		o = runSelect[M](c, units)
	case "pingpong":
		o = runPingPong[M](c, units)
	case "try_recv":
		o = runTryRecv[M](c, units)
	case "popular":
		o = runPopular[M](c, units)
	case "close":
		o = runClose[M](c, units)
	case "handoff_runon":
		o = runHandoffRunOn[M](c, units)
	}
	o.units = units
	o.messages = messagesOf(c, units)
	if !reportsSpans(c) {
		o.measuredS = o.wallS
	}
	return o
}

func runCase(c caseSpec, units uint64) outcome {
	switch c.msgBytes {
	case 64:
		return runCaseTyped[[8]uint64](c, units)
	case 1024:
		return runCaseTyped[[128]uint64](c, units)
	default:
		return runCaseTyped[[1]uint64](c, units)
	}
}

// supported: the cases Go's channels can express (everything Chan can, but
// no unbounded capacity; seq needs a buffer).
func supported(c caseSpec) bool {
	if c.capacity < 0 {
		return false
	}
	switch c.kind {
	case "seq":
		return c.capacity > 0
	case "spsc", "mpsc", "mpmc", "prodcons", "select_rx", "select_both", "pingpong", "try_recv", "popular", "close",
		"handoff_runon":
		return true
	}
	return false
}

// Command starvation_go is the Go peer of the syncscope `starvation` suite:
// Go's own sync.Mutex and sync.RWMutex on the suite's cases, under the same
// names with lock:go_sync_mutex / lock:go_sync_rwmutex
// (suites/starvation/starvation.cc describes the cases; the runner and the
// histogram are suites/common/go/lockpeer and suites/common/go/hist, the twins of lock_runner.h and
// histogram.h).
//
// Usage (suites/starvation/peer.sh runs it through suites/common/go_peer.sh, or the
// suite itself with -serve):
//
//	starvation_go -plan RUN/starvation.json -out GO.json -hist GO_HIST.json
//	              [-gomaxprocs N] [-profile quick|full]
//
// With -serve instead of -plan (suites/starvation/prepare.sh prints that command
// for the suite, which runs it as its child) it runs each Go case right
// after the C++ benchmark it twins, as the suite asks (gbench's serve.go has
// the protocol), and writes -out at the end of its input.
//
// Replayed from the plan (the thread rows, no model segment):
//
//	starvation/lock:GoMutex/...          -> lock:go_sync_mutex, placement:none
//	starvation_lockskew/lock:GoMutex     -> lock:go_sync_mutex
//	starvation_rw/lock:GoRWMutex/...     -> lock:go_sync_rwmutex
//
// with the same roles, durations, repetitions and counters. Goroutines are
// neither pinned nor real-time: lockskew's label says sched=other, like
// the C++ rows on goroutines (model:goroutine) it is compared with. -hist
// gets the wait histograms as starvation_hist.json holds them.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"

	"syncscope/gbench"
	"syncscope/hist"
	"syncscope/lockpeer"
)

const prog = "starvation_go"

// The constants of starvation.cc.
const (
	hogCsNs      = 20000
	hogGapNs     = 20
	victimGapNs  = 200000
	lockskewRunS = 0.4
	csNs         = 100
	ncsNs        = 100
)

func main() {
	histPath := flag.String("hist", "", "where to write the wait histograms (JSON, as starvation_hist.json)")
	p := gbench.Start(prog, "starvation", "go_sync_mutex and go_sync_rwmutex")
	if *histPath == "" {
		fmt.Fprintf(os.Stderr, "usage: %s (-plan STARVATION_JSON | -serve) -out OUT_JSON -hist HIST_JSON [-gomaxprocs N] [-profile quick|full]\n", prog)
		os.Exit(2)
	}
	hists := map[string]interface{}{}
	p.Run(func(plan []gbench.PlanEntry) []gbench.Case { return Cases(plan, p.Profile, hists) },
		fmt.Sprintf("placement=none;pus=unpinned;GOMAXPROCS=%d;sched=other", runtime.GOMAXPROCS(0)),
		func(n int) map[string]interface{} {
			return map[string]interface{}{
				"starvation_peer_go": fmt.Sprintf("%s; %d cases of lock:GoMutex / lock:GoRWMutex (threads); sync.Mutex / sync.RWMutex, goroutines unpinned, not real-time",
					gbench.RuntimeContext(), n),
				"starvation_go_profile": p.Profile.Name,
			}
		})
	if err := gbench.WriteJSON(*histPath, hists); err != nil {
		gbench.Fail(prog, "%v", err)
	}
}

// Cases maps the plan's thread rows of GoMutex / GoRWMutex to Go cases; a
// case's last repetition leaves its histogram(s) in hists.
func Cases(plan []gbench.PlanEntry, prof gbench.Profile, hists map[string]interface{}) []gbench.Case {
	duration := 0.1
	if prof.Full() {
		duration = 2.0
	}
	var cases []gbench.Case
	seen := map[string]bool{}
	add := func(name string, reps int, run func() gbench.Result) {
		if seen[name] {
			return
		}
		seen[name] = true
		cases = append(cases, gbench.Case{Name: name, Repetitions: reps, Threads: 1, Run: run})
	}
	for _, e := range plan {
		if e.Segment("model") != "" {
			continue
		}
		fam, lock := gbench.Family(e.RunName), e.Segment("lock")
		switch {
		case fam == "starvation" && lock == "GoMutex":
			t, ok := gbench.SegmentInt(e.RunName, "threads")
			if !ok || t < 1 {
				continue
			}
			name := gbench.SetSegment(gbench.SetSegment(e.RunName, "lock", "go_sync_mutex"), "placement", "none")
			key := gbench.BaseName(name)
			add(name, e.Repetitions, func() gbench.Result {
				roles := make([]lockpeer.Role, t)
				for i := range roles {
					roles[i] = lockpeer.Role{CsNs: csNs, NcsNs: ncsNs}
				}
				var mu sync.Mutex
				r := lockpeer.Run(&mu, lockpeer.Config{Roles: roles, DurationS: duration, RecordWait: true})
				all := hist.New()
				var total uint64
				for _, rec := range r.Records {
					all.Merge(rec.WriteWait)
					total += rec.Acquisitions
				}
				k := map[string]float64{"acq_per_s": float64(total) / math.Max(r.ElapsedS, 1e-12)}
				lockpeer.WaitCounters("wait", all, k)
				lockpeer.CostCounters(r, k)
				hists[key] = map[string]interface{}{"buckets": lockpeer.BucketsJSON(all)}
				return result(r, k)
			})
		case fam == "starvation_lockskew" && lock == "GoMutex":
			name := gbench.SetSegment(e.RunName, "lock", "go_sync_mutex")
			key := gbench.BaseName(name)
			add(name, e.Repetitions, func() gbench.Result {
				roles := []lockpeer.Role{{CsNs: hogCsNs, NcsNs: hogGapNs}, {CsNs: csNs, NcsNs: victimGapNs}}
				var mu sync.Mutex
				r := lockpeer.Run(&mu, lockpeer.Config{Roles: roles, DurationS: lockskewRunS, RecordWait: true})
				hog, victim := r.Records[0], r.Records[1]
				k := map[string]float64{
					"victim_acq":      float64(victim.Acquisitions),
					"hog_acq":         float64(hog.Acquisitions),
					"hog_wait_max_ns": float64(hog.WriteWait.Max()),
					"realtime":        0,
				}
				lockpeer.WaitCounters("victim_wait", victim.WriteWait, k)
				hists[key] = map[string]interface{}{"buckets": lockpeer.BucketsJSON(victim.WriteWait)}
				return result(r, k)
			})
		case fam == "starvation_rw" && lock == "GoRWMutex":
			t, ok1 := gbench.SegmentInt(e.RunName, "threads")
			pct, ok2 := gbench.SegmentInt(e.RunName, "read_pct")
			if !ok1 || !ok2 || t < 1 || pct < 0 || pct > 100 {
				continue
			}
			name := gbench.SetSegment(e.RunName, "lock", "go_sync_rwmutex")
			key := gbench.BaseName(name)
			add(name, e.Repetitions, func() gbench.Result {
				roles := make([]lockpeer.Role, t)
				for i := range roles {
					roles[i] = lockpeer.Role{CsNs: csNs, NcsNs: ncsNs, ReadFraction: float64(pct) / 100}
				}
				var mu sync.RWMutex
				r := lockpeer.Run(&mu, lockpeer.Config{Roles: roles, DurationS: duration, RecordWait: true})
				reads, writes := hist.New(), hist.New()
				var total, nreads uint64
				for _, rec := range r.Records {
					reads.Merge(rec.ReadWait)
					writes.Merge(rec.WriteWait)
					total += rec.Acquisitions
					nreads += rec.Reads
				}
				k := map[string]float64{
					"acq_per_s": float64(total) / math.Max(r.ElapsedS, 1e-12),
					"reads":     float64(nreads),
					"writes":    float64(total - nreads),
				}
				lockpeer.WaitCounters("reader_wait", reads, k)
				lockpeer.WaitCounters("writer_wait", writes, k)
				lockpeer.CostCounters(r, k)
				hists[key] = map[string]interface{}{"reader_buckets": lockpeer.BucketsJSON(reads),
					"writer_buckets": lockpeer.BucketsJSON(writes)}
				return result(r, k)
			})
		}
	}
	return cases
}

func result(r lockpeer.Result, k map[string]float64) gbench.Result {
	cpu := 0.0
	for _, rec := range r.Records {
		cpu += rec.CPUS
	}
	k["gomaxprocs"] = float64(runtime.GOMAXPROCS(0))
	return gbench.Result{Iterations: 1, RealS: r.ElapsedS, CPUS: cpu, Counters: k}
}

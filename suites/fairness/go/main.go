// Command fairness_go is the Go peer of the syncscope `fairness` suite: Go's
// own sync.Mutex on the suite's cases, under the same names with
// lock:go_sync_mutex (suites/fairness/fairness.cc describes the cases; the
// runner and the metrics are suites/common/go/lockpeer, the twins of
// lock_runner.h and fairness_metrics.h).
//
// Usage (suites/fairness/peer.sh runs it through suites/common/go_peer.sh, or the
// suite itself with -serve):
//
//	fairness_go -plan RUN/fairness.json -out GO.json [-gomaxprocs N] [-profile quick|full]
//
// With -serve instead of -plan (suites/fairness/prepare.sh prints that command
// for the suite, which runs it as its child) it runs each Go case right
// after the C++ benchmark it twins, as the suite asks (gbench's serve.go has
// the protocol), and writes -out at the end of its input.
//
// Every case lock:GoMutex ran on threads (no model segment) is replayed once
// per thread count and work configuration as placement:none (goroutines
// cannot be pinned), with the same repetitions, duration and counters:
// it is the original of GoMutex (Go 1.9's design) on the same workload,
// to set beside GoMutex on goroutines (model:goroutine) and on threads.
// Every case fairness_gomaxprocs1/lock:GoMutex/model:goroutine/... (GoMutex
// on goroutines with one P) is run as fairness_gomaxprocs1/lock:go_sync_mutex/...
// with runtime.GOMAXPROCS(1) for the case, then the P's it had.
// Its rows carry the C++ rows' counters, lock_moves_per_acq and
// lock_move_pairs included (measured with the same CPU read: lockpeer's
// cpuid_linux_amd64.go; the context key fairness_go_lock_moves says how,
// or why they are absent).
package main

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"syncscope/gbench"
	"syncscope/lockpeer"
)

const (
	prog     = "fairness_go"
	implName = "go_sync_mutex"
	refLock  = "GoMutex"
	// The family of the one-P cases (fairness.cc).
	oneProcFamily = "fairness_gomaxprocs1"
)

func main() {
	p := gbench.Start(prog, "fairness", implName)
	p.Run(func(plan []gbench.PlanEntry) []gbench.Case { return Cases(plan, p.Profile) },
		fmt.Sprintf("placement=none;pus=unpinned;GOMAXPROCS=%d", runtime.GOMAXPROCS(0)),
		func(n int) map[string]interface{} {
			return map[string]interface{}{
				"fairness_peer_go": fmt.Sprintf("%s; %d cases of lock:%s (threads, placement none); sync.Mutex, goroutines unpinned",
					gbench.RuntimeContext(), n, refLock),
				"fairness_go_profile": p.Profile.Name,
				// How lock_moves_per_acq was measured on Go's side, or why not
				// (the C++ side's is the context key lock_moves).
				"fairness_go_lock_moves": lockpeer.LockMovesContext(),
			}
		})
}

// lockMoveOrders: lock moves are counted over the run's first
// lockMoveOrders acquisitions, as fairness.cc's kLockMoveOrders (the CPU
// read disturbs where it runs; suites/common/cpu_id.h).
const lockMoveOrders = 1 << 17

// spec is one fairness case.
type spec struct {
	threads     int
	csNs, ncsNs float64
	exp         bool
	procs       int // > 0: GOMAXPROCS for this case only
}

// Cases maps the plan's lock:GoMutex thread cases, and its one-P goroutine
// cases, to Go cases.
func Cases(plan []gbench.PlanEntry, prof gbench.Profile) []gbench.Case {
	var cases []gbench.Case
	seen := map[string]bool{}
	for _, e := range plan {
		family := gbench.Family(e.RunName)
		oneProc := family == oneProcFamily && e.Segment("model") == "goroutine"
		if !(family == "fairness" && e.Segment("model") == "" || oneProc) || e.Segment("lock") != refLock {
			continue
		}
		t, ok1 := gbench.SegmentInt(e.RunName, "threads")
		cs, ok2 := gbench.SegmentInt(e.RunName, "cs_ns")
		ncs, ok3 := gbench.SegmentInt(e.RunName, "ncs_ns")
		dist := e.Segment("dist")
		if !ok1 || !ok2 || !ok3 || t < 1 || (dist != "fixed" && dist != "exp") {
			continue
		}
		name := gbench.SetSegment(gbench.SetSegment(dropSegment(e.RunName, "model"), "lock", implName), "placement", "none")
		if seen[name] {
			continue
		}
		seen[name] = true
		s := spec{threads: t, csNs: float64(cs), ncsNs: float64(ncs), exp: dist == "exp"}
		if oneProc {
			s.procs = 1
		}
		cases = append(cases, gbench.Case{Name: name, Repetitions: e.Repetitions, Threads: 1,
			Run: func() gbench.Result { return run(s, prof) }})
	}
	return cases
}

// dropSegment: name without its KEY:... segment (unchanged without one).
func dropSegment(name, key string) string {
	var keep []string
	for _, seg := range strings.Split(name, "/") {
		if !strings.HasPrefix(seg, key+":") {
			keep = append(keep, seg)
		}
	}
	return strings.Join(keep, "/")
}

// run: BM_Fairness of fairness.cc with sync.Mutex.
func run(s spec, prof gbench.Profile) gbench.Result {
	if s.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(s.procs))
	}
	duration := 0.1
	if prof.Full() {
		duration = 1.0
	}
	roles := make([]lockpeer.Role, s.threads)
	for i := range roles {
		roles[i] = lockpeer.Role{CsNs: s.csNs, NcsNs: s.ncsNs, Exponential: s.exp}
	}
	capacity := (1 << 22) / s.threads
	if capacity < 1<<16 {
		capacity = 1 << 16
	}
	var mu sync.Mutex
	r := lockpeer.Run(&mu, lockpeer.Config{Roles: roles, DurationS: duration, RecordOrder: true,
		OrderCapacity: capacity, CPUOrders: lockMoveOrders})
	counts := make([]uint64, len(r.Records))
	var total uint64
	k := map[string]float64{}
	for i, rec := range r.Records {
		counts[i] = rec.Acquisitions
		total += rec.Acquisitions
		k["acq_t"+strconv.Itoa(i)] = float64(rec.Acquisitions)
	}
	jain, cv, mm := lockpeer.CountFairness(counts)
	seq := lockpeer.MergeOrders(r.Records)
	barging, lwss, mttr := lockpeer.SequenceFairness(seq, lockpeer.LwssWindow)
	k["acq_per_s"] = float64(total) / math.Max(r.ElapsedS, 1e-12)
	k["jain_index"] = jain
	k["cv"] = cv
	k["min_max_ratio"] = mm
	k["barging_share"] = barging
	k["lwss"] = lwss
	k["mttr"] = mttr
	k["seq_len"] = float64(len(seq))
	k["gomaxprocs"] = float64(runtime.GOMAXPROCS(0))
	lockpeer.CostCounters(r, k)
	lockpeer.LockMoveCounters(r, k)
	cpu := 0.0
	for _, rec := range r.Records {
		cpu += rec.CPUS
	}
	return gbench.Result{Iterations: 1, RealS: r.ElapsedS, CPUS: cpu, Counters: k}
}

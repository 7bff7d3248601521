// Package lockpeer is the Go side of the syncscope lock suites (fairness,
// starvation): the twin of suites/common/lock_runner.h, calibrated_work.h,
// fairness_metrics.h and histogram.h, so that Go's own sync.Mutex and
// sync.RWMutex run the suites' cases with the same roles, work, metrics
// and histogram layout as the C++ locks.
//
// Run(lock, cfg) starts one goroutine per role, released together; each
// loops until the stop flag — non-critical work; [t0]; Lock (RLock for a
// planned read); [wait = now - t0]; the lock-protected order counter;
// critical work; Unlock — counting acquisitions into its own record
// (preallocated: nothing in the loop allocates or locks besides the lock).
// The coordinator sleeps the duration, sets the flag and waits. Goroutines
// cannot be pinned and the peer asks for no real-time priority: the C++
// rows these are compared with are the goroutine (model:goroutine) and
// placement:none rows. Cost: the process's CPU time and context switches
// (getrusage RUSAGE_SELF) over the run, spread evenly over the records,
// as lock_runner.h does for goroutines.
//
// Lock moves (lock_runner.h's banner): with orders recorded, each recorded
// acquisition's CPU too (Record.OrderCPUs, beside Record.Orders), read right
// after the Unlock — outside the critical section — with ReadCPU: LSL of
// Linux's per-CPU GDT segment, the instruction the C++ side uses
// (cpuid_linux_amd64.go; the trick of the vDSO's getcpu, Linux's
// arch/x86/include/asm/segment.h vdso_read_cpunode). LockMoves merges them
// by order and counts consecutive acquisitions on different CPUs: how often
// Go's scheduler moved the lock (and its holder's lines) between CPUs.
// Not recorded when CPURead() says the read is unavailable (other
// platforms, a read that disagrees with the kernel's getcpu, or
// SYNCSCOPE_LOCK_MOVES=off). The read is cheap, not free: what it costs and
// disturbs is in suites/common/cpu_id.h; Config.CPUOrders confines it to
// the run's first acquisitions, as the C++ runner's cpu_orders does.
package lockpeer

import (
	"math"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"syncscope/gbench"
	"syncscope/hist"
)

// Now is a monotonic timestamp in ns (steady_clock's clock).
func Now() uint64 { return uint64(gbench.Now()) }

// ---- calibrated work (calibrated_work.h: suites/common/go/gbench/work.go) ----

const ring = 4096 // WorkPlan::kRing

// workPlan: a ring of precomputed step counts (fixed, or exponential with
// the given mean), so the loop draws no random numbers.
type workPlan struct {
	steps []uint64
	next  int
}

func newWorkPlan(meanNs float64, exp bool, seed int64) *workPlan {
	p := &workPlan{steps: make([]uint64, ring)}
	rng := rand.New(rand.NewSource(seed))
	for i := range p.steps {
		ns := meanNs
		if exp {
			ns = rng.ExpFloat64() * meanNs
		}
		p.steps[i] = gbench.StepsFor(ns)
	}
	return p
}

func (p *workPlan) run() uint64 {
	s := p.steps[p.next&(ring-1)]
	p.next++
	return gbench.WorkSteps(s)
}

// ---- the runner (lock_runner.h) ----------------------------------------------

// Role is one goroutine's share of a run.
type Role struct {
	CsNs, NcsNs  float64
	Exponential  bool    // work drawn from an exponential distribution (dist:exp)
	ReadFraction float64 // > 0: RLock/RUnlock for that share (an RWLocker only)
}

// Locker is sync.Locker; RWLocker adds the shared side (sync.RWMutex).
type Locker interface {
	Lock()
	Unlock()
}
type RWLocker interface {
	Locker
	RLock()
	RUnlock()
}

// Config is one run.
type Config struct {
	Roles         []Role
	DurationS     float64
	RecordOrder   bool // keep acquisition orders (fairness)
	RecordWait    bool // time each acquisition (starvation)
	OrderCapacity int  // orders kept per goroutine
	CPUOrders     int  // > 0: CPUs (lock moves) read only for orders below this; 0: every order kept
}

// NoCPU marks a CPU that was not read (kNoCpu of fairness_metrics.h).
const NoCPU = math.MaxUint16

// CPUReadStatus: whether ReadCPU can be trusted here (checked once).
type CPUReadStatus struct {
	Available   bool
	CPUsChecked int     // CPUs ReadCPU was checked on
	ReadNs      float64 // what one ReadCPU takes here (timed; available only)
	Reason      string  // why not available
}

var (
	cpuReadOnce   sync.Once
	cpuReadStatus CPUReadStatus
)

// CPUReadEnv turns the CPU read off when set to "off" (kCpuReadEnv of
// cpu_id.h: the suite's child peer inherits it), to measure its cost.
const CPUReadEnv = "SYNCSCOPE_LOCK_MOVES"

// CPURead is the start-up check of ReadCPU (cpuid_*.go), made once.
func CPURead() CPUReadStatus {
	cpuReadOnce.Do(func() { cpuReadStatus = checkCPUReadUnlessOff() })
	return cpuReadStatus
}

func checkCPUReadUnlessOff() CPUReadStatus {
	if os.Getenv(CPUReadEnv) == "off" {
		return CPUReadStatus{Reason: "turned off by " + CPUReadEnv + "=off"}
	}
	return checkCPURead()
}

// Record is what one goroutine did.
type Record struct {
	Acquisitions, Reads uint64
	Orders              []uint32
	// OrderCPUs[i]: the CPU of Orders[i]'s acquisition, read after its Unlock
	// (NoCPU: the read failed); kept when Result.CPUsRecorded, for the
	// orders below Config.CPUOrders (a prefix of Orders).
	OrderCPUs           []uint16
	WriteWait, ReadWait *hist.Histogram
	CPUS                float64
	Vcsw, Ivcsw         float64
	sink                uint64
	_                   [64]byte
}

// Result is one run.
type Result struct {
	Records      []*Record
	TotalOrder   uint64 // the lock-protected counter
	ElapsedS     float64
	CPUsRecorded bool // Record.OrderCPUs kept (orders recorded and CPURead().Available)
}

func rusage() (cpu, v, iv float64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
	return cpu, float64(ru.Nvcsw), float64(ru.Nivcsw)
}

// Run runs cfg on lock (see the package comment).
func Run(lock Locker, cfg Config) Result {
	n := len(cfg.Roles)
	rw, _ := lock.(RWLocker)
	recordCPU := cfg.RecordOrder && CPURead().Available
	recs := make([]*Record, n)
	for i := range recs {
		recs[i] = &Record{WriteWait: hist.New(), ReadWait: hist.New()}
		if cfg.RecordOrder {
			recs[i].Orders = make([]uint32, 0, cfg.OrderCapacity)
		}
		if recordCPU {
			n := cfg.OrderCapacity
			if cfg.CPUOrders > 0 && cfg.CPUOrders < n {
				n = cfg.CPUOrders
			}
			recs[i].OrderCPUs = make([]uint16, 0, n)
		}
	}
	var ready, gate, stop int32
	var nextOrder uint64 // guarded by lock
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			role := cfg.Roles[i]
			rec := recs[i]
			cs := newWorkPlan(role.CsNs, role.Exponential, int64(0x9e3779b9*(i+1)))
			ncs := newWorkPlan(role.NcsNs, role.Exponential, int64(0x27d4eb4f*(i+1)))
			reads := make([]bool, ring)
			if role.ReadFraction > 0 && rw != nil {
				rng := rand.New(rand.NewSource(int64(1234 + i)))
				for k := range reads {
					reads[k] = rng.Float64() < role.ReadFraction
				}
			}
			step := 0
			atomic.AddInt32(&ready, 1)
			for atomic.LoadInt32(&gate) == 0 {
				runtime.Gosched()
			}
			for atomic.LoadInt32(&stop) == 0 {
				rec.sink += ncs.run()
				read := reads[step&(ring-1)]
				step++
				var t0 uint64
				if cfg.RecordWait {
					t0 = Now()
				}
				if read {
					rw.RLock()
				} else {
					lock.Lock()
				}
				if cfg.RecordWait {
					w := Now() - t0
					if read {
						rec.ReadWait.Record(w)
					} else {
						rec.WriteWait.Record(w)
					}
				}
				readCPUAfter := false
				if !read {
					order := nextOrder
					nextOrder++
					if cfg.RecordOrder && len(rec.Orders) < cap(rec.Orders) && order < uint64(cfg.OrderCapacity) {
						rec.Orders = append(rec.Orders, uint32(order))
						readCPUAfter = recordCPU && (cfg.CPUOrders <= 0 || order < uint64(cfg.CPUOrders))
					}
				}
				rec.sink += cs.run()
				if read {
					rw.RUnlock()
					rec.Reads++
				} else {
					lock.Unlock()
				}
				// Outside the critical section: the CPU this acquisition ran on
				// (preallocated: the append never allocates).
				if readCPUAfter {
					cpu := uint16(NoCPU)
					if c := ReadCPU(); c >= 0 {
						cpu = uint16(c)
					}
					rec.OrderCPUs = append(rec.OrderCPUs, cpu)
				}
				rec.Acquisitions++
			}
		}(i)
	}
	for atomic.LoadInt32(&ready) < int32(n) {
		runtime.Gosched()
	}
	cpu0, v0, iv0 := rusage()
	t0 := time.Now()
	atomic.StoreInt32(&gate, 1)
	time.Sleep(time.Duration(cfg.DurationS * float64(time.Second)))
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	cpu1, v1, iv1 := rusage()
	for _, r := range recs {
		r.CPUS = (cpu1 - cpu0) / float64(n)
		r.Vcsw = (v1 - v0) / float64(n)
		r.Ivcsw = (iv1 - iv0) / float64(n)
	}
	return Result{Records: recs, TotalOrder: nextOrder, ElapsedS: elapsed, CPUsRecorded: recordCPU}
}

// CostCounters: set_cost_counters of lock_runner.h.
func CostCounters(r Result, k map[string]float64) {
	var cpu, v, iv float64
	var acq uint64
	for _, t := range r.Records {
		cpu += t.CPUS
		v += t.Vcsw
		iv += t.Ivcsw
		acq += t.Acquisitions
	}
	n := math.Max(float64(acq), 1)
	k["cpu_ns_per_acq"] = cpu * 1e9 / n
	k["vcsw_per_acq"] = v / n
	k["ivcsw_per_acq"] = iv / n
	if r.ElapsedS > 0 {
		k["cpus_used"] = cpu / r.ElapsedS
	} else {
		k["cpus_used"] = 0
	}
}

// ---- fairness metrics (fairness_metrics.h) -----------------------------------

// LwssWindow is kLwssWindow.
const LwssWindow = 1000

// CountFairness: Jain's index, CV and min/max of per-goroutine counts.
func CountFairness(counts []uint64) (jain, cv, minMax float64) {
	if len(counts) == 0 {
		return 0, 0, 0
	}
	n := float64(len(counts))
	var sum, sq float64
	mn, mx := uint64(math.MaxUint64), uint64(0)
	for _, c := range counts {
		sum += float64(c)
		sq += float64(c) * float64(c)
		if c < mn {
			mn = c
		}
		if c > mx {
			mx = c
		}
	}
	if sq > 0 {
		jain = sum * sum / (n * sq)
	}
	mean := sum / n
	if mean > 0 {
		cv = math.Sqrt(math.Max(0, sq/n-mean*mean)) / mean
	}
	if mx > 0 {
		minMax = float64(mn) / float64(mx)
	}
	return
}

// MergeOrders rebuilds the acquisition sequence (goroutine ids in order)
// from per-goroutine order lists: the longest prefix with every order.
func MergeOrders(recs []*Record) []uint16 {
	size := 0
	for _, r := range recs {
		if l := len(r.Orders); l > 0 && int(r.Orders[l-1])+1 > size {
			size = int(r.Orders[l-1]) + 1
		}
	}
	seq := make([]uint16, size)
	for i := range seq {
		seq[i] = math.MaxUint16
	}
	for t, r := range recs {
		for _, o := range r.Orders {
			seq[o] = uint16(t)
		}
	}
	k := 0
	for k < len(seq) && seq[k] != math.MaxUint16 {
		k++
	}
	return seq[:k]
}

// LockMoves (lock_moves of fairness_metrics.h): merged by order number,
// over every pair of consecutive orders k-1, k both recorded with a CPU
// (not NoCPU), how many pairs there are and how many ran on different CPUs.
func LockMoves(recs []*Record) (moves, pairs uint64) {
	size := 0
	for _, r := range recs {
		for _, o := range r.Orders {
			if int(o)+1 > size {
				size = int(o) + 1
			}
		}
	}
	cpuOf := make([]uint16, size)
	for i := range cpuOf {
		cpuOf[i] = NoCPU
	}
	for _, r := range recs {
		for i, o := range r.Orders {
			if i < len(r.OrderCPUs) {
				cpuOf[o] = r.OrderCPUs[i]
			}
		}
	}
	for k := 1; k < len(cpuOf); k++ {
		if cpuOf[k-1] == NoCPU || cpuOf[k] == NoCPU {
			continue
		}
		pairs++
		if cpuOf[k-1] != cpuOf[k] {
			moves++
		}
	}
	return moves, pairs
}

// LockMoveCounters: set_lock_move_counters of lock_runner.h
// (lock_moves_per_acq, lock_move_pairs); nothing when no CPUs were recorded.
func LockMoveCounters(r Result, k map[string]float64) {
	if !r.CPUsRecorded {
		return
	}
	moves, pairs := LockMoves(r.Records)
	k["lock_moves_per_acq"] = 0
	if pairs > 0 {
		k["lock_moves_per_acq"] = float64(moves) / float64(pairs)
	}
	k["lock_move_pairs"] = float64(pairs)
}

// LockMovesContext: lock_moves_context of lock_runner.h, for the peer's
// context — how lock_moves_per_acq is measured, or why it is absent.
func LockMovesContext() string {
	s := CPURead()
	if !s.Available {
		return "unavailable: no lock_moves_per_acq (" + s.Reason + ")"
	}
	return "lock_moves_per_acq: share of consecutive acquisitions (by the lock-protected order) " +
		"whose CPUs differ, over lock_move_pairs pairs; each recorded acquisition's CPU read right " +
		"after its Unlock with " + CPUReadMethod + ", checked against getcpu on " +
		strconv.Itoa(s.CPUsChecked) + " CPU(s) at start-up; one read takes " +
		strconv.Itoa(int(s.ReadNs+0.5)) + " ns here (" + CPUReadEnv + "=off: no read, no counter)"
}

// SequenceFairness: barging share, LWSS and MTTR of an acquisition sequence.
func SequenceFairness(seq []uint16, window int) (barging, lwss, mttr float64) {
	if len(seq) < 2 {
		return 0, 0, 0
	}
	same := 0
	maxID := uint16(0)
	for i, s := range seq {
		if i > 0 && s == seq[i-1] {
			same++
		}
		if s > maxID {
			maxID = s
		}
	}
	barging = float64(same) / float64(len(seq)-1)
	if window > len(seq) {
		window = len(seq)
	}
	if window < 1 {
		window = 1
	}
	stamp := make([]int, int(maxID)+1)
	for i := range stamp {
		stamp[i] = -1
	}
	distinctSum, windows := 0.0, 0
	for start := 0; start+window <= len(seq); start += window {
		distinct := 0
		for _, s := range seq[start : start+window] {
			if stamp[s] != windows {
				stamp[s] = windows
				distinct++
			}
		}
		distinctSum += float64(distinct)
		windows++
	}
	if windows > 0 {
		lwss = distinctSum / float64(windows)
	}
	last := make([]int, int(maxID)+1)
	for i := range last {
		last[i] = -1
	}
	var gaps []int
	for i, s := range seq {
		if last[s] >= 0 {
			gaps = append(gaps, i-last[s])
		}
		last[s] = i
	}
	if len(gaps) > 0 {
		sort.Ints(gaps)
		mttr = float64(gaps[len(gaps)/2])
	}
	return
}

// WaitCounters: set_wait_counters of starvation.cc (PREFIX_p50_ns ... _count).
func WaitCounters(prefix string, h *hist.Histogram, k map[string]float64) {
	k[prefix+"_p50_ns"] = float64(h.Percentile(0.50))
	k[prefix+"_p90_ns"] = float64(h.Percentile(0.90))
	k[prefix+"_p99_ns"] = float64(h.Percentile(0.99))
	k[prefix+"_p999_ns"] = float64(h.Percentile(0.999))
	k[prefix+"_max_ns"] = float64(h.Max())
	k[prefix+"_count"] = float64(h.Count())
}

// BucketsJSON: a histogram's buckets as the side file writes them.
func BucketsJSON(h *hist.Histogram) [][2]uint64 {
	b := h.Buckets()
	if b == nil {
		b = [][2]uint64{}
	}
	return b
}

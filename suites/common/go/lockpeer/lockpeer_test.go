package lockpeer

import (
	"sync"
	"testing"

	"syncscope/hist"
)

func TestCountFairness(t *testing.T) {
	if j, cv, mm := CountFairness([]uint64{5, 5, 5, 5}); j != 1 || cv != 0 || mm != 1 {
		t.Errorf("even: %g %g %g", j, cv, mm)
	}
	if j, _, mm := CountFairness([]uint64{8, 0, 0, 0}); j != 0.25 || mm != 0 {
		t.Errorf("one got all: jain %g min/max %g", j, mm)
	}
}

func TestSequenceFairnessAndMergeOrders(t *testing.T) {
	recs := []*Record{{Orders: []uint32{0, 1, 4}}, {Orders: []uint32{2, 3, 6}}}
	seq := MergeOrders(recs) // 0 0 1 1 0 (order 5 missing: the prefix stops there)
	want := []uint16{0, 0, 1, 1, 0}
	if len(seq) != len(want) {
		t.Fatalf("seq %v, want %v", seq, want)
	}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("seq %v, want %v", seq, want)
		}
	}
	b, l, m := SequenceFairness(seq, 5)
	if b != 0.5 || l != 2 || m != 1 {
		t.Errorf("barging %g lwss %g mttr %g", b, l, m)
	}
}

func TestWaitCounters(t *testing.T) {
	h := hist.New()
	for v := uint64(1); v <= 100; v++ {
		h.Record(v)
	}
	k := map[string]float64{}
	WaitCounters("wait", h, k)
	if k["wait_p99_ns"] != 99 || k["wait_count"] != 100 {
		t.Errorf("counters %v", k)
	}
}

// Every acquisition is counted once, by its goroutine and by the
// lock-protected counter; reads are counted on a RWMutex.
func TestRunCountsEveryAcquisition(t *testing.T) {
	var mu sync.Mutex
	roles := []Role{{CsNs: 100, NcsNs: 100}, {CsNs: 100, NcsNs: 100}, {CsNs: 100, NcsNs: 100}}
	r := Run(&mu, Config{Roles: roles, DurationS: 0.02, RecordOrder: true, RecordWait: true, OrderCapacity: 1 << 12})
	var total uint64
	for _, rec := range r.Records {
		total += rec.Acquisitions
		if rec.WriteWait.Count() != rec.Acquisitions {
			t.Errorf("waits %d, acquisitions %d", rec.WriteWait.Count(), rec.Acquisitions)
		}
	}
	if total == 0 || total != r.TotalOrder {
		t.Errorf("acquisitions %d, orders %d", total, r.TotalOrder)
	}
	k := map[string]float64{}
	CostCounters(r, k)
	if _, ok := k["cpu_ns_per_acq"]; !ok {
		t.Error("no cost counters")
	}

	var rw sync.RWMutex
	rroles := []Role{{CsNs: 100, NcsNs: 100, ReadFraction: 0.9}, {CsNs: 100, NcsNs: 100, ReadFraction: 0.9}}
	rr := Run(&rw, Config{Roles: rroles, DurationS: 0.02, RecordWait: true})
	var reads, acq uint64
	for _, rec := range rr.Records {
		reads += rec.Reads
		acq += rec.Acquisitions
		if rec.ReadWait.Count() != rec.Reads {
			t.Errorf("read waits %d, reads %d", rec.ReadWait.Count(), rec.Reads)
		}
	}
	if acq == 0 || reads > acq || acq-reads != rr.TotalOrder {
		t.Errorf("acquisitions %d reads %d writes counted %d", acq, reads, rr.TotalOrder)
	}
}

// LockMoves on hand-made orders and CPUs (the C++ LockMoves tests' cases).
func TestLockMoves(t *testing.T) {
	rec := func(orders []uint32, cpus []uint16) *Record { return &Record{Orders: orders, OrderCPUs: cpus} }
	cases := []struct {
		name         string
		recs         []*Record
		moves, pairs uint64
	}{
		{"all on one CPU", []*Record{rec([]uint32{0, 2, 4}, []uint16{1, 1, 1}), rec([]uint32{1, 3, 5}, []uint16{1, 1, 1})}, 0, 5},
		{"alternating", []*Record{rec([]uint32{0, 2, 4, 6}, []uint16{0, 0, 0, 0}), rec([]uint32{1, 3, 5}, []uint16{1, 1, 1})}, 6, 6},
		// Thread 0 moved from CPU 0 to CPU 1: by order c0 c1 c0 c1 c1 c1.
		{"by order, not by party", []*Record{rec([]uint32{0, 2, 4}, []uint16{0, 0, 1}), rec([]uint32{1, 3, 5}, []uint16{1, 1, 1})}, 3, 5},
		// Orders 3 and 6 missing, order 8's CPU unread: pairs (0,1) (1,2) (4,5).
		{"gaps", []*Record{rec([]uint32{0, 2, 4, 8}, []uint16{0, 0, 0, NoCPU}), rec([]uint32{1, 5, 7, 9}, []uint16{1, 0, 0, 0})}, 2, 3},
		{"one acquisition", []*Record{rec([]uint32{0}, []uint16{3}), rec(nil, nil)}, 0, 0},
		{"nothing", nil, 0, 0},
	}
	for _, c := range cases {
		if m, p := LockMoves(c.recs); m != c.moves || p != c.pairs {
			t.Errorf("%s: %d moves over %d pairs, want %d over %d", c.name, m, p, c.moves, c.pairs)
		}
	}
	k := map[string]float64{}
	LockMoveCounters(Result{Records: cases[2].recs, CPUsRecorded: true}, k)
	if k["lock_moves_per_acq"] != 0.6 || k["lock_move_pairs"] != 5 {
		t.Errorf("counters %v", k)
	}
	k = map[string]float64{}
	LockMoveCounters(Result{Records: cases[2].recs}, k)
	if len(k) != 0 {
		t.Errorf("no CPUs recorded, counters %v", k)
	}
}

// ReadCPU is a CPU number in range where the start-up check found it usable
// (and -1 otherwise); a run records one CPU per recorded order, each in
// range, and the counters follow.
func TestReadCPUAndRunRecordsCPUs(t *testing.T) {
	s := CPURead()
	c := ReadCPU()
	if s.Available {
		if c < 0 || c >= 1<<12 || s.CPUsChecked < 1 || s.Reason != "" {
			t.Fatalf("ReadCPU %d, status %+v", c, s)
		}
	} else if c != -1 || s.Reason == "" {
		t.Fatalf("unavailable (%+v) but ReadCPU %d", s, c)
	}
	var mu sync.Mutex
	roles := []Role{{CsNs: 100, NcsNs: 100}, {CsNs: 100, NcsNs: 100}, {CsNs: 100, NcsNs: 100}}
	r := Run(&mu, Config{Roles: roles, DurationS: 0.02, RecordOrder: true, OrderCapacity: 1 << 12})
	if r.CPUsRecorded != s.Available {
		t.Fatalf("CPUsRecorded %v, CPU read %+v", r.CPUsRecorded, s)
	}
	k := map[string]float64{}
	LockMoveCounters(r, k)
	if !s.Available {
		if len(k) != 0 || LockMovesContext()[:12] != "unavailable:" {
			t.Errorf("counters %v, context %q", k, LockMovesContext())
		}
		return
	}
	for i, rec := range r.Records {
		if len(rec.OrderCPUs) != len(rec.Orders) {
			t.Fatalf("party %d: %d CPUs for %d orders", i, len(rec.OrderCPUs), len(rec.Orders))
		}
		for _, cpu := range rec.OrderCPUs {
			if cpu == NoCPU || cpu >= 1<<12 {
				t.Fatalf("party %d: CPU %d", i, cpu)
			}
		}
	}
	if v, ok := k["lock_moves_per_acq"]; !ok || v < 0 || v > 1 || k["lock_move_pairs"] < 1 {
		t.Errorf("counters %v", k)
	}
	// CPUOrders: CPUs read for the first orders only (a prefix of each
	// party's orders).
	r = Run(&mu, Config{Roles: roles, DurationS: 0.02, RecordOrder: true, OrderCapacity: 1 << 12, CPUOrders: 64})
	withCPU := 0
	for i, rec := range r.Records {
		for j, o := range rec.Orders {
			if (j < len(rec.OrderCPUs)) != (o < 64) {
				t.Fatalf("party %d: order %d, %d CPUs", i, o, len(rec.OrderCPUs))
			}
		}
		withCPU += len(rec.OrderCPUs)
	}
	want := 64
	if r.TotalOrder < 64 {
		want = int(r.TotalOrder)
	}
	if withCPU != want {
		t.Errorf("%d CPUs read, want %d", withCPU, want)
	}
	// Without orders, no CPUs.
	r = Run(&mu, Config{Roles: roles, DurationS: 0.01})
	if r.CPUsRecorded {
		t.Error("CPUs recorded without orders")
	}
}

// SYNCSCOPE_LOCK_MOVES=off turns the CPU read off, and says so.
func TestCPUReadTurnedOff(t *testing.T) {
	t.Setenv(CPUReadEnv, "off")
	if s := checkCPUReadUnlessOff(); s.Available || s.Reason != "turned off by SYNCSCOPE_LOCK_MOVES=off" {
		t.Errorf("status %+v", s)
	}
}

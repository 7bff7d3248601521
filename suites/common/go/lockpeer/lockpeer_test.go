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

package main

import (
	"runtime"
	"testing"

	"syncscope/gbench"
	"syncscope/lockpeer"
)

// Only lock:GoMutex's thread rows are replayed, once per case, as
// placement:none with lock:go_sync_mutex; each runs and reports the
// suite's counters.
func TestCasesReplayGoMutexThreadRows(t *testing.T) {
	plan := []gbench.PlanEntry{
		{RunName: "fairness/lock:GoMutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
		{RunName: "fairness/lock:GoMutex/threads:2/placement:compact/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
		{RunName: "fairness/lock:GoMutex/model:goroutine/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
		{RunName: "fairness/lock:std_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
		{RunName: "fairness/lock:GoMutex/threads:3/placement:none/cs_ns:50/ncs_ns:5000/dist:exp/manual_time", Repetitions: 2, Threads: 1},
		{RunName: "fairness_uncontended/lock:GoMutex", Repetitions: 1, Threads: 1},
	}
	prof, _ := gbench.ParseProfile("quick")
	cases := Cases(plan, prof)
	want := []string{
		"fairness/lock:go_sync_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time",
		"fairness/lock:go_sync_mutex/threads:3/placement:none/cs_ns:50/ncs_ns:5000/dist:exp/manual_time",
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d: %+v", len(cases), len(want), cases)
	}
	for i, c := range cases {
		if c.Name != want[i] {
			t.Errorf("case %d: %s, want %s", i, c.Name, want[i])
		}
	}
	r := cases[1].Run()
	for _, k := range []string{"acq_per_s", "jain_index", "cv", "min_max_ratio", "barging_share", "lwss",
		"mttr", "seq_len", "acq_t0", "acq_t2", "cpu_ns_per_acq", "vcsw_per_acq", "cpus_used"} {
		if _, ok := r.Counters[k]; !ok {
			t.Errorf("no counter %s", k)
		}
	}
	if r.Counters["acq_per_s"] <= 0 || r.Counters["jain_index"] <= 0 || r.Counters["jain_index"] > 1 {
		t.Errorf("counters %v", r.Counters)
	}
	// The lock moves, where the CPU read is available (lockpeer says why not).
	v, ok := r.Counters["lock_moves_per_acq"]
	if ok != lockpeer.CPURead().Available {
		t.Errorf("lock_moves_per_acq present %v, CPU read %+v", ok, lockpeer.CPURead())
	}
	if ok && (v < 0 || v > 1 || r.Counters["lock_move_pairs"] < 1) {
		t.Errorf("lock_moves_per_acq %g over %g pairs", v, r.Counters["lock_move_pairs"])
	}
}

// A one-P goroutine row of GoMutex becomes a go_sync_mutex case of the same
// family without the model segment; it runs with GOMAXPROCS 1 and gives the
// P's back afterwards. Other locks' one-P rows have no twin.
func TestCasesOneProcRows(t *testing.T) {
	plan := []gbench.PlanEntry{
		{RunName: "fairness_gomaxprocs1/lock:GoMutex/model:goroutine/threads:3/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
		{RunName: "fairness_gomaxprocs1/lock:GoMutex2015/model:goroutine/threads:3/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
		{RunName: "fairness_gomaxprocs1/lock:GoMutex/threads:3/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time", Repetitions: 1, Threads: 1},
	}
	prof, _ := gbench.ParseProfile("quick")
	cases := Cases(plan, prof)
	want := "fairness_gomaxprocs1/lock:go_sync_mutex/threads:3/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time"
	if len(cases) != 1 || cases[0].Name != want {
		t.Fatalf("cases %+v, want one: %s", cases, want)
	}
	before := runtime.GOMAXPROCS(0)
	r := cases[0].Run()
	if got := r.Counters["gomaxprocs"]; got != 1 {
		t.Errorf("gomaxprocs counter %v, want 1", got)
	}
	if after := runtime.GOMAXPROCS(0); after != before {
		t.Errorf("GOMAXPROCS %d after the case, %d before", after, before)
	}
	if r.Counters["acq_per_s"] <= 0 || r.Counters["acq_t2"] <= 0 {
		t.Errorf("counters %v: every party should have run (Go preempts)", r.Counters)
	}
}

package main

import (
	"testing"

	"syncscope/gbench"
)

var tiny = gbench.Profile{Name: "quick", MinTime: 0.002}

func TestCasesNames(t *testing.T) {
	in := []string{
		"overhead_once/impl:Once",
		"overhead_once/impl:std_call_once",
		"overhead_wait_group/impl:WaitGroup",
		"overhead_cond_broadcast/impl:Cond/waiters:4/manual_time",
		"overhead_cond_broadcast/impl:std_condition_variable/waiters:4/manual_time",
		"overhead_context_cancel/depth:3/width:2/manual_time",
		"overhead_semaphore/impl:Semaphore/mode:contended/real_time/threads:4",
		"overhead_semaphore/impl:Semaphore/mode:uncontended/real_time",
		"overhead_single_flight/burst:4/manual_time",
		"overhead_err_group/impl:ErrGroup/tasks:8/real_time",
		"overhead_err_group/impl:std_thread/tasks:8/real_time",
	}
	want := []string{
		"overhead_once/impl:go_sync_once",
		"overhead_wait_group/impl:go_sync_wait_group",
		"overhead_cond_broadcast/impl:go_sync_cond/waiters:4/manual_time",
		"overhead_context_cancel/impl:go_context/depth:3/width:2/manual_time",
		"overhead_semaphore/impl:go_semaphore/mode:contended/real_time/threads:4",
		"overhead_semaphore/impl:go_semaphore/mode:uncontended/real_time",
		"overhead_single_flight/impl:go_singleflight/burst:4/manual_time",
		"overhead_err_group/impl:go_errgroup/tasks:8/real_time",
	}
	var p []gbench.PlanEntry
	for _, n := range in {
		th, ok := gbench.SegmentInt(n, "threads")
		if !ok {
			th = 1
		}
		p = append(p, gbench.PlanEntry{RunName: n, Repetitions: 1, Threads: th})
	}
	cases := Cases(p, tiny, nil)
	if len(cases) != len(want) {
		t.Fatalf("%d cases", len(cases))
	}
	for i, c := range cases {
		if c.Name != want[i] {
			t.Fatalf("case %d = %s, want %s", i, c.Name, want[i])
		}
	}
	if cases[4].Threads != 4 {
		t.Fatalf("contended semaphore threads %d", cases[4].Threads)
	}
	skipped := Cases(p, tiny, map[string]bool{"overhead_context_cancel": true, "overhead_single_flight": true})
	if len(skipped) != len(want)-2 {
		t.Fatalf("%d cases with two families skipped", len(skipped))
	}
	for _, c := range skipped {
		if f := gbench.Family(c.Name); f == "overhead_context_cancel" || f == "overhead_single_flight" {
			t.Fatalf("skipped family replayed: %s", c.Name)
		}
	}
	for _, f := range families {
		if !knownFamily(f) {
			t.Fatalf("%s unknown", f)
		}
	}
	if knownFamily("overhead_bogus") {
		t.Fatal("a bogus family is known")
	}
}

func TestLoops(t *testing.T) {
	for name, r := range map[string]gbench.Result{
		"once": once(tiny), "wait_group": waitGroup(tiny), "semaphore": semaphoreCase(3, tiny),
		"err_group": errGroup(8, tiny),
	} {
		if r.Iterations < 1 || r.Counters["ns_per_op"] <= 0 {
			t.Fatalf("%s: %+v", name, r)
		}
	}
}

func TestCondBroadcastWakesEveryWaiter(t *testing.T) {
	r := condBroadcast(4, tiny)
	k := r.Counters
	if k["rounds"] < minRounds || k["last_wake_p50_ns"] < k["first_wake_p50_ns"] || k["ns_per_op"] != k["last_wake_p50_ns"] {
		t.Fatalf("%v", k)
	}
}

func TestContextTreeShape(t *testing.T) {
	k := contextCancel(3, 2, tiny).Counters
	if k["leaves"] != 8 || k["nodes"] != 2+4+8 || k["rounds"] < minRounds || k["all_done_p50_ns"] <= 0 {
		t.Fatalf("%v", k)
	}
}

func TestSingleFlightMergesOrCounts(t *testing.T) {
	k := singleFlight(4, tiny).Counters
	if k["ideal_fn_calls_per_do"] != 0.25 || k["fn_calls_per_do"] < 0.25 || k["fn_calls_per_do"] > 1 ||
		k["shared_rate"] < 0 || k["shared_rate"] > 1 || k["rounds"] < minRounds {
		t.Fatalf("%v", k)
	}
}

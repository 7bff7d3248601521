package main

import (
	"testing"

	"syncscope/gbench"
)

// The thread rows of GoMutex / GoRWMutex are replayed once each with Go's
// locks; every case runs, reports the suite's counters and leaves its
// histogram under the name without Google Benchmark's suffixes.
func TestCasesReplayTheGoDesignsThreadRows(t *testing.T) {
	plan := []gbench.PlanEntry{
		{RunName: "starvation/lock:GoMutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/manual_time", Repetitions: 1},
		{RunName: "starvation/lock:GoMutex/threads:2/placement:compact/cs_ns:100/ncs_ns:100/manual_time", Repetitions: 1},
		{RunName: "starvation/lock:GoMutex/model:goroutine/threads:2/placement:none/cs_ns:100/ncs_ns:100/manual_time", Repetitions: 1},
		{RunName: "starvation/lock:std_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/manual_time", Repetitions: 1},
		{RunName: "starvation_lockskew/lock:GoMutex/manual_time", Repetitions: 1},
		{RunName: "starvation_lockskew/lock:GoMutex/model:goroutine/manual_time", Repetitions: 1},
		{RunName: "starvation_rw/lock:GoRWMutex/read_pct:90/threads:2/manual_time", Repetitions: 1},
		{RunName: "starvation_rw/lock:std_shared_mutex/read_pct:90/threads:2/manual_time", Repetitions: 1},
	}
	prof, _ := gbench.ParseProfile("quick")
	hists := map[string]interface{}{}
	cases := Cases(plan, prof, hists)
	want := []string{
		"starvation/lock:go_sync_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/manual_time",
		"starvation_lockskew/lock:go_sync_mutex/manual_time",
		"starvation_rw/lock:go_sync_rwmutex/read_pct:90/threads:2/manual_time",
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d: %+v", len(cases), len(want), cases)
	}
	counters := [][]string{
		{"wait_p50_ns", "wait_p99_ns", "wait_max_ns", "wait_count", "acq_per_s", "cpu_ns_per_acq"},
		{"victim_wait_p99_ns", "victim_wait_count", "victim_acq", "hog_acq", "hog_wait_max_ns", "realtime"},
		{"reader_wait_p99_ns", "writer_wait_p99_ns", "reads", "writes", "acq_per_s"},
	}
	for i, c := range cases {
		if c.Name != want[i] {
			t.Errorf("case %d: %s, want %s", i, c.Name, want[i])
		}
		r := c.Run()
		for _, k := range counters[i] {
			if _, ok := r.Counters[k]; !ok {
				t.Errorf("%s: no counter %s", c.Name, k)
			}
		}
		if _, ok := hists[gbench.BaseName(c.Name)]; !ok {
			t.Errorf("%s: no histogram under %s", c.Name, gbench.BaseName(c.Name))
		}
	}
}

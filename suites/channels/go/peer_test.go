package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseName(t *testing.T) {
	cases := []struct {
		name string
		want caseSpec
	}{
		{"channels/impl:Chan/case:spsc/cap:1024/msg:8/threads:2/iterations:1/manual_time",
			caseSpec{kind: "spsc", capacity: 1024, msgBytes: 8, threads: 2, producers: 1, consumers: 1}},
		{"channels/impl:Chan/case:mpsc/cap:0/msg:64/threads:4",
			caseSpec{kind: "mpsc", capacity: 0, msgBytes: 64, threads: 4, producers: 3, consumers: 1}},
		{"channels/impl:Chan/case:mpmc/cap:16/msg:8/threads:6",
			caseSpec{kind: "mpmc", capacity: 16, msgBytes: 8, threads: 6, producers: 3, consumers: 3}},
		{"channels/impl:Chan/case:select_both/cap:1/msg:8/threads:8",
			caseSpec{kind: "select_both", capacity: 1, msgBytes: 8, threads: 8, producers: 4, consumers: 4}},
		{"channels/impl:Chan/case:close/cap:0/msg:8/threads:5",
			caseSpec{kind: "close", capacity: 0, msgBytes: 8, threads: 5, producers: 1, consumers: 4}},
		{"channels/impl:Chan/case:prodcons/cap:16/msg:8/threads:2/work_ns:100",
			caseSpec{kind: "prodcons", capacity: 16, msgBytes: 8, threads: 2, producers: 1, consumers: 1, workNs: 100}},
		{"channels/impl:Chan/case:spsc/cap:0/msg:8/threads:2/neighbour:busy/iterations:1/manual_time",
			caseSpec{kind: "spsc", capacity: 0, msgBytes: 8, threads: 2, producers: 1, consumers: 1, neighbour: true}},
		{"channels/impl:Chan/model:goroutine/case:mpmc/cap:1/msg:8/threads:32",
			caseSpec{kind: "mpmc", capacity: 1, msgBytes: 8, threads: 32, producers: 16, consumers: 16, model: "goroutine"}},
		{"channels/impl:Chan/case:handoff_runon/cap:16/msg:8/threads:2/work_ns:500000/iterations:1/manual_time",
			caseSpec{kind: "handoff_runon", capacity: 16, msgBytes: 8, threads: 2, producers: 1, consumers: 1, workNs: 500000}},
	}
	for _, c := range cases {
		got, _, ok := parseName(c.name)
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseName(%q) = %+v, %v; want %+v", c.name, got, ok, c.want)
		}
	}
	for _, bad := range []string{"channels/impl:Chan/case:spsc", "channels/impl:Chan/case:nope/cap:1/threads:2",
		"channels/impl:Chan/case:spsc/cap:x/threads:2"} {
		if _, _, ok := parseName(bad); ok {
			t.Errorf("parseName(%q) accepted", bad)
		}
	}
	if s, _, _ := parseName("channels/impl:Chan/case:spsc/cap:unbounded/msg:8/threads:2"); supported(s) {
		t.Error("Go's channels have no unbounded capacity")
	}
	if goName("channels/impl:Chan/case:spsc/cap:1/msg:8/threads:2") != "channels/impl:go_chan/case:spsc/cap:1/msg:8/threads:2" {
		t.Error("goName")
	}
}

// readPlan takes each Chan benchmark once (its units and repetitions), skips
// aggregates, errors, other implementations, and tolerates Google
// Benchmark's bare NaN values.
func TestReadPlan(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "channels.json")
	doc := `{"benchmarks": [
  {"name": "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time", "run_name": "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time", "run_type": "iteration", "repetitions": 3, "units": 4000, "parks_per_msg": 0},
  {"name": "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time", "run_name": "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time", "run_type": "iteration", "repetitions": 3, "units": 4000},
  {"name": "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time_cv", "run_name": "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time", "run_type": "aggregate", "parks_per_msg": NaN, "units": 0},
  {"name": "channels/impl:Chan/case:mpmc/cap:0/msg:8/threads:4", "run_type": "iteration", "error_occurred": true, "units": 8},
  {"name": "channels/impl:boost_fiber/case:spsc/cap:16/msg:8/threads:2", "run_type": "iteration", "units": 8},
  {"name": "channels/impl:Chan/case:seq/cap:unbounded/msg:8/threads:1", "run_type": "iteration", "units": 8},
  {"name": "channels/impl:Chan/model:goroutine/case:spsc/cap:16/msg:8/threads:2", "run_type": "iteration", "units": 9},
  {"name": "channels/impl:Chan/case:close/cap:0/msg:8/threads:5", "run_type": "iteration", "units": 7},
  {"name": "channels/impl:Chan/case:spsc/cap:1/msg:8/threads:2/neighbour:busy", "run_type": "iteration", "units": 5},
  {"name": "channels/impl:Chan/model:goroutine/case:close/cap:0/msg:8/threads:5", "run_type": "iteration", "repetitions": 2, "units": 70},
  {"name": "channels/impl:Chan/model:goroutine/case:mpmc/cap:1024/msg:8/threads:32", "run_type": "iteration", "units": 11}
]}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := readPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	// A goroutine row joins its case's entry (the larger units and
	// repetitions win); a case only on goroutines gets its own.
	if len(plan) != 4 {
		t.Fatalf("plan has %d entries, want 4: %+v", len(plan), plan)
	}
	if p := plan[3]; p.runName != "channels/impl:Chan/case:mpmc/cap:1024/msg:8/threads:32" ||
		p.units != 11 || p.spec.model != "" || p.spec.producers != 16 {
		t.Errorf("plan[3] = %+v", p)
	}
	if !plan[2].spec.neighbour || plan[2].units != 5 || plan[0].spec.neighbour {
		t.Errorf("neighbour flags: %+v / %+v", plan[0], plan[2])
	}
	if plan[0].units != 4000 || plan[0].repetitions != 3 || plan[0].spec.kind != "spsc" ||
		plan[0].runName != "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time" {
		t.Errorf("plan[0] = %+v", plan[0])
	}
	if plan[1].units != 70 || plan[1].repetitions != 2 || plan[1].spec.consumers != 4 {
		t.Errorf("plan[1] = %+v", plan[1])
	}
}

// The neighbour child starts (every busy thread pinned, its policy set),
// says which policy it got, and is gone after stop().
func TestNeighbourStartsAndStops(t *testing.T) {
	nb, err := startNeighbour()
	if err != nil {
		t.Fatal(err)
	}
	if nb.policy != "sched_idle" && nb.policy != "nice19" {
		t.Errorf("policy %q", nb.policy)
	}
	// A case runs to completion beside it.
	c := caseSpec{kind: "spsc", capacity: 1, msgBytes: 8, threads: 2, producers: 1, consumers: 1, neighbour: true}
	if o := runCase(c, 64); o.messages != 64 {
		t.Errorf("spsc beside the neighbour moved %d messages", o.messages)
	}
	nb.stop()
	if nb.cmd.ProcessState == nil {
		t.Error("the neighbour child was not waited for")
	}
}

// TestMain lets the test binary act as the neighbour child (startNeighbour
// re-executes the running binary with -neighbour-child).
func TestMain(m *testing.M) {
	for _, a := range os.Args[1:] {
		if a == "-neighbour-child" {
			neighbourChild()
			return
		}
	}
	os.Exit(m.Run())
}

// Every case runs to completion with tiny unit counts and reports what it did.
func TestEveryCaseRuns(t *testing.T) {
	specs := []caseSpec{
		{kind: "seq", capacity: 16, msgBytes: 8, threads: 1, producers: 1, consumers: 1},
		{kind: "spsc", capacity: 0, msgBytes: 1024, threads: 2, producers: 1, consumers: 1},
		{kind: "mpsc", capacity: 1, msgBytes: 8, threads: 4, producers: 3, consumers: 1},
		{kind: "mpmc", capacity: 16, msgBytes: 64, threads: 4, producers: 2, consumers: 2},
		{kind: "select_rx", capacity: 0, msgBytes: 8, threads: 5, producers: 4, consumers: 1},
		{kind: "select_both", capacity: 1, msgBytes: 8, threads: 8, producers: 4, consumers: 4},
		{kind: "pingpong", capacity: 0, msgBytes: 8, threads: 2, producers: 1, consumers: 1},
		{kind: "prodcons", capacity: 16, msgBytes: 8, threads: 2, producers: 1, consumers: 1, workNs: 100},
		{kind: "try_recv", capacity: 0, msgBytes: 8, threads: 1, producers: 1, consumers: 1},
		{kind: "popular", capacity: 0, msgBytes: 8, threads: 5, producers: 1, consumers: 4},
		{kind: "close", capacity: 0, msgBytes: 8, threads: 3, producers: 1, consumers: 2},
		{kind: "handoff_runon", capacity: 0, msgBytes: 8, threads: 2, producers: 1, consumers: 1, workNs: 50000},
	}
	for _, c := range specs {
		units := uint64(48)
		if c.kind == "close" {
			units = 2
		}
		if c.kind == "handoff_runon" {
			units = 4
		}
		o := runCase(c, units)
		if o.units != units || o.messages != messagesOf(c, units) || o.wallS <= 0 {
			t.Errorf("%s: units %d messages %d wall %g", c.kind, o.units, o.messages, o.wallS)
		}
		k := counters(c, o)
		if k["ns_per_msg"] <= 0 || k["messages"] != float64(o.messages) {
			t.Errorf("%s: counters %v", c.kind, k)
		}
		if c.kind != "try_recv" && o.hist.Count() == 0 {
			t.Errorf("%s: no latency sample", c.kind)
		}
		if c.kind == "close" && o.hist.Count() != units*uint64(c.consumers) {
			t.Errorf("close: %d wake-ups recorded, want %d", o.hist.Count(), units*uint64(c.consumers))
		}
		if c.kind == "handoff_runon" {
			// Every message's wait is sampled, and the reported time is their sum.
			if o.hist.Count() != units || k["lat_max_ns"] != float64(o.hist.Max()) ||
				k["lat_p50_ns"] > k["lat_max_ns"] || o.measuredS <= 0 || o.measuredS > o.wallS {
				t.Errorf("handoff_runon: %d waits recorded of %d, counters %v, measured %g of wall %g",
					o.hist.Count(), units, k, o.measuredS, o.wallS)
			}
		}
		raw, err := json.Marshal(histJSON(c, o.hist))
		if err != nil || len(raw) == 0 {
			t.Errorf("%s: histogram JSON: %v", c.kind, err)
		}
	}
}

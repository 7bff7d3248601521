package main

import (
	"sync"
	"testing"

	"syncscope/gbench"
)

var tiny = gbench.Profile{Name: "quick", MinTime: 0.002}

func TestCasesNames(t *testing.T) {
	p := []gbench.PlanEntry{
		{RunName: "maps/scenario:disjoint_keys/map:SyncMap/placement:compact/real_time/threads:2", Repetitions: 3, Threads: 2},
		{RunName: "maps/scenario:disjoint_keys/map:SyncMap/placement:scatter/real_time/threads:2", Repetitions: 3, Threads: 2},
		{RunName: "maps/scenario:disjoint_keys/map:ConcurrentMap/placement:none/real_time/threads:1", Repetitions: 3, Threads: 1},
		{RunName: "maps/scenario:bogus/map:SyncMap/placement:none/real_time/threads:1", Repetitions: 3, Threads: 1},
		{RunName: "maps/scenario:read_90_write_10/map:SyncMap/placement:none/real_time/threads:1", Repetitions: 3, Threads: 1},
	}
	cases := Cases(p, tiny)
	want := []string{
		"maps/scenario:disjoint_keys/map:go_sync_map/placement:none/real_time/threads:2",
		"maps/scenario:read_90_write_10/map:go_sync_map/placement:none/real_time/threads:1",
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases", len(cases))
	}
	for i, c := range cases {
		if c.Name != want[i] || c.Repetitions != 3 {
			t.Fatalf("case %d: %+v", i, c)
		}
	}
}

func TestPlans(t *testing.T) {
	for _, s := range []scenario{writeOnceReadMany, disjointKeys, read90Write10} {
		for g := 0; g < 2; g++ {
			p := makePlan(s, g, planLength)
			first, count := ownKeys(s, g)
			writes := 0
			for _, op := range p {
				key := op &^ writeBit
				if count > 0 {
					if key < first || key >= first+count {
						t.Fatalf("scenario %d goroutine %d: key %d outside its own", s, g, key)
					}
				} else if key >= sharedKeys {
					t.Fatalf("scenario %d: key %d outside the shared keys", s, key)
				}
				if op&writeBit != 0 {
					writes++
				}
			}
			if s == writeOnceReadMany && writes != 0 {
				t.Fatalf("write_once_read_many plans %d writes", writes)
			}
			if s != writeOnceReadMany && writes == 0 {
				t.Fatalf("scenario %d plans no writes", s)
			}
		}
	}
}

func TestReadTwice(t *testing.T) {
	var m sync.Map
	for k := uint64(0); k < 10; k++ {
		m.Store(k, k)
	}
	if got := readTwice(&m, 0, 10); got != 90 {
		t.Fatalf("readTwice = %d, want 90", got)
	}
}

func TestEveryScenarioRuns(t *testing.T) {
	for _, s := range []scenario{writeOnceReadMany, disjointKeys, read90Write10} {
		r := runMap(s, 2, tiny)
		k := r.Counters
		if r.Iterations < 1 || k["ns_per_op"] <= 0 || k["ops_per_s"] <= 0 || k["cpu_ns_per_op"] < 0 {
			t.Fatalf("scenario %d: %+v", s, r)
		}
	}
}

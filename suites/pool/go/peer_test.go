package main

import (
	"strings"
	"testing"

	"syncscope/gbench"
)

// tiny: a profile whose runs take milliseconds (the tests check shapes and
// counts, never timings).
var tiny = gbench.Profile{Name: "quick", MinTime: 0.002}

func plan(names ...string) []gbench.PlanEntry {
	var p []gbench.PlanEntry
	for _, n := range names {
		t, ok := gbench.SegmentInt(n, "threads")
		if !ok || gbench.Family(n) == "pool_expensive_new" {
			t = 1
		}
		p = append(p, gbench.PlanEntry{RunName: n, Repetitions: 2, Threads: t})
	}
	return p
}

func TestCasesNamesAndSkips(t *testing.T) {
	cases, skipped := Cases(plan(
		"pool_put_get/peer:Pool/placement:compact/real_time/threads:2",
		"pool_put_get/peer:Pool/placement:scatter/real_time/threads:2", // same Go case
		"pool_put_get/peer:no_pool/placement:none/real_time/threads:1", // not Pool's
		"pool_overflow/peer:Pool/placement:none/real_time/threads:1",
		"pool_variable_sizes/peer:Pool/cap:none/manual_time",
		"pool_victim/peer:Pool/held:1000",
	), tiny)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
		if c.Repetitions != 2 {
			t.Fatalf("%s: repetitions %d", c.Name, c.Repetitions)
		}
	}
	want := []string{
		"pool_put_get/peer:go_sync_pool/placement:none/real_time/threads:2",
		"pool_overflow/peer:go_sync_pool/placement:none/real_time/threads:1",
		"pool_victim/peer:go_sync_pool/held:1000",
	}
	if len(names) != len(want) {
		t.Fatalf("names %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("names %v, want %v", names, want)
		}
	}
	if len(skipped) != 1 || !strings.HasPrefix(skipped[0], "pool_variable_sizes: ") {
		t.Fatalf("skipped %v", skipped)
	}
}

func inUnit(t *testing.T, name string, v float64) {
	t.Helper()
	if !(v >= 0 && v <= 1) {
		t.Fatalf("%s = %v, want within [0, 1]", name, v)
	}
}

// Every family runs and reports its counters with sane values.
func TestEveryFamilyRuns(t *testing.T) {
	cases, _ := Cases(plan(
		"pool_put_get/peer:Pool/placement:none/real_time/threads:1",
		"pool_put_get/peer:Pool/placement:none/real_time/threads:2",
		"pool_overflow/peer:Pool/placement:none/real_time/threads:2",
		"pool_starvation/peer:Pool/placement:none/real_time/threads:2",
		"pool_cross_thread/peer:Pool/placement:none/real_time/threads:2",
		"pool_expensive_new/peer:Pool/threads:2/manual_time",
		"pool_victim/peer:Pool/held:100",
		"pool_trim_pause/peer:Pool/objects:1000/manual_time",
	), tiny)
	if len(cases) != 8 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		r := c.Run()
		if r.Iterations < 1 || r.RealS <= 0 {
			t.Fatalf("%s: %+v", c.Name, r)
		}
		k := r.Counters
		switch gbench.Family(c.Name) {
		case "pool_trim_pause":
			if k["samples"] != 20 || k["trim_free_p50_ns"] <= 0 || k["trim_swap_p50_ns"] <= 0 {
				t.Fatalf("%s: %v", c.Name, k)
			}
		case "pool_expensive_new":
			inUnit(t, c.Name+" hit_rate", k["hit_rate"])
			if k["gets"] <= 0 || k["gets"] != float64(int(k["gets"]/checkedOut)*checkedOut) || k["trims_per_gc"] != 1 {
				t.Fatalf("%s: %v", c.Name, k)
			}
		default:
			inUnit(t, c.Name+" hit_rate", k["hit_rate"])
			if k["ns_per_op"] <= 0 || k["allocs_per_op"] < 0 {
				t.Fatalf("%s: %v", c.Name, k)
			}
		}
	}
}

// The starvation case makes 33 objects of garbage per 100 gets: at least
// a third of its gets are News.
func TestStarvationNewsAtLeastAThird(t *testing.T) {
	r := starvation(1, tiny)
	if n := r.Counters["news_per_op"]; n < float64(starveGets-starvePuts)/starveGets {
		t.Fatalf("news_per_op %v", n)
	}
}

package gbench

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSegments(t *testing.T) {
	n := "pool_overflow/peer:Pool/placement:compact/real_time/threads:2"
	if got := Segment(n, "peer"); got != "Pool" {
		t.Fatalf("Segment peer = %q", got)
	}
	if got := Segment(n, "impl"); got != "" {
		t.Fatalf("Segment impl = %q, want empty", got)
	}
	if v, ok := SegmentInt(n, "threads"); !ok || v != 2 {
		t.Fatalf("SegmentInt threads = %d, %v", v, ok)
	}
	if _, ok := SegmentInt(n, "peer"); ok {
		t.Fatal("SegmentInt of a non-number must fail")
	}
	if got := Family(n); got != "pool_overflow" {
		t.Fatalf("Family = %q", got)
	}
	want := "pool_overflow/peer:go_sync_pool/placement:compact/real_time/threads:2"
	if got := SetSegment(n, "peer", "go_sync_pool"); got != want {
		t.Fatalf("SetSegment replace = %q", got)
	}
	want = "overhead_context_cancel/impl:go_context/depth:1/width:16/manual_time"
	if got := SetSegment("overhead_context_cancel/depth:1/width:16/manual_time", "impl", "go_context"); got != want {
		t.Fatalf("SetSegment insert = %q", got)
	}
}

func TestReadPlan(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pool.json")
	// NaN (Google Benchmark writes it), an aggregate, an errored case and a
	// repeated iteration entry: one entry per run_name that ran.
	raw := `{"context": {}, "benchmarks": [
	 {"name": "a/x:1/threads:2", "run_name": "a/x:1/threads:2", "run_type": "iteration", "repetitions": 3, "threads": 2},
	 {"name": "a/x:1/threads:2", "run_name": "a/x:1/threads:2", "run_type": "iteration", "repetitions": 3, "threads": 2},
	 {"name": "a/x:1/threads:2_cv", "run_name": "a/x:1/threads:2", "run_type": "aggregate", "v": NaN},
	 {"name": "b/y:2", "run_name": "b/y:2", "run_type": "iteration", "error_occurred": true},
	 {"name": "c/z:3", "run_type": "iteration", "v": -inf}]}`
	if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := ReadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 || plan[0].RunName != "a/x:1/threads:2" || plan[0].Repetitions != 3 ||
		plan[0].Threads != 2 || plan[1].RunName != "c/z:3" || plan[1].Repetitions != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	if err := os.WriteFile(path, []byte(`{"context": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPlan(path); err == nil {
		t.Fatal("a file without benchmarks must be refused")
	}
	if _, err := ReadPlan(filepath.Join(dir, "nope.json")); err == nil {
		t.Fatal("a missing file must be refused")
	}
}

// A suite run with --benchmark_report_aggregates_only writes aggregates
// only: they stand for their runs (one entry per run_name, with its
// repetitions), an errored one still left out.
func TestPlanFromAggregatesOnly(t *testing.T) {
	rows := []map[string]interface{}{
		{"name": "a/x:1_mean", "run_name": "a/x:1", "run_type": "aggregate", "repetitions": 3.0},
		{"name": "a/x:1_median", "run_name": "a/x:1", "run_type": "aggregate", "repetitions": 3.0},
		{"name": "b/y:2_mean", "run_name": "b/y:2", "run_type": "aggregate", "error_occurred": true},
		{"name": "c/z:3_median", "run_name": "c/z:3", "run_type": "aggregate", "repetitions": 2.0},
	}
	plan := PlanFromBenchmarks(rows)
	if len(plan) != 2 || plan[0].RunName != "a/x:1" || plan[0].Repetitions != 3 ||
		plan[1].RunName != "c/z:3" || plan[1].Repetitions != 2 {
		t.Fatalf("plan = %+v", plan)
	}
}

func TestParseProfile(t *testing.T) {
	for _, name := range []string{"quick", "full"} {
		p, err := ParseProfile(name)
		if err != nil || p.Name != name || p.MinTime <= 0 || p.Full() != (name == "full") {
			t.Fatalf("ParseProfile(%q) = %+v, %v", name, p, err)
		}
	}
	if _, err := ParseProfile("slow"); err == nil {
		t.Fatal("an unknown profile must be refused")
	}
}

func TestGrowIterationsStopsAtMinTime(t *testing.T) {
	// A fake clock: each iteration "takes" 1 ms.
	var calls []int64
	n, s := GrowIterations(0.05, func(k int64) float64 {
		calls = append(calls, k)
		return float64(k) * 1e-3
	})
	if s < 0.05 || float64(n)*1e-3 != s {
		t.Fatalf("n=%d s=%v", n, s)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] {
			t.Fatalf("iterations must grow: %v", calls)
		}
	}
}

func TestThreadsRunsEveryBody(t *testing.T) {
	seen := make([]bool, 5)
	Threads(5, func(i int) { seen[i] = true })
	for i, ok := range seen {
		if !ok {
			t.Fatalf("body %d did not run", i)
		}
	}
}

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if Percentile(v, 0.5) != 5 || Percentile(v, 0.99) != 10 || Percentile(v, 0) != 1 || Percentile(nil, 0.5) != 0 {
		t.Fatal("nearest-rank percentiles")
	}
}

func TestRunAllShape(t *testing.T) {
	reps := 0
	cases := []Case{
		{Name: "f/impl:go_x/threads:2", Repetitions: 3, Threads: 2, Label: "L", Run: func() Result {
			reps++
			return Result{Iterations: 10, RealS: 1e-6 * float64(reps), CPUS: 1e-6,
				Counters: map[string]float64{"ns_per_op": float64(reps)}}
		}},
		{Name: "g/impl:go_y", Repetitions: 1, Threads: 1, Run: func() Result {
			return Result{Iterations: 1, RealS: 1e-3, Counters: map[string]float64{"k": 7}}
		}},
	}
	var lines []string
	out := RunAll(cases, func(s string) { lines = append(lines, s) })
	if len(out) != 3+4+1 || len(lines) != 2 {
		t.Fatalf("%d entries, %d lines", len(out), len(lines))
	}
	for i := 0; i < 3; i++ {
		e := out[i]
		if e["run_type"] != "iteration" || e["repetition_index"] != i || e["threads"] != 2 || e["label"] != "L" {
			t.Fatalf("entry %d = %v", i, e)
		}
		if e["real_time"].(float64) != float64(i+1)*100 { // ns per iteration
			t.Fatalf("real_time %v", e["real_time"])
		}
	}
	aggs := map[string]map[string]interface{}{}
	for _, e := range out[3:7] {
		aggs[e["aggregate_name"].(string)] = e
	}
	if aggs["median"]["ns_per_op"] != 2.0 || aggs["mean"]["ns_per_op"] != 2.0 || aggs["stddev"]["ns_per_op"] != 1.0 ||
		aggs["cv"]["ns_per_op"] != 0.5 || aggs["cv"]["aggregate_unit"] != "percentage" {
		t.Fatalf("aggregates %v", aggs)
	}
	if out[7]["k"] != 7.0 || out[7]["run_type"] != "iteration" {
		t.Fatalf("single repetition %v", out[7])
	}
	if math.IsNaN(out[7]["cpu_time"].(float64)) {
		t.Fatal("cpu_time NaN")
	}
}

func TestRunAllGivesEachCaseItsOwnNoiseWindow(t *testing.T) {
	cases := []Case{
		{Name: "burn", Repetitions: 2, Threads: 1, Run: func() Result {
			c0 := CPUNs() // 30 ms of this process's own CPU per repetition
			for CPUNs()-c0 < 30e6 {
			}
			return Result{Iterations: 1, RealS: 1e-3, Counters: map[string]float64{"k": 1}}
		}},
		{Name: "sleep", Repetitions: 1, Threads: 1, Run: func() Result {
			time.Sleep(5 * time.Millisecond)
			return Result{Iterations: 1, RealS: 5e-3}
		}},
	}
	out := RunAll(cases, nil)
	if len(out) != 2+4+1 {
		t.Fatalf("%d entries", len(out))
	}
	fields := []string{"noise_window_start_s", "noise_window_end_s", "noise_wall_s",
		"noise_load1_before", "noise_load1_after", "noise_own_cpu_s", "noise_foreign_cpu_s",
		"noise_foreign_cpus", "noise_steal_s", "noise_own_voluntary_csw",
		"noise_own_involuntary_csw", "noise_disturbed"}
	// The two repetitions and the four aggregates of "burn" share one window
	// (the aggregates do not average it: stddev and cv rows carry it as is).
	for _, e := range out[:6] {
		for _, k := range fields {
			if _, ok := e[k].(float64); !ok || e[k] != out[0][k] {
				t.Fatalf("%s: %s = %v, first row %v", e["name"], k, e[k], out[0][k])
			}
		}
	}
	burn, sleep := out[0], out[6]
	if own := burn["noise_own_cpu_s"].(float64); own < 0.05 {
		t.Errorf("burn's window counts %v s of own CPU after burning 60 ms", own)
	}
	// The windows carry the machine's state at their ends where a probe
	// answered (two CPUs, within its budget): one probe per boundary, so the
	// second window's "before" is the first's "after".
	if sleep["noise_line_handoff_before_ns"] != burn["noise_line_handoff_after_ns"] {
		t.Errorf("state probes do not tile: %v then %v", burn["noise_line_handoff_after_ns"],
			sleep["noise_line_handoff_before_ns"])
	}
	for _, e := range []map[string]interface{}{burn, sleep} {
		for _, k := range []string{"noise_line_handoff_before_ns", "noise_line_handoff_after_ns"} {
			if v, has := e[k]; has {
				if f, ok := v.(float64); !ok || f <= 0 {
					t.Errorf("%s: %s = %v", e["name"], k, v)
				}
			}
		}
	}
	// The windows tile: the second starts where the first ended.
	if sleep["noise_window_start_s"] != burn["noise_window_end_s"] {
		t.Errorf("windows %v..%v and %v..%v do not tile", burn["noise_window_start_s"],
			burn["noise_window_end_s"], sleep["noise_window_start_s"], sleep["noise_window_end_s"])
	}
	if w := sleep["noise_wall_s"].(float64); w <= 0 {
		t.Errorf("noise_wall_s %v", w)
	}
	if d := sleep["noise_disturbed"]; d != 0.0 && d != 1.0 {
		t.Errorf("noise_disturbed %v", d)
	}
}

func TestCaseNoiseDisturbedByTheThresholds(t *testing.T) {
	a := NoiseSample{WallNs: 0, Load1: 1, BusyS: 100, StealS: 0, OwnCPUS: 0}
	quiet := a
	quiet.WallNs, quiet.BusyS = 10e9, 102.4 // 0.24 foreign CPUs
	busy := quiet
	busy.BusyS = 102.6 // 0.26
	stolen := quiet
	stolen.StealS = 0.6 // 6 % of 10 s
	if CaseNoise(a, quiet)["noise_disturbed"] != 0 || CaseNoise(a, busy)["noise_disturbed"] != 1 ||
		CaseNoise(a, stolen)["noise_disturbed"] != 1 {
		t.Fatalf("quiet %v busy %v stolen %v", CaseNoise(a, quiet), CaseNoise(a, busy),
			CaseNoise(a, stolen))
	}
	unreadable := NoiseSample{WallNs: 1e9, BusyS: -1, StealS: -1}
	if n := CaseNoise(unreadable, unreadable); n["noise_disturbed"] != 0 {
		t.Fatalf("unreadable /proc/stat: %v", n)
	} else if _, ok := n["noise_foreign_cpus"]; ok {
		t.Fatalf("unreadable /proc/stat has foreign CPUs: %v", n)
	}
}

func TestRuntimeContext(t *testing.T) {
	c := RuntimeContext()
	for _, want := range []string{runtime.Version(), "GOMAXPROCS=", "GOGC=", "GOMEMLIMIT="} {
		if !strings.Contains(c, want) {
			t.Fatalf("context %q lacks %q", c, want)
		}
	}
}

func TestNoiseSeesABusyGoroutine(t *testing.T) {
	a := SampleNoise()
	if a.Load1 < 0 || a.BusyS < 0 || a.StealS < 0 {
		t.Fatalf("unreadable /proc counters: %+v", a)
	}
	// Burn this process's own CPU: it must count as own.
	c0 := CPUNs()
	for CPUNs()-c0 < 50e6 {
	}
	b := SampleNoise()
	n := Noise(a, b)
	if own := n["own_cpu_s"].(float64); own < 0.04 {
		t.Errorf("own_cpu_s = %v after burning 50 ms", own)
	}
	wall := n["wall_s"].(float64)
	if wall <= 0 {
		t.Errorf("wall_s = %v", wall)
	}
	// Other processes' share: present and never negative (its size is the
	// machine's business; /proc/stat's 10 ms ticks make it coarse).
	if fc, ok := n["foreign_cpus"].(float64); !ok || fc < 0 {
		t.Errorf("foreign_cpus = %v (ok %v), want >= 0", n["foreign_cpus"], ok)
	}
	for _, k := range []string{"load1_before", "load1_after", "steal_s", "own_voluntary_csw",
		"own_involuntary_csw", "usable_pus", "method"} {
		if _, ok := n[k]; !ok {
			t.Errorf("no %s in %v", k, n)
		}
	}
}

func TestBaseNameDropsGoogleBenchmarkSuffixes(t *testing.T) {
	if got := BaseName("a/impl:go_chan/x:1/iterations:1/repeats:3/manual_time"); got != "a/impl:go_chan/x:1" {
		t.Errorf("BaseName = %q", got)
	}
	if got := BaseName("a/b:1/real_time"); got != "a/b:1" {
		t.Errorf("BaseName = %q", got)
	}
}

// The work chain is the C++ suites' work_steps (suites/common/calibrated_work.h)
// step for step: the same values at the same step counts, pinned in both
// languages (calibrated_work_test.cc), so a row's work_ns is the same
// instructions on both sides of a comparison.
func TestWorkStepsIsTheCxxChain(t *testing.T) {
	for _, c := range []struct{ n, want uint64 }{
		{0, 0}, {1, 7806831264735756412}, {3, 13547870596056087544}, {1000, 9694332111084602096},
	} {
		if got := WorkSteps(c.n); got != c.want {
			t.Errorf("WorkSteps(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// The probe answers with two usable CPUs, not with one, and gives the
// calling thread its mask back.
func TestLineHandoffProbe(t *testing.T) {
	var before, after CPUMask
	if !GetAffinity(&before) {
		t.Fatal("sched_getaffinity failed")
	}
	ns, ok := ProbeLineHandoffNs()
	n := 0
	for _, w := range before {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	// With two CPUs, no answer only when the budget ran out (a loaded machine).
	if (ok && n < 2) || (ok && ns <= 0) {
		t.Errorf("probe: %g ns, ok %v, with %d CPUs", ns, ok, n)
	}
	if !GetAffinity(&after) || after != before {
		t.Errorf("affinity not given back: %v -> %v", before, after)
	}
}

// firstTwoCPUs: the process's first two CPUs, or its one twice (the two
// sides then take turns on it, as under load).
func firstTwoCPUs() (int, int) {
	cpus := []int{}
	for c := 0; c < len(processMask)*64 && len(cpus) < 2; c++ {
		if processMask[c/64]&(1<<(uint(c)%64)) != 0 {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 1 {
		return cpus[0], cpus[0]
	}
	return cpus[0], cpus[1]
}

// A 1 ns budget runs out in the warm-up sample: no sample kept, and the
// pong goroutine, waiting for a hand-over, reads the stop and returns
// (nothing hangs); without a budget every sample.
func TestLineHandoffBudgetEndsTheExchange(t *testing.T) {
	if !processMaskOK {
		t.Fatal("sched_getaffinity failed at init")
	}
	a, b := firstTwoCPUs()
	var mask CPUMask
	if !GetAffinity(&mask) {
		t.Fatal("sched_getaffinity failed")
	}
	if s, ok := lineHandoffSamples(a, b, 20, 1000, 1); !ok || len(s) != 0 {
		t.Errorf("1 ns budget: %d samples, ok %v", len(s), ok)
	}
	if s, ok := lineHandoffSamples(a, b, 5, 7, 0); !ok || len(s) != 7 {
		t.Errorf("no budget: %d samples, ok %v", len(s), ok)
	}
	var after CPUMask
	if !GetAffinity(&after) || after != mask {
		t.Errorf("affinity not given back")
	}
}

// A caller whose thread is pinned to one CPU still probes between the
// process's first two CPUs, and keeps its mask.
func TestLineHandoffProbeFromAPinnedThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all CPUMask
	if !GetAffinity(&all) {
		t.Fatal("sched_getaffinity failed")
	}
	first := 0
	for all[first/64]&(1<<(uint(first)%64)) == 0 {
		first++
	}
	if !setAffinity(onlyCPU(first)) {
		t.Fatal("sched_setaffinity failed")
	}
	defer setAffinity(&all)
	n := 0
	for _, w := range processMask {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	// Between the process's CPUs whatever the caller's mask: no budget, so
	// the probe's own answer would only depend on the load; the samples do not.
	a, b := firstTwoCPUs()
	if s, ok := lineHandoffSamples(a, b, 5, 7, 0); !ok || len(s) != 7 {
		t.Errorf("pinned caller: %d samples, ok %v, with %d CPUs in the process", len(s), ok, n)
	}
	if _, ok := ProbeLineHandoffNs(); ok && n < 2 {
		t.Errorf("a probe with %d CPU", n)
	}
	var after CPUMask
	if !GetAffinity(&after) || after != *onlyCPU(first) {
		t.Errorf("the caller's mask changed: %v", after)
	}
}

// A child the peer waited for counts as the peer's own CPU (the channels
// peer's neighbour is one): the sample's OwnCPUS grows by at least the
// child's own user + system time.
func TestSampleNoiseCountsWaitedChildren(t *testing.T) {
	before := SampleNoise()
	cmd := exec.Command("/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	child := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	after := SampleNoise()
	if got := after.OwnCPUS - before.OwnCPUS; got+1e-9 < child {
		t.Errorf("own CPU grew by %.4f s, the child alone used %.4f s", got, child)
	}
}

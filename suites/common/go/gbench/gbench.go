// Package gbench is what the Go peers of the syncscope suites share: it
// reads the C++ suite's Google Benchmark JSON as the plan (which cases ran,
// with how many threads and repetitions), grows a case's iteration count the
// way Google Benchmark does until it runs for the profile's minimum time,
// and writes the results in Google Benchmark's JSON shape, so that
// suites/common/peer_merge.py can put them into the suite's JSON next to the
// C++ rows under the same names (one segment's value says "go_...").
//
// A peer runs in one of two modes (Start, Run): replayed (-plan SUITE.json,
// after the suite, Finish) or served (-serve, serve.go: the suite runs the
// peer as its child and asks for each benchmark's Go twin right after the
// benchmark, so the two rows meet the same state of the machine); the
// context key SUITE_peer_mode says which.
//
// The peers are built offline in GOPATH mode (GO111MODULE=off) by
// suites/common/go_peer.sh, which stages this package as "syncscope/gbench"
// next to the suite's own package main. The channels peer, a module of its
// own (suites/channels/go), uses it as module syncscope/gbench through a
// replace directive (go.mod here is ignored in GOPATH mode).
package gbench

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "unsafe" // go:linkname
)

// nanotime is the runtime's monotonic clock (one vDSO clock_gettime, the
// clock C++'s std::chrono::steady_clock reads).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Now is a monotonic timestamp in ns.
func Now() int64 { return nanotime() }

// CPUNs is the CPU time the whole process has used (user + system), in ns:
// goroutines are not threads, so a per-thread CPU clock means nothing here.
// It includes the GC's background workers — part of what Go's way costs.
func CPUNs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano() + ru.Stime.Nano())
}

// Mallocs is the runtime's count of heap objects allocated so far (a
// stop-the-world read: call it before and after a run, never inside).
func Mallocs() (mallocs uint64, numGC uint32) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs, ms.NumGC
}

// Fail prints one line and exits 1.
func Fail(prog, format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, prog+": error: "+format+"\n", a...)
	os.Exit(1)
}

// Profile is the run's profile: Google Benchmark's minimum time per run and
// the suites' own sizes depend on it (suites/common/harness.cc).
type Profile struct {
	Name    string
	MinTime float64 // seconds, as --benchmark_min_time
}

// ParseProfile: "quick" or "full"; any other value is a usage error.
func ParseProfile(name string) (Profile, error) {
	switch name {
	case "quick":
		return Profile{name, 0.05}, nil
	case "full":
		return Profile{name, 0.5}, nil
	}
	return Profile{}, fmt.Errorf("unknown profile '%s' (valid: quick, full)", name)
}

// Full: the full profile.
func (p Profile) Full() bool { return p.Name == "full" }

// PlanEntry is one case the C++ suite ran (once, whatever its repetitions).
type PlanEntry struct {
	RunName     string // Google Benchmark's run_name
	Repetitions int
	Threads     int
}

// Segment returns the value of the name's KEY:VALUE segment, or "".
func (e PlanEntry) Segment(key string) string { return Segment(e.RunName, key) }

// Segment returns the value of name's KEY:VALUE segment, or "".
func Segment(name, key string) string {
	for _, s := range strings.Split(name, "/") {
		if strings.HasPrefix(s, key+":") {
			return s[len(key)+1:]
		}
	}
	return ""
}

// SegmentInt is Segment parsed as an int (ok false when absent or bad).
func SegmentInt(name, key string) (int, bool) {
	n, err := strconv.Atoi(Segment(name, key))
	return n, err == nil
}

// Family is the name's first segment.
func Family(name string) string { return strings.SplitN(name, "/", 2)[0] }

// BaseName is the name without Google Benchmark's suffixes (iterations:,
// repeats:, manual_time, real_time): the key of a suite's side files.
func BaseName(name string) string {
	var keep []string
	for _, s := range strings.Split(name, "/") {
		if strings.HasPrefix(s, "iterations:") || strings.HasPrefix(s, "repeats:") ||
			s == "manual_time" || s == "real_time" {
			continue
		}
		keep = append(keep, s)
	}
	return strings.Join(keep, "/")
}

// SetSegment replaces the value of KEY:VALUE in name; with no such segment
// it inserts KEY:value after the family (the first segment).
func SetSegment(name, key, value string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, key+":") {
			segs[i] = key + ":" + value
			return strings.Join(segs, "/")
		}
	}
	out := append([]string{segs[0], key + ":" + value}, segs[1:]...)
	return strings.Join(out, "/")
}

// nonFinite matches a bare NaN / inf value after a key.
var nonFinite = regexp.MustCompile(`(:\s*)-?(?:NaN|nan|Infinity|inf)\b`)

// ReadBenchmarks returns the "benchmarks" array of a Google Benchmark JSON
// file (nil when it has none).
func ReadBenchmarks(path string) ([]map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rows, _, err := decodeBenchmarks(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return rows, nil
}

// ReadPlan returns the cases of a suite's JSON that ran without error, in
// order, one entry per run_name (iteration entries only): PlanFromBenchmarks
// of the file's "benchmarks" array.
func ReadPlan(path string) ([]PlanEntry, error) {
	benchmarks, err := ReadBenchmarks(path)
	if err != nil {
		return nil, err
	}
	if benchmarks == nil {
		return nil, fmt.Errorf("%s: no \"benchmarks\" array", path)
	}
	return PlanFromBenchmarks(benchmarks), nil
}

// PlanFromBenchmarks is the plan of a "benchmarks" array (a plan file's or a
// serve request's): the rows that ran without error, in order, one entry per
// run_name, aggregates left out — unless the array has aggregates only (a
// suite run with --benchmark_report_aggregates_only): then they stand for
// their runs. A value that is not a number (null where the suite had a
// non-finite one) counts as absent.
func PlanFromBenchmarks(benchmarks []map[string]interface{}) []PlanEntry {
	var plan []PlanEntry
	seen := map[string]bool{}
	onlyAggregates := true
	for _, b := range benchmarks {
		if rt, _ := b["run_type"].(string); rt != "aggregate" {
			onlyAggregates = false
			break
		}
	}
	for _, b := range benchmarks {
		name, _ := b["run_name"].(string)
		if name == "" {
			name, _ = b["name"].(string)
		}
		if rt, _ := b["run_type"].(string); rt == "aggregate" && !onlyAggregates {
			continue
		}
		if e, _ := b["error_occurred"].(bool); e {
			continue
		}
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		e := PlanEntry{RunName: name, Repetitions: 1, Threads: 1}
		if r, ok := b["repetitions"].(float64); ok && r >= 1 {
			e.Repetitions = int(r)
		}
		if t, ok := b["threads"].(float64); ok && t >= 1 {
			e.Threads = int(t)
		}
		plan = append(plan, e)
	}
	return plan
}

// Result is one repetition of a case.
type Result struct {
	Iterations int64
	RealS      float64 // wall time of the timed part
	CPUS       float64 // process CPU time of the timed part
	Counters   map[string]float64
}

// Case is one Go row: its run name, repetitions and threads, and the
// function that runs one repetition.
type Case struct {
	Name        string
	Repetitions int
	Threads     int
	Label       string
	Run         func() Result
}

// GrowIterations runs body(n) for n = 1, then larger, the way Google
// Benchmark sizes a run, until one body(n) took at least minTime seconds
// (or n reached 1e9); body returns the seconds it took. Returns the last n
// and its seconds.
func GrowIterations(minTime float64, body func(n int64) float64) (int64, float64) {
	n := int64(1)
	for {
		s := body(n)
		if s >= minTime || n >= 1e9 {
			return n, s
		}
		mult := 10.0
		if s > 0 {
			mult = math.Min(10, math.Max(minTime*1.4/s, 1.1))
		}
		if s/minTime > 0.1 {
			// Close enough to predict, as Google Benchmark does.
			n = int64(math.Ceil(float64(n)*mult)) + 1
		} else {
			n *= 10
		}
	}
}

// Threads runs body(i) on k goroutines started together (each waits until
// all exist) and returns the wall seconds from the start to the last one's
// end. Goroutines cannot be pinned; GOMAXPROCS decides where they run.
func Threads(k int, body func(i int)) float64 {
	var ready, done = make(chan struct{}, k), make(chan struct{}, k)
	start := make(chan struct{})
	for i := 0; i < k; i++ {
		go func(i int) {
			ready <- struct{}{}
			<-start
			body(i)
			done <- struct{}{}
		}(i)
	}
	for i := 0; i < k; i++ {
		<-ready
	}
	t0 := time.Now()
	close(start)
	for i := 0; i < k; i++ {
		<-done
	}
	return time.Since(t0).Seconds()
}

// Percentile of sorted values (nearest rank).
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func stats(vals []float64) (mean, median, stddev float64) {
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	n := float64(len(s))
	for _, v := range s {
		mean += v
	}
	mean /= n
	if len(s)%2 == 1 {
		median = s[len(s)/2]
	} else {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if len(s) > 1 {
		for _, v := range s {
			stddev += (v - mean) * (v - mean)
		}
		stddev = math.Sqrt(stddev / (n - 1))
	}
	return
}

// Aggregates returns Google Benchmark's mean / median / stddev / cv entries
// of one case (family index fi, repetitions, threads, time unit and label
// as its iteration entries have them; no label when it is ""): for every
// key in keys, the statistic over the entries that have it as a float64.
func Aggregates(name string, fi, repetitions, threads int, timeUnit, label string, keys []string,
	entries []map[string]interface{}) []map[string]interface{} {
	var out []map[string]interface{}
	for _, agg := range []string{"mean", "median", "stddev", "cv"} {
		a := map[string]interface{}{
			"name": name + "_" + agg, "family_index": fi, "per_family_instance_index": 0,
			"run_name": name, "run_type": "aggregate", "repetitions": repetitions,
			"threads": threads, "aggregate_name": agg, "aggregate_unit": "time",
			"iterations": repetitions, "time_unit": timeUnit,
		}
		if agg == "cv" {
			a["aggregate_unit"] = "percentage"
		}
		if label != "" {
			a["label"] = label
		}
		for _, k := range keys {
			var vals []float64
			for _, e := range entries {
				if v, ok := e[k].(float64); ok {
					vals = append(vals, v)
				}
			}
			if len(vals) == 0 {
				continue
			}
			mean, median, sd := stats(vals)
			switch agg {
			case "mean":
				a[k] = mean
			case "median":
				a[k] = median
			case "stddev":
				a[k] = sd
			case "cv":
				if mean != 0 {
					a[k] = sd / mean
				} else {
					a[k] = 0.0
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// RunAll runs every case (all its repetitions) and returns Google
// Benchmark-shaped entries: one "iteration" entry per repetition and, with
// two or more repetitions, mean / median / stddev / cv aggregates, with
// real_time and cpu_time in ns per iteration and every counter at top level.
// Every entry of a case also carries the case's own noise window (CaseNoise:
// from the end of the previous case to the end of its last repetition),
// added after the aggregates so that none is averaged. progress gets one
// line per case.
func RunAll(cases []Case, progress func(string)) []map[string]interface{} {
	out, _ := runCases(cases, 0, SampleNoiseAndState(), progress)
	return out
}

// runCases is RunAll from family index firstFI on (a served peer's cases
// come a few per request and keep one numbering), with the first case's
// window starting at start; it also returns the sample that ended the last
// window.
func runCases(cases []Case, firstFI int, start NoiseSample,
	progress func(string)) ([]map[string]interface{}, NoiseSample) {
	out := []map[string]interface{}{} // [] in JSON when no case ran
	last := start
	for i, c := range cases {
		fi := firstFI + i
		first := len(out)
		var entries []map[string]interface{}
		for rep := 0; rep < c.Repetitions; rep++ {
			r := c.Run()
			it := math.Max(float64(r.Iterations), 1)
			e := map[string]interface{}{
				"name": c.Name, "family_index": fi, "per_family_instance_index": 0,
				"run_name": c.Name, "run_type": "iteration", "repetitions": c.Repetitions,
				"repetition_index": rep, "threads": c.Threads, "iterations": r.Iterations,
				"real_time": r.RealS * 1e9 / it, "cpu_time": r.CPUS * 1e9 / it,
				"time_unit": "ns",
			}
			if c.Label != "" {
				e["label"] = c.Label
			}
			for k, v := range r.Counters {
				e[k] = v
			}
			entries = append(entries, e)
		}
		now := SampleNoiseAndState()
		window := CaseNoise(last, now)
		last = now
		out = append(out, entries...)
		if progress != nil {
			if v, ok := entries[len(entries)-1]["ns_per_op"].(float64); ok {
				progress(fmt.Sprintf("%-78s %12.1f ns/op", c.Name, v))
			} else {
				progress(c.Name)
			}
		}
		if c.Repetitions >= 2 {
			var keys []string
			for k, v := range entries[0] {
				if _, num := v.(float64); num && k != "real_time" && k != "cpu_time" {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			keys = append([]string{"real_time", "cpu_time"}, keys...)
			out = append(out, Aggregates(c.Name, fi, c.Repetitions, c.Threads, "ns", c.Label, keys, entries)...)
		}
		for _, e := range out[first:] {
			for k, v := range window {
				e[k] = v
			}
		}
	}
	return out, last
}

// RuntimeContext describes the Go runtime a peer ran on: version, OS/arch,
// GOMAXPROCS and the GC settings (GOGC, GOMEMLIMIT as the environment set
// them; the runtime's defaults otherwise).
func RuntimeContext() string {
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		gogc = "100 (default)"
	}
	limit := os.Getenv("GOMEMLIMIT")
	if limit == "" {
		limit = "none (default)"
	}
	return fmt.Sprintf("%s %s/%s, GOMAXPROCS=%d, NumCPU=%d, GOGC=%s, GOMEMLIMIT=%s",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(),
		gogc, limit)
}

// NoiseSample is what Noise compares: the C++ harness's noise guard
// (suites/common/harness.cc, "syncscope_noise") for the Go peer's own
// measuring time, so that a peer run that shared the machine is flagged as
// the suite is.
type NoiseSample struct {
	WallNs        int64
	Load1         float64 // /proc/loadavg, -1 if unreadable
	BusyS, StealS float64 // /proc/stat "cpu" line, -1 if unreadable
	OwnCPUS       float64 // getrusage RUSAGE_SELF + RUSAGE_CHILDREN (waited for): user + system
	Nvcsw, Nivcsw int64   // the process's voluntary / involuntary switches
	LineHandoffNs float64 // the machine's state (ProbeLineHandoffNs), -1 if not probed
}

// userHz is the unit of /proc/stat's times: USER_HZ, which Linux fixes at
// 100 for user space on every architecture (sysconf(_SC_CLK_TCK) without
// cgo).
const userHz = 100.0

// SampleNoise reads the machine's counters now.
func SampleNoise() NoiseSample {
	n := NoiseSample{WallNs: Now(), Load1: -1, BusyS: -1, StealS: -1, LineHandoffNs: -1}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				n.Load1 = v
			}
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line := strings.SplitN(string(b), "\n", 2)[0]
		// cpu user nice system idle iowait irq softirq steal ...
		if f := strings.Fields(line); len(f) >= 9 && f[0] == "cpu" {
			v := make([]float64, 8)
			ok := true
			for i := range v {
				x, err := strconv.ParseFloat(f[i+1], 64)
				if err != nil {
					ok = false
					break
				}
				v[i] = x
			}
			if ok {
				n.BusyS = (v[0] + v[1] + v[2] + v[5] + v[6]) / userHz
				n.StealS = v[7] / userHz
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		n.OwnCPUS = float64(ru.Utime.Nano()+ru.Stime.Nano()) * 1e-9
		n.Nvcsw, n.Nivcsw = ru.Nvcsw, ru.Nivcsw
	}
	// Children the peer waited for are its own too (the channels peer's
	// noisy neighbour is a child process, stopped and waited for before a
	// case's window closes): as the C++ harness counts its children.
	var rc syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &rc) == nil {
		n.OwnCPUS += float64(rc.Utime.Nano()+rc.Stime.Nano()) * 1e-9
	}
	return n
}

// SampleNoiseAndState is SampleNoise and the machine's state (a line
// hand-off probe, under a millisecond): what the C++ harness samples at
// the suite's ends and at each benchmark's report (noise.h,
// sample_noise_and_state), and RunAll at each case's.
func SampleNoiseAndState() NoiseSample {
	n := SampleNoise()
	if ns, ok := ProbeLineHandoffNs(); ok {
		n.LineHandoffNs = ns
	}
	return n
}

// Noise is the record between two samples, with the keys (and meaning) of
// the C++ harness's "syncscope_noise": other processes' CPU time is the
// machine's busy time minus this process's (clamped at 0: /proc/stat ticks
// are coarser than rusage); foreign_cpus is its average over the wall time.
func Noise(a, b NoiseSample) map[string]interface{} {
	wall := math.Max(1e-9, float64(b.WallNs-a.WallNs)*1e-9)
	own := b.OwnCPUS - a.OwnCPUS
	j := map[string]interface{}{
		"wall_s":              wall,
		"load1_before":        a.Load1,
		"load1_after":         b.Load1,
		"own_cpu_s":           own,
		"own_voluntary_csw":   b.Nvcsw - a.Nvcsw,
		"own_involuntary_csw": b.Nivcsw - a.Nivcsw,
		"usable_pus":          runtime.NumCPU(),
		"method": "Go peer: /proc/stat busy (user+nice+system+irq+softirq) minus " +
			"getrusage(RUSAGE_SELF); /proc/loadavg; steal from /proc/stat",
	}
	if a.BusyS >= 0 && b.BusyS >= 0 {
		foreign := math.Max(0, (b.BusyS-a.BusyS)-own)
		j["foreign_cpu_s"] = foreign
		j["foreign_cpus"] = foreign / wall
		j["steal_s"] = b.StealS - a.StealS
	}
	if a.LineHandoffNs >= 0 {
		j["line_handoff_before_ns"] = a.LineHandoffNs
	}
	if b.LineHandoffNs >= 0 {
		j["line_handoff_after_ns"] = b.LineHandoffNs
	}
	return j
}

// The thresholds of "disturbed", as the C++ harness (suites/common/noise.h
// kNoiseForeignCpus, kNoiseStealFraction) and the report (plots/common.py)
// have them; suites/common/noise_window_test.py checks that they agree.
const (
	NoiseForeignCPUs   = 0.25 // other processes' CPUs, on average
	NoiseStealFraction = 0.05 // steal time over wall time
)

// CaseNoise is one case's window as the noise_* fields of its rows, with
// the names and meaning of the C++ harness's per-benchmark windows
// (suites/common/noise.h, add_noise_counters): monotonic start and end (the
// runtime's nanotime, CLOCK_MONOTONIC, as C++'s steady_clock), load average
// before and after, this process's CPU time and switches, other processes'
// CPU time and steal (when /proc/stat was readable), the machine's state at
// both ends (when probed), and noise_disturbed (1 or 0) by the thresholds
// above.
func CaseNoise(a, b NoiseSample) map[string]float64 {
	wall := math.Max(1e-9, float64(b.WallNs-a.WallNs)*1e-9)
	own := b.OwnCPUS - a.OwnCPUS
	f := map[string]float64{
		"noise_window_start_s":      float64(a.WallNs) * 1e-9,
		"noise_window_end_s":        float64(b.WallNs) * 1e-9,
		"noise_wall_s":              wall,
		"noise_load1_before":        a.Load1,
		"noise_load1_after":         b.Load1,
		"noise_own_cpu_s":           own,
		"noise_own_voluntary_csw":   float64(b.Nvcsw - a.Nvcsw),
		"noise_own_involuntary_csw": float64(b.Nivcsw - a.Nivcsw),
		"noise_disturbed":           0,
	}
	if a.LineHandoffNs >= 0 {
		f["noise_line_handoff_before_ns"] = a.LineHandoffNs
	}
	if b.LineHandoffNs >= 0 {
		f["noise_line_handoff_after_ns"] = b.LineHandoffNs
	}
	if a.BusyS >= 0 && b.BusyS >= 0 {
		foreign := math.Max(0, (b.BusyS-a.BusyS)-own)
		steal := b.StealS - a.StealS
		f["noise_foreign_cpu_s"] = foreign
		f["noise_foreign_cpus"] = foreign / wall
		f["noise_steal_s"] = steal
		if foreign/wall > NoiseForeignCPUs || steal > NoiseStealFraction*wall {
			f["noise_disturbed"] = 1
		}
	}
	return f
}

// WriteJSON writes v to path through a temporary name and a rename.
func WriteJSON(path string, v interface{}) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Peer is what a peer's command line gave it (Start), and what Finish and
// Serve need.
type Peer struct {
	Prog    string
	Suite   string
	Entries string // what the peer writes (e.g. "go_sync_mutex"), for -out's help and the ready line
	OutPath string
	Profile Profile
	Plan    []PlanEntry // nil when Served
	Served  bool        // -serve: the suite runs this peer as its child and asks for each twin (serve.go)
}

// Start is the beginning of every peer's main: it declares the flags all
// peers take (-plan or -serve, -out, -gomaxprocs, -profile; a peer declares
// its own before calling Start), parses the command line, sets GOMAXPROCS
// and reads the plan (not with -serve: the requests are the plan). suite
// names the C++ suite (its SUITE.json is the plan); entries says what the
// peer writes (for -out's help). Bad usage: one line, exit 2; a plan that
// cannot be read: Fail.
func Start(prog, suite, entries string) Peer {
	planPath := flag.String("plan", "", "the C++ suite's "+suite+".json (Google Benchmark JSON)")
	serve := flag.Bool("serve", false, "run each case when the suite asks for it (requests on stdin, "+
		"answers on stdout; the suite runs this peer as its child) instead of replaying -plan")
	outPath := flag.String("out", "", "where to write the "+entries+" entries (JSON)")
	procs := flag.Int("gomaxprocs", 0, "GOMAXPROCS (default: the usable CPUs)")
	profName := flag.String("profile", "quick", "the run's profile: quick or full")
	flag.Parse()
	if (*planPath == "") == !*serve || *outPath == "" || flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "usage: %s (-plan %s_JSON | -serve) -out OUT_JSON [-gomaxprocs N] [-profile quick|full]\n",
			prog, strings.ToUpper(suite))
		os.Exit(2)
	}
	prof, err := ParseProfile(*profName)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		os.Exit(2)
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	p := Peer{Prog: prog, Suite: suite, Entries: entries, OutPath: *outPath, Profile: prof, Served: *serve}
	if !*serve {
		if p.Plan, err = ReadPlan(*planPath); err != nil {
			Fail(prog, "%v", err)
		}
	}
	return p
}

// Run is the end of every peer's main: with -serve it serves the suite's
// requests on stdin / stdout (Serve; a bad request: exit 1, nothing
// written), else it replays the plan (Finish of casesFor(Plan)). casesFor
// maps plan entries to the peer's cases; context(n) is the peer's context
// keys once n cases have run. Either way -out is written when Run returns.
func (p Peer) Run(casesFor func([]PlanEntry) []Case, label string,
	context func(n int) map[string]interface{}) {
	if !p.Served {
		cases := casesFor(p.Plan)
		p.Finish(cases, label, context(len(cases)))
		return
	}
	if err := p.Serve(os.Stdin, os.Stdout, casesFor, label, context); err != nil {
		Fail(p.Prog, "%v", err)
	}
}

// Finish replays: it gives every case label, runs them all (RunAll, one
// progress line per case on stdout) and writes {"context": context,
// "benchmarks": ...} to the -out file (WriteJSON). context gets the peer's
// noise record too, as SUITE_go_noise (see Noise), each row its case's own
// window (RunAll, CaseNoise), and SUITE_peer_mode PeerModeReplayed.
func (p Peer) Finish(cases []Case, label string, context map[string]interface{}) {
	for i := range cases {
		cases[i].Label = label
	}
	before := SampleNoiseAndState()
	benchmarks := RunAll(cases, func(s string) { fmt.Println(s) })
	if context == nil {
		context = map[string]interface{}{}
	}
	noise := Noise(before, SampleNoiseAndState())
	noise["per_benchmark"] = "recorded: each case's rows carry the noise_* fields of its own " +
		"window (its repetitions back to back)"
	context[p.Suite+"_go_noise"] = noise
	context[p.Suite+"_peer_mode"] = PeerModeReplayed
	doc := map[string]interface{}{
		"context":    context,
		"benchmarks": benchmarks,
	}
	if err := WriteJSON(p.OutPath, doc); err != nil {
		Fail(p.Prog, "%v", err)
	}
}

// Command channels_go is the Go peer of the syncscope `channels` suite: it
// runs the suite's cases with goroutines and Go's own chans, and writes the
// results in the shape Google Benchmark gives the C++ implementations, so
// they sit in the same channels.json under impl:go_chan.
//
// Usage (suites/channels/peer.sh runs it after the suite; with -serve the
// suite runs it as its child, from the command suites/channels/prepare.sh
// prints):
//
//	channels_go -plan RUN/channels.json -out GO.json -hist GO_HIST.json
//	            [-gomaxprocs N] [-profile quick|full]
//	channels_go -serve -out GO.json -hist GO_HIST.json [-gomaxprocs N] [-profile quick|full]
//
// Served (suites/common/go/gbench/serve.go has the protocol), each go_chan
// case runs seconds after its Chan rows instead of minutes after the whole
// suite, in the same state of the machine: the suite sends each benchmark's
// rows as it finishes, and a case runs once it has had both of its Chan
// rows (runner.serve says when exactly); -out and -hist are written at the
// end of the input.
//
// The plan is the C++ suite's own output: every benchmark of impl:Chan that
// ran without error is replayed with the same name (impl:go_chan), the same
// number of repetitions and the same units (messages, round trips, ...), so
// Chan and go_chan always move the same number of messages. The case
// bodies (cases.go) mirror suites/channels/cases.h.
//
// Chan's goroutine rows (model:goroutine) are not replayed as rows of their
// own: go_chan is Go's own goroutines already, one row per case, compared
// with both models. Each model's row was sized by its own pilot (the
// profile's minimum time), so under load a thread row may move far fewer
// messages than its goroutine twin: go_chan moves the larger of the two
// rows' units (and repetitions), never a run shorter than either Chan row,
// and a case that ran only on goroutines is replayed from that row. Cases named .../neighbour:busy run with the noisy
// neighbour on (neighbour.go), started before the case's first repetition
// and stopped after its last; the label says which policy it got.
//
// Output: -out gets {"context": {...}, "benchmarks": [...]}: per case one
// "iteration" entry per repetition and the mean/median/stddev/cv
// aggregates, with run_name, run_type, repetitions, threads, real_time,
// cpu_time, time_unit and every counter as a top-level number, as Google
// Benchmark 1.7.1 writes them. cpu_time is the process's CPU time over the
// run (the C++ entries' cpu_time is their benchmark thread's only: compare
// cpu_ns_per_msg instead). -hist gets {name: histogram} like the suite's
// channels_hist.json. Every row of a case carries the case's noise window
// (noise_* fields, gbench.CaseNoise: from before its first repetition to
// after its last, neighbour included), and the context channels_go_noise
// the peer's record (gbench's served or replayed form). Placement:
// goroutines cannot be pinned; GOMAXPROCS is the number of usable CPUs
// unless -gomaxprocs says otherwise.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"syncscope/gbench"
	"syncscope/hist"
)

const implName = "go_chan"

type planEntry struct {
	runName     string
	spec        caseSpec
	units       uint64
	repetitions int
}

func fail(format string, a ...interface{}) { gbench.Fail("channels_go", format, a...) }

// parseName: "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time"
// -> the case and the name's segments.
func parseName(name string) (caseSpec, []string, bool) {
	segs := strings.Split(name, "/")
	var c caseSpec
	c.msgBytes = 8
	seen := map[string]bool{}
	for _, s := range segs[1:] {
		kv := strings.SplitN(s, ":", 2)
		if len(kv) != 2 {
			continue
		}
		k, v := kv[0], kv[1]
		seen[k] = true
		n, err := strconv.Atoi(v)
		switch k {
		case "case":
			c.kind = v
		case "cap":
			if v == "unbounded" {
				c.capacity = -1
			} else if err == nil {
				c.capacity = n
			} else {
				return c, nil, false
			}
		case "msg":
			c.msgBytes = n
		case "threads":
			c.threads = n
		case "work_ns":
			c.workNs = n
		case "neighbour":
			c.neighbour = v == "busy"
		case "model":
			c.model = v
		}
	}
	if !seen["case"] || !seen["cap"] || !seen["threads"] || c.threads < 1 {
		return c, nil, false
	}
	switch c.kind {
	case "seq", "try_recv":
		c.producers, c.consumers = 1, 1
	case "spsc", "pingpong", "prodcons", "handoff_runon":
		c.producers, c.consumers = 1, 1
	case "mpsc":
		c.producers, c.consumers = c.threads-1, 1
	case "mpmc":
		c.producers, c.consumers = c.threads/2, c.threads/2
	case "select_rx":
		c.producers, c.consumers = selectWays, 1
	case "select_both":
		c.producers, c.consumers = selectWays, selectWays
	case "popular", "close":
		c.producers, c.consumers = 1, c.threads-1
	default:
		return c, nil, false
	}
	if c.producers < 1 || c.consumers < 1 {
		return c, nil, false
	}
	return c, segs, true
}

// chanRow reads one row of the suite: a Chan row with a go_chan twin gives
// the case's key (the name without its model and Google Benchmark's
// suffixes), its entry (the thread row's name, the row's units and
// repetitions) and whether it is the goroutine row; ok is false for every
// other row (other implementations, aggregates, errors, cases Go cannot
// run).
func chanRow(b map[string]interface{}) (key string, e planEntry, goroutine, ok bool) {
	name, _ := b["run_name"].(string)
	if name == "" {
		name, _ = b["name"].(string)
	}
	if !strings.HasPrefix(name, "channels/impl:Chan/") {
		return
	}
	if rt, _ := b["run_type"].(string); rt == "aggregate" {
		return
	}
	if failed, _ := b["error_occurred"].(bool); failed {
		return
	}
	units, isNum := b["units"].(float64)
	if !isNum || units < 1 {
		return
	}
	// One entry per case: the goroutine row's name without its model;
	// rows match on the name up to Google Benchmark's suffixes.
	runName := strings.Replace(name, "/model:goroutine/", "/", 1)
	goroutine = runName != name
	key = runName
	if i := strings.Index(key, "/iterations:"); i >= 0 {
		key = key[:i]
	}
	spec, _, parsed := parseName(runName)
	if !parsed || !supported(spec) || spec.model != "" {
		return
	}
	reps := 1
	if r, isNum := b["repetitions"].(float64); isNum && r >= 1 {
		reps = int(r)
	}
	return key, planEntry{runName: runName, spec: spec, units: uint64(units), repetitions: reps}, goroutine, true
}

// merge: the larger units and repetitions of two rows of one case (the
// max-units rule of the package comment).
func (p *planEntry) merge(o planEntry) {
	if o.units > p.units {
		p.units = o.units
	}
	if o.repetitions > p.repetitions {
		p.repetitions = o.repetitions
	}
}

func readPlan(path string) ([]planEntry, error) {
	benchmarks, err := gbench.ReadBenchmarks(path)
	if err != nil {
		return nil, err
	}
	return planFromBenchmarks(benchmarks), nil
}

// planFromBenchmarks: one entry per Chan case of the rows, in order, its
// rows merged.
func planFromBenchmarks(benchmarks []map[string]interface{}) []planEntry {
	var plan []planEntry
	index := map[string]int{}
	for _, b := range benchmarks {
		key, e, _, ok := chanRow(b)
		if !ok {
			continue
		}
		if i, seen := index[key]; seen {
			plan[i].merge(e)
			continue
		}
		index[key] = len(plan)
		plan = append(plan, e)
	}
	return plan
}

// goName: the Chan run name with impl:go_chan.
func goName(chanName string) string {
	return strings.Replace(chanName, "/impl:Chan/", "/impl:"+implName+"/", 1)
}

func counters(c caseSpec, o outcome) map[string]float64 {
	msgs := math.Max(float64(o.messages), 1)
	ns := o.measuredS * 1e9
	k := map[string]float64{
		"units":                float64(o.units),
		"messages":             float64(o.messages),
		"cpu_ns_per_msg":       o.cpuS * 1e9 / msgs,
		"ctx_switches_per_msg": o.ctxSwitches / msgs,
	}
	if c.kind == "close" {
		k["ns_per_msg"] = ns / math.Max(float64(o.units), 1)
		k["msgs_per_s"] = float64(o.units) / math.Max(o.measuredS, 1e-12)
	} else {
		k["ns_per_msg"] = ns / msgs
		k["msgs_per_s"] = msgs / math.Max(o.measuredS, 1e-12)
	}
	if o.haveLineHandoff {
		k["machine_line_handoff_ns"] = o.lineHandoffNs
	}
	if o.haveRunDelay {
		k["runq_wait_ns_per_msg"] = o.runDelayS * 1e9 / msgs
		k["runq_wait_cpus"] = o.runDelayS / math.Max(o.wallS, 1e-12)
	}
	if c.kind == "pingpong" {
		k["ns_per_roundtrip"] = ns / math.Max(float64(o.units), 1)
	}
	if o.hist.Count() > 0 {
		k["lat_p50_ns"] = float64(o.hist.Percentile(0.50))
		k["lat_p99_ns"] = float64(o.hist.Percentile(0.99))
		k["lat_p999_ns"] = float64(o.hist.Percentile(0.999))
		k["lat_samples"] = float64(o.hist.Count())
		if c.kind == "handoff_runon" {
			k["lat_max_ns"] = float64(o.hist.Max())
		}
	}
	return k
}

func histJSON(c caseSpec, h *hist.Histogram) map[string]interface{} {
	what := "send to receive"
	every := sampleEvery
	switch c.kind {
	case "pingpong":
		what = "round trip"
	case "close":
		what = "close to receiver running"
		every = 1
	case "handoff_runon":
		what = "send to receiver running"
		every = 1
	}
	return map[string]interface{}{
		"what": what, "unit": "ns", "sample_every": every, "count": h.Count(),
		"min": h.MinValue(), "max": h.Max(), "buckets": h.Buckets(),
	}
}

func main() {
	planPath := flag.String("plan", "", "the C++ suite's channels.json (Google Benchmark JSON)")
	serve := flag.Bool("serve", false, "run each case when the suite asks for it (requests on stdin, "+
		"answers on stdout; the suite runs this peer as its child) instead of replaying -plan")
	outPath := flag.String("out", "", "where to write the go_chan entries (JSON)")
	histPath := flag.String("hist", "", "where to write the go_chan latency histograms (JSON)")
	procs := flag.Int("gomaxprocs", 0, "GOMAXPROCS (default: the usable CPUs)")
	profile := flag.String("profile", "quick", "the run's profile (recorded in the context)")
	child := flag.Bool("neighbour-child", false, "internal: run as the noisy neighbour (neighbour.go)")
	flag.Parse()
	if *child {
		neighbourChild()
		return
	}
	if (*planPath == "") == !*serve || *outPath == "" || *histPath == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: channels_go (-plan CHANNELS_JSON | -serve) -out OUT_JSON -hist HIST_JSON [-gomaxprocs N] [-profile quick|full]")
		os.Exit(2)
	}
	if *profile != "quick" && *profile != "full" {
		fmt.Fprintf(os.Stderr, "channels_go: error: unknown profile '%s' (valid: quick, full)\n", *profile)
		os.Exit(2)
	}
	n := runtime.NumCPU() // the affinity mask's CPUs
	if *procs > 0 {
		n = *procs
	}
	runtime.GOMAXPROCS(n)
	r := newRunner(n)
	if *serve {
		r.progress = os.Stderr // stdout is the reply channel
		if err := r.serve(os.Stdin, os.Stdout); err != nil {
			fail("%v", err)
		}
	} else {
		plan, err := readPlan(*planPath)
		if err != nil {
			fail("%v", err)
		}
		for _, p := range plan {
			if err := r.run(p); err != nil {
				fail("%v", err)
			}
		}
	}
	if err := r.write(*outPath, *histPath, *profile, *serve); err != nil {
		fail("%v", err)
	}
}

// runner runs cases one at a time and keeps what -out and -hist get.
type runner struct {
	gomaxprocs int
	label      string
	progress   io.Writer // one line per case
	benchmarks []map[string]interface{}
	hists      map[string]interface{}
	covered    []string // kind@capacity, in order
	seenCov    map[string]bool
	cases      int // cases run: the next one's family_index
	// Each case's noise window (gbench.CaseNoise on its rows), from the
	// sample before its first repetition (the neighbour's start included)
	// to the one after its last (the neighbour stopped and waited for).
	windows [][2]gbench.NoiseSample
}

func newRunner(gomaxprocs int) *runner {
	return &runner{gomaxprocs: gomaxprocs, progress: os.Stdout,
		label:      fmt.Sprintf("placement=none;pus=unpinned;GOMAXPROCS=%d", gomaxprocs),
		benchmarks: []map[string]interface{}{}, hists: map[string]interface{}{}, seenCov: map[string]bool{}}
}

// run runs one case, all its repetitions (the neighbour on around them for a
// neighbour:busy case), and keeps its rows, aggregates and histogram.
func (r *runner) run(p planEntry) error {
	fi := r.cases
	r.cases++
	name := goName(p.runName)
	var entries []map[string]interface{}
	var last outcome
	caseLabel := r.label
	start := gbench.SampleNoiseAndState()
	var nb *neighbour
	if p.spec.neighbour {
		var err error
		if nb, err = startNeighbour(); err != nil {
			return err
		}
		caseLabel = fmt.Sprintf("%s;neighbour=%sx%d", r.label, nb.policy, runtime.NumCPU())
	}
	for rep := 0; rep < p.repetitions; rep++ {
		o := runCase(p.spec, p.units)
		last = o
		e := map[string]interface{}{
			"name": name, "family_index": fi, "per_family_instance_index": 0,
			"run_name": name, "run_type": "iteration", "repetitions": p.repetitions,
			"repetition_index": rep, "threads": 1, "iterations": 1,
			"real_time": math.Max(o.measuredS, 1e-9) * 1e3, "cpu_time": o.cpuS * 1e3,
			"time_unit": "ms", "label": caseLabel,
		}
		for k, v := range counters(p.spec, o) {
			e[k] = v
		}
		entries = append(entries, e)
	}
	if nb != nil {
		nb.stop()
	}
	end := gbench.SampleNoiseAndState()
	r.windows = append(r.windows, [2]gbench.NoiseSample{start, end})
	window := gbench.CaseNoise(start, end)
	var rows []map[string]interface{}
	rows = append(rows, entries...)
	if p.repetitions > 1 {
		keys := []string{"real_time", "cpu_time"}
		for k := range counters(p.spec, last) {
			keys = append(keys, k)
		}
		sort.Strings(keys[2:])
		rows = append(rows, gbench.Aggregates(name, fi, p.repetitions, 1, "ms", caseLabel, keys, entries)...)
	}
	for _, e := range rows { // every row of the case carries its window
		for k, v := range window {
			e[k] = v
		}
	}
	r.benchmarks = append(r.benchmarks, rows...)
	if last.hist != nil && last.hist.Count() > 0 {
		r.hists[gbench.BaseName(name)] = histJSON(p.spec, last.hist)
	}
	cov := p.spec.kind + "@" + strconv.Itoa(p.spec.capacity)
	if !r.seenCov[cov] {
		r.seenCov[cov] = true
		r.covered = append(r.covered, cov)
	}
	fmt.Fprintf(r.progress, "%-72s %10.1f ns/msg\n", name, counters(p.spec, last)["ns_per_msg"])
	return nil
}

// serve answers the suite's requests (gbench.ServeLines) until EOF, then runs
// the case still pending. The suite registers a case's Chan thread row and
// goroutine row next to each other, then the other implementations' rows of
// that case; go_chan runs once per case with the larger of the two rows'
// units and repetitions (the package comment), so one case is pending at a
// time, built from its Chan rows: it runs as soon as it has seen both, or
// when a request that is not one of its Chan rows comes (another case's
// Chan row runs it first), or at EOF. A case that already ran does not run
// again.
func (r *runner) serve(in io.Reader, out io.Writer) error {
	type pendingCase struct {
		key               string
		entry             planEntry
		thread, goroutine bool
	}
	var pending *pendingCase
	done := map[string]bool{}
	var ran []string
	flush := func() error {
		if pending == nil {
			return nil
		}
		p := pending.entry
		pending = nil
		ran = append(ran, goName(p.runName))
		return r.run(p)
	}
	ready := fmt.Sprintf("channels_go: Go's chans (impl:%s) on the channels suite's requests; %s %s/%s, GOMAXPROCS=%d",
		implName, runtime.Version(), runtime.GOOS, runtime.GOARCH, r.gomaxprocs)
	err := gbench.ServeLines(in, out, ready, func(rows []map[string]interface{}) ([]string, error) {
		ran = []string{}
		chanRows := 0
		for _, b := range rows {
			key, e, goroutine, ok := chanRow(b)
			if !ok {
				continue
			}
			chanRows++
			if pending != nil && pending.key != key {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			if pending == nil {
				if done[key] {
					continue
				}
				done[key] = true
				pending = &pendingCase{key: key, entry: e}
			} else {
				pending.entry.merge(e)
			}
			if goroutine {
				pending.goroutine = true
			} else {
				pending.thread = true
			}
			if pending.thread && pending.goroutine {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
		if chanRows == 0 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		return ran, nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// noise: the peer's noise record (context key channels_go_noise), as the
// gbench peers write theirs: served, the sum of its cases' windows (the C++
// suite's benchmarks between them are in none); replayed, from its first
// case's start to its last case's end.
func (r *runner) noise(served bool) map[string]interface{} {
	if served {
		return gbench.ServedNoise(r.windows)
	}
	if len(r.windows) == 0 {
		return map[string]interface{}{"wall_s": 0.0, "per_benchmark": "no case ran"}
	}
	j := gbench.Noise(r.windows[0][0], r.windows[len(r.windows)-1][1])
	j["per_benchmark"] = "recorded: each case's rows carry the noise_* fields of its own " +
		"window (its repetitions back to back)"
	return j
}

// write writes -out ({"context", "benchmarks"}) and -hist ({name: histogram}).
func (r *runner) write(outPath, histPath, profile string, served bool) error {
	mode := gbench.PeerModeReplayed
	if served {
		mode = gbench.PeerModeServed
	}
	doc := map[string]interface{}{
		"context": map[string]interface{}{
			"channels_peer_go": fmt.Sprintf("%s %s/%s, GOMAXPROCS=%d, %d cases of impl:Chan",
				runtime.Version(), runtime.GOOS, runtime.GOARCH, r.gomaxprocs, r.cases),
			"channels_coverage_" + implName: strings.Join(r.covered, ","),
			"channels_go_profile":           profile,
			"channels_peer_mode":            mode,
			"channels_go_noise":             r.noise(served),
		},
		"benchmarks": r.benchmarks,
	}
	if err := gbench.WriteJSON(outPath, doc); err != nil {
		return err
	}
	return gbench.WriteJSON(histPath, r.hists)
}

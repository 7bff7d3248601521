package main

// Unit tests of the Go peer that need no etcd (build.sh --test runs them):
// the command line, the case names and counts (the suite's contract), the
// histogram (the C++ LogLinearHistogram's layout) and the counters' maths.
// The peer against a real etcd is suites/distributed/go/peer_test.py's.

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"syncscope/hist"
)

func TestParseArgsValid(t *testing.T) {
	c, procs, err := parseArgs([]string{"--endpoints", "127.0.0.1:2379,http://h:1", "--cluster", "3",
		"--profile", "full", "--out", "o.json", "--clients", "1,8", "--gomaxprocs", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.endpoints, ",") != "127.0.0.1:2379,h:1" || c.cluster != "3" || c.quick() ||
		c.out != "o.json" || len(c.clients) != 2 || c.clients[1] != 8 || procs != 2 {
		t.Fatalf("parsed %+v procs %d", c, procs)
	}
	if _, _, err := parseArgs([]string{"--list", "--cluster", "given"}); err != nil {
		t.Fatalf("--list needs no endpoints: %v", err)
	}
}

// Every bad value is a usageError whose one line names the value and the
// valid ones.
func TestParseArgsMisuse(t *testing.T) {
	ok := []string{"--endpoints", "127.0.0.1:2379", "--cluster", "1", "--out", "o.json"}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cluster", "1", "--out", "o"}, "--endpoints is required"},
		{[]string{"--endpoints", "nohost", "--cluster", "1", "--out", "o"}, "bad endpoint 'nohost'"},
		{[]string{"--endpoints", "h:0", "--cluster", "1", "--out", "o"}, "bad endpoint 'h:0'"},
		{[]string{"--endpoints", "h:1,:5", "--cluster", "1", "--out", "o"}, "bad endpoint ':5'"},
		{[]string{"--endpoints", "h:99999", "--cluster", "1", "--out", "o"}, "port 1-65535"},
		{[]string{"--endpoints", "h:1", "--cluster", "two", "--out", "o"}, "bad --cluster 'two'"},
		{[]string{"--endpoints", "h:1", "--out", "o"}, "bad --cluster ''"},
		{[]string{"--endpoints", "h:1", "--cluster", "1"}, "--out is required"},
		{with("--profile", "slow"), "unknown profile 'slow' (valid: quick, full)"},
		{with("--clients", "1,0"), "bad client count '0'"},
		{with("--clients", "x"), "bad client count 'x'"},
		{with("--cases", "("), "bad --cases regexp '('"},
		{with("--gomaxprocs", "-1"), "bad --gomaxprocs -1"},
		{with("--time-budget-s", "-2"), "bad --time-budget-s -2"},
		{with("--bogus"), "flag provided but not defined: -bogus (valid flags:"},
		{with("extra"), "unexpected argument 'extra'"},
	} {
		_, _, err := parseArgs(tc.args)
		if _, isUsage := err.(usageError); !isUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want a usage error containing %q", tc.args, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error is not one line: %q", tc.args, err)
		}
	}
}

// The names follow suites/distributed/README.md:
// distributed/<workload>/impl:go_clientv3/cluster:<c>[/<param>:<value>...]/clients:<n>.
func TestCaseNames(t *testing.T) {
	re := regexp.MustCompile(`^distributed/(mutex_uncontended|mutex_contended/impl:go_clientv3/cluster:3/cs_us:(0|1000)|` +
		`rwmutex/impl:go_clientv3/cluster:3/readers_pct:(0|50|90|99)|election_campaign|barrier|double_barrier|` +
		`queue|priority_queue|stm_transfer/impl:go_clientv3/cluster:3/accounts:(10|1000)/` +
		`isolation:(serializable_snapshot|serializable|repeatable_reads|read_committed))` +
		`(/impl:go_clientv3/cluster:3)?/clients:[0-9]+$`)
	for _, prof := range []string{"quick", "full"} {
		cases := allCases(config{cluster: "3", profile: prof})
		seen := map[string]bool{}
		counts := map[string]int{}
		for _, k := range cases {
			if !re.MatchString(k.name) || !strings.Contains(k.name, "/impl:go_clientv3/cluster:3") {
				t.Errorf("%s: bad name %s", prof, k.name)
			}
			if seen[k.name] {
				t.Errorf("%s: duplicate %s", prof, k.name)
			}
			seen[k.name] = true
			counts[strings.Split(k.name, "/")[1]]++
		}
		// The suite's register_all for its go_clientv3 workloads.
		want := map[string]int{"mutex_uncontended": 1, "mutex_contended": 8, "rwmutex": 4, "election_campaign": 2,
			"barrier": 2, "double_barrier": 2, "queue": 2, "priority_queue": 2, "stm_transfer": 16}
		if prof == "full" {
			want = map[string]int{"mutex_uncontended": 1, "mutex_contended": 8, "rwmutex": 16,
				"election_campaign": 4, "barrier": 3, "double_barrier": 3, "queue": 4, "priority_queue": 4,
				"stm_transfer": 32}
		}
		for w, n := range want {
			if counts[w] != n {
				t.Errorf("%s: %d %s cases, want %d", prof, counts[w], w, n)
			}
		}
		if len(counts) != len(want) {
			t.Errorf("%s: workloads %v, want %v", prof, counts, want)
		}
	}
	got := caseName("stm_transfer", "given", []kv{{"accounts", "10"}, {"isolation", "serializable"}}, 4)
	if got != "distributed/stm_transfer/impl:go_clientv3/cluster:given/accounts:10/isolation:serializable/clients:4" {
		t.Errorf("caseName: %s", got)
	}
}

func TestClientsOverrideAndFilter(t *testing.T) {
	c := config{cluster: "1", profile: "quick", clients: []int{3}}
	for _, k := range allCases(c) {
		if !strings.HasSuffix(k.name, "/clients:3") && !strings.HasPrefix(k.name, "distributed/mutex_uncontended/") {
			t.Errorf("--clients 3 not applied: %s", k.name)
		}
	}
	c.filter = regexp.MustCompile(`mutex_uncontended/.*manual_time$`)
	if got := selectCases(c); len(got) != 1 || got[0].name != "distributed/mutex_uncontended/impl:go_clientv3/cluster:1/clients:1" {
		t.Errorf("filter: %v", got)
	}
}

func TestBudget(t *testing.T) {
	q, f := config{profile: "quick"}, config{profile: "full"}
	for _, tc := range []struct {
		c                     config
		quick, full, floor, n int
		want                  int
	}{
		{q, 8, 50, 16, 1, 16}, {q, 8, 50, 16, 8, 64}, {f, 8, 50, 16, 1, 50}, {f, 6, 40, 8, 4, 160},
	} {
		if got := budget(tc.c, tc.quick, tc.full, tc.floor, tc.n); got != tc.want {
			t.Errorf("budget(%s, %d, %d, %d, %d) = %d, want %d", tc.c.profile, tc.quick, tc.full, tc.floor,
				tc.n, got, tc.want)
		}
	}
}

// setLatency's counters from a histogram (the histogram itself is tested in
// suites/common/go/hist).
func TestSetLatency(t *testing.T) {
	h := hist.New()
	for v := uint64(1); v <= 100; v++ {
		h.Record(v)
	}
	h.Record(1500000)
	m := map[string]float64{}
	setLatency(m, h, "handoff_", false)
	if len(m) != 2 || m["handoff_p50_us"] != 0.051 {
		t.Errorf("setLatency(full=false): %v", m)
	}
	setLatency(m, h, "", true)
	if m["max_us"] != 1500 || m["samples"] != 101 {
		t.Errorf("setLatency: %v", m)
	}
}

func TestJain(t *testing.T) {
	if j := jain([]uint64{5, 5, 5, 5}); j != 1 {
		t.Errorf("even: %f", j)
	}
	if j := jain([]uint64{8, 0, 0, 0}); j != 0.25 {
		t.Errorf("one of four: %f", j)
	}
	if j := jain([]uint64{0, 0}); j != 1 {
		t.Errorf("none: %f", j)
	}
}

func TestHistPath(t *testing.T) {
	if p := histPath("/r/distributed_peer_go_cluster3.json"); p != "/r/distributed_peer_go_cluster3_hist.json" {
		t.Error(p)
	}
}

// The time budget: no repetition starts once it is spent; a case cut short
// keeps what it ran, a case not started is an error entry saying why. The
// budget's clock is a fake one that each repetition advances by 1 s.
func TestRunCasesTimeBudget(t *testing.T) {
	var fakeNs uint64
	budgetClock = func() uint64 { return fakeNs }
	defer func() { budgetClock = now }()
	fake := func(config) (result, error) {
		fakeNs += 1e9
		h := hist.New()
		h.Record(1000)
		return result{secs: 0.001, counters: map[string]float64{"p50_us": 1, "p99_us": 1}, hist: h}, nil
	}
	cases := []benchCase{{"distributed/a/impl:go_clientv3/cluster:1/clients:1", fake},
		{"distributed/b/impl:go_clientv3/cluster:1/clients:1", fake}}
	quiet := func(string) {}

	out, hists, notRun, err := runCases(config{profile: "full"}, cases, "l", quiet)
	if err != nil || notRun != 0 || len(hists) != 2 {
		t.Fatalf("no budget: err %v notRun %d hists %d", err, notRun, len(hists))
	}
	if len(out) != 2*(3+4) { // 3 repetitions + mean/median/stddev/cv each
		t.Fatalf("no budget: %d entries", len(out))
	}

	// 1.5 s: a runs twice (the third repetition would start at 2 s), b not.
	out, hists, notRun, err = runCases(config{profile: "full", budgetS: 1.5}, cases, "l", quiet)
	if err != nil || notRun != 1 || len(hists) != 1 || len(out) != 2+4+1 {
		t.Fatalf("budget 1.5 s: err %v notRun %d hists %d entries %d", err, notRun, len(hists), len(out))
	}
	for _, e := range out[:2] {
		if e["repetitions"] != 2 || e["error_occurred"] != nil || e["run_type"] != "iteration" {
			t.Errorf("the case cut short: %v", e)
		}
	}
	if out[2]["repetitions"] != 2 || out[2]["aggregate_name"] != "mean" {
		t.Errorf("its aggregates: %v", out[2])
	}
	last := out[len(out)-1]
	if last["error_occurred"] != true || !strings.Contains(last["error_message"].(string), "time budget") ||
		last["name"] != cases[1].name+suffix {
		t.Errorf("the case not run: %v", last)
	}
}

// The first error aborts (closes the clients), so that a body blocked until
// then ends too; it is the error returned.
func TestRunClientsAbortsOnFirstError(t *testing.T) {
	aborted := make(chan struct{})
	calls := 0
	err := runClients(3, func() { calls++; close(aborted) }, func(i int) error {
		if i == 0 {
			return errors.New("boom")
		}
		<-aborted // blocked like a consumer whose producer failed
		return errors.New("closed")
	})
	if err == nil || err.Error() != "client 0: boom" || calls != 1 {
		t.Fatalf("got %v after %d aborts", err, calls)
	}
	if err := runClients(4, func() { t.Error("abort without an error") }, func(int) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

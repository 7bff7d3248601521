package main

// The workloads, one function per family, each the twin of the C++ case in
// suites/distributed/workloads.cc (same operation counts per profile, same
// latency definition, same counters); suites/distributed/README.md is the
// contract both sides follow.

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/concurrency"
	recipe "go.etcd.io/etcd/contrib/recipes"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	"go.uber.org/zap"
	"syncscope/gbench"
	"syncscope/hist"
)

// suffix is Google Benchmark's for the suite's cases (Iterations(1),
// UseManualTime()): name and run_name end with it.
const suffix = "/iterations:1/manual_time"

// caseTimeout bounds every operation of a case (an etcd that stops
// answering ends the case with an error instead of hanging the suite).
const caseTimeout = 240 * time.Second

// sessionTTL is the C++ side's Clients default (workload_util.h).
const sessionTTL = 10

// benchCase is one row: its name (without suffix) and the function that runs
// one repetition.
type benchCase struct {
	name string
	run  func(c config) (result, error)
}

// result is one repetition: the seconds the suite's manual time covers,
// the counters and the primary latency histogram.
type result struct {
	secs     float64
	counters map[string]float64
	hist     *hist.Histogram
}

// clientsFor is the suite's clients_for (distributed.cc): --clients when
// given, else the profile's counts for the workload.
func clientsFor(c config, workload string) []int {
	if c.clients != nil {
		return c.clients
	}
	q := c.quick()
	switch workload {
	case "mutex_contended":
		return []int{1, 2, 4, 8}
	case "barrier", "double_barrier":
		if q {
			return []int{2, 8}
		}
		return []int{2, 4, 8}
	case "rwmutex":
		if q {
			return []int{4}
		}
		return []int{1, 2, 4, 8}
	case "stm_transfer":
		if q {
			return []int{2, 8}
		}
		return []int{1, 2, 4, 8}
	}
	if q {
		return []int{1, 4}
	}
	return []int{1, 2, 4, 8}
}

type kv struct{ k, v string }

func caseName(workload, cluster string, params []kv, clients int) string {
	s := "distributed/" + workload + "/impl:go_clientv3/cluster:" + cluster
	for _, p := range params {
		s += "/" + p.k + ":" + p.v
	}
	return s + "/clients:" + strconv.Itoa(clients)
}

var isolations = []struct {
	name string
	iso  concurrency.Isolation
}{
	{"serializable_snapshot", concurrency.SerializableSnapshot},
	{"serializable", concurrency.Serializable},
	{"repeatable_reads", concurrency.RepeatableReads},
	{"read_committed", concurrency.ReadCommitted},
}

// allCases: the suite's register_all for impl go_clientv3, in its order
// (the fault workloads and election_failover have no Go peer).
func allCases(c config) []benchCase {
	L := c.cluster
	var out []benchCase
	add := func(name string, run func(config) (result, error)) {
		out = append(out, benchCase{name, run})
	}
	add(caseName("mutex_uncontended", L, nil, 1), mutexUncontended)
	for _, cs := range []int{0, 1000} {
		for _, n := range clientsFor(c, "mutex_contended") {
			cs, n := cs, n
			add(caseName("mutex_contended", L, []kv{{"cs_us", strconv.Itoa(cs)}}, n),
				func(c config) (result, error) { return mutexContended(c, cs, n) })
		}
	}
	for _, pct := range []int{0, 50, 90, 99} {
		for _, n := range clientsFor(c, "rwmutex") {
			pct, n := pct, n
			add(caseName("rwmutex", L, []kv{{"readers_pct", strconv.Itoa(pct)}}, n),
				func(c config) (result, error) { return rwMutex(c, pct, n) })
		}
	}
	for _, n := range clientsFor(c, "election_campaign") {
		n := n
		add(caseName("election_campaign", L, nil, n),
			func(c config) (result, error) { return electionCampaign(c, n) })
	}
	for _, n := range clientsFor(c, "barrier") {
		n := n
		add(caseName("barrier", L, nil, n), func(c config) (result, error) { return barrier(c, n) })
		add(caseName("double_barrier", L, nil, n),
			func(c config) (result, error) { return doubleBarrier(c, n) })
	}
	for _, n := range clientsFor(c, "queue") {
		n := n
		add(caseName("queue", L, nil, n), func(c config) (result, error) { return queue(c, false, n) })
		add(caseName("priority_queue", L, nil, n),
			func(c config) (result, error) { return queue(c, true, n) })
	}
	for _, accounts := range []int{10, 1000} {
		for _, iso := range isolations {
			for _, n := range clientsFor(c, "stm_transfer") {
				accounts, iso, n := accounts, iso, n
				add(caseName("stm_transfer", L,
					[]kv{{"accounts", strconv.Itoa(accounts)}, {"isolation", iso.name}}, n),
					func(c config) (result, error) { return stmTransfer(c, accounts, iso.iso, n) })
			}
		}
	}
	return out
}

// selectCases: allCases filtered by --cases (matched against the full name,
// suffix included).
func selectCases(c config) []benchCase {
	if c.cluster == "" {
		c.cluster = "1"
	}
	var out []benchCase
	for _, k := range allCases(c) {
		if c.filter == nil || c.filter.MatchString(k.name+suffix) {
			out = append(out, k)
		}
	}
	return out
}

// runCases runs every case (quick: 1 repetition, full: 3, as the suite)
// and returns Google Benchmark-shaped entries (time_unit ms, iterations 1,
// real_time = the manual time), the histogram side file's entries (the last
// repetition's, as the suite's record_side_data keeps) and how many cases
// the time budget left out.
//
// The time budget (--time-budget-s; the suite kills its peer after 300 s):
// no repetition starts once it is spent. A case cut short keeps the
// repetitions it ran ("repetitions" says how many); a case not started is
// an error entry (error_occurred, error_message: why), as Google Benchmark
// writes a skipped case.
func runCases(c config, cases []benchCase, label string, progress func(string)) (
	[]map[string]interface{}, map[string]interface{}, int, error) {
	reps := 1
	if !c.quick() {
		reps = 3
	}
	start := budgetClock()
	spent := func() bool { return c.budgetS > 0 && float64(budgetClock()-start)*1e-9 >= c.budgetS }
	var out []map[string]interface{}
	hists := map[string]interface{}{}
	notRun := 0
	for fi, k := range cases {
		name := k.name + suffix
		if spent() {
			notRun++
			out = append(out, map[string]interface{}{
				"name": name, "family_index": fi, "per_family_instance_index": 0,
				"run_name": name, "run_type": "iteration", "repetitions": reps,
				"repetition_index": 0, "threads": 1, "iterations": 0, "real_time": 0.0,
				"cpu_time": 0.0, "time_unit": "ms", "label": label, "error_occurred": true,
				"error_message": fmt.Sprintf("not run: the Go peer's time budget (--time-budget-s "+
					"%g) was spent on the cases before this one", c.budgetS),
			})
			progress(name + " not run: time budget spent")
			continue
		}
		var entries []map[string]interface{}
		for rep := 0; rep < reps && (rep == 0 || !spent()); rep++ {
			cpu0 := gbench.CPUNs()
			r, err := k.run(c)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("%s: %v", name, err)
			}
			e := map[string]interface{}{
				"name": name, "family_index": fi, "per_family_instance_index": 0,
				"run_name": name, "run_type": "iteration", "repetitions": reps,
				"repetition_index": rep, "threads": 1, "iterations": 1,
				"real_time": r.secs * 1e3, "cpu_time": (gbench.CPUNs() - cpu0) * 1e-6,
				"time_unit": "ms", "label": label,
			}
			for key, v := range r.counters {
				e[key] = v
			}
			entries = append(entries, e)
			hists[k.name] = map[string]interface{}{"buckets": r.hist.Buckets()}
		}
		done := len(entries)
		for _, e := range entries {
			e["repetitions"] = done
		}
		out = append(out, entries...)
		last := entries[done-1]
		progress(fmt.Sprintf("%-84s p50 %9.1f us  p99 %9.1f us", name, last["p50_us"], last["p99_us"]))
		if done > 1 {
			var keys []string
			for key, v := range entries[0] {
				if _, num := v.(float64); num && key != "real_time" && key != "cpu_time" {
					keys = append(keys, key)
				}
			}
			sort.Strings(keys)
			keys = append([]string{"real_time", "cpu_time"}, keys...)
			out = append(out, gbench.Aggregates(name, fi, done, 1, "ms", label, keys, entries)...)
		}
	}
	return out, hists, notRun, nil
}

// ---------------------------------------------------------------- clients

func quietLog() *zap.Config {
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	cfg.OutputPaths = []string{"stderr"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	return &cfg
}

// clients: n contenders, each with its own clientv3.Client (its own gRPC
// connection; all endpoints, the first rotated to member i mod m as the
// suite's Clients does) and its own Session (lease, TTL 10 s).
type clients struct {
	cli  []*clientv3.Client
	sess []*concurrency.Session
	once sync.Once
}

func newClients(c config, n int) (*clients, error) {
	cl := &clients{}
	m := len(c.endpoints)
	for i := 0; i < n; i++ {
		eps := make([]string, 0, m)
		for j := 0; j < m; j++ {
			eps = append(eps, c.endpoints[(i+j)%m])
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 10 * time.Second,
			LogConfig: quietLog()})
		if err != nil {
			cl.close()
			return nil, fmt.Errorf("client %d: %v", i, err)
		}
		cl.cli = append(cl.cli, cli)
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(sessionTTL))
		if err != nil {
			cl.close()
			return nil, fmt.Errorf("client %d: session: %v", i, err)
		}
		cl.sess = append(cl.sess, s)
	}
	return cl, nil
}

// close revokes the sessions' leases (their keys go) and closes the clients
// (once: the later calls do nothing). A recipe blocked on a closed client
// returns an error.
func (cl *clients) close() {
	cl.once.Do(func() {
		for _, s := range cl.sess {
			s.Close()
		}
		for _, c := range cl.cli {
			c.Close()
		}
	})
}

var prefixSeq int64

// uniquePrefix: a key prefix no other case of this run (or another run) uses.
func uniquePrefix(what string) string {
	return fmt.Sprintf("/syncscope-distributed/go-%d-%d/%d/%s", os.Getpid(),
		gbench.Now()%1000000007, atomic.AddInt64(&prefixSeq, 1), what)
}

// runClients runs body(i) on n goroutines started together and returns the
// first error (nil when every body returned nil). The first error also
// calls abort (closing the clients), so that the other bodies, maybe blocked
// in a recipe that takes no context (a consumer waiting for a producer that
// failed), end too.
func runClients(n int, abort func(), body func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			if err := body(i); err != nil {
				mu.Lock()
				isFirst := first == nil
				if isFirst {
					first = fmt.Errorf("client %d: %v", i, err)
				}
				mu.Unlock()
				if isFirst {
					abort()
				}
			}
		}(i)
	}
	close(start)
	wg.Wait()
	return first
}

func now() uint64 { return uint64(gbench.Now()) }

// budgetClock is the clock of the time budget (runCases): now, or a test's.
var budgetClock = now

func since(t0 uint64) float64 { return float64(now()-t0) * 1e-9 }

// budget: the suite's max(floor, per-client count * n), the count quick's or
// full's.
func budget(c config, quick, full, floor, n int) int {
	per := quick
	if !c.quick() {
		per = full
	}
	if t := per * n; t > floor {
		return t
	}
	return floor
}

// setLatency: the latency counters of h (ns) under prefix, as the suite's
// set_latency: p50/p99 always; with full also p90, p99.9, max, mean, samples.
func setLatency(m map[string]float64, h *hist.Histogram, prefix string, full bool) {
	us := func(ns uint64) float64 { return float64(ns) / 1000 }
	m[prefix+"p50_us"] = us(h.Percentile(0.50))
	m[prefix+"p99_us"] = us(h.Percentile(0.99))
	if !full {
		return
	}
	m[prefix+"p90_us"] = us(h.Percentile(0.90))
	m[prefix+"p999_us"] = us(h.Percentile(0.999))
	m[prefix+"max_us"] = us(h.Max())
	m[prefix+"mean_us"] = h.Mean() / 1000
	m[prefix+"samples"] = float64(h.Count())
}

// latencyResult: a result over secs whose counters are h's latency
// percentiles (setLatency) and ops_per_s = ops / secs.
func latencyResult(h *hist.Histogram, secs, ops float64) result {
	r := result{secs: secs, counters: map[string]float64{}, hist: h}
	setLatency(r.counters, h, "", true)
	r.counters["ops_per_s"] = ops / secs
	return r
}

// mergeAll: one histogram holding every value of hs.
func mergeAll(hs []*hist.Histogram) *hist.Histogram {
	all := hist.New()
	for _, h := range hs {
		all.Merge(h)
	}
	return all
}

// recordFrom records each stamp's latency after t0 (0 for a stamp not after
// it) and returns the latest stamp, t0 when none is later.
func recordFrom(h *hist.Histogram, t0 uint64, stamps []uint64) uint64 {
	last := t0
	for _, x := range stamps {
		if x > t0 {
			h.Record(x - t0)
		} else {
			h.Record(0)
		}
		if x > last {
			last = x
		}
	}
	return last
}

// jain: Jain's fairness index of per-client counts, (sum x)^2 / (n sum x^2).
func jain(x []uint64) float64 {
	var s, s2 float64
	for _, v := range x {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	if s2 == 0 {
		return 1
	}
	return s * s / (float64(len(x)) * s2)
}

func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), caseTimeout)
}

// ---------------------------------------------------------------- Mutex

func mutexUncontended(c config) (result, error) {
	cl, err := newClients(c, 1)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	ctx, cancel := withTimeout()
	defer cancel()
	m := concurrency.NewMutex(cl.sess[0], uniquePrefix("mutex"))
	lockUnlock := func() error {
		if err := m.Lock(ctx); err != nil {
			return err
		}
		return m.Unlock(ctx)
	}
	for i := 0; i < 5; i++ { // warm-up: connection, leader lookup
		if err := lockUnlock(); err != nil {
			return result{}, err
		}
	}
	rounds := 40
	if !c.quick() {
		rounds = 400
	}
	h := hist.New()
	t0 := now()
	for i := 0; i < rounds; i++ {
		a := now()
		if err := lockUnlock(); err != nil {
			return result{}, err
		}
		h.Record(now() - a)
	}
	secs := since(t0)
	r := latencyResult(h, secs, float64(rounds))
	return r, nil
}

func mutexContended(c config, csUs, n int) (result, error) {
	cl, err := newClients(c, n)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	ctx, cancel := withTimeout()
	defer cancel()
	prefix := uniquePrefix("mutex")
	// A shared budget of acquisitions: who gets how many is the lock's
	// fairness (Jain's index), not the workload's.
	total := budget(c, 8, 50, 16, n)
	left := int64(total)
	var lastUnlock uint64 // ns of the latest Unlock call
	wait := make([]*hist.Histogram, n)
	handoff := make([]*hist.Histogram, n)
	count := make([]uint64, n)
	for i := range wait {
		wait[i], handoff[i] = hist.New(), hist.New()
	}
	t0 := now()
	err = runClients(n, cl.close, func(i int) error {
		m := concurrency.NewMutex(cl.sess[i], prefix)
		for atomic.AddInt64(&left, -1) >= 0 {
			a := now()
			if err := m.Lock(ctx); err != nil {
				return err
			}
			b := now()
			wait[i].Record(b - a)
			// A hand-off: the previous holder released while this client waited.
			if rel := atomic.LoadUint64(&lastUnlock); rel > a {
				handoff[i].Record(b - rel)
			}
			count[i]++
			if csUs > 0 {
				time.Sleep(time.Duration(csUs) * time.Microsecond)
			}
			atomic.StoreUint64(&lastUnlock, now())
			if err := m.Unlock(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	secs := since(t0)
	w, hand := hist.New(), hist.New()
	for i := 0; i < n; i++ {
		w.Merge(wait[i])
		hand.Merge(handoff[i])
	}
	r := latencyResult(w, secs, float64(total))
	if hand.Count() > 0 {
		setLatency(r.counters, hand, "handoff_", false)
	}
	r.counters["jain"] = jain(count)
	return r, nil
}

// ---------------------------------------------------------------- RWMutex

func rwMutex(c config, readersPct, n int) (result, error) {
	cl, err := newClients(c, n)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	prefix := uniquePrefix("rwmutex")
	total := budget(c, 8, 50, 16, n)
	left := int64(total)
	rd, wr := make([]*hist.Histogram, n), make([]*hist.Histogram, n)
	for i := range rd {
		rd[i], wr[i] = hist.New(), hist.New()
	}
	t0 := now()
	err = runClients(n, cl.close, func(i int) error {
		rw := recipe.NewRWMutex(cl.sess[i], prefix)
		rng := rand.New(rand.NewSource(int64(1000 + i)))
		for atomic.AddInt64(&left, -1) >= 0 {
			read := rng.Intn(100) < readersPct
			a := now()
			if read {
				if err := rw.RLock(); err != nil {
					return err
				}
				rd[i].Record(now() - a)
				if err := rw.RUnlock(); err != nil {
					return err
				}
			} else {
				if err := rw.Lock(); err != nil {
					return err
				}
				wr[i].Record(now() - a)
				if err := rw.Unlock(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	secs := since(t0)
	r, w, all := hist.New(), hist.New(), hist.New()
	for i := 0; i < n; i++ {
		r.Merge(rd[i])
		w.Merge(wr[i])
	}
	all.Merge(r)
	all.Merge(w)
	res := latencyResult(all, secs, float64(total))
	if r.Count() > 0 {
		setLatency(res.counters, r, "read_", false)
	}
	if w.Count() > 0 {
		setLatency(res.counters, w, "write_", false)
	}
	return res, nil
}

// ---------------------------------------------------------------- Election

func electionCampaign(c config, n int) (result, error) {
	cl, err := newClients(c, n)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	ctx, cancel := withTimeout()
	defer cancel()
	prefix := uniquePrefix("election")
	total := budget(c, 6, 40, 8, n)
	left := int64(total)
	lat := make([]*hist.Histogram, n)
	for i := range lat {
		lat[i] = hist.New()
	}
	t0 := now()
	err = runClients(n, cl.close, func(i int) error {
		e := concurrency.NewElection(cl.sess[i], prefix)
		value := "candidate-" + strconv.Itoa(i)
		for atomic.AddInt64(&left, -1) >= 0 {
			a := now()
			if err := e.Campaign(ctx, value); err != nil {
				return err
			}
			lat[i].Record(now() - a)
			if err := e.Resign(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	secs := since(t0)
	all := mergeAll(lat)
	r := latencyResult(all, secs, float64(total))
	return r, nil
}

// ---------------------------------------------------------------- barriers

func rounds(c config) int {
	if c.quick() {
		return 4
	}
	return 20
}

// barrier: client 0 holds and releases, 1..n wait; latency = Release()
// call -> each Wait() return.
func barrier(c config, n int) (result, error) {
	cl, err := newClients(c, n+1)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	h := hist.New()
	secs := 0.0
	R := rounds(c)
	for r := 0; r < R; r++ {
		key := uniquePrefix("barrier")
		holder := recipe.NewBarrier(cl.cli[0], key)
		if err := holder.Hold(); err != nil {
			return result{}, err
		}
		ret := make([]uint64, n)
		var ready sync.WaitGroup
		ready.Add(n)
		done := make(chan error, 1)
		go func() {
			done <- runClients(n, cl.close, func(i int) error {
				b := recipe.NewBarrier(cl.cli[i+1], key)
				ready.Done()
				if err := b.Wait(); err != nil {
					return err
				}
				ret[i] = now()
				return nil
			})
		}()
		ready.Wait()
		// The waiters have called Wait(); give their watches time to open so
		// that the latency is release -> wake-up, not a late first read (the
		// suite waits the same 30 ms).
		time.Sleep(30 * time.Millisecond)
		t := now()
		if err := holder.Release(); err != nil {
			return result{}, err
		}
		if err := <-done; err != nil {
			return result{}, err
		}
		last := recordFrom(h, t, ret)
		secs += float64(last-t) * 1e-9
	}
	res := latencyResult(h, secs, float64(R)) // releases per second of release time
	return res, nil
}

// doubleBarrier: n participants; latency = the last Enter() call -> each
// Enter() return.
func doubleBarrier(c config, n int) (result, error) {
	cl, err := newClients(c, n)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	h := hist.New()
	secs := 0.0
	R := rounds(c)
	for r := 0; r < R; r++ {
		key := uniquePrefix("double_barrier")
		call, ret := make([]uint64, n), make([]uint64, n)
		err := runClients(n, cl.close, func(i int) error {
			db := recipe.NewDoubleBarrier(cl.sess[i], key, n)
			call[i] = now()
			if err := db.Enter(); err != nil {
				return err
			}
			ret[i] = now()
			return db.Leave()
		})
		if err != nil {
			return result{}, err
		}
		lastCall := call[0]
		for _, x := range call {
			if x > lastCall {
				lastCall = x
			}
		}
		lastRet := recordFrom(h, lastCall, ret)
		secs += float64(lastRet-lastCall) * 1e-9
	}
	res := latencyResult(h, secs, float64(R))
	return res, nil
}

// ---------------------------------------------------------------- queues

// queue: n producers (clients 0..n-1) and n consumers (n..2n-1); latency =
// Enqueue() call -> Dequeue() return (the item carries its enqueue time).
func queue(c config, priority bool, n int) (result, error) {
	cl, err := newClients(c, 2*n)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	what := "queue"
	if priority {
		what = "priority_queue"
	}
	prefix := uniquePrefix(what)
	perProducer := 8
	if !c.quick() {
		perProducer = 50
	}
	total := perProducer * n
	toTake := int64(total)
	lat := make([]*hist.Histogram, n)
	for i := range lat {
		lat[i] = hist.New()
	}
	t0 := now()
	err = runClients(2*n, cl.close, func(i int) error {
		client := cl.cli[i]
		q := recipe.NewQueue(client, prefix)
		pq := recipe.NewPriorityQueue(client, prefix)
		if i < n {
			for k := 0; k < perProducer; k++ {
				v := strconv.FormatUint(now(), 10)
				var err error
				if priority {
					err = pq.Enqueue(v, uint16(k%4))
				} else {
					err = q.Enqueue(v)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}
		h := lat[i-n]
		// Claim an item before dequeueing: every claimed Dequeue has an item.
		for atomic.AddInt64(&toTake, -1) >= 0 {
			var v string
			var err error
			if priority {
				v, err = pq.Dequeue()
			} else {
				v, err = q.Dequeue()
			}
			if err != nil {
				return err
			}
			sent, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("dequeued '%s', not an enqueue time", v)
			}
			if t := now(); t > sent {
				h.Record(t - sent)
			} else {
				h.Record(0)
			}
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	secs := since(t0)
	all := mergeAll(lat)
	r := latencyResult(all, secs, float64(total))
	return r, nil
}

// ---------------------------------------------------------------- STM

// waitApplied returns when every endpoint's member has applied revision rev
// (a serializable read there reports a header revision >= rev).
func waitApplied(ctx context.Context, eps []string, rev int64) error {
	for _, ep := range eps {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 10 * time.Second,
			LogConfig: quietLog()})
		if err != nil {
			return err
		}
		for {
			resp, err := cli.Get(ctx, "syncscope-applied", clientv3.WithSerializable())
			if err != nil {
				cli.Close()
				return err
			}
			if resp.Header.Revision >= rev {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cli.Close()
	}
	return nil
}

// isFutureRev: etcd's ErrFutureRev (a read at a revision the member has not
// applied yet).
func isFutureRev(err error) bool {
	return err == rpctypes.ErrFutureRev || strings.Contains(err.Error(), rpctypes.ErrFutureRev.Error())
}

// stmTransfer: the seed's account transfer with concurrency.NewSTM at one
// isolation level; retries = apply calls beyond the first per commit.
func stmTransfer(c config, accounts int, iso concurrency.Isolation, n int) (result, error) {
	cl, err := newClients(c, n)
	if err != nil {
		return result{}, err
	}
	defer cl.close()
	ctx, cancel := withTimeout()
	defer cancel()
	prefix := uniquePrefix("stm") + "/"
	const initial = 100
	account := func(k int) string { return fmt.Sprintf("%s%05d", prefix, k) }
	var setupRev int64
	// The accounts, in transactions of at most 100 puts (etcd's limit is 128).
	for k := 0; k < accounts; k += 100 {
		var ops []clientv3.Op
		for j := k; j < k+100 && j < accounts; j++ {
			ops = append(ops, clientv3.OpPut(account(j), strconv.Itoa(initial)))
		}
		resp, err := cl.cli[0].Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return result{}, err
		}
		setupRev = resp.Header.Revision
	}
	// Repeatable-reads and read-committed read serializably (any member):
	// every member must have the accounts before the first transfer.
	if err := waitApplied(ctx, c.endpoints, setupRev); err != nil {
		return result{}, err
	}
	total := budget(c, 8, 50, 16, n)
	left := int64(total)
	var retries, futureRev int64
	lat := make([]*hist.Histogram, n)
	for i := range lat {
		lat[i] = hist.New()
	}
	t0 := now()
	err = runClients(n, cl.close, func(i int) error {
		rng := rand.New(rand.NewSource(int64(77 + i)))
		for atomic.AddInt64(&left, -1) >= 0 {
			// The seed's transfer: move a random amount between two accounts.
			from := rng.Intn(accounts)
			to := rng.Intn(accounts - 1)
			if to >= from {
				to++
			}
			want := 1 + rng.Intn(10)
			calls := int64(0)
			a := now()
			apply := func(s concurrency.STM) error {
				calls++
				fb, err1 := strconv.Atoi(s.Get(account(from)))
				tb, err2 := strconv.Atoi(s.Get(account(to)))
				if err1 != nil || err2 != nil {
					return fmt.Errorf("account %d or %d is not a number", from, to)
				}
				amt := want
				if fb < amt {
					amt = fb
				}
				s.Put(account(from), strconv.Itoa(fb-amt))
				s.Put(account(to), strconv.Itoa(tb+amt))
				return nil
			}
			for {
				_, err := concurrency.NewSTM(cl.cli[i], apply, concurrency.WithIsolation(iso),
					concurrency.WithAbortContext(ctx))
				if err == nil {
					break
				}
				// Go's serializable STMs read at the first read's revision with
				// WithSerializable; the client's round-robin balancer may send
				// that read to a member that has not applied the revision yet
				// (3 members): etcd answers "required revision is a future
				// revision" and NewSTM gives up. A user retries the transaction;
				// so does the peer, and counts it (as a retry, and apart).
				if !isFutureRev(err) || ctx.Err() != nil {
					return err
				}
				atomic.AddInt64(&futureRev, 1)
			}
			lat[i].Record(now() - a)
			atomic.AddInt64(&retries, calls-1)
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	secs := since(t0)
	resp, err := cl.cli[0].Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return result{}, err
	}
	sum := 0
	for _, kv := range resp.Kvs {
		v, _ := strconv.Atoi(string(kv.Value))
		sum += v
	}
	if _, err := cl.cli[0].Delete(ctx, prefix, clientv3.WithPrefix()); err != nil {
		return result{}, err
	}
	all := mergeAll(lat)
	r := latencyResult(all, secs, float64(total))
	r.counters["commits_per_s"] = float64(total) / secs
	r.counters["retries_per_commit"] = float64(retries) / float64(total)
	r.counters["future_rev_retries"] = float64(futureRev)
	// Read-committed does not validate its reads: it may lose an update (the
	// sum changes). The serializable levels and repeatable-reads must not.
	r.counters["balance_ok"] = 0
	if sum == initial*accounts {
		r.counters["balance_ok"] = 1
	}
	return r, nil
}

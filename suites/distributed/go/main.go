// Command distributed_go is the Go side of the `distributed` suite
// (suites/distributed/README.md): the same workloads as syncscope_distributed,
// written with Go's reference implementations — go.etcd.io/etcd/clientv3,
// clientv3/concurrency (Session, Mutex, Election, STM) and contrib/recipes
// (RWMutex, Barrier, DoubleBarrier, Queue, PriorityQueue) from Debian's
// golang-etcd-server-dev — against a cluster someone else started, with rows
// named impl:go_clientv3 in Google Benchmark's JSON shape.
//
//	distributed_go --endpoints h:p[,h:p...] --cluster 1|3|given --profile quick|full --out FILE
//	               [--cases REGEXP] [--clients LIST] [--gomaxprocs N] [--time-budget-s S] [--list]
//
// The suite runs it once per cluster while that cluster is up (its hook,
// SYNCSCOPE_DISTRIBUTED_PEER); FILE gets {"context", "benchmarks"} and
// FILE with .json replaced by _hist.json the latency histograms (key: the
// case name without Google Benchmark's suffix, {"buckets": [[upper_ns,
// count], ...]}). suites/distributed/peer.sh merges both into the run.
// --cases keeps the cases whose name matches; --clients replaces the
// profile's client counts (as the suite's --threads does); --list prints the
// case names and exits; --time-budget-s S (default 210): no repetition
// starts after S seconds, the cases left are written as error entries
// (runCases), so that the peer ends within the suite's 300 s. Built offline in GOPATH mode by go/build.sh.
//
// Bad usage — an unknown flag, a bad endpoint, profile, cluster or client
// list, an unreachable cluster — prints one line naming the value and the
// valid ones, exit 2. An etcd error during a case prints one line, exit 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/version"
	"syncscope/gbench"
)

const prog = "distributed_go"

// defaultBudgetS: the suite kills its peer after 300 s (README.md); a
// repetition started just before the budget runs out must still end before
// that (the longest, mutex_contended at 8 clients in the full profile, takes
// about 45 s on a loaded 2-core machine).
const defaultBudgetS = 210

// config is the parsed command line.
type config struct {
	endpoints []string
	cluster   string // "1", "3", ... or "given"
	profile   string // quick | full
	out       string
	filter    *regexp.Regexp
	clients   []int // nil: the profile's
	list      bool
	budgetS   float64 // --time-budget-s; 0: none
}

func (c config) quick() bool { return c.profile == "quick" }

// usageError is bad input: one line, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...interface{}) error {
	return usageError{fmt.Sprintf(format, a...)}
}

// parseEndpoints: host:port[,host:port...], port 1..65535, host non-empty.
// An "http://" prefix is accepted (etcd's own notation).
func parseEndpoints(s string) ([]string, error) {
	if s == "" {
		return nil, usagef("--endpoints is required (valid: host:port[,host:port...])")
	}
	var out []string
	for _, e := range strings.Split(s, ",") {
		hp := strings.TrimPrefix(e, "http://")
		i := strings.LastIndex(hp, ":")
		port, err := strconv.Atoi(hp[i+1:])
		if i <= 0 || err != nil || port < 1 || port > 65535 {
			return nil, usagef("bad endpoint '%s' in --endpoints (valid: host:port[,host:port...], "+
				"port 1-65535)", e)
		}
		out = append(out, hp)
	}
	return out, nil
}

// parseClients: a comma list of client counts 1..64.
func parseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 64 {
			return nil, usagef("bad client count '%s' in --clients (valid: a comma list of 1..64)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseArgs parses the command line; every error is a usageError.
func parseArgs(args []string) (config, int, error) {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	endpoints := fs.String("endpoints", "", "client endpoints host:port[,host:port...]")
	cluster := fs.String("cluster", "", "the cluster's label in the case names: 1, 3 (members) or given")
	profile := fs.String("profile", "quick", "quick or full")
	out := fs.String("out", "", "the JSON file to write")
	cases := fs.String("cases", "", "only the cases whose name matches this regexp")
	clients := fs.String("clients", "", "client counts (comma list), instead of the profile's")
	procs := fs.Int("gomaxprocs", 0, "GOMAXPROCS (default: the usable CPUs)")
	list := fs.Bool("list", false, "print the case names and exit")
	budgetFlag := fs.Float64("time-budget-s", defaultBudgetS, "no repetition starts after this many "+
		"seconds (0: no budget)")
	var c config
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, 0, err
		}
		return c, 0, usagef("%v (valid flags: --endpoints --cluster --profile --out --cases "+
			"--clients --gomaxprocs --time-budget-s --list)", err)
	}
	if fs.NArg() != 0 {
		return c, 0, usagef("unexpected argument '%s' (valid: flags only)", fs.Arg(0))
	}
	switch *profile {
	case "quick", "full":
	default:
		return c, 0, usagef("unknown profile '%s' (valid: quick, full)", *profile)
	}
	c.profile = *profile
	if n, err := strconv.Atoi(*cluster); (err != nil || n < 1) && *cluster != "given" {
		return c, 0, usagef("bad --cluster '%s' (valid: a member count >= 1, or given)", *cluster)
	}
	c.cluster = *cluster
	if *cases != "" {
		re, err := regexp.Compile(*cases)
		if err != nil {
			return c, 0, usagef("bad --cases regexp '%s' (valid: a Go regexp): %v", *cases, err)
		}
		c.filter = re
	}
	if *clients != "" {
		l, err := parseClients(*clients)
		if err != nil {
			return c, 0, err
		}
		c.clients = l
	}
	if *procs < 0 {
		return c, 0, usagef("bad --gomaxprocs %d (valid: >= 1, or 0 for the usable CPUs)", *procs)
	}
	if *budgetFlag < 0 {
		return c, 0, usagef("bad --time-budget-s %g (valid: >= 0, 0 for no budget)", *budgetFlag)
	}
	c.budgetS = *budgetFlag
	c.list = *list
	if c.list {
		return c, *procs, nil
	}
	eps, err := parseEndpoints(*endpoints)
	if err != nil {
		return c, 0, err
	}
	c.endpoints = eps
	if *out == "" {
		return c, 0, usagef("--out is required (valid: the JSON file to write)")
	}
	c.out = *out
	return c, *procs, nil
}

// histPath: FILE.json -> FILE_hist.json (the suite's convention).
func histPath(out string) string {
	return strings.TrimSuffix(out, ".json") + "_hist.json"
}

// clusterInfo asks every endpoint for its Status: the server version and
// member count, and whether the cluster answers at all (an unreachable
// endpoint is bad input: the caller exits 2).
func clusterInfo(eps []string) (string, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second,
		LogConfig: quietLog()})
	if err != nil {
		return "", usagef("etcd at --endpoints %s unreachable: %v (valid: the client URLs of a "+
			"running etcd v3 cluster)", strings.Join(eps, ","), err)
	}
	defer cli.Close()
	var versions []string
	for _, ep := range eps {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := cli.Status(ctx, ep)
		cancel()
		if err != nil {
			return "", usagef("etcd endpoint %s unreachable: %v (valid: the client URLs of a running "+
				"etcd v3 cluster)", ep, err)
		}
		versions = append(versions, st.Version)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ml, err := cli.MemberList(ctx)
	if err != nil {
		return "", usagef("etcd at --endpoints %s: member list failed: %v", strings.Join(eps, ","), err)
	}
	return fmt.Sprintf("etcd %s, %d member(s), endpoints %s", versions[0], len(ml.Members),
		strings.Join(eps, ",")), nil
}

func main() {
	c, procs, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Println(strings.SplitN(usageText, "\n\n", 2)[0])
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		os.Exit(2)
	}
	if procs > 0 {
		runtime.GOMAXPROCS(procs)
	}
	cases := selectCases(c)
	if c.list {
		for _, k := range cases {
			fmt.Println(k.name + suffix)
		}
		return
	}
	if len(cases) == 0 {
		fmt.Fprintf(os.Stderr, "%s: error: --cases '%s' matches no case (valid: see --list)\n",
			prog, c.filter)
		os.Exit(2)
	}
	info, err := clusterInfo(c.endpoints)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		os.Exit(2)
	}
	label := fmt.Sprintf("go_clientv3 (%s, clientv3 %s): %s", runtime.Version(), version.Version, info)
	fmt.Printf("%s: %s; %d cases, profile %s\n", prog, info, len(cases), c.profile)
	benchmarks, hists, notRun, err := runCases(c, cases, label, func(s string) { fmt.Println(s) })
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		os.Exit(1)
	}
	cl := c.cluster
	context := map[string]interface{}{
		"distributed_peer_go_runtime": gbench.RuntimeContext(),
		"distributed_peer_go_client": fmt.Sprintf("go.etcd.io/etcd/clientv3 %s (API %s), "+
			"clientv3/concurrency and contrib/recipes from Debian's golang-etcd-server-dev; each "+
			"client its own clientv3.Client (all endpoints, the first rotated to member i mod m) "+
			"and its own Session (TTL 10 s)", version.Version, version.APIVersion),
		"distributed_peer_go_cluster_" + cl: info,
	}
	if notRun > 0 {
		context["distributed_peer_go_not_run_"+cl] = fmt.Sprintf("%d of %d cases not run: the "+
			"peer's time budget (--time-budget-s %g) was spent (their rows carry error_occurred)",
			notRun, len(cases), c.budgetS)
		fmt.Printf("%s: %s\n", prog, context["distributed_peer_go_not_run_"+cl])
	}
	doc := map[string]interface{}{"context": context, "benchmarks": benchmarks}
	if err := gbench.WriteJSON(c.out, doc); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		os.Exit(1)
	}
	if err := gbench.WriteJSON(histPath(c.out), hists); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		os.Exit(1)
	}
}

const usageText = `usage: distributed_go --endpoints h:p[,h:p...] --cluster 1|3|given --profile quick|full --out FILE [--cases REGEXP] [--clients LIST] [--gomaxprocs N] [--time-budget-s S] [--list]

See suites/distributed/README.md and go/main.go.`

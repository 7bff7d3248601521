// Command overhead_go is the Go peer of the syncscope `overhead` suite: what
// one operation of Go's own sync.Once, sync.WaitGroup, sync.Cond, context,
// and golang.org/x/sync's semaphore, singleflight and errgroup costs, on the
// suite's cases (suites/overhead/overhead.cc describes each family; the
// bodies here mirror it), under the same names with impl:go_...:
//
//	overhead_once/impl:Once                  -> impl:go_sync_once
//	overhead_wait_group/impl:WaitGroup       -> impl:go_sync_wait_group
//	overhead_cond_broadcast/impl:Cond/...    -> impl:go_sync_cond (on a sync.Mutex)
//	overhead_context_cancel/depth:D/width:W  -> .../impl:go_context/depth:D/width:W
//	overhead_semaphore/impl:Semaphore/...    -> impl:go_semaphore (semaphore.Weighted)
//	overhead_single_flight/burst:B           -> .../impl:go_singleflight/burst:B
//	overhead_err_group/impl:ErrGroup/...     -> impl:go_errgroup
//
// (the C++ context and single-flight families have no impl segment: only
// syncscope's ran; the Go row adds one after the family name).
//
// Usage (suites/overhead/peer.sh runs it through suites/common/go_peer.sh, or the
// suite itself with -serve):
//
//	overhead_go -plan RUN/overhead.json -out GO.json [-gomaxprocs N] [-profile quick|full]
//	            [-skip FAMILY,...]
//
// With -serve instead of -plan (suites/overhead/prepare.sh prints that command
// for the suite, which runs it as its child) it runs each Go case right
// after the C++ benchmark it twins, as the suite asks (gbench's serve.go has
// the protocol), and writes -out at the end of its input.
//
// -skip leaves families out (recorded in the context key
// overhead_go_skipped); go_peer.sh says which and why.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"syncscope/gbench"
)

const prog = "overhead_go"

func main() {
	skipList := flag.String("skip", "", "families not to replay, comma-separated")
	p := gbench.Start(prog, "overhead", "impl:go_*")
	skip := map[string]bool{}
	for _, f := range strings.Split(*skipList, ",") {
		if f = strings.TrimSpace(f); f != "" {
			if !knownFamily(f) {
				fmt.Fprintf(os.Stderr, "%s: error: unknown family '%s' in -skip (valid: %s)\n", prog, f, strings.Join(families, ", "))
				os.Exit(2)
			}
			skip[f] = true
		}
	}
	p.Run(func(plan []gbench.PlanEntry) []gbench.Case { return Cases(plan, p.Profile, skip) },
		fmt.Sprintf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0)),
		func(n int) map[string]interface{} {
			return map[string]interface{}{
				"overhead_peer_go": fmt.Sprintf("%s; golang.org/x/sync from /usr/share/gocode; %d cases",
					gbench.RuntimeContext(), n),
				"overhead_go_profile": p.Profile.Name,
				"overhead_go_skipped": *skipList,
			}
		})
}

// families: the families this peer can replay.
var families = []string{"overhead_once", "overhead_wait_group", "overhead_cond_broadcast",
	"overhead_context_cancel", "overhead_semaphore", "overhead_single_flight", "overhead_err_group"}

func knownFamily(f string) bool {
	for _, k := range families {
		if k == f {
			return true
		}
	}
	return false
}

// Cases maps the plan's syncscope cases to Go cases (the C++ suite's other
// implementations — std_call_once, std_thread, ... — are not replayed),
// leaving out the families in skip.
func Cases(plan []gbench.PlanEntry, prof gbench.Profile, skip map[string]bool) []gbench.Case {
	var cases []gbench.Case
	seen := map[string]bool{}
	for _, e := range plan {
		if skip[gbench.Family(e.RunName)] {
			continue
		}
		name, run := caseFor(e, prof)
		if run == nil || seen[name] {
			continue
		}
		seen[name] = true
		cases = append(cases, gbench.Case{Name: name, Repetitions: e.Repetitions, Threads: e.Threads, Run: run})
	}
	return cases
}

func caseFor(e gbench.PlanEntry, prof gbench.Profile) (string, func() gbench.Result) {
	n := e.RunName
	impl := e.Segment("impl")
	rename := func(goImpl string) string { return gbench.SetSegment(n, "impl", goImpl) }
	switch gbench.Family(n) {
	case "overhead_once":
		if impl == "Once" {
			return rename("go_sync_once"), func() gbench.Result { return once(prof) }
		}
	case "overhead_wait_group":
		if impl == "WaitGroup" {
			return rename("go_sync_wait_group"), func() gbench.Result { return waitGroup(prof) }
		}
	case "overhead_cond_broadcast":
		k, ok := gbench.SegmentInt(n, "waiters")
		if impl == "Cond" && ok && k >= 1 {
			return rename("go_sync_cond"), func() gbench.Result { return condBroadcast(k, prof) }
		}
	case "overhead_context_cancel":
		d, ok1 := gbench.SegmentInt(n, "depth")
		w, ok2 := gbench.SegmentInt(n, "width")
		if impl == "" && ok1 && ok2 && d >= 1 && w >= 1 {
			return rename("go_context"), func() gbench.Result { return contextCancel(d, w, prof) }
		}
	case "overhead_semaphore":
		mode := e.Segment("mode")
		t := e.Threads
		if impl == "Semaphore" && (mode == "uncontended" || mode == "contended") {
			return rename("go_semaphore"), func() gbench.Result { return semaphoreCase(t, prof) }
		}
	case "overhead_single_flight":
		b, ok := gbench.SegmentInt(n, "burst")
		if impl == "" && ok && b >= 1 {
			return rename("go_singleflight"), func() gbench.Result { return singleFlight(b, prof) }
		}
	case "overhead_err_group":
		tasks, ok := gbench.SegmentInt(n, "tasks")
		if impl == "ErrGroup" && ok && tasks >= 1 {
			return rename("go_errgroup"), func() gbench.Result { return errGroup(tasks, prof) }
		}
	}
	return "", nil
}

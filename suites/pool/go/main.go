// Command pool_go is the Go peer of the syncscope `pool` suite: Go's own
// sync.Pool on the suite's cases, under the same names with peer:go_sync_pool
// (suites/pool/pool.cc describes each family; the bodies here mirror it).
//
// Usage (suites/pool/peer.sh runs it through suites/common/go_peer.sh, or the
// suite itself with -serve):
//
//	pool_go -plan RUN/pool.json -out GO.json [-gomaxprocs N] [-profile quick|full]
//
// With -serve instead of -plan (suites/pool/prepare.sh prints that command
// for the suite, which runs it as its child) it runs each Go case right
// after the C++ benchmark it twins, as the suite asks (gbench's serve.go has
// the protocol), and writes -out at the end of its input.
//
// Every case peer:Pool ran is replayed once per thread count, with the
// same repetitions, as placement:none (goroutines cannot be pinned).
//
// Go's GC and the C++ side's trim(): sync.Pool is emptied by the runtime at
// the start of every GC cycle (poolCleanup: the primary caches become the
// victim cache and the old victim cache is dropped), exactly what one
// Pool::trim() does. Where the C++ side calls trim() — pool_expensive_new
// (thread 0, every 10 rounds), pool_victim (once per iteration),
// pool_trim_pause (twice per sample) — this peer calls runtime.GC() at the
// same point. Elsewhere the C++ side never trims but Go's own GC may run
// (pool_starvation makes 33 objects of garbage per iteration); those cycles
// are counted (gc_cycles, gc_cycles_per_op) rather than prevented, because
// that is how sync.Pool behaves in a real program. GOGC is the environment's
// (100 by default, recorded in the context).
//
// Not replayed: pool_variable_sizes (go#23199's byte gauge has no
// equivalent: sync.Pool cannot say what it retains); the context says so.
package main

import (
	"fmt"
	"runtime"
	"strings"

	"syncscope/gbench"
)

const (
	prog     = "pool_go"
	implName = "go_sync_pool"
	refPeer  = "Pool"
)

func main() {
	p := gbench.Start(prog, "pool", implName)
	var skipped []string // every request's, once each
	seen := map[string]bool{}
	p.Run(func(plan []gbench.PlanEntry) []gbench.Case {
		cases, sk := Cases(plan, p.Profile)
		for _, s := range sk {
			if !seen[s] {
				seen[s] = true
				skipped = append(skipped, s)
			}
		}
		return cases
	}, fmt.Sprintf("placement=none;pus=unpinned;GOMAXPROCS=%d", runtime.GOMAXPROCS(0)),
		func(n int) map[string]interface{} {
			return map[string]interface{}{
				"pool_peer_go": fmt.Sprintf("%s; %d cases of peer:%s; Pool::trim() <-> runtime.GC() (poolCleanup at each GC start)",
					gbench.RuntimeContext(), n, refPeer),
				"pool_go_profile": p.Profile.Name,
				"pool_go_skipped": strings.Join(skipped, "; "),
			}
		})
}

// Cases maps the plan's peer:Pool cases to Go cases (deduplicated: every
// placement of the C++ side is one unpinned Go case); skipped says which
// families have no Go counterpart and why.
func Cases(plan []gbench.PlanEntry, prof gbench.Profile) ([]gbench.Case, []string) {
	var cases []gbench.Case
	seen := map[string]bool{}
	skip := map[string]bool{}
	var skipped []string
	for _, e := range plan {
		if e.Segment("peer") != refPeer {
			continue
		}
		name := gbench.SetSegment(e.RunName, "peer", implName)
		if gbench.Segment(name, "placement") != "" {
			name = gbench.SetSegment(name, "placement", "none")
		}
		if seen[name] {
			continue
		}
		fam := gbench.Family(e.RunName)
		run := caseFor(fam, e, prof)
		if run == nil {
			if !skip[fam] {
				skip[fam] = true
				skipped = append(skipped, fam+": "+skipReason(fam))
			}
			continue
		}
		seen[name] = true
		cases = append(cases, gbench.Case{Name: name, Repetitions: e.Repetitions, Threads: e.Threads, Run: run})
	}
	return cases, skipped
}

func skipReason(fam string) string {
	if fam == "pool_variable_sizes" {
		return "sync.Pool has no byte gauge (what it retains is not observable)"
	}
	return "no Go counterpart"
}

func caseFor(fam string, e gbench.PlanEntry, prof gbench.Profile) func() gbench.Result {
	t := e.Threads
	switch fam {
	case "pool_put_get":
		return func() gbench.Result { return putGet(t, prof) }
	case "pool_overflow":
		return func() gbench.Result { return overflow(t, prof) }
	case "pool_starvation":
		return func() gbench.Result { return starvation(t, prof) }
	case "pool_cross_thread":
		if t != 2 {
			return nil
		}
		return func() gbench.Result { return crossThread(prof) }
	case "pool_expensive_new":
		n, ok := gbench.SegmentInt(e.RunName, "threads")
		if !ok || n < 1 {
			return nil
		}
		return func() gbench.Result { return expensiveNew(n, prof) }
	case "pool_victim":
		held, ok := gbench.SegmentInt(e.RunName, "held")
		if !ok || held < 1 {
			return nil
		}
		return func() gbench.Result { return victim(held, prof) }
	case "pool_trim_pause":
		objs, ok := gbench.SegmentInt(e.RunName, "objects")
		if !ok || objs < 1 {
			return nil
		}
		return func() gbench.Result { return trimPause(objs, prof) }
	}
	return nil
}

// Command maps_go is the Go peer of the syncscope `maps` suite: Go's own
// sync.Map on the suite's scenarios, under the same names with
// map:go_sync_map (suites/maps/maps.cc and map_workload.h describe them;
// the bodies here mirror them).
//
// Usage (suites/maps/peer.sh runs it through suites/common/go_peer.sh, or the
// suite itself with -serve):
//
//	maps_go -plan RUN/maps.json -out GO.json [-gomaxprocs N] [-profile quick|full]
//
// With -serve instead of -plan (suites/maps/prepare.sh prints that command
// for the suite, which runs it as its child) it runs each Go case right
// after the C++ benchmark it twins, as the suite asks (gbench's serve.go has
// the protocol), and writes -out at the end of its input.
//
// Every case map:SyncMap ran is replayed once per thread count, with the
// same repetitions, as placement:none (goroutines cannot be pinned). Keys
// and values are uint64, stored in sync.Map as a Go program would (boxed in
// interface values: part of what sync.Map costs in Go 1.19, which has no
// generic sync.Map).
package main

import (
	"fmt"
	"runtime"

	"syncscope/gbench"
)

const (
	prog     = "maps_go"
	implName = "go_sync_map"
	refMap   = "SyncMap"
)

func main() {
	p := gbench.Start(prog, "maps", implName)
	p.Run(func(plan []gbench.PlanEntry) []gbench.Case { return Cases(plan, p.Profile) },
		fmt.Sprintf("placement=none;pus=unpinned;GOMAXPROCS=%d", runtime.GOMAXPROCS(0)),
		func(n int) map[string]interface{} {
			return map[string]interface{}{
				"maps_peer_go": fmt.Sprintf("%s; %d cases of map:%s; sync.Map with uint64 keys and values boxed in interface{}",
					gbench.RuntimeContext(), n, refMap),
				"maps_go_profile": p.Profile.Name,
			}
		})
}

// Cases maps the plan's map:SyncMap cases to Go cases (one per scenario and
// thread count: every placement of the C++ side is one unpinned Go case).
func Cases(plan []gbench.PlanEntry, prof gbench.Profile) []gbench.Case {
	var cases []gbench.Case
	seen := map[string]bool{}
	for _, e := range plan {
		if gbench.Family(e.RunName) != "maps" || e.Segment("map") != refMap {
			continue
		}
		s, ok := parseScenario(e.Segment("scenario"))
		if !ok {
			continue
		}
		name := gbench.SetSegment(e.RunName, "map", implName)
		if e.Segment("placement") != "" {
			name = gbench.SetSegment(name, "placement", "none")
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		t := e.Threads
		cases = append(cases, gbench.Case{Name: name, Repetitions: e.Repetitions, Threads: t,
			Run: func() gbench.Result { return runMap(s, t, prof) }})
	}
	return cases
}

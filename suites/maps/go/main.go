// Command maps_go is the Go peer of the syncscope `maps` suite: Go's own
// sync.Map on the suite's scenarios, under the same names with
// map:go_sync_map (suites/maps/maps.cc and map_workload.h describe them;
// the bodies here mirror them).
//
// Usage (suites/maps/peer.sh runs it through suites/common/go_peer.sh):
//
//	maps_go -plan RUN/maps.json -out GO.json [-gomaxprocs N] [-profile quick|full]
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
	cases := Cases(p.Plan, p.Profile)
	p.Finish(cases, fmt.Sprintf("placement=none;pus=unpinned;GOMAXPROCS=%d", runtime.GOMAXPROCS(0)),
		map[string]interface{}{
			"maps_peer_go": fmt.Sprintf("%s; %d cases replayed from map:%s; sync.Map with uint64 keys and values boxed in interface{}",
				gbench.RuntimeContext(), len(cases), refMap),
			"maps_go_profile": p.Profile.Name,
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

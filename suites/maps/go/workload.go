package main

import (
	"math/rand"
	"sync"

	"syncscope/gbench"
)

// The scenarios of suites/maps/map_workload.h, with its constants.
type scenario int

const (
	writeOnceReadMany scenario = iota
	disjointKeys
	read90Write10
)

const (
	sharedKeys    = 4096
	keysPerThread = 1024
	writeBit      = uint64(1) << 63
	ownKeyShift   = 32
	unroll        = 8       // operations per iteration
	planLength    = 1 << 14 // planned operations per goroutine (a ring)
)

func parseScenario(s string) (scenario, bool) {
	switch s {
	case "write_once_read_many":
		return writeOnceReadMany, true
	case "disjoint_keys":
		return disjointKeys, true
	case "read_90_write_10":
		return read90Write10, true
	}
	return 0, false
}

func writeFraction(s scenario) float64 {
	switch s {
	case disjointKeys:
		return 0.5
	case read90Write10:
		return 0.1
	}
	return 0
}

func sharedKeyCount(s scenario) uint64 {
	if s == disjointKeys {
		return 0
	}
	return sharedKeys
}

// ownKeys: [first, first+count) of the keys goroutine t owns (count 0: none).
func ownKeys(s scenario, t int) (uint64, uint64) {
	if s != disjointKeys {
		return 0, 0
	}
	return uint64(t+1) << ownKeyShift, keysPerThread
}

// makePlan: n operations for goroutine t, the key in the low 63 bits and
// writeBit set for a store; the same distribution as make_plan (a
// different generator: math/rand, seeded per scenario and goroutine).
func makePlan(s scenario, t int, n int) []uint64 {
	rng := rand.New(rand.NewSource(0x6d617073 + int64(t)*0x9e3779b9))
	first, count := ownKeys(s, t)
	base, span := uint64(0), uint64(sharedKeys)
	if count > 0 {
		base, span = first, count
	}
	wf := writeFraction(s)
	plan := make([]uint64, n)
	for i := range plan {
		op := base + uint64(rng.Int63n(int64(span)))
		if rng.Float64() < wf {
			op |= writeBit
		}
		plan[i] = op
	}
	return plan
}

func loadOr0(m *sync.Map, k uint64) uint64 {
	if v, ok := m.Load(k); ok {
		return v.(uint64)
	}
	return 0
}

// readTwice loads every key of [first, first+count) twice: sync.Map
// promotes its dirty map after as many misses as it has keys.
func readTwice(m *sync.Map, first, count uint64) uint64 {
	var sum uint64
	for pass := 0; pass < 2; pass++ {
		for k := first; k < first+count; k++ {
			sum += loadOr0(m, k)
		}
	}
	return sum
}

var sink uint64

// runMap: t goroutines share one sync.Map made and filled before they
// start; each stores its own keys (disjoint_keys) and reads them twice,
// then runs its planned operations, 8 per iteration, for n iterations
// (Google Benchmark's sizing on the run's wall time).
func runMap(s scenario, t int, prof gbench.Profile) gbench.Result {
	plans := make([][]uint64, t)
	for i := range plans {
		plans[i] = makePlan(s, i, planLength)
	}
	perNs := make([]float64, t)
	sums := make([]uint64, t)
	var realS, cpuS float64
	n, _ := gbench.GrowIterations(prof.MinTime, func(k int64) float64 {
		m := new(sync.Map)
		nk := sharedKeyCount(s)
		for key := uint64(0); key < nk; key++ {
			m.Store(key, key)
		}
		sink += readTwice(m, 0, nk)
		ready := make(chan struct{}, t)
		start := make(chan struct{})
		done := make(chan struct{}, t)
		for g := 0; g < t; g++ {
			go func(g int) {
				first, count := ownKeys(s, g)
				for key := first; key < first+count; key++ {
					m.Store(key, key)
				}
				sum := readTwice(m, first, count)
				plan := plans[g]
				ready <- struct{}{}
				<-start
				t0 := gbench.Now()
				i := 0
				for j := int64(0); j < k; j++ {
					for u := 0; u < unroll; u++ {
						op := plan[i&(planLength-1)]
						i++
						key := op &^ writeBit
						if op&writeBit != 0 {
							m.Store(key, uint64(i))
						} else {
							sum += loadOr0(m, key)
						}
					}
				}
				perNs[g] = float64(gbench.Now() - t0)
				sums[g] = sum
				done <- struct{}{}
			}(g)
		}
		for g := 0; g < t; g++ {
			<-ready
		}
		c0, w0 := gbench.CPUNs(), gbench.Now()
		close(start)
		for g := 0; g < t; g++ {
			<-done
		}
		realS, cpuS = float64(gbench.Now()-w0)*1e-9, (gbench.CPUNs()-c0)*1e-9
		for _, v := range sums {
			sink += v
		}
		return realS
	})
	opsPerThread := float64(n * unroll)
	ns := 0.0
	for _, v := range perNs {
		ns += v / float64(t)
	}
	return gbench.Result{Iterations: n, RealS: realS, CPUS: cpuS,
		Counters: map[string]float64{
			"ops_per_s":        opsPerThread * float64(t) / realS,
			"ns_per_op":        ns / opsPerThread,
			"cpu_ns_per_op":    cpuS * 1e9 / (opsPerThread * float64(t)),
			"items_per_second": opsPerThread * float64(t) / realS,
		}}
}

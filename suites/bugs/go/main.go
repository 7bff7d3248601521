// Command bugs_go: the bug zoo of suites/bugs (same names, same forced
// interleavings) with goroutines and Go's own primitives, so that Go's
// runtime deadlock detector ("fatal error: all goroutines are asleep -
// deadlock!") and its race detector (`go build -race`) can be judged on the
// same bugs as syncscope's detector and ThreadSanitizer.
//
//	bugs_go -list
//	bugs_go -bug NAME -variant buggy|fixed
//
// Each run is the whole program: its main is the bug's main goroutine. A
// program that ends prints one JSON line: outcome "ok", "wrong" (a wrong
// result) or "leaked" (main returned with goroutines still blocked: Go's
// deadlock detector cannot see that). A program whose goroutines all block
// is stopped by the runtime (exit 2, "all goroutines are asleep"). Bad
// usage: one line naming the bad value and the valid ones, exit 2.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

type result struct {
	Bug     string `json:"bug"`
	Variant string `json:"variant"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

func main() {
	list := flag.Bool("list", false, "list the bugs")
	bug := flag.String("bug", "", "bug to run")
	variant := flag.String("variant", "", "buggy or fixed")
	flag.Parse()
	names := make([]string, 0, len(zoo))
	for n := range zoo {
		names = append(names, n)
	}
	sort.Strings(names)
	if *list {
		for _, n := range names {
			fmt.Println(n)
		}
		return
	}
	run, ok := zoo[*bug]
	if !ok {
		fmt.Fprintf(os.Stderr, "error: unknown bug '%s' (valid: %s)\n", *bug, strings.Join(names, ", "))
		os.Exit(2)
	}
	if *variant != "buggy" && *variant != "fixed" {
		fmt.Fprintf(os.Stderr, "error: unknown variant '%s' (valid: buggy, fixed)\n", *variant)
		os.Exit(2)
	}
	wrong := run(*variant == "buggy")
	r := result{Bug: *bug, Variant: *variant, Outcome: "ok", Detail: wrong}
	if wrong != "" {
		r.Outcome = "wrong"
	} else if leaked := settleLeaks(); leaked > 0 {
		r.Outcome = "leaked"
		r.Detail = fmt.Sprintf("%d goroutine(s) still blocked when main returned", leaked)
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

// settleLeaks: zoo goroutines (started by spawn) still alive once each of
// them has either ended or is blocked in a wait (its stack header says
// "chan send", "chan receive", "select", "semacquire", "sync.…"). No time is
// involved: a finishing goroutine ends, a leaked one stays blocked.
func settleLeaks() int {
	for {
		n := int(live.Load())
		if n == 0 {
			return 0
		}
		if blockedZooGoroutines() >= n {
			return n
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func blockedZooGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		header := strings.SplitN(g, "\n", 2)[0]
		if !strings.Contains(g, "main.spawn.func1") {
			continue
		}
		for _, w := range []string{"[chan send", "[chan receive", "[select", "[semacquire", "[sync."} {
			if strings.Contains(header, w) {
				n++
				break
			}
		}
	}
	return n
}

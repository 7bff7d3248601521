package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"syncscope/gbench"
)

const sfx = "/iterations:1/manual_time"

// req: one request line of a benchmark's rows (repetitions rows of name).
func req(name string, units, reps int) string {
	var rows []string
	for i := 0; i < reps; i++ {
		b, _ := json.Marshal(map[string]interface{}{"name": name, "run_name": name, "run_type": "iteration",
			"repetitions": reps, "repetition_index": i, "threads": 1, "iterations": 1, "real_time": 1.5,
			"cpu_time": nil, "time_unit": "ms", "units": units})
		rows = append(rows, string(b))
	}
	return `{"benchmarks":[` + strings.Join(rows, ",") + "]}\n"
}

// answers: the lines after the ready line, as their "ran" lists.
func answers(t *testing.T, out string) [][]string {
	t.Helper()
	ls := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var ready map[string]interface{}
	if err := json.Unmarshal([]byte(ls[0]), &ready); err != nil || ready["ready"] != true ||
		!strings.Contains(ready["peer"].(string), "GOMAXPROCS=") {
		t.Fatalf("first line %q is not the ready line", ls[0])
	}
	var got [][]string
	for _, l := range ls[1:] {
		var a struct{ Ran []string }
		if err := json.Unmarshal([]byte(l), &a); err != nil || a.Ran == nil {
			t.Fatalf("answer %q", l)
		}
		got = append(got, a.Ran)
	}
	return got
}

// The pending rule: a case's thread row waits for its goroutine row and the
// two run once, with the larger units and repetitions; a request that is
// not a Chan row, or another case's Chan row, runs the pending case first;
// a row Go has no twin for is answered with nothing; a case that ran does
// not run again; EOF runs the pending case. -out and -hist then hold every
// case in the order run, with the served context.
func TestServeRunsEachCaseOnceAtTheRightRequest(t *testing.T) {
	a := "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2"
	aG := "channels/impl:Chan/model:goroutine/case:spsc/cap:16/msg:8/threads:2"
	b := "channels/impl:Chan/case:mpsc/cap:1/msg:8/threads:3"
	d := "channels/impl:Chan/case:pingpong/cap:0/msg:8/threads:2"
	e := "channels/impl:Chan/case:seq/cap:16/msg:8/threads:1"
	f := "channels/impl:Chan/case:mpmc/cap:16/msg:8/threads:4"
	other := func(n string) string { return strings.Replace(n, "impl:Chan", "impl:boost_fiber", 1) }
	in := req(a+sfx, 40, 1) + // 1: pending
		req(aG+sfx, 64, 2) + // 2: both rows seen: runs
		req(other(a)+sfx, 9, 1) + // 3: nothing pending
		req(b+sfx, 30, 1) + // 4: pending
		req(other(b)+sfx, 9, 1) + // 5: not a Chan row: runs b
		req(d+sfx, 20, 1) + // 6: pending
		req(e+sfx, 24, 1) + // 7: another case: runs d, e pending
		req("channels/impl:Chan/case:seq/cap:unbounded/msg:8/threads:1"+sfx, 8, 1) + // 8: no twin: runs e
		req(a+sfx, 40, 1) + // 9: a ran already
		req(f+sfx, 16, 1) // 10: pending until EOF
	r := newRunner(2)
	r.progress = io.Discard
	var out bytes.Buffer
	if err := r.serve(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	g := goName
	want := [][]string{{}, {g(a + sfx)}, {}, {}, {g(b + sfx)}, {}, {g(d + sfx)}, {g(e + sfx)}, {}, {}}
	if got := answers(t, out.String()); !reflect.DeepEqual(got, want) {
		t.Fatalf("answers\n%v\nwant\n%v", got, want)
	}
	dir := t.TempDir()
	outPath, histPath := filepath.Join(dir, "go.json"), filepath.Join(dir, "hist.json")
	if err := r.write(outPath, histPath, "quick", true); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context    map[string]interface{}
		Benchmarks []map[string]interface{}
	}
	raw, _ := os.ReadFile(outPath)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, row := range doc.Benchmarks {
		if row["run_type"] == "iteration" {
			names = append(names, row["name"].(string))
		}
		// Every row (iterations and aggregates) carries its case's window.
		if w, ok := row["noise_wall_s"].(float64); !ok || w <= 0 || row["noise_own_cpu_s"] == nil {
			t.Errorf("row %v: no noise window (noise_wall_s %v)", row["name"], row["noise_wall_s"])
		}
		if row["name"] == g(a+sfx) && (row["units"] != 64.0 || row["repetitions"] != 2.0) {
			t.Errorf("case a: units %v repetitions %v, want the goroutine row's 64 and 2", row["units"], row["repetitions"])
		}
	}
	wantNames := []string{g(a + sfx), g(a + sfx), g(b + sfx), g(d + sfx), g(e + sfx), g(f + sfx)}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("rows %v, want %v", names, wantNames)
	}
	if last := doc.Benchmarks[len(doc.Benchmarks)-1]; last["family_index"] != 4.0 {
		t.Errorf("last row's family_index %v, want 4", last["family_index"])
	}
	if doc.Context["channels_peer_mode"] != gbench.PeerModeServed ||
		!strings.Contains(doc.Context["channels_peer_go"].(string), "5 cases") {
		t.Errorf("context %v", doc.Context)
	}
	// The served noise record sums the five cases' windows.
	if nz, ok := doc.Context["channels_go_noise"].(map[string]interface{}); !ok || nz["windows"] != 5.0 ||
		!strings.HasPrefix(nz["served"].(string), "served") {
		t.Errorf("channels_go_noise %v", doc.Context["channels_go_noise"])
	}
	var hists map[string]interface{}
	raw, _ = os.ReadFile(histPath)
	if err := json.Unmarshal(raw, &hists); err != nil || hists[gbench.BaseName(g(f+sfx))] == nil {
		t.Errorf("histograms %s: %v", raw, err)
	}
}

// A line that is not a request: an error line, nothing more read (the
// pending case does not run), and the error returned.
func TestServeRefusesABadLine(t *testing.T) {
	r := newRunner(2)
	r.progress = io.Discard
	in := req("channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2"+sfx, 8, 1) + "{\"benchmarks\":\n"
	var out bytes.Buffer
	err := r.serve(strings.NewReader(in), &out)
	if !errors.Is(err, gbench.ErrBadRequest) {
		t.Fatalf("err %v", err)
	}
	ls := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(ls) != 3 || !strings.HasPrefix(ls[2], `{"error":"bad request line`) || r.cases != 0 {
		t.Fatalf("lines %q, %d cases ran", ls, r.cases)
	}
}

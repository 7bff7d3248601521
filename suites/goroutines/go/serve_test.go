package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"syncscope/gbench"
)

// fakeCases stands in for the real cases: each appends one iteration row
// named after its twin (the real ones take seconds and hundreds of MB).
func fakeCases(t *testing.T, twins ...string) {
	saved, savedOut := cases, out
	t.Cleanup(func() { cases, out = saved, savedOut })
	cases, out = nil, nil
	for _, tw := range twins {
		name := "go:" + tw
		cases = append(cases, goCase{twin: tw, run: func() {
			record(name, 0, 1, 1, map[string]float64{"ns_per_op": 1})
		}})
	}
}

func answers(t *testing.T, raw string) []map[string]interface{} {
	var got []map[string]interface{}
	sc := bufio.NewScanner(strings.NewReader(raw))
	for sc.Scan() {
		var m map[string]interface{}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("answer %q: %v", sc.Text(), err)
		}
		got = append(got, m)
	}
	return got
}

// A request runs the case its row twins, once; a row that twins nothing
// runs nothing; at EOF the cases no request named run too.
func TestServeRunsEachTwinOnceAndTheRestAtEOF(t *testing.T) {
	fakeCases(t, "fam/impl:a/", "fam/impl:b/", "fam/impl:c/")
	req := func(names ...string) string {
		var rows []string
		for _, n := range names {
			rows = append(rows, `{"name":"`+n+`","run_name":"`+n+`","run_type":"iteration"}`)
		}
		return `{"benchmarks":[` + strings.Join(rows, ",") + "]}\n"
	}
	in := req("fam/impl:b/x:1/manual_time", "fam/impl:b/x:1/manual_time") +
		req("fam/impl:std_thread/x:1") + req("fam/impl:b/x:1/manual_time")
	var w strings.Builder
	if err := serve(strings.NewReader(in), &w); err != nil {
		t.Fatal(err)
	}
	got := answers(t, w.String())
	if len(got) != 4 || got[0]["ready"] != true {
		t.Fatalf("answers %v", got)
	}
	ran := func(i int) []interface{} { return got[i]["ran"].([]interface{}) }
	if len(ran(1)) != 1 || ran(1)[0] != "go:fam/impl:b/" || len(ran(2)) != 0 || len(ran(3)) != 0 {
		t.Errorf("ran %v / %v / %v, want [go:fam/impl:b/] / [] / []", ran(1), ran(2), ran(3))
	}
	var names []string
	for _, e := range out {
		names = append(names, e["name"].(string))
	}
	if strings.Join(names, " ") != "go:fam/impl:b/ go:fam/impl:a/ go:fam/impl:c/" {
		t.Errorf("rows %v: want b (asked), then a and c at EOF", names)
	}
}

// A line that is not a request: an error answer, serve returns the error.
func TestServeRefusesABadLine(t *testing.T) {
	fakeCases(t, "fam/impl:a/")
	var w strings.Builder
	if err := serve(strings.NewReader("hello\n"), &w); err == nil {
		t.Fatal("no error")
	}
	got := answers(t, w.String())
	if len(got) != 2 || got[1]["error"] == nil {
		t.Errorf("answers %v", got)
	}
}

// The real chan case served from its C++ twin's row (one short repetition).
func TestServeRunsTheRealChanCase(t *testing.T) {
	savedReps, savedMin, savedOut := reps, minTime, out
	t.Cleanup(func() { reps, minTime, out = savedReps, savedMin, savedOut })
	reps, minTime, out = 1, time.Millisecond, nil
	var w strings.Builder
	in := `{"benchmarks":[{"name":"goroutines_chan/impl:Chan/case:spsc/cap:0/manual_time","run_name":"goroutines_chan/impl:Chan/case:spsc/cap:0/manual_time","run_type":"iteration"}]}` + "\n"
	saved := cases
	t.Cleanup(func() { cases = saved })
	for _, c := range saved {
		if c.twin == "goroutines_chan/impl:Chan/case:spsc/" {
			cases = []goCase{c}
		}
	}
	if err := serve(strings.NewReader(in), &w); err != nil {
		t.Fatal(err)
	}
	got := answers(t, w.String())
	if len(got) != 2 || len(got[1]["ran"].([]interface{})) != 1 ||
		got[1]["ran"].([]interface{})[0] != "goroutines_chan/impl:go_chan/case:spsc/cap:0/manual_time" {
		t.Fatalf("answers %v", got)
	}
	if v, ok := out[0]["ns_per_op"].(float64); !ok || v <= 0 {
		t.Errorf("row %v", out[0])
	}
}

// Each case's rows carry its own noise window (start before end, the
// disturbed flag), one window per case run, and the served record sums
// them (gbench.ServedNoise).
func TestServedCasesCarryTheirNoiseWindows(t *testing.T) {
	fakeCases(t, "fam/impl:a/", "fam/impl:b/")
	savedWin := windows
	t.Cleanup(func() { windows = savedWin })
	windows = nil
	in := `{"benchmarks":[{"name":"fam/impl:b/x","run_name":"fam/impl:b/x","run_type":"iteration"}]}` + "\n"
	var w strings.Builder
	if err := serve(strings.NewReader(in), &w); err != nil {
		t.Fatal(err)
	}
	if len(windows) != 2 || len(out) != 2 {
		t.Fatalf("%d windows, %d rows; want 2 and 2", len(windows), len(out))
	}
	for i, e := range out {
		s, ok1 := e["noise_window_start_s"].(float64)
		f, ok2 := e["noise_window_end_s"].(float64)
		if !ok1 || !ok2 || f < s {
			t.Errorf("row %d: window %v .. %v", i, e["noise_window_start_s"], e["noise_window_end_s"])
		}
		if _, ok := e["noise_disturbed"].(float64); !ok {
			t.Errorf("row %d: no noise_disturbed", i)
		}
	}
	rec := gbench.ServedNoise(windows)
	if rec["windows"] != 2 {
		t.Errorf("record %v: want 2 windows", rec)
	}
}

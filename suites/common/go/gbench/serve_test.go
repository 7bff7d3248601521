package gbench

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// twinCases is a peer's casesFor: a Go twin for every impl:X row (impl:go_x,
// placement:none), none for the others; runs counts the runs per name.
func twinCases(runs map[string]int) func([]PlanEntry) []Case {
	return func(plan []PlanEntry) []Case {
		var cases []Case
		for _, e := range plan {
			if e.Segment("impl") != "X" {
				continue
			}
			name := SetSegment(SetSegment(e.RunName, "impl", "go_x"), "placement", "none")
			cases = append(cases, Case{Name: name, Repetitions: e.Repetitions, Threads: 1,
				Run: func() Result {
					runs[name]++
					return Result{Iterations: 10, RealS: 1e-6, CPUS: 1e-6,
						Counters: map[string]float64{"ns_per_op": 0.1}}
				}})
		}
		return cases
	}
}

func row(name string, reps, rep int, extra string) string {
	return `{"name":"` + name + `","run_name":"` + name + `","run_type":"iteration","repetitions":` +
		itoa(reps) + `,"repetition_index":` + itoa(rep) + `,"threads":1,"iterations":5,"real_time":3.5,` +
		`"cpu_time":3.5,"time_unit":"ns","label":"l"` + extra + `}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func request(rows ...string) string { return `{"benchmarks":[` + strings.Join(rows, ",") + "]}\n" }

// lines: out's lines, each decoded.
func lines(t *testing.T, out string) []map[string]interface{} {
	t.Helper()
	var got []map[string]interface{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]interface{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, m)
	}
	return got
}

func servePeer(t *testing.T) Peer {
	return Peer{Prog: "demo_go", Suite: "demo", Entries: "go_x", Served: true,
		OutPath: filepath.Join(t.TempDir(), ".demo_go.json")}
}

// The ready line first, then one answer per request: the twin run now
// (all its repetitions), nothing for a row without a twin, nothing for a
// twin that already ran (another placement of the same Go case), a row
// with null numbers read like a plan's. After EOF -out holds the rows in
// order, numbered on across requests, and the served context.
func TestServeRunsEachTwinWhenAsked(t *testing.T) {
	p := servePeer(t)
	runs := map[string]int{}
	a := "demo/impl:X/case:a/placement:compact/real_time"
	in := request(row(a, 2, 0, `,"units":51200`), row(a, 2, 1, "")) +
		request(row("demo/impl:Y/case:a/placement:compact/real_time", 1, 0, "")) +
		request(row("demo/impl:X/case:a/placement:spread/real_time", 2, 0, "")) +
		request(row("demo/impl:X/case:b/real_time", 1, 0, `,"cv":null,"units":null`))
	var out bytes.Buffer
	var gotN int
	err := p.Serve(strings.NewReader(in), &out, twinCases(runs), "lbl", func(n int) map[string]interface{} {
		gotN = n
		return map[string]interface{}{"demo_peer_go": "x"}
	})
	if err != nil {
		t.Fatal(err)
	}
	ls := lines(t, out.String())
	if len(ls) != 5 {
		t.Fatalf("%d lines, want ready + 4 answers: %s", len(ls), out.String())
	}
	if ls[0]["ready"] != true || !strings.Contains(ls[0]["peer"].(string), "GOMAXPROCS=") {
		t.Errorf("ready line %v", ls[0])
	}
	goA := "demo/impl:go_x/case:a/placement:none/real_time"
	goB := "demo/placement:none/impl:go_x/case:b/real_time"
	want := [][]interface{}{{goA}, {}, {}, {goB}}
	for i, w := range want {
		if !reflect.DeepEqual(ls[i+1], map[string]interface{}{"ran": w}) {
			t.Errorf("answer %d: %v, want ran %v", i, ls[i+1], w)
		}
	}
	if runs[goA] != 2 || runs[goB] != 1 || gotN != 2 {
		t.Errorf("runs %v, context(n) n=%d", runs, gotN)
	}
	raw, err := os.ReadFile(p.OutPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context    map[string]interface{}
		Benchmarks []map[string]interface{}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range doc.Benchmarks {
		names = append(names, b["name"].(string))
		if b["label"] != "lbl" {
			t.Errorf("label %v", b["label"])
		}
		if _, ok := b["noise_window_start_s"]; !ok {
			t.Errorf("%s: no noise window", b["name"])
		}
		fi := 0.0
		if strings.Contains(b["name"].(string), "case:b") {
			fi = 1
		}
		if b["family_index"] != fi {
			t.Errorf("%s: family_index %v, want %v", b["name"], b["family_index"], fi)
		}
	}
	wantNames := []string{goA, goA, goA + "_mean", goA + "_median", goA + "_stddev", goA + "_cv", goB}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("rows %v, want %v", names, wantNames)
	}
	if doc.Context["demo_peer_mode"] != PeerModeServed || doc.Context["demo_peer_go"] != "x" {
		t.Errorf("context %v", doc.Context)
	}
	noise, _ := doc.Context["demo_go_noise"].(map[string]interface{})
	if noise["windows"] != 2.0 || noise["wall_s"].(float64) <= 0 {
		t.Errorf("go_noise %v", noise)
	}
}

// No request at all: the ready line only, and an -out with no rows ([], not
// null: peer_merge.py wants an array).
func TestServeWithoutRequests(t *testing.T) {
	p := servePeer(t)
	var out bytes.Buffer
	if err := p.Serve(strings.NewReader(""), &out, twinCases(map[string]int{}), "",
		func(int) map[string]interface{} { return nil }); err != nil {
		t.Fatal(err)
	}
	if ls := lines(t, out.String()); len(ls) != 1 || ls[0]["ready"] != true {
		t.Fatalf("lines %v", ls)
	}
	raw, _ := os.ReadFile(p.OutPath)
	if !strings.Contains(string(raw), `"benchmarks":[]`) {
		t.Fatalf("out %s", raw)
	}
}

// A line that is not a request: one error line, nothing more read, no
// -out written, the error says it was refused.
func TestServeRefusesABadLine(t *testing.T) {
	for _, bad := range []string{"not json\n", `{"rows":[]}` + "\n", `{"benchmarks":[1]}` + "\n",
		`{"benchmarks":{}}` + "\n"} {
		p := servePeer(t)
		runs := map[string]int{}
		in := request(row("demo/impl:X/case:a", 1, 0, "")) + bad + request(row("demo/impl:X/case:b", 1, 0, ""))
		var out bytes.Buffer
		err := p.Serve(strings.NewReader(in), &out, twinCases(runs), "", func(int) map[string]interface{} { return nil })
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q: err %v", bad, err)
		}
		ls := lines(t, out.String())
		if len(ls) != 3 || ls[0]["ready"] != true || ls[1]["ran"] == nil {
			t.Fatalf("%q: lines %v", bad, ls)
		}
		if msg, ok := ls[2]["error"].(string); !ok || !strings.HasPrefix(msg, "bad request line") {
			t.Errorf("%q: last line %v", bad, ls[2])
		}
		if len(runs) != 1 {
			t.Errorf("%q: ran %v after the bad line", bad, runs)
		}
		if _, err := os.Stat(p.OutPath); err == nil {
			t.Errorf("%q: -out written", bad)
		}
	}
}

// A handler's error is answered as an error line and returned as it is.
func TestServeLinesAnswersAHandlersError(t *testing.T) {
	var out bytes.Buffer
	boom := errors.New("neighbour: cannot start\nsecond line")
	err := ServeLines(strings.NewReader(request()), &out, "p", func([]map[string]interface{}) ([]string, error) {
		return nil, boom
	})
	if err != boom {
		t.Fatalf("err %v", err)
	}
	if got := out.String(); !strings.HasSuffix(got, `{"error":"neighbour: cannot start second line"}`+"\n") {
		t.Fatalf("out %q", got)
	}
}

// A request's rows read as a plan file's: aggregates and errored rows left
// out, null (a non-finite number) as absent, bare NaN tolerated.
func TestParseRequestIsReadPlansLogic(t *testing.T) {
	rows, err := ParseRequest([]byte(`{"benchmarks":[` +
		`{"name":"a/x:1","run_type":"iteration","repetitions":null,"threads":2,"v":NaN},` +
		`{"name":"a/x:1_mean","run_name":"a/x:1","run_type":"aggregate"},` +
		`{"name":"b/y:1","run_type":"iteration","error_occurred":true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	plan := PlanFromBenchmarks(rows)
	if len(plan) != 1 || plan[0] != (PlanEntry{RunName: "a/x:1", Repetitions: 1, Threads: 2}) {
		t.Fatalf("plan %+v", plan)
	}
	if rows, err := ParseRequest([]byte(`{"benchmarks":[]}`)); err != nil || len(rows) != 0 {
		t.Fatalf("empty request: %v %v", rows, err)
	}
}

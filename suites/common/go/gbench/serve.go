package gbench

// Serve mode: the peer as the C++ suite's child, running each Go twin right
// after the C++ benchmark it twins (the protocol between suite and peer:
// issue 11's "served peers"). Why: the machine's state (the line hand-off
// probe) flips between a fast and a slow state that lasts minutes; a Go
// row replayed after the whole suite ran minutes after its C++ twin, often
// in the other state. Served, the two run seconds apart.
//
// The lines, each one line of compact JSON ending in '\n':
//
//	peer -> suite, once, when ready:  {"ready":true,"peer":"<what runs>"}
//	suite -> peer, per benchmark:     {"benchmarks":[ROW, ...]}
//	peer -> suite, per request:       {"ran":["<go run_name>", ...]} or {"error":"<one line>"}
//
// A request's rows are the iteration rows of one C++ benchmark as Google
// Benchmark's JSON reporter writes them (null where a number was not
// finite): the peer reads them as it reads a plan file (PlanFromBenchmarks)
// and decides what it has a twin for; an empty "ran" says nothing. At EOF
// on stdin the peer runs anything still pending, writes its -out (and a
// side file's) through a temporary name, writes nothing more on stdout and
// exits 0. A request that is not one of the above is answered with an
// error line and the peer exits 1 without writing its files. Progress
// lines go to stderr: stdout is the reply channel.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// The context key SUITE_peer_mode: how the Go rows were placed in time.
const (
	PeerModeServed   = "served: each Go case ran right after the C++ benchmark it twins (interleaved)"
	PeerModeReplayed = "replayed after the suite"
)

// decodeBenchmarks is ReadBenchmarks on bytes: the "benchmarks" array of a
// Google Benchmark document (bare NaN / inf read as null); ok false when
// the document has none.
func decodeBenchmarks(raw []byte) (rows []map[string]interface{}, ok bool, err error) {
	var doc struct {
		Benchmarks *[]map[string]interface{} `json:"benchmarks"`
	}
	// Google Benchmark writes NaN / inf for some aggregates (the cv of a
	// counter that is 0 in every repetition); encoding/json rejects them.
	raw = nonFinite.ReplaceAll(raw, []byte("${1}null"))
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, false, err
	}
	if doc.Benchmarks == nil {
		return nil, false, nil
	}
	return *doc.Benchmarks, true, nil
}

// ParseRequest reads one request line: its rows, or why it is not a request.
func ParseRequest(line []byte) ([]map[string]interface{}, error) {
	rows, ok, err := decodeBenchmarks(line)
	if err != nil {
		return nil, fmt.Errorf("bad request line (%v)", err)
	}
	if !ok {
		return nil, errors.New("bad request line (no \"benchmarks\" array)")
	}
	for _, r := range rows {
		if r == nil {
			return nil, errors.New("bad request line (a row that is not an object)")
		}
	}
	return rows, nil
}

// ErrBadRequest wraps what ServeLines returns for a request it refused (it
// has answered it with an error line).
var ErrBadRequest = errors.New("request refused")

// writeLine writes v as one line of compact JSON.
func writeLine(out io.Writer, v interface{}) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = out.Write(append(raw, '\n'))
	return err
}

// ServeLines is the serve loop: it writes the ready line (peer: one line
// saying what runs), then answers each request line on in with the Go run
// names handle ran for its rows, until EOF (returns nil). A line that is
// not a request, or an error from handle, is answered with an error line
// and returned (wrapping ErrBadRequest for a bad line); nothing more is
// read.
func ServeLines(in io.Reader, out io.Writer, peer string,
	handle func(rows []map[string]interface{}) ([]string, error)) error {
	peer = strings.Join(strings.Fields(peer), " ")
	ready := struct { // in the protocol's order
		Ready bool   `json:"ready"`
		Peer  string `json:"peer"`
	}{true, peer}
	if err := writeLine(out, ready); err != nil {
		return err
	}
	r := bufio.NewReader(in)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return err
		}
		if len(strings.TrimSpace(string(line))) == 0 && err == io.EOF {
			return nil
		}
		rows, perr := ParseRequest(line)
		var ran []string
		var herr error
		if perr == nil {
			ran, herr = handle(rows)
		}
		if perr != nil || herr != nil {
			shown, ret := herr, herr
			if perr != nil {
				shown, ret = perr, fmt.Errorf("%w: %v", ErrBadRequest, perr)
			}
			msg := strings.Join(strings.Fields(shown.Error()), " ")
			if werr := writeLine(out, map[string]string{"error": msg}); werr != nil {
				return werr
			}
			return ret
		}
		if ran == nil {
			ran = []string{}
		}
		if werr := writeLine(out, map[string][]string{"ran": ran}); werr != nil {
			return werr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// Serve is Run with -serve, reading requests from in and answering on out
// (ServeLines): each request's rows are a plan (PlanFromBenchmarks), its
// cases (casesFor) that have not run yet (by name) run now with label, as
// RunAll runs them (each its own noise window, progress on stderr), their
// rows numbered on from the earlier requests'. At EOF the -out file gets
// every row and context(n) with SUITE_go_noise (ServedNoise: the windows
// the peer ran cases in) and SUITE_peer_mode PeerModeServed. A refused
// request: the error, nothing written.
func (p Peer) Serve(in io.Reader, out io.Writer, casesFor func([]PlanEntry) []Case, label string,
	context func(n int) map[string]interface{}) error {
	ready := fmt.Sprintf("%s: Go's %s on the %s suite's requests; %s", p.Prog, p.Entries, p.Suite,
		RuntimeContext())
	done := map[string]bool{}
	benchmarks := []map[string]interface{}{}
	var windows [][2]NoiseSample
	n := 0
	progress := func(s string) { fmt.Fprintln(os.Stderr, s) }
	err := ServeLines(in, out, ready, func(rows []map[string]interface{}) ([]string, error) {
		var todo []Case
		for _, c := range casesFor(PlanFromBenchmarks(rows)) {
			if done[c.Name] {
				continue
			}
			done[c.Name] = true
			c.Label = label
			todo = append(todo, c)
		}
		ran := []string{}
		if len(todo) == 0 {
			return ran, nil
		}
		start := SampleNoiseAndState()
		got, end := runCases(todo, n, start, progress)
		windows = append(windows, [2]NoiseSample{start, end})
		benchmarks = append(benchmarks, got...)
		n += len(todo)
		for _, c := range todo {
			ran = append(ran, c.Name)
		}
		return ran, nil
	})
	if err != nil {
		return err
	}
	ctx := context(n)
	if ctx == nil {
		ctx = map[string]interface{}{}
	}
	ctx[p.Suite+"_go_noise"] = ServedNoise(windows)
	ctx[p.Suite+"_peer_mode"] = PeerModeServed
	return WriteJSON(p.OutPath, map[string]interface{}{"context": ctx, "benchmarks": benchmarks})
}

// ServedNoise is a served peer's noise record (the keys of Noise): the sum
// of the windows it ran cases in, each from a request's first case to its
// last; between requests the C++ suite ran, whose CPU time would otherwise
// count as other processes'. Load and the machine's state are those at the
// first window's start and the last one's end.
func ServedNoise(windows [][2]NoiseSample) map[string]interface{} {
	what := "served: the sum of the windows in which the peer ran cases (the C++ suite's " +
		"benchmarks between them are in none)"
	if len(windows) == 0 {
		return map[string]interface{}{"wall_s": 0.0, "windows": 0, "served": what,
			"per_benchmark": "no case ran"}
	}
	j := Noise(windows[0][0], windows[len(windows)-1][1])
	var wall, own, foreign, steal float64
	var vcsw, ivcsw int64
	busy := true
	for _, w := range windows {
		a, b := w[0], w[1]
		wall += float64(b.WallNs-a.WallNs) * 1e-9
		o := b.OwnCPUS - a.OwnCPUS
		own += o
		vcsw += b.Nvcsw - a.Nvcsw
		ivcsw += b.Nivcsw - a.Nivcsw
		if a.BusyS < 0 || b.BusyS < 0 {
			busy = false
			continue
		}
		if f := (b.BusyS - a.BusyS) - o; f > 0 {
			foreign += f
		}
		steal += b.StealS - a.StealS
	}
	if wall < 1e-9 {
		wall = 1e-9
	}
	j["wall_s"] = wall
	j["own_cpu_s"] = own
	j["own_voluntary_csw"] = vcsw
	j["own_involuntary_csw"] = ivcsw
	delete(j, "foreign_cpu_s")
	delete(j, "foreign_cpus")
	delete(j, "steal_s")
	if busy {
		j["foreign_cpu_s"] = foreign
		j["foreign_cpus"] = foreign / wall
		j["steal_s"] = steal
	}
	j["windows"] = len(windows)
	j["served"] = what
	j["per_benchmark"] = "recorded: each case's rows carry the noise_* fields of its own " +
		"window (its repetitions back to back)"
	return j
}

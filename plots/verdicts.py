"""verdicts.py — the answers a run gives (data only: no drawing, no HTML).

For each question (fastest lock per thread count, fairest lock, lowest p99.9
wait, best lockskew victim tail, fastest channel per case and capacity, Pool
vs a free list, sync.Map vs the alternatives per workload) and each case of
it found in the run: the winner and the runner-up by median over
repetitions, their ratio (>= 1: how much better the winner is), and a
Mann-Whitney U test of the two over the repetitions (common.significance:
"~" when not significant at alpha 0.05 or when too few repetitions).

Each verdict also says whether the rows it compares were measured while
the machine was disturbed (common.disturbance, the harness's thresholds):
every candidate row of the case counts, since a disturbed loser might have
won. A row is judged by its own window (common.bench_noise_of: the harness's
per-benchmark window, or a Go peer's per-case window); a row without one by
the window it was measured in: its Go peer's (SUITE_go_noise) for a go_ row,
else the suite's.

A verdict also says when its winner's and runner-up's rows ran in different
states of the machine: their windows' line hand-off probes (the harness's
noise_line_handoff_before_ns / _after_ns, one cache line's trip between two
CPUs) more than STATE_APART apart. On a shared VM the state flips minutes
apart between ~20-60 and ~180-280 ns (issue 11), and a ratio between rows in
two states compares the states as much as the candidates.

Imports common only; report.py renders the rows.
"""

from collections import OrderedDict, namedtuple

import common

# suite, question, families, candidate key, metric, higher is better, figure,
# params left out of the case (besides the candidate key).
Question = namedtuple("Question", "suite question families candidate metric higher figure")

QUESTIONS = [
    Question("fairness", "fastest lock (acquisitions/s)", ("fairness",), "lock",
             "acq_per_s", True, "fairness_scaling.png"),
    Question("fairness", "fairest lock (Jain's index)", ("fairness",), "lock",
             "jain_index", True, "fairness_pareto.png"),
    Question("starvation", "lowest p99.9 lock wait", ("starvation",), "lock",
             "wait_p999_ns", False, "starvation_percentiles.png"),
    Question("starvation", "best lockskew victim tail (p99.9 wait)",
             ("starvation_lockskew",), "lock", "victim_wait_p999_ns", False,
             "starvation_lockskew.png"),
    Question("channels", "fastest channel (messages/s)", ("channels",), "impl",
             "msgs_per_s", True, "channels_go_cases.png"),
    Question("pool", "Pool vs a free list (ns per operation)",
             ("pool_put_get", "pool_overflow", "pool_starvation", "pool_cross_thread"),
             "peer", "ns_per_op", False, "pool_scenarios.png"),
    Question("maps", "sync.Map vs the alternatives (operations/s)", ("maps",), "map",
             "ops_per_s", True, "maps_bars.png"),
]

_NOT_CASE = ("real_time", "manual_time", "process_time", "iterations", "repeats")

# disturbed: "" when every row of the case was measured quiet, else why
# ("tas: other processes used ..."; "; " between rows), None when no row has
# a noise record; disturbed_rows: the candidates whose rows were disturbed.
# states: "" unless the winner's and the runner-up's rows met different
# machine states (then "tas 31 ns, ticket 215-230 ns": their probes).
Verdict = namedtuple("Verdict", "suite question case winner runner_up ratio p mark "
                                "figure winner_value runner_value metric candidates "
                                "disturbed disturbed_rows states")

STATE_APART = common.STATE_APART  # one home: plots/common.py
STATE_KEYS = ("line_handoff_before_ns", "line_handoff_after_ns")


def _case(result, candidate):
    parts = [(k, v) for k, v in result.params.items()
             if k != candidate and k not in _NOT_CASE]
    if "threads" not in result.params and result.threads > 1:
        parts.append(("threads", str(result.threads)))
    return "/".join("%s:%s" % kv for kv in parts) or "—"


def _primary(results):
    """Only the primary placement ("none" when measured)."""
    placements = [r.params.get("placement") for r in results if r.params.get("placement")]
    if not placements:
        return results
    keep = common.primary_placement(list(dict.fromkeys(placements)))
    return [r for r in results if r.params.get("placement", keep) == keep]


def _reps(suite, result, metric):
    return [v[metric] for v in suite.rep_values.get(result.name, []) if metric in v]


def row_disturbance(suite, result, candidate):
    """Why one row was disturbed ("" quiet, None unknown), judged by its own
    window, else by the window it was measured in (see the top)."""
    own = common.bench_noise_of(suite, result.name)
    if own is not None:
        return common.disturbance(own)
    peer = common.go_peer_noise_of(suite)
    if peer is not None and str(result.params.get(candidate, "")).startswith("go_"):
        why = common.disturbance(peer)
        return why and why + " (the Go peer's window)"
    why = common.disturbance(common.noise_of(suite))
    return why and why + " (the suite's window)"


def case_disturbance(suite, rows, candidate):
    """(disturbed, disturbed_rows) of a case's candidate rows (see Verdict)."""
    whys, names, known = [], [], False
    for r in rows:
        why = row_disturbance(suite, r, candidate)
        known = known or why is not None
        if why:
            names.append(r.params[candidate])
            whys.append("%s: %s" % (r.params[candidate], why))
    return ("; ".join(whys) if known else None), names


def row_probes(suite, result):
    """The machine-state probes (ns) at the ends of the row's own window."""
    own = common.bench_noise_of(suite, result.name) or {}
    return [own[k] for k in STATE_KEYS
            if isinstance(own.get(k), (int, float)) and not isinstance(own.get(k), bool)
            and own[k] > 0]


def states_apart(suite, a, b, candidate):
    """"" unless every probe of one row is more than STATE_APART times every
    probe of the other (a row whose window saw both states is in neither);
    then the two rows' probes, named by candidate."""
    pa, pb = row_probes(suite, a), row_probes(suite, b)
    if not common.probes_apart(pa, pb):
        return ""

    def span(p):
        lo, hi = min(p), max(p)
        return common.fmt_num(lo) + ("" if hi == lo else "-" + common.fmt_num(hi)) + " ns"
    return "%s %s, %s %s" % (a.params[candidate], span(pa), b.params[candidate], span(pb))


def answer(q, suite):
    """The verdicts of one question over one SuiteData."""
    results = [r for r in suite.results if r.family in q.families
               and q.candidate in r.params and r.value(q.metric) is not None]
    cases = OrderedDict()
    for r in _primary(results):
        key = (r.family if len(q.families) > 1 else "", _case(r, q.candidate))
        cases.setdefault(key, []).append(r)
    out = []
    for (fam, case), rs in cases.items():
        if len(rs) < 2:
            continue
        rs = sorted(rs, key=lambda r: r.value(q.metric), reverse=q.higher)
        w, ru = rs[0], rs[1]
        wv, rv = w.value(q.metric), ru.value(q.metric)
        if q.higher:
            ratio = wv / rv if rv > 0 else None
        else:
            ratio = rv / wv if wv > 0 else None
        p, mark = common.significance(_reps(suite, w, q.metric), _reps(suite, ru, q.metric))
        disturbed, disturbed_rows = case_disturbance(suite, rs, q.candidate)
        out.append(Verdict(q.suite, q.question, (fam + " " + case).strip(),
                           w.params[q.candidate], ru.params[q.candidate], ratio, p, mark,
                           q.figure, wv, rv, q.metric, len(rs), disturbed, disturbed_rows,
                           states_apart(suite, w, ru, q.candidate)))
    return out


def all_verdicts(run):
    out = []
    for q in QUESTIONS:
        suite = run.suites.get(q.suite)
        if suite is not None:
            out.extend(answer(q, suite))
    return out

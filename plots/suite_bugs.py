"""Tables of the bugs suite (bugs.json): the Go concurrency-bug study
(Tu, Liu, Song, Zhang, ASPLOS 2019) and its reproduction here.

Families read (see suites/bugs/bugs.cc):
  bugs_study/table:6|9/app:A/cause:C        count
  bugs_study/table:8|12/cause:C             used, detected
  bugs_zoo/bug:B/variant:buggy|fixed/cause:C/runtime:threads|goroutines
      misbehaved, blocking, syncscope_detector, tsan, go_deadlock, go_race
      (1 caught, 0 missed, -1 not run); runtime:goroutines rows (the channel
      bugs again, on syncscope's goroutines) carry syncscope_detector and
      tsan (Go's verdicts belong to the threads rows: the Go program is the
      same bug); a row without the runtime segment is a threads row
  bugs_detector_overhead/op:O/detector:compiled_out|in_off|on   ns_per_op

Tables only (no figure): the study's Tables 6, 8, 9 and 12 as the paper
counts them, the detection table of the reproduced zoo (per bug and in
totals per detector, with the fixed versions' false reports), the channel
bugs on goroutines, and the blocking-bug detector's cost per operation.
"""

from collections import OrderedDict

import draw
from common import Table

TITLE = "Concurrency bugs: the Go study, reproduced and detected"

APPS = ["Docker", "Kubernetes", "etcd", "CockroachDB", "gRPC", "BoltDB"]
T6 = ["Mutex", "RWMutex", "Wait", "Chan", "Chan_w", "Lib"]
T9 = ["traditional", "anonymous", "waitgroup", "lib", "chan", "msg_lib"]
DETECTORS = [("syncscope_detector", "syncscope detector"), ("tsan", "ThreadSanitizer"),
             ("go_deadlock", "Go deadlock detector"), ("go_race", "Go race detector")]
MODES = ["compiled_out", "in_off", "on"]
GOROUTINE_DETECTORS = ["syncscope_detector", "tsan"]


def _study(suite, table):
    return [r for r in suite.family("bugs_study") if r.get("table") == table]


def _count_table(suite, table, causes, title):
    rows = _study(suite, table)
    if not rows:
        return None
    cell = {(r.get("app"), r.get("cause")): int(r.value("count", 0)) for r in rows}
    out = []
    for app in APPS:
        vals = [cell.get((app, c), 0) for c in causes]
        out.append([app] + vals + [sum(vals)])
    tot = [sum(cell.get((a, c), 0) for a in APPS) for c in causes]
    out.append(["Total"] + tot + [sum(tot)])
    return Table(title, ["application"] + [c.replace("_w", " w/") for c in causes] + ["total"], out)


def _used_table(suite, table, title):
    rows = _study(suite, table)
    if not rows:
        return None
    out = [[r.get("cause").replace("_w", " w/"), int(r.value("used", 0)), int(r.value("detected", 0))]
           for r in rows]
    out.append(["Total", sum(r[1] for r in out), sum(r[2] for r in out)])
    return Table(title, ["root cause", "bugs used", "detected"], out)


def _verdict(v):
    if v is None or v < 0:
        return "not run"
    return "caught" if v >= 0.5 else "missed"


def zoo_rows(suite, runtime="threads"):
    """OrderedDict bug -> {variant: Result} of one runtime's rows."""
    out = OrderedDict()
    for r in suite.family("bugs_zoo"):
        if (r.get("runtime") or "threads") == runtime:
            out.setdefault(r.get("bug"), {})[r.get("variant")] = r
    return out


def goroutine_table(suite):
    """The channel bugs on goroutines beside the same bugs on threads, or None."""
    gor = zoo_rows(suite, "goroutines")
    if not gor:
        return None
    thr = zoo_rows(suite)
    rows = []
    for bug, variants in gor.items():
        b, f = variants.get("buggy"), variants.get("fixed")
        if b is None:
            continue
        tb = thr.get(bug, {}).get("buggy")
        rows.append([bug, (b.get("cause") or "").replace("_w", " w/"),
                     "yes" if b.value("misbehaved", 0) >= 0.5 else "NO",
                     "yes" if f is not None and f.value("misbehaved", 1) < 0.5 else "NO",
                     _verdict(b.value("syncscope_detector")), _verdict(b.value("tsan")),
                     "yes" if f is not None and any((f.value(k) or 0) >= 0.5 for k in GOROUTINE_DETECTORS)
                     else "no",
                     _verdict(tb.value("syncscope_detector")) if tb is not None else "not run"])
    return Table("Channel bugs on syncscope's goroutines (M:N runtime): the same reproductions, "
                 "syncscope's detector naming goroutines",
                 ["bug", "cause", "buggy misbehaves", "fixed correct", "syncscope detector",
                  "ThreadSanitizer", "false report on fixed", "syncscope detector, same bug on threads"],
                 rows)


def detection_totals(suite):
    """{(blocking, detector key): (caught, run, total)} over buggy versions, and
    the number of fixed versions any detector reported."""
    totals = {}
    false_reports = 0
    for variants in zoo_rows(suite).values():
        buggy, fixed = variants.get("buggy"), variants.get("fixed")
        if buggy is not None:
            blocking = buggy.value("blocking", 0) >= 0.5
            for key, _ in DETECTORS:
                v = buggy.value(key)
                c, n, t = totals.get((blocking, key), (0, 0, 0))
                ran = v is not None and v >= 0
                totals[(blocking, key)] = (c + (1 if ran and v >= 0.5 else 0), n + (1 if ran else 0), t + 1)
        if fixed is not None and any((fixed.value(k) or 0) >= 0.5 for k, _ in DETECTORS):
            false_reports += 1
    for variants in zoo_rows(suite, "goroutines").values():
        fixed = variants.get("fixed")
        if fixed is not None and any((fixed.value(k) or 0) >= 0.5 for k in GOROUTINE_DETECTORS):
            false_reports += 1
    return totals, false_reports


def summary_rows(run_dir, suite_data, context):
    tables = []
    for t in (_count_table(suite_data, "6", T6, "Study, Table 6: blocking bug causes"),
              _used_table(suite_data, "8", "Study, Table 8: Go's deadlock detector on reproduced blocking bugs"),
              _count_table(suite_data, "9", T9, "Study, Table 9: root causes of non-blocking bugs"),
              _used_table(suite_data, "12", "Study, Table 12: Go's race detector on reproduced non-blocking "
                                            "bugs (detected within 100 runs)")):
        if t is not None:
            tables.append(t)
    zoo = zoo_rows(suite_data)
    if zoo:
        rows = []
        for bug, variants in zoo.items():
            b, f = variants.get("buggy"), variants.get("fixed")
            if b is None:
                continue
            rows.append([bug, "blocking" if b.value("blocking", 0) >= 0.5 else "non-blocking",
                         (b.get("cause") or "").replace("_w", " w/"),
                         "yes" if b.value("misbehaved", 0) >= 0.5 else "NO",
                         "yes" if f is not None and f.value("misbehaved", 1) < 0.5 else "NO"]
                        + [_verdict(b.value(k)) for k, _ in DETECTORS])
        tables.append(Table("Reproduced bugs: buggy version misbehaves, fixed one does not, and who "
                            "catches the buggy one",
                            ["bug", "kind", "cause", "buggy misbehaves", "fixed correct"]
                            + [name for _, name in DETECTORS], rows))
        totals, false_reports = detection_totals(suite_data)
        trows = []
        for blocking in (True, False):
            row = ["blocking" if blocking else "non-blocking"]
            for key, _ in DETECTORS:
                c, n, t = totals.get((blocking, key), (0, 0, 0))
                row.append("%d of %d" % (c, t) + ("" if n == t else " (%d run)" % n))
            trows.append(row)
        trows.append(["false reports on fixed versions"] + [str(false_reports)] + [""] * (len(DETECTORS) - 1))
        tables.append(Table("Detection table: reproduced bugs caught per detector",
                            ["bugs"] + [name for _, name in DETECTORS], trows))
    gt = goroutine_table(suite_data)
    if gt is not None:
        tables.append(gt)
    ov = suite_data.family("bugs_detector_overhead")
    if ov:
        cell = {(r.get("op"), r.get("detector")): r.value("ns_per_op") for r in ov}
        ops = list(OrderedDict.fromkeys(r.get("op") for r in ov))
        rows = [[op] + [draw.fmt_ns(cell.get((op, m))) if cell.get((op, m)) is not None else "—"
                        for m in MODES] for op in ops]
        tables.append(Table("Blocking-bug detector: cost per operation (median ns; compiled out / "
                            "compiled in but off / on)", ["operation"] + MODES, rows))
    return tables


def figures(run_dir, suite_data, context):
    return []


def notes(run_dir, suite_data, context):
    out = []
    src = suite_data.context.get("bugs_study_source")
    if src:
        out.append("Study counts: " + src + ".")
    for key in ("bugs_peer_tsan", "bugs_peer_go", "bugs_peer_go_race"):
        v = suite_data.context.get(key)
        if v:
            out.append("%s: %s" % (key, v))
    if suite_data.family("bugs_zoo"):
        out.append("Each reproduction forces its bad interleaving with step gates that create no "
                   "happens-before edge; 'not run' means the detector was unavailable or does not "
                   "apply (Go's race detector is run on the non-blocking bugs only).")
    return out

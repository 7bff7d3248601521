"""Figures and tables of the overhead suite (overhead.json).

Families read (every one reports ns_per_op, its headline value; see
suites/overhead/overhead.cc for what one "op" is in each):
  overhead_once/impl:Once|std_call_once
  overhead_wait_group/impl:WaitGroup
  overhead_cond_broadcast/impl:Cond|std_condition_variable/waiters:K
      last_wake_p50_ns, last_wake_p99_ns, first_wake_p50_ns
  overhead_context_cancel/depth:D/width:W   (syncscope's: no impl segment)
      all_done_p50_ns, all_done_p99_ns, cancel_call_p50_ns, nodes, leaves
  overhead_semaphore/impl:Semaphore|std_counting_semaphore/mode:M
      (mode:contended runs under several GB thread counts)
  overhead_single_flight/burst:B            (syncscope's: no impl segment)
      fn_calls_per_do, ideal_fn_calls_per_do, shared_rate, do_p99_ns
  overhead_err_group/impl:ErrGroup|std_thread/tasks:N
and the Go peer's rows of each family (suites/overhead/go), impl:go_sync_once,
go_sync_wait_group, go_sync_cond, go_context, go_semaphore, go_singleflight,
go_errgroup (GO_IMPL), with the same other segments.

Figures
  overhead_table.png    the overhead table as a figure: one row per
                        operation, syncscope's primitive next to the
                        standard library's equivalent and to Go's own, and
                        the two ratios.
  overhead_latency.png  Cond broadcast: last waiter awake vs waiters, every
                        condition variable (Go's included); Context: all
                        leaves done vs nodes below the root, by tree shape,
                        syncscope's and Go's.
"""

from collections import OrderedDict, namedtuple

import draw
import style
from common import (Table, as_number, fmt_num, go_peer_note, save_figure, spread, spread_caption,
                    spread_n)
from draw import fmt_ns

TITLE = "Overhead: one operation of each primitive"

Row = namedtuple("Row", "operation ours ours_ns base base_ns go_ns")
Row.__new__.__defaults__ = (None,)

# syncscope primitive -> the impl segment of Go's own in the Go peer's rows.
GO_IMPL = OrderedDict([
    ("Once", "go_sync_once"),
    ("WaitGroup", "go_sync_wait_group"),
    ("Cond", "go_sync_cond"),
    ("Context", "go_context"),
    ("Semaphore", "go_semaphore"),
    ("SingleFlight", "go_singleflight"),
    ("ErrGroup", "go_errgroup"),
])
GO_COLOUR_NAME = "go_runtime"

# syncscope primitive -> the standard library's equivalent measured with it.
BASELINES = OrderedDict([
    ("Once", "std_call_once"),
    ("Cond", "std_condition_variable"),
    ("Semaphore", "std_counting_semaphore"),
    ("ErrGroup", "std_thread"),
])




def _by(suite, family, **match):
    out = []
    for r in suite.family(family):
        if all(r.get(k) == v for k, v in match.items()):
            out.append(r)
    return out


def _ns(r):
    return None if r is None else r.value("ns_per_op")


def _one(rows):
    return rows[0] if rows else None


def _ours(rows):
    """syncscope's rows of a family whose own rows carry no impl segment
    (context, single flight): every row but the Go peer's."""
    return [r for r in rows if r.get("impl") is None]


def _go(rows, impl, **match):
    """The Go peer's row of impl matching the other segments, or None."""
    return _one([r for r in rows if r.get("impl") == impl
                 and all(r.get(k) == v for k, v in match.items())])


def table_rows(suite):
    """[Row] in a fixed order, only where something was measured."""
    rows = []
    once, std_once = _one(_by(suite, "overhead_once", impl="Once")), \
        _one(_by(suite, "overhead_once", impl="std_call_once"))
    go_once = _one(_by(suite, "overhead_once", impl=GO_IMPL["Once"]))
    if once or std_once:
        rows.append(Row("Once: call() when already done (fast path)", "Once", _ns(once),
                        "std::call_once", _ns(std_once), _ns(go_once)))
    wg = _one(_by(suite, "overhead_wait_group", impl="WaitGroup"))
    go_wg = _one(_by(suite, "overhead_wait_group", impl=GO_IMPL["WaitGroup"]))
    if wg:
        rows.append(Row("WaitGroup: add(1) + done() + wait(), one thread", "WaitGroup", _ns(wg),
                        None, None, _ns(go_wg)))
    cond = suite.family("overhead_cond_broadcast")
    for k in sorted(set(as_number(r.get("waiters"), 0) for r in cond)):
        ours = _one([r for r in cond if r.get("impl") == "Cond" and as_number(r.get("waiters")) == k])
        base = _one([r for r in cond if r.get("impl") == "std_condition_variable"
                     and as_number(r.get("waiters")) == k])
        go = _one([r for r in cond if r.get("impl") == GO_IMPL["Cond"]
                   and as_number(r.get("waiters")) == k])
        rows.append(Row("Cond: broadcast() until the last of %d waiter%s is awake (p50)"
                        % (k, "s" if k != 1 else ""), "Cond", _ns(ours),
                        "std::condition_variable", _ns(base), _ns(go)))
    ctx_all = suite.family("overhead_context_cancel")
    ctx = _ours(ctx_all)
    ctx.sort(key=lambda r: (as_number(r.value("nodes"), 0) or 0, r.get("depth", "")))
    for r in ctx:
        n = int(r.value("nodes") or 0)
        go = _go(ctx_all, GO_IMPL["Context"], depth=r.get("depth"), width=r.get("width"))
        rows.append(Row("Context: root cancel() until every leaf is done, depth %s, width %s "
                        "(%d node%s) (p50)" % (r.get("depth"), r.get("width"), n,
                                              "s" if n != 1 else ""),
                        "Context", _ns(r), None, None, _ns(go)))
    sem = suite.family("overhead_semaphore")
    keys = []
    for r in sem:
        key = (r.get("mode", "?"), r.threads)
        if key not in keys and r.get("impl") != GO_IMPL["Semaphore"]:
            keys.append(key)  # the Go peer only replays cases the C++ side ran
    keys.sort(key=lambda k: (k[0] != "uncontended", k[1]))
    for mode, t in keys:
        ours = _one([r for r in sem if r.get("impl") == "Semaphore" and r.get("mode") == mode
                     and r.threads == t])
        base = _one([r for r in sem if r.get("impl") == "std_counting_semaphore"
                     and r.get("mode") == mode and r.threads == t])
        go = _one([r for r in sem if r.get("impl") == GO_IMPL["Semaphore"]
                   and r.get("mode") == mode and r.threads == t])
        what = "one thread" if mode == "uncontended" else "%d threads, size 1" % t
        rows.append(Row("Semaphore: acquire(1) + release(1), %s" % what, "Semaphore", _ns(ours),
                        "std::counting_semaphore", _ns(base), _ns(go)))
    sf_all = suite.family("overhead_single_flight")
    sf = _ours(sf_all)
    sf.sort(key=lambda r: as_number(r.get("burst"), 0) or 0)
    for r in sf:
        go = _go(sf_all, GO_IMPL["SingleFlight"], burst=r.get("burst"))
        rows.append(Row("SingleFlight: do_call(), burst of %s, one key: %s fn calls per "
                        "do_call (ideal %s) (p50)"
                        % (r.get("burst"), _f3(r.value("fn_calls_per_do")),
                           _f3(r.value("ideal_fn_calls_per_do"))),
                        "SingleFlight", _ns(r), None, None, _ns(go)))
    eg = suite.family("overhead_err_group")
    for n in sorted(set(as_number(r.get("tasks"), 0) for r in eg)):
        ours = _one([r for r in eg if r.get("impl") == "ErrGroup" and as_number(r.get("tasks")) == n])
        base = _one([r for r in eg if r.get("impl") == "std_thread" and as_number(r.get("tasks")) == n])
        go = _one([r for r in eg if r.get("impl") == GO_IMPL["ErrGroup"]
                   and as_number(r.get("tasks")) == n])
        rows.append(Row("ErrGroup: go() + wait(), %d task%s (per task)" % (n, "s" if n != 1 else ""),
                        "ErrGroup", _ns(ours), "std::thread + join()", _ns(base), _ns(go)))
    return rows


def _f3(v):
    return "—" if v is None else "%.3f" % v


def _ratio(row):
    if row.ours_ns and row.base_ns:
        return row.ours_ns / row.base_ns
    return None


def _go_ratio(row):
    if row.ours_ns and row.go_ns:
        return row.ours_ns / row.go_ns
    return None


def _x(r):
    return ("%s×" % fmt_num(r)) if r is not None else "—"


def _cells(row):
    return [row.operation, row.ours, fmt_ns(row.ours_ns), row.base or "—", fmt_ns(row.base_ns),
            _x(_ratio(row)), fmt_ns(row.go_ns), _x(_go_ratio(row))]


COLUMNS = ["operation", "syncscope", "time per op", "standard library", "time per op",
           "syncscope / std", "Go", "syncscope / Go"]
RATIO_COLUMNS = {5: _ratio, 7: _go_ratio}


def _table_figure(run_dir, suite):
    rows = table_rows(suite)
    if not rows:
        return None
    import textwrap
    cells = []
    for row in rows:
        c = _cells(row)
        c[0] = "\n".join(textwrap.wrap(c[0], 84))
        cells.append(c)
    heights = [1] + [c[0].count("\n") + 1 for c in cells]   # text lines per row, header first
    total = float(sum(heights))
    line_in = 0.235                                          # inches per text line
    fig, axes = draw.new_figure(15.0, 0.55 + line_in * total + 0.06 * len(heights))
    ax = axes[0][0]
    ax.axis("off")
    tab = ax.table(cellText=cells, colLabels=COLUMNS, cellLoc="left", colLoc="left",
                   colWidths=[0.43, 0.075, 0.075, 0.13, 0.075, 0.075, 0.065, 0.075],
                   bbox=[0.0, 0.0, 1.0, 1.0])
    tab.auto_set_font_size(False)
    tab.set_fontsize(8.5)
    for (ri, ci), cell in tab.get_celld().items():
        cell.PAD = 0.03 if ci == 0 else 0.06
        cell.set_edgecolor("#cccccc")
        cell.set_height(heights[ri] / total)  # the bbox keeps these proportions
        if ri == 0:
            cell.set_facecolor("#eeeeee")
            cell.get_text().set_fontweight("bold")
            continue
        if ci in (2, 4, 5, 6, 7):
            cell.get_text().set_horizontalalignment("right")
            cell._loc = "right"
        if ci in RATIO_COLUMNS:
            r = RATIO_COLUMNS[ci](rows[ri - 1])
            if r is not None:
                cell.set_facecolor("#e5f5e0" if r <= 1.0 else "#fee6ce")
        if ci == 1:
            cell.get_text().set_color(style.colour(rows[ri - 1].ours))
    ax.set_title("Overhead per operation (medians over repetitions)", pad=6)
    fig.tight_layout()
    fname = save_figure(fig, run_dir, "overhead_table.png")
    caption = ("The overhead table: one row per operation, syncscope's primitive next to the "
               "C++ standard library's equivalent where there is one and to Go's own (the Go "
               "peer: sync, context, golang.org/x/sync, on the same case), and the ratios "
               "(green: syncscope is faster or equal; orange: slower; — where that side did "
               "not run). Latencies are medians over the run's rounds (p50), per-op costs wall "
               "time per operation; the same numbers are in the table below as text.")
    return fname, caption


def _us_spread(suite, r):
    """p10-p90 of ns_per_op over the repetitions, in µs, or None."""
    sp = spread(suite, r, "ns_per_op")
    return (sp[0] / 1e3, sp[1] / 1e3) if sp else None


def _latency_figure(run_dir, suite):
    cond = [r for r in suite.family("overhead_cond_broadcast") if r.value("ns_per_op")]
    ctx = [r for r in suite.family("overhead_context_cancel")
           if r.value("ns_per_op") and r.value("nodes")]
    panels = [p for p, rows in (("cond", cond), ("ctx", ctx)) if rows]
    if not panels:
        return None
    fig, axes = draw.new_figure(5.4 * len(panels) + 0.6, 4.4, ncols=len(panels))
    for ax, panel in zip(axes[0], panels):
        if panel == "cond":
            impls = style.ordered([r.get("impl") for r in cond], ["Cond", "std_condition_variable"])
            ks = sorted(set(as_number(r.get("waiters"), 0) for r in cond))
            for impl in impls:
                pts = sorted(((as_number(r.get("waiters"), 0), r.value("ns_per_op"),
                               _us_spread(suite, r))
                              for r in cond if r.get("impl") == impl), key=lambda p: p[0])
                go = impl == GO_IMPL["Cond"]
                colour = style.colour(GO_COLOUR_NAME if go else impl)
                ax.plot([p[0] for p in pts], [p[1] / 1e3 for p in pts],
                        color=colour,
                        marker=style.marker(impl), linewidth=1.8,
                        label={"Cond": "Cond (GoMutex)",
                               GO_IMPL["Cond"]: "Go sync.Cond (sync.Mutex)"}.get(impl, impl))
                draw.whiskers(ax, [p[0] for p in pts], [p[1] / 1e3 for p in pts],
                              [p[2] for p in pts], colour=colour, capsize=2)
            ax.set_xscale("log", base=2)
            ax.set_xticks(ks)
            ax.set_xticklabels([str(k) for k in ks])
            ax.set_xlabel("waiters woken by one broadcast")
            ax.set_ylabel("until the last one is awake, p50 (µs)")
            ax.set_title("Cond broadcast wake-up")
            ax.legend(loc="upper left")
        else:
            markers = {"chain": "o", "star": "s", "tree": "^"}
            for who, colour, rows_of in (
                    ("Context", style.colour("Context"), _ours(ctx)),
                    ("Go", style.colour(GO_COLOUR_NAME),
                     [r for r in ctx if r.get("impl") == GO_IMPL["Context"]])):
                shapes = OrderedDict([("chain", []), ("star", []), ("tree", [])])
                for r in rows_of:
                    d, w = as_number(r.get("depth"), 0), as_number(r.get("width"), 0)
                    kind = "chain" if w == 1 else "star" if d == 1 else "tree"
                    shapes[kind].append((r.value("nodes"), r.value("ns_per_op"),
                                         _us_spread(suite, r)))
                for kind, pts in shapes.items():
                    if not pts:
                        continue
                    pts.sort(key=lambda p: p[0])
                    draw.whiskers(ax, [p[0] for p in pts], [p[1] / 1e3 for p in pts],
                                  [p[2] if p[2] and p[2][0] > 0 else None for p in pts],
                                  colour=colour, capsize=2)   # log axis: positive only
                    ax.plot([p[0] for p in pts], [p[1] / 1e3 for p in pts], color=colour,
                            marker=markers[kind],
                            linestyle={"chain": "-", "star": "--", "tree": ":"}[kind],
                            linewidth=1.6, label="%s: %s" % (who, {
                                "chain": "chain (width 1)", "star": "star (depth 1)",
                                "tree": "tree"}[kind]))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("cancellable contexts below the root")
            ax.set_ylabel("cancel() → every leaf done, p50 (µs)")
            ax.set_title("Context cancellation")
            ax.legend(loc="upper left")
    fig.tight_layout()
    n = spread_n(suite, cond + ctx)
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "overhead_latency.png")
    caption = ("Left: time from broadcast() until the last of K parked waiters is awake "
               "(and holds the lock again), median over rounds, syncscope's Cond on a GoMutex "
               "vs std::condition_variable on a std::mutex and, where the Go peer ran, Go's "
               "sync.Cond on a sync.Mutex (goroutines). Right: time from cancel() of a root "
               "context until a thread (Go: a goroutine) blocked on every leaf's done() has "
               "seen them all closed, by the number of contexts below the root and the tree's "
               "shape (log-log), syncscope's Context and Go's context package. "
               + spread_caption(n, kind="Error bars"))
    return fname, caption


def figures(run_dir, suite_data, context):
    return draw.drawn(_table_figure(run_dir, suite_data), _latency_figure(run_dir, suite_data))


def summary_rows(run_dir, suite_data, context):
    rows = table_rows(suite_data)
    tables = []
    if rows:
        tables.append(Table("Overhead per operation (medians over repetitions)", COLUMNS,
                            [_cells(r) for r in rows]))
    sf = suite_data.family("overhead_single_flight")
    if sf:
        sf.sort(key=lambda r: (as_number(r.get("burst"), 0) or 0, r.get("impl") is not None))
        tables.append(Table(
            "SingleFlight de-duplication under a burst of one key",
            ["burst", "implementation", "fn calls per do_call", "ideal", "results shared",
             "do_call p50", "p99"],
            [[r.get("burst"),
              "SingleFlight" if r.get("impl") is None else
              "Go singleflight" if r.get("impl") == GO_IMPL["SingleFlight"] else r.get("impl"),
              _f3(r.value("fn_calls_per_do")), _f3(r.value("ideal_fn_calls_per_do")),
              "%.1f %%" % (100 * r.value("shared_rate")) if r.value("shared_rate") is not None else "—",
              fmt_ns(r.value("ns_per_op")), fmt_ns(r.value("do_p99_ns"))] for r in sf]))
    return tables


def notes(run_dir, suite_data, context):
    if not suite_data.results:
        return []
    out = ["Every figure and table uses ns_per_op, the family's headline value: a wall-time "
           "cost per operation for the tight loops (Once, WaitGroup, Semaphore, ErrGroup), "
           "a median latency over the run's rounds for Cond, Context and SingleFlight."]
    go = go_peer_note(suite_data)
    if go:
        out.append(go)
    sf_go = [r for r in suite_data.family("overhead_single_flight")
             if r.get("impl") == GO_IMPL["SingleFlight"]]
    if sf_go:
        out.append("Go's singleflight latency is mostly its timer: fn sleeps 100 µs, and a Go "
                   "sleep under 1 ms lasts about 1 ms on Linux when the process is otherwise "
                   "idle (golang/go#44343); compare fn calls per do_call and results shared.")
    return out

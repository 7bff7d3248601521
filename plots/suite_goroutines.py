"""Figure and table of the goroutines suite (goroutines.json).

Families read (see suites/goroutines/goroutines.cc for what one "op" is):
  goroutines_spawn_join/impl:goroutine|std_thread|boost_fiber|go_runtime/tasks:N   ns_per_op
  goroutines_switch/impl:ctx_switch|gosched|boost_fiber_yield|go_runtime         ns_per_op
  goroutines_unpark/impl:goroutine|go_runtime/p:same|cross                         ns_per_op, p50_ns, p99_ns
  goroutines_parked_memory/impl:goroutine|go_runtime/n:N                           rss_per_g_bytes
  goroutines_chan/impl:Chan|go_chan/case:spsc|pingpong/cap:0               ns_per_op

Figure
  goroutines_costs.png   one panel per family: a bar per implementation
                         (log scale), syncscope's runtime next to Go's.
"""

import draw
import style
from common import Table, save_figure, spread, spread_caption, spread_n

TITLE = "Goroutines: syncscope's runtime next to Go, threads and fibers"

# (family, panel title, the param that tells cases apart besides impl)
PANELS = [
    ("goroutines_spawn_join", "spawn + join, ns per task", "tasks"),
    ("goroutines_switch", "switch, ns", None),
    ("goroutines_unpark", "unpark to run (p50), ns", "p"),
    ("goroutines_chan", "Chan cap 0 on goroutines, ns per message", "case"),
]
COLUMNS = ["measure", "implementation", "value"]


def _label(r, key):
    impl = r.get("impl", "?")
    return impl if key is None else "%s %s:%s" % (impl, key, r.get(key, "?"))


def _value(r):
    if r.family == "goroutines_unpark" and r.value("p50_ns") is not None:
        return r.value("p50_ns")
    return r.value("ns_per_op")


def _value_key(r):
    """The counter _value reads."""
    return "p50_ns" if r.family == "goroutines_unpark" and r.value("p50_ns") is not None \
        else "ns_per_op"


def _bars(suite, family, key):
    """[(label, impl, value, p10-p90 over the repetitions or None, Result)]."""
    out = []
    for r in suite.family(family):
        v = _value(r)
        if v is not None and v > 0:
            out.append((_label(r, key), r.get("impl", "?"), v,
                        spread(suite, r, _value_key(r)), r))
    return out


def figures(run_dir, suite_data, context):
    panels = [(title, _bars(suite_data, fam, key)) for fam, title, key in PANELS]
    panels = [p for p in panels if p[1]]
    if not panels:
        return []
    fig, axes = draw.new_figure(12.0, 2.2 + 1.6 * len(panels), nrows=len(panels), ncols=1)
    for ax_row, (title, bars) in zip(axes, panels):
        ax = ax_row[0]
        labels = [b[0] for b in bars]
        ax.barh(range(len(bars)), [b[2] for b in bars],
                color=[style.colour(b[1]) for b in bars])
        # Log axis: a whisker starts at the smallest positive repetition.
        draw.whiskers(ax, range(len(bars)), [b[2] for b in bars],
                      [b[3] if b[3] and b[3][0] > 0 else None for b in bars], horizontal=True,
                      capsize=2)
        ax.set_yticks(range(len(bars)))
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        for i, b in enumerate(bars):
            ax.text(max(b[2], b[3][1] if b[3] else 0.0), i, " " + draw.fmt_ns(b[2]),
                    va="center", fontsize=7)
        ax.set_xlim(right=max(max(b[2], b[3][1] if b[3] else 0.0) for b in bars) * 3.0)
    fig.tight_layout()
    n = spread_n(suite_data, [b[4] for _, bars in panels for b in bars])
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "goroutines_costs.png")
    caption = ("Costs of the goroutine runtime (medians over repetitions, wall time, log scale): "
               "syncscope's goroutines next to the Go runtime (impl go_runtime / go_chan), std::thread "
               "and Boost.Fiber. The machine's load during the run is in the context. "
               + spread_caption(n))
    return [(fname, caption)]


def summary_rows(run_dir, suite_data, context):
    rows = []
    for fam, title, key in PANELS:
        for label, _, v, _, _ in _bars(suite_data, fam, key):
            rows.append([title, label, draw.fmt_ns(v)])
    for r in suite_data.family("goroutines_parked_memory"):
        b = r.value("rss_per_g_bytes")
        if b is not None:
            rows.append(["resident memory per parked goroutine (n:%s)" % r.get("n", "?"),
                         r.get("impl", "?"), "%.0f bytes" % b])
    return [Table("Goroutine runtime costs (medians over repetitions)", COLUMNS, rows)] if rows else []


def notes(run_dir, suite_data, context):
    if not suite_data.results:
        return []
    return ["Timings are wall time on a possibly shared machine: read them with the load "
            "recorded in the run's context."]

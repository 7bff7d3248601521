"""Figures and tables of the pool suite (pool.json, pool_variable_sizes.json).

Families read (see suites/pool/pool.cc for what each measures):
  pool_put_get/peer:P/placement:X        GB threads (entry "threads"); one
  pool_overflow/peer:P/placement:X       put+get pair (overflow: 100 puts,
  pool_starvation/peer:P/placement:X     100 gets; starvation: 67 puts, 100
  pool_cross_thread/peer:P/placement:X   gets) or one object passed (cross)
      counters ns_per_op, cpu_ns_per_op, ops_per_s, hit_rate, news_per_op,
      allocs_per_op, retained_bytes
  pool_expensive_new/peer:P/threads:T    the same counters (no cpu/ops), gcs,
                                         trims_per_gc; "threads" in the name
  pool_trim_pause/peer:Pool/objects:N    trim_free_p50_ns, trim_free_p95_ns,
                                         trim_free_max_ns, trim_swap_p50_ns,
                                         trim_swap_p95_ns, freed_per_trim
  pool_victim/peer:P/held:N              allocs_per_cycle, news_per_cycle,
                                         allocs_per_op, hit_rate, trims_per_gc
  pool_variable_sizes/peer:Pool/cap:C    retained_bytes_final / _max / _mean,
                                         grows_per_op, dropped_per_op, ...
Side file pool_variable_sizes.json: {name without GB suffixes: {"round": [...],
  "t_ms": [...], "retained_bytes": [...], "retained_objects": [...],
  "cap": int or null, "held": int, "gc_every": int}}.

Headline point of a GB-threaded family: placement "none" (else the first
placement with data); put_get and overflow at 1 thread (the uncontended
cost), starvation at the most threads (stealing needs several).

Figures
  pool_scenarios.png   ns/op (log), hit rate and allocations per op: one bar
                       group per scenario, one bar per peer.
  pool_victim.png      victim cache: allocations and News per iteration of
                       1000 gets + one GC, Pool vs Pool_no_victim; and News
                       per get under the expensive-New scenario.
  pool_retained.png    bytes retained over the variable-size run, no cap vs
                       the 64 KiB cap (side file; without it, the counters).
  pool_scaling.png     put+get ops/s vs threads, one panel per placement
                       (when more than one thread count was measured).
"""

from collections import OrderedDict

import draw
import style
from common import (SideFile, Table, as_number, fmt_num, go_peer_note, save_figure, spread,
                    spread_caption, spread_n)
from draw import fmt_ns

TITLE = "Pool: object reuse (sync.Pool and its alternatives)"

SIDE_FILE = "pool_variable_sizes.json"
PEER_ORDER = ["Pool", "Pool_no_victim", "thread_local_free_list", "linked_free_list",
              "mutex_free_list", "tbb_scalable", "no_pool"]
BASELINE = "thread_local_free_list"
# Peers whose memory does not come from operator new (the hook cannot see it).
UNCOUNTED_ALLOCS = ("tbb_scalable",)
TARGET_RATIO = 2.0
TARGET_HIT_RATE = 0.99

# (family, axis label, thread choice)
SCENARIOS = [
    ("pool_put_get", "put + get\n1 thread", "min"),
    ("pool_overflow", "overflow\n100 put / 100 get", "min"),
    ("pool_starvation", "starvation\n67 put / 100 get", "max"),
    ("pool_cross_thread", "cross-thread\nget → Chan → put", "max"),
    ("pool_expensive_new", "expensive New\n1 ms, GC / 10 rounds", "max"),
]
_SCENARIO_TEXT = {
    "pool_put_get": "put+get",
    "pool_overflow": "overflow",
    "pool_starvation": "starvation",
    "pool_cross_thread": "cross-thread",
    "pool_expensive_new": "expensive New",
}


# --------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------

def peers_in(results):
    return style.ordered([r.get("peer") for r in results if r.get("peer")], PEER_ORDER)


def headline(suite, family, which="min"):
    """(placement, threads, {peer: Result}) of a family's headline point;
    (None, None, {}) when the family has no data."""
    rows = [r for r in suite.family(family) if r.get("peer")]
    if not rows:
        return None, None, {}
    placements = style.ordered([r.get("placement", "none") for r in rows], style.PLACEMENT_ORDER)
    placement = placements[0]
    rows = [r for r in rows if r.get("placement", "none") == placement]
    counts = sorted(set(r.threads for r in rows))
    t = counts[0] if which == "min" else counts[-1]
    by_peer = OrderedDict()
    for p in peers_in(rows):
        for r in rows:
            if r.get("peer") == p and r.threads == t:
                by_peer[p] = r
    return placement, t, by_peer


def _pct(x):
    return "—" if x is None else "%.2f %%" % (100.0 * x)


def _bytes(x):
    if x is None:
        return "—"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(x) >= scale:
            return "%s %s" % (fmt_num(x / scale), unit)
    return "%s B" % fmt_num(float(x))


def uncontended_target(suite):
    """(pool Result, baseline Result) of put+get at 1 thread, headline
    placement; either may be None."""
    _, t, by_peer = headline(suite, "pool_put_get", "min")
    if t != 1:
        return None, None
    return by_peer.get("Pool"), by_peer.get(BASELINE)


def victim_pair(suite):
    rows = {r.get("peer"): r for r in suite.family("pool_victim")}
    return rows.get("Pool"), rows.get("Pool_no_victim")


def variable_sizes(suite):
    """[(cap label, Result)] in order no cap, then capped."""
    out = []
    for r in suite.family("pool_variable_sizes"):
        cap = r.get("cap", "none")
        out.append((cap, r))
    out.sort(key=lambda x: (x[0] != "none", as_number(x[0], 0) or 0))
    return out


def cap_label(cap):
    n = as_number(cap)
    if not isinstance(n, (int, float)):
        return "no cap"
    return "cap %s" % _bytes(n)


def load_side(run_dir):
    """The side file's series by benchmark name, or ({}, reason)."""
    side = SideFile(run_dir, None, SIDE_FILE)
    if not side.ok:
        return {}, side.reason
    good = OrderedDict()
    for name, s in side.data.items():
        if isinstance(s, dict) and isinstance(s.get("retained_bytes"), list) and s["retained_bytes"]:
            rounds = s.get("round")
            if not isinstance(rounds, list) or len(rounds) != len(s["retained_bytes"]):
                rounds = list(range(1, len(s["retained_bytes"]) + 1))
            good[name] = {"round": rounds, "retained_bytes": s["retained_bytes"],
                          "cap": s.get("cap"), "gc_every": s.get("gc_every"),
                          "held": s.get("held")}
    if not good:
        return {}, "%s holds no series" % SIDE_FILE
    return good, ""


def _side_key(result):
    """The side-file key of a result: its name without GB's suffixes."""
    parts = [p for p in result.name.split("/")
             if p not in ("manual_time", "real_time") and not p.startswith("threads:")
             and not p.startswith("repeats:")]
    return "/".join(parts)


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def _log_bars(ax, lo, hi):
    ax.set_yscale("log")
    ax.set_ylim(max(lo, 1e-3) / 2.5, hi * 6.0)
    draw.log_ticks(ax)


def _scenarios_figure(run_dir, suite):
    cats, per_peer, labels = [], OrderedDict(), {}
    for family, label, which in SCENARIOS:
        _, t, by_peer = headline(suite, family, which)
        if not by_peer:
            continue
        cats.append(family)
        labels[family] = label if which != "max" or t is None else "%s\n%d threads" % (label, t)
        for p, r in by_peer.items():
            per_peer.setdefault(p, {})[family] = r
    if not cats:
        return None
    peers = style.ordered(list(per_peer), PEER_ORDER)
    panels = [
        ("ns_per_op", "time per op (ns, log)", lambda v: v, True),
        ("hit_rate", "hit rate (% of gets reused)", lambda v: 100.0 * v, False),
        ("allocs_per_op", "operator new calls per op", lambda v: v, False),
    ]
    width = max(8.0, min(18.0, 2.5 + len(cats) * (0.5 + 0.28 * len(peers))))
    fig, axes = draw.new_figure(width, 3.5 * len(panels), nrows=len(panels))
    handles, names = [], []
    for ax, (key, ylabel, conv, log) in zip(axes[:, 0], panels):
        series = []
        vals_all = []
        for p in peers:
            vals, err = {}, {}
            for fam in cats:
                r = per_peer[p].get(fam)
                v = r.value(key) if r is not None else None
                if key == "allocs_per_op" and p in UNCOUNTED_ALLOCS:
                    v = None  # its allocator is not operator new: not counted, not zero
                if v is not None:
                    vals[fam] = conv(v)
                    vals_all.append(conv(v))
                    err[fam] = spread(suite, r, key, conv)
            series.append(draw.Series(p, style.colour(p), "", vals, err))
        h, lab = draw.grouped_bars(ax, cats, series)
        for hh, ll in zip(h, lab):
            if ll not in names:
                handles.append(hh)
                names.append(ll)
        ax.set_xticklabels([labels[c] for c in cats])
        ax.set_ylabel(ylabel)
        pos = [v for v in vals_all if v and v > 0]
        if log and pos:
            _log_bars(ax, min(pos), max(pos))
        elif key == "hit_rate":
            ax.set_ylim(0, 118)
    draw.finish_with_header(fig, "Object reuse by scenario and peer", handles, names,
                            ncol=min(len(names), 4))
    n_reps = spread_n(suite, [r for p in peers for r in per_peer[p].values() if r is not None])
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "pool_scenarios.png")
    caption = ("One bar group per scenario, one bar per peer (median over repetitions; "
               "placement 'none' where measured). Top: wall time per op (log scale; "
               "expensive New includes its 1 ms News). Middle: hit rate = 1 − News/Gets. "
               "Bottom: global operator new calls per op, counted by the suite's "
               "allocator hook (no bar for tbb_scalable: scalable_malloc is not "
               "operator new, so the hook cannot count it). " + spread_caption(n_reps))
    return fname, caption


def _victim_figure(run_dir, suite):
    on, off = victim_pair(suite)
    _, _, expensive = headline(suite, "pool_expensive_new", "max")
    exp_pair = [(p, expensive[p]) for p in ("Pool", "Pool_no_victim") if p in expensive]
    if on is None and off is None and not exp_pair:
        return None
    panels = []
    if on is not None or off is not None:
        panels.append("victim")
    if exp_pair:
        panels.append("expensive")
    fig, axes = draw.new_figure(5.2 * len(panels) + 0.8, 4.4, ncols=len(panels))
    handles, names = [], []
    for ax, panel in zip(axes[0], panels):
        if panel == "victim":
            cats = ["allocs_per_cycle", "news_per_cycle"]
            series = []
            for r in (on, off):
                if r is None:
                    continue
                p = r.get("peer")
                series.append(draw.Series(p, style.colour(p), "",
                                          {c: r.value(c) for c in cats if r.value(c) is not None},
                                          {c: spread(suite, r, c) for c in cats}))
            h, lab = draw.grouped_bars(ax, cats, series)
            ax.set_xticklabels(["operator new calls", "News"])
            held = as_number((on or off).get("held"), 1000)
            ax.set_ylabel("per iteration (%s gets + 1 GC)" % held)
            ax.set_title("Steady state, GC every iteration")
        else:
            series = [draw.Series(p, style.colour(p), "", {"news": r.value("news_per_op")},
                                  {"news": spread(suite, r, "news_per_op")})
                      for p, r in exp_pair if r.value("news_per_op") is not None]
            h, lab = draw.grouped_bars(ax, ["news"], series, label_fmt=lambda v: "%.4f" % v)
            ax.set_xticklabels(["News per get"])
            ax.set_ylabel("News per get")
            ax.set_title("Expensive New (1 ms), GC every 10 rounds")
        for hh, ll in zip(h, lab):
            if ll not in names:
                handles.append(hh)
                names.append(ll)
    labels = [n if n != "Pool_no_victim" else "Pool_no_victim (trim twice per GC)" for n in names]
    draw.finish_with_header(fig, "Victim cache (go#22950)", handles, labels, ncol=len(labels))
    n_reps = spread_n(suite, [on, off] + [r for _, r in exp_pair])
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "pool_victim.png")
    caption = ("What the victim cache saves. Pool keeps the objects of the last trim in a "
               "victim generation and reuses them; Pool_no_victim emulates the pre-1.13 Go "
               "pool (cleared on every GC) by calling trim() twice per GC, since Pool has "
               "no switch to turn the victim cache off. Left: operator new calls and News "
               "per iteration of 1000 gets, 1000 puts and one GC (Pool's remaining "
               "allocations are its own bookkeeping: a fresh generation and its deques). "
               "Right: News per get when New costs 1 ms and a GC runs every 10 rounds. "
               + spread_caption(n_reps))
    return fname, caption


def _retained_figure(run_dir, suite):
    results = variable_sizes(suite)
    if not results:
        return None
    side, why = load_side(run_dir)
    series = []
    for cap, r in results:
        s = side.get(_side_key(r))
        if s:
            series.append((cap, r, s))
    colours = {"none": style.colour("Pool")}
    capped_colour = "#1a9850"
    fig, axes = draw.new_figure(9.0, 4.6)
    ax = axes[0][0]
    if series:
        gc_every = None
        for cap, r, s in series:
            ys = [max(float(v), 1.0) / float(1 << 20) for v in s["retained_bytes"]]
            ax.plot(s["round"], ys, color=colours.get(cap, capped_colour),
                    linestyle="-" if cap == "none" else "--", linewidth=1.8,
                    label="%s (final %s)" % (cap_label(cap), _bytes(s["retained_bytes"][-1])))
            gc_every = gc_every or s.get("gc_every")
        ax.set_yscale("log")
        ax.set_xlabel("round (%s buffers checked out and returned%s)"
                      % (series[0][2].get("held") or "?",
                         ", GC every %s rounds" % gc_every if gc_every else ""))
        ax.set_ylabel("bytes retained by the pool (MiB, log)")
        ax.legend(loc="center right", frameon=True)
        caption = ("Bytes retained by Pool over the variable-size run: each round checks out "
                   "buffers of 1 KiB (99 %) or 1 MiB (1 %), grows a buffer that is too small "
                   "and puts it back; a GC (one trim) runs periodically. Without a cap the "
                   "pool keeps every buffer that ever grew to 1 MiB (go#23199); with the "
                   "64 KiB cap of fmt and encoding/json, put() drops them and only small "
                   "buffers stay. Log scale.")
    else:
        cats = ["retained_bytes_final", "retained_bytes_mean", "retained_bytes_max"]
        bars = [draw.Series(cap_label(cap), colours.get(cap, capped_colour), "",
                            {c: r.value(c) / float(1 << 20) for c in cats if r.value(c) is not None},
                            {c: spread(suite, r, c, lambda v: v / float(1 << 20)) for c in cats})
                for cap, r in results]
        h, lab = draw.grouped_bars(ax, cats, bars)
        ax.set_xticklabels(["final", "mean", "max"])
        ax.set_ylabel("bytes retained (MiB)")
        ax.legend(h, lab, loc="upper left")
        n_reps = spread_n(suite, [r for _, r in results])
        draw.no_spread_note(fig, n_reps)
        caption = ("Bytes retained by Pool in the variable-size run, no cap vs the 64 KiB "
                   "cap (counters only: %s, so no time series). " % why
                   + spread_caption(n_reps))
    ax.set_title("Bytes retained: variable-size buffers (go#23199)")
    fig.tight_layout()
    fname = save_figure(fig, run_dir, "pool_retained.png")
    return fname, caption


def _scaling_figure(run_dir, suite):
    rows = [r for r in suite.family("pool_put_get") if r.get("peer")
            and r.value("ops_per_s") is not None]
    if len(set(r.threads for r in rows)) < 2:
        return None
    placements = style.ordered([r.get("placement", "none") for r in rows], style.PLACEMENT_ORDER)
    peers = peers_in(rows)
    fig, axes = draw.new_figure(3.8 * len(placements) + 0.6, 4.0, ncols=len(placements))
    threads = sorted(set(r.threads for r in rows))
    for ax, pl in zip(axes[0], placements):
        for p in peers:
            pts = sorted(((r.threads, r) for r in rows
                          if r.get("peer") == p and r.get("placement", "none") == pl),
                         key=lambda tr: tr[0])
            # A one-thread point is registered under the first placement only:
            # draw it in every panel so each line starts at 1 thread.
            one = [r for r in rows if r.get("peer") == p and r.threads == 1]
            if one and all(t != 1 for t, _ in pts):
                pts = [(1, one[0])] + pts
            if not pts:
                continue
            ys = [r.value("ops_per_s") for _, r in pts]
            ax.plot([t for t, _ in pts], ys, color=style.colour(p),
                    marker=style.marker(p), linewidth=1.8, label=p)
            draw.whiskers(ax, [t for t, _ in pts], ys,
                          [spread(suite, r, "ops_per_s") for _, r in pts],
                          colour=style.colour(p), capsize=2)
        ax.set_title("placement: %s" % pl)
        draw.thread_axis(ax, threads)
        draw.rate_axis(ax)
        ax.set_ylabel("put+get pairs/s, all threads (log)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    draw.finish_with_header(fig, "Put + get throughput vs threads", handles, labels,
                            ncol=min(len(labels), 4))
    n_reps = spread_n(suite, rows)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "pool_scaling.png")
    caption = ("Put+get pairs per second of all threads (each thread recycles its own "
               "object), one panel per placement; the one-thread point is measured once "
               "and drawn in every panel. Log scale. "
               + spread_caption(n_reps, kind="Error bars"))
    return fname, caption


def figures(run_dir, suite_data, context):
    return draw.drawn(*(make(run_dir, suite_data) for make in (
        _scenarios_figure, _victim_figure, _retained_figure, _scaling_figure)))


# --------------------------------------------------------------------------
# Tables and notes
# --------------------------------------------------------------------------

def _yes(ok):
    return "yes" if ok else "NO"


def target_rows(suite):
    rows = []
    pool, base = uncontended_target(suite)
    if pool is not None and base is not None:
        for key, what in (("ns_per_op", "wall"), ("cpu_ns_per_op", "CPU")):
            a, b = pool.value(key), base.value(key)
            if a is None or not b:
                continue
            ratio = a / b
            rows.append(["Pool get+put vs %s, 1 thread (%s time)" % (BASELINE, what),
                         "%s ns vs %s ns" % (fmt_num(a), fmt_num(b)),
                         "%s×" % fmt_num(ratio), "≤ %g×" % TARGET_RATIO,
                         _yes(ratio <= TARGET_RATIO)])
    if pool is not None and pool.value("hit_rate") is not None:
        h = pool.value("hit_rate")
        rows.append(["Pool hit rate, put+get steady state", _pct(h), "", "≥ 99 %",
                     _yes(h >= TARGET_HIT_RATE)])
    on, off = victim_pair(suite)
    if on is not None and off is not None:
        a, b = on.value("allocs_per_cycle"), off.value("allocs_per_cycle")
        held = as_number(on.get("held"), 1000)
        if a is not None and b is not None:
            rows.append(["Allocations per iteration (%s gets + GC): victim cache on vs off" % held,
                         "%s vs %s" % (fmt_num(a), fmt_num(b)), "",
                         "≈ 0 vs ≈ %s" % held, _yes(a < 0.1 * held and b > 0.9 * held)])
    vs = variable_sizes(suite)
    nocap = [r for c, r in vs if c == "none"]
    capped = [r for c, r in vs if c != "none"]
    if nocap and capped:
        a = nocap[0].value("retained_bytes_final")
        b = capped[0].value("retained_bytes_final")
        if a is not None and b is not None:
            rows.append(["Bytes retained at the end, variable sizes: no cap vs %s"
                         % cap_label(capped[0].get("cap")),
                         "%s vs %s" % (_bytes(a), _bytes(b)),
                         "%s×" % fmt_num(a / b) if b else "—", "cap keeps it small",
                         _yes(b < a)])
    return rows


def _per_k(v):
    return "—" if v is None else fmt_num(1000.0 * v)


def summary_rows(run_dir, suite_data, context):
    tables = []
    rows = target_rows(suite_data)
    if rows:
        tables.append(Table("Targets (medians over repetitions)",
                            ["what", "measured", "ratio", "target", "met"], rows))
    trs = []
    for family, _, which in SCENARIOS:
        placement, t, by_peer = headline(suite_data, family, which)
        for p, r in by_peer.items():
            trs.append([_SCENARIO_TEXT[family], p, str(t), placement or "—",
                        fmt_num(r.value("ns_per_op")), fmt_num(r.value("cpu_ns_per_op")),
                        _pct(r.value("hit_rate")), fmt_num(r.value("news_per_op")),
                        "not counted" if p in UNCOUNTED_ALLOCS else fmt_num(r.value("allocs_per_op")),
                        _bytes(r.value("retained_bytes")),
                        _per_k(r.value("vcsw_per_op")), _per_k(r.value("ivcsw_per_op"))])
    if trs:
        tables.append(Table("Scenarios at their headline point",
                            ["scenario", "peer", "threads", "placement", "ns/op", "CPU ns/op",
                             "hit rate", "News/op", "allocs/op", "retained",
                             "vol. switches / 1000 ops", "invol. switches / 1000 ops"], trs))
    trim = suite_data.family("pool_trim_pause")
    if trim:
        r = trim[0]
        tables.append(Table(
            "Trim pause with %s pooled objects (one thread)" % r.get("objects", "?"),
            ["trim", "p50", "p95", "max"],
            [["moves them to the victim cache",
              _ns(r.value("trim_swap_p50_ns")), _ns(r.value("trim_swap_p95_ns")), "—"],
             ["frees them (%s objects)" % fmt_num(r.value("freed_per_trim")),
              _ns(r.value("trim_free_p50_ns")), _ns(r.value("trim_free_p95_ns")),
              _ns(r.value("trim_free_max_ns"))]]))
    vs = variable_sizes(suite_data)
    if vs:
        tables.append(Table(
            "Variable sizes (99 % 1 KiB, 1 % 1 MiB)",
            ["cap", "retained final", "retained mean", "retained max", "ns/op", "hit rate",
             "buffer grows/op", "dropped/op", "allocs/op"],
            [[cap_label(c), _bytes(r.value("retained_bytes_final")),
              _bytes(r.value("retained_bytes_mean")), _bytes(r.value("retained_bytes_max")),
              fmt_num(r.value("ns_per_op")), _pct(r.value("hit_rate")),
              fmt_num(r.value("grows_per_op")), fmt_num(r.value("dropped_per_op")),
              fmt_num(r.value("allocs_per_op"))] for c, r in vs]))
    return tables


_ns = fmt_ns


def notes(run_dir, suite_data, context):
    out = []
    go = go_peer_note(suite_data)
    if go:
        out.append(go)
    peers = peers_in(suite_data.results)
    if peers:
        out.append("Peers measured: %s. Pool_no_victim is Pool with two trim() calls per "
                   "GC: Pool has no switch to disable its victim cache, so the second trim "
                   "emulates Go's pre-1.13 'cleared on every GC'." % ", ".join(peers))
    pool, base = uncontended_target(suite_data)
    if pool is not None and base is not None and pool.value("ns_per_op") and base.value("ns_per_op"):
        ratio = pool.value("ns_per_op") / base.value("ns_per_op")
        if ratio > TARGET_RATIO:
            out.append("Pool's uncontended get+put is %s× a thread-local free list (target "
                       "≤ %g×). Each get() and put() enters an epoch read section (a "
                       "seq_cst store: a full barrier), looks up the current generation and "
                       "the thread's local in it, and is called out of line; a thread-local "
                       "list is two loads and two stores." % (fmt_num(ratio), TARGET_RATIO))
    if suite_data.family("pool_put_get") or suite_data.family("pool_overflow"):
        out.append("allocs/op counts calls of the global operator new made by the measuring "
                   "threads (the suite replaces it with a counting version); tbb_scalable "
                   "takes its memory from scalable_malloc, which that hook does not see.")
    return out

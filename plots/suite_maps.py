"""Figures and tables of the maps suite (maps.json).

Family read:
  maps/scenario:S/map:M/placement:X   (GB appends /real_time and /threads:T;
      the entry's "threads" is T). Counters ops_per_s (all threads),
      ns_per_op (per thread), cpu_ns_per_op (per thread, CPU time),
      vcsw_per_op / ivcsw_per_op (per thread: voluntary / involuntary
      context switches, getrusage(RUSAGE_THREAD)).
  Scenarios: write_once_read_many, disjoint_keys, read_90_write_10 (see
  suites/maps/map_workload.h). A one-thread run exists under the first
  placement only; it is drawn in every placement's panel.

Figures
  maps_throughput.png  ops/s (log) vs threads: one row per scenario, one
                       column per placement (a placement that only errored
                       says why), one line per map.
  maps_bars.png        ops/s at the most threads measured under placement
                       "none" (else the first placement), one bar group per
                       scenario, one bar per map.
"""

from collections import OrderedDict

from matplotlib.lines import Line2D

import draw
import style
from common import (Table, fmt_num, go_peer_note, save_figure, spread, spread_caption,
                    spread_n)

TITLE = "Maps: sync.Map vs sharded and locked maps"

FAMILY = "maps"
SCENARIO_ORDER = ["write_once_read_many", "disjoint_keys", "read_90_write_10"]
MAP_ORDER = ["SyncMap", "ConcurrentMap", "umap_GoMutex", "umap_GoRWMutex",
             "umap_std_shared_mutex"]
_SCENARIO_LABEL = {
    "write_once_read_many": "written once,\nread many",
    "disjoint_keys": "disjoint keys\n50 % writes",
    "read_90_write_10": "shared keys\n90 % reads / 10 % writes",
}


def scenario_label(s, one_line=False):
    text = _SCENARIO_LABEL.get(s, s)
    return text.replace("\n", " ") if one_line else text


def rows_of(suite):
    return [r for r in suite.family(FAMILY) if r.get("scenario") and r.get("map")
            and r.value("ops_per_s") is not None]


def scenarios(rows):
    return style.ordered([r.get("scenario") for r in rows], SCENARIO_ORDER)


def maps_of(rows):
    return style.ordered([r.get("map") for r in rows], MAP_ORDER)


def placements(suite, rows):
    names = [r.get("placement", "none") for r in rows]
    names += [e.params.get("placement", "none") for e in suite.errors_of(FAMILY)]
    return style.ordered(names, style.PLACEMENT_ORDER)


def series_results(rows, scenario, m, placement):
    """[(threads, Result)] of one line; the one-thread run (registered under
    the first placement only) joins every placement's line."""
    pts = {r.threads: r for r in rows
           if r.get("scenario") == scenario and r.get("map") == m
           and r.get("placement", "none") == placement}
    if 1 not in pts:
        ones = [r for r in rows if r.get("scenario") == scenario and r.get("map") == m
                and r.threads == 1]
        if ones and pts:
            pts[1] = ones[0]
    return sorted(pts.items(), key=lambda p: p[0])


def series_points(rows, scenario, m, placement):
    """[(threads, ops/s)] of one line (series_results' values)."""
    return [(t, r.value("ops_per_s")) for t, r in series_results(rows, scenario, m, placement)]


def headline(rows):
    """(placement, threads, {scenario: {map: Result}}) at the most threads of
    placement "none" (or the first placement with data)."""
    if not rows:
        return None, None, {}
    pls = style.ordered([r.get("placement", "none") for r in rows if r.threads > 1],
                        style.PLACEMENT_ORDER) or \
        style.ordered([r.get("placement", "none") for r in rows], style.PLACEMENT_ORDER)
    placement = pls[0]
    sel = [r for r in rows if r.get("placement", "none") == placement]
    t = max(r.threads for r in sel)
    out = OrderedDict()
    for s in scenarios(sel):
        for m in maps_of(sel):
            for r in sel:
                if r.get("scenario") == s and r.get("map") == m and r.threads == t:
                    out.setdefault(s, OrderedDict())[m] = r
    return placement, t, out


def _threads_text(t):
    return "%d thread%s" % (t, "" if t == 1 else "s")


def _throughput_figure(run_dir, suite, rows):
    scs = scenarios(rows)
    pls = placements(suite, rows)
    if not scs or not pls:
        return None
    all_threads = sorted(set(r.threads for r in rows))
    fig, axes = draw.new_figure(3.9 * len(pls) + 0.8, 3.1 * len(scs) + 1.0,
                                nrows=len(scs), ncols=len(pls))
    seen = []
    for ri, s in enumerate(scs):
        data_axes = []
        for ci, pl in enumerate(pls):
            ax = axes[ri][ci]
            lines = [(m, series_results(rows, s, m, pl)) for m in maps_of(rows)]
            lines = [(m, pts) for m, pts in lines if pts
                     and any(r.get("placement", "none") == pl and r.get("scenario") == s
                             for r in rows)]
            if not lines:
                msgs = suite.errors_at(FAMILY, pl)
                draw.message_panel(ax, "placement: %s" % pl if ri == 0 else "",
                                   ("not measured:\n" + draw.wrap("; ".join(msgs)))
                                   if msgs else "no data")
                if ci == 0:
                    ax.set_ylabel(scenario_label(s))
                continue
            data_axes.append(ax)
            for m, pts in lines:
                if m not in seen:
                    seen.append(m)
                ys = [r.value("ops_per_s") for _, r in pts]
                ax.plot([t for t, _ in pts], ys, color=style.colour(m),
                        marker=style.marker(m), linewidth=1.8, markersize=5)
                draw.whiskers(ax, [t for t, _ in pts], ys,
                              [spread(suite, r, "ops_per_s") for _, r in pts],
                              colour=style.colour(m), capsize=2)
            if ri == 0:
                ax.set_title("placement: %s" % pl)
            draw.thread_axis(ax, all_threads)
            draw.rate_axis(ax)
            if ci == 0:
                ax.set_ylabel("%s\nops/s, all threads (log)" % scenario_label(s, True))
        if data_axes:
            lo = min(a.get_ylim()[0] for a in data_axes)
            hi = max(a.get_ylim()[1] for a in data_axes)
            for a in data_axes:
                a.set_ylim(lo, hi)
                draw.log_ticks(a)
    handles = [Line2D([], [], color=style.colour(m), marker=style.marker(m), linewidth=2)
               for m in style.ordered(seen, MAP_ORDER)]
    draw.finish_with_header(fig, "Map throughput vs threads", handles,
                            style.ordered(seen, MAP_ORDER), ncol=min(len(seen), 5))
    n_reps = spread_n(suite, rows)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "maps_throughput.png")
    caption = ("Operations per second of all threads on one shared map (median over "
               "repetitions), one row per scenario and one column per thread placement; "
               "one line per map. SyncMap is syncscope::Map (Go's sync.Map); ConcurrentMap "
               "the 32-shard map; umap_<lock> one std::unordered_map behind that lock "
               "(reader/writer locks taken shared for loads). Rows: scenarios (named on "
               "the y axis); log scale, one y range per row. "
               + spread_caption(n_reps, kind="Error bars"))
    return fname, caption


def _bars_figure(run_dir, suite, rows):
    placement, t, by_scenario = headline(rows)
    if not by_scenario:
        return None
    cats = list(by_scenario)
    ms = style.ordered([m for d in by_scenario.values() for m in d], MAP_ORDER)
    series = [draw.Series(m, style.colour(m), "",
                          {s: by_scenario[s][m].value("ops_per_s") for s in cats
                           if m in by_scenario[s]},
                          {s: spread(suite, by_scenario[s][m], "ops_per_s") for s in cats
                           if m in by_scenario[s]}) for m in ms]
    fig, axes = draw.new_figure(max(7.0, 2.0 + len(cats) * (0.6 + 0.35 * len(ms))), 4.6)
    ax = axes[0][0]
    h, lab = draw.grouped_bars(ax, cats, series, label_fmt=lambda v: fmt_num(v))
    ax.set_xticklabels([scenario_label(s) for s in cats])
    vals = [v for s in series for v in s.values.values() if v]
    if vals:
        ax.set_yscale("log")
        ax.set_ylim(min(vals) / 2.5, max(vals) * 6.0)
        draw.log_ticks(ax)
    ax.set_ylabel("ops/s, all threads (log)")
    draw.finish_with_header(fig, "Maps at %s, placement %s" % (_threads_text(t), placement),
                            h, lab, ncol=min(len(lab), 5))
    n_reps = spread_n(suite, [r for d in by_scenario.values() for r in d.values()])
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "maps_bars.png")
    caption = ("Throughput of each map at the highest thread count measured (%d, placement "
               "%s; median over repetitions), one bar group per scenario. Log scale. "
               % (t, placement) + spread_caption(n_reps))
    return fname, caption


def figures(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    return draw.drawn(_throughput_figure(run_dir, suite_data, rows),
                      _bars_figure(run_dir, suite_data, rows))


def summary_rows(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    placement, t, by_scenario = headline(rows)
    if not by_scenario:
        return []
    ms = style.ordered([m for d in by_scenario.values() for m in d], MAP_ORDER)
    out_rows = []
    for s, d in by_scenario.items():
        best = max(d, key=lambda m: d[m].value("ops_per_s") or 0)
        one = {r.get("map"): r for r in rows if r.get("scenario") == s and r.threads == 1}
        out_rows.append([scenario_label(s, True)] +
                        [fmt_num(d[m].value("ops_per_s")) if m in d else "—" for m in ms] +
                        [best])
        if one and t != 1:
            out_rows.append(["  (1 thread)"] +
                            [fmt_num(one[m].value("ops_per_s")) if m in one else "—"
                             for m in ms] + [max(one, key=lambda m: one[m].value("ops_per_s") or 0)])
    tables = [Table("ops/s of all threads at %s, placement %s (medians); best per row"
                    % (_threads_text(t), placement), ["scenario"] + ms + ["best"], out_rows)]
    cpu_rows = []
    for s, d in by_scenario.items():
        cpu_rows.append([scenario_label(s, True)] +
                        [fmt_num(d[m].value("cpu_ns_per_op")) if m in d else "—" for m in ms])
    if any(c != "—" for row in cpu_rows for c in row[1:]):
        tables.append(Table("CPU ns per op per thread at %s, placement %s"
                            % (_threads_text(t), placement),
                            ["scenario"] + ms, cpu_rows))
    csw_rows = []
    for s, d in by_scenario.items():
        csw_rows.append([scenario_label(s, True)] + [_csw(d.get(m)) for m in ms])
    if any(c != "—" for row in csw_rows for c in row[1:]):
        tables.append(Table("Context switches per op per thread at %s, placement %s: voluntary "
                            "(the thread blocked) / involuntary (preempted), per 1000 ops"
                            % (_threads_text(t), placement),
                            ["scenario"] + ms, csw_rows))
    return tables


def _csw(r):
    """"v / iv" context switches per 1000 ops of a result, or "—"."""
    if r is None or r.value("vcsw_per_op") is None or r.value("ivcsw_per_op") is None:
        return "—"
    return "%s / %s" % (fmt_num(1000 * r.value("vcsw_per_op")),
                        fmt_num(1000 * r.value("ivcsw_per_op")))


def notes(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    if not rows:
        return []
    out = ["Maps measured: %s; scenarios: %s. Every run shares one map among its threads; "
           "keys and operations are planned before the timed loop."
           % (", ".join(maps_of(rows)), ", ".join(scenarios(rows)))]
    go = go_peer_note(suite_data)
    if go:
        out.append(go)
    return out

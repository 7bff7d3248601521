"""Figures and tables of the lock fairness suite (fairness.json).

Family read (benchmark names '/'-separated, see common.parse_name):
  fairness/lock:L/threads:T/placement:P/cs_ns:C/ncs_ns:N/dist:D
      T threads hammer lock L for a fixed time with critical sections of C ns
      and non-critical work of N ns (dist: fixed or exponential). Counters:
      acq_per_s (all threads), jain_index, cv, min_max_ratio, barging_share,
      lwss, mttr, seq_len, acq_t0 .. acq_t{T-1} (each thread's
      acquisitions); the instrumented Go designs (names ending "_instr") add
      spins, parks, barges, handoffs, mode_switches. lock_moves_per_acq
      (where the suite could read the CPU; the Go peer's rows too): share of
      consecutive acquisitions that ran on different CPUs — a column of the
      headline table, beside the throughput, when present.
  fairness_uncontended/lock:L
      One thread, lock() + unlock() in a tight loop: the fast path's cost.
      Counter ns_per_op (one lock + unlock pair).
  fairness_gomaxprocs1/lock:L/model:goroutine/threads:T/... and
  fairness_gomaxprocs1/lock:go_sync_mutex/threads:T/...
      The Go designs on goroutines and Go's sync.Mutex with one P
      (GOMAXPROCS=1), the same counters: no lock hand-off crosses CPUs, so
      the port and the original meet on their algorithm alone. Only in the
      table "... with one P and with N" (beside the same locks' rows of the
      fairness family), in no figure.
  The thread count is the name's "threads:T" (Google Benchmark itself runs
  each benchmark on one thread, so the entry's own "threads" is 1).
  fairness/lock:L/model:goroutine/... (the Go designs with goroutines as
  parties) is read as the lock "L_goroutine" (common.fold_model: a light
  shade of L's colour, right after L); lock:go_sync_mutex is Go's own
  sync.Mutex from the suite's Go peer (the registry's peer colour). Both
  are locks like any other in every figure and table, at placement none.
Side file fairness_timeline.json (next to fairness.json; last repetition):
  {name without Google Benchmark's "/manual_time": {"duration_ms": float,
   "events": [{"t_ms": float, "entered_starvation": bool}, ...]}}
  for the instrumented designs that have a starvation mode.

A "workload" is one (cs_ns, ncs_ns, dist) triple; figures use the first one
in the file (the suite's default, 100/100 fixed) unless stated. "Headline
point": the largest thread count measured under placement "none" (or the
first placement with data when "none" was not run).

Figures
  fairness_shares.png    each thread's share of the acquisitions, one bar
                         group per lock (sorted by Jain's index), dashed line
                         at the fair share 1/T; headline point.
  fairness_pareto.png    throughput vs Jain's index, one point per lock, the
                         Pareto front (maximise both) drawn; one panel per
                         workload; headline point.
  fairness_scaling.png   acquisitions/s vs threads, one panel per placement
                         (a placement that only errored says why), one line
                         per lock.
  fairness_go_modes.png  the instrumented Go mutexes: starvation-mode spans
                         over time, one row per instrumented run (needs the
                         side file; without it only the counter panel is
                         drawn), and spins / parks / barges / handoffs /
                         mode switches per acquisition.
  fairness_uncontended.png  ns per uncontended lock + unlock pair, one bar
                         per lock (instrumented builds included: their
                         counting cost shows here).

The "_instr" builds are the same algorithms as their base locks, measured to
obtain counters: they appear in the Go-modes and uncontended figures and in
the tables, not in the comparison figures (which would show every Go design
twice). They share their base lock's colour.

Lock order and colours: common.LockRegistry, from the registry the suite
writes into its context (suites/common/lock_registry.h).
"""

import math
from collections import OrderedDict, namedtuple

import draw
import style
from common import (LockRegistry, SideFile, Table, fmt_num, is_instrumented,
                    primary_placement, save_figure, spread, spread_caption, spread_n)
from draw import compare_bars, fmt_ns, place_labels

TITLE = "Lock fairness: who gets the lock, and how evenly"

FAMILY = "fairness"
UNCONTENDED = "fairness_uncontended"
ONE_PROC = "fairness_gomaxprocs1"
GO_PEER_LOCK = "go_sync_mutex"
TIMELINE_FILE = "fairness_timeline.json"
GO_COUNTERS = ("spins", "parks", "barges", "handoffs", "mode_switches")
# Share of consecutive acquisitions on different CPUs (lock_runner.h).
MOVES = "lock_moves_per_acq"

# Panels per row before a figure wraps.
_MAX_COLS = 3
# Bar groups per row of the share figure.
_GROUPS_PER_ROW = 8
# Timeline rows drawn before the figure keeps only the headline placement.
_MAX_TIMELINE_ROWS = 24


# --------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------

Row = namedtuple("Row", "lock threads placement workload result")


def workload_of(params):
    return (params.get("cs_ns", ""), params.get("ncs_ns", ""), params.get("dist", ""))


def workload_label(w):
    cs, ncs, dist = w
    parts = []
    if cs != "":
        parts.append("cs %s ns" % cs)
    if ncs != "":
        parts.append("ncs %s ns" % ncs)
    if dist:
        parts.append(dist)
    return ", ".join(parts) or "default workload"


def rows_of(suite, family=FAMILY):
    """Every result of `family` (default: fairness) with a lock name, as Row."""
    out = []
    for r in suite.family(family):
        lock = r.get("lock")
        if not lock:
            continue
        out.append(Row(lock, r.threads, r.get("placement", "none"),
                       workload_of(r.params), r))
    return out


def workloads(rows):
    return list(dict.fromkeys(row.workload for row in rows))


def headline(rows, reg, workload=None):
    """(threads, placement, {lock: Row}) at the headline point of a
    workload (default: the first), or (None, None, {}); locks in the order of
    `reg` (a common.LockRegistry)."""
    wls = workloads(rows)
    if not wls:
        return None, None, {}
    w = workload if workload is not None else wls[0]
    cand = [row for row in rows if row.workload == w]
    placement = primary_placement([row.placement for row in cand])
    cand = [row for row in cand if row.placement == placement]
    if not cand:
        return None, None, {}
    t_max = max(row.threads for row in cand)
    by_lock = OrderedDict()
    for lock in reg.ordered(row.lock for row in cand if row.threads == t_max):
        by_lock[lock] = next(row for row in cand
                             if row.threads == t_max and row.lock == lock)
    return t_max, placement, by_lock


def comparable(locks):
    """Locks drawn in comparison figures: an "_instr" build only when its
    base lock is absent."""
    locks = list(locks)
    return [lk for lk in locks
            if not (is_instrumented(lk) and style.base_name(lk) in locks)]


def thread_counts(result, threads):
    """[acq_t0, ..., acq_t{T-1}] (None where a counter is missing), or []."""
    vals = [result.value("acq_t%d" % i) for i in range(threads)]
    return vals if any(v is not None for v in vals) else []


def rep_share(k, threads):
    """A function of one repetition's values: thread k's share of that
    repetition's acquisitions (common.spread's key), None without counts."""
    def share(rep):
        counts = [rep.get("acq_t%d" % i) for i in range(threads)]
        total = sum(c for c in counts if c is not None)
        return None if counts[k] is None or total <= 0 else counts[k] / total
    return share


def rep_per_acquisition(counter, threads):
    """A function of one repetition's values: `counter` per acquisition."""
    def per(rep):
        total = sum(rep.get("acq_t%d" % i) or 0.0 for i in range(threads))
        v = rep.get(counter)
        return None if v is None or total <= 0 else v / total
    return per


def total_acquisitions(result, threads):
    counts = [v for v in thread_counts(result, threads) if v is not None]
    if counts:
        return sum(counts)
    rate, secs = result.value("acq_per_s"), result.real_time_ns()
    if rate is not None and secs:
        return rate * secs / 1e9
    return None


# --------------------------------------------------------------------------
# (a) per-thread shares
# --------------------------------------------------------------------------

def _shares_figure(run_dir, suite, rows, reg):
    t_max, placement, by_lock = headline(rows, reg)
    data = []
    for lock in comparable(by_lock):
        r = by_lock[lock].result
        counts = thread_counts(r, t_max)
        total = sum(c for c in counts if c is not None)
        if not counts or total <= 0:
            continue
        shares = [(c or 0.0) / total for c in counts]
        data.append((lock, shares, r.value("jain_index"),
                     [spread(suite, r, rep_share(k, t_max), lambda v: 100.0 * v)
                      for k in range(t_max)]))
    if not data:
        return None
    data.sort(key=lambda d: (-(d[2] if d[2] is not None else -1.0), reg.sort_key(d[0])))
    n_reps = spread_n(suite, [by_lock[d[0]].result for d in data])
    nrows = -(-len(data) // _GROUPS_PER_ROW)
    per_row = -(-len(data) // nrows)  # balanced rows: 16 -> 8 + 8, 9 -> 5 + 4
    width = max(6.5, min(15.0, 1.6 + per_row * (0.55 + 0.09 * t_max)))
    fig, axes = draw.new_figure(width, 2.9 * nrows + 0.8, nrows=nrows, sharey=True)
    fair = 1.0 / t_max
    ymax = max(max([v / 100.0 for sp in e if sp for v in sp] + s) for _, s, _, e in data)
    ytop = min(1.12, max(ymax * 1.18, fair * 1.6))
    group = 0.82
    bar_w = group / t_max
    for ri in range(nrows):
        ax = axes[ri][0]
        chunk = data[ri * per_row:(ri + 1) * per_row]
        for gi, (lock, shares, jain, errs) in enumerate(chunk):
            xs = [gi - group / 2 + bar_w * (k + 0.5) for k in range(len(shares))]
            ax.bar(xs, [s * 100 for s in shares], bar_w * (0.9 if t_max <= 16 else 1.0),
                   color=reg.colour(lock), edgecolor="white",
                   linewidth=0.4 if t_max <= 32 else 0.0, zorder=3)
            draw.whiskers(ax, xs, [s * 100 for s in shares], errs,
                          capsize=2 if t_max <= 16 else 0)
            if jain is not None:
                ax.text(gi, ytop * 100 * 0.97, "J = %.3f" % jain, ha="center", va="top",
                        fontsize=8, color="#333333")
        fair_line = ax.axhline(fair * 100, color="#333333", linestyle="--", linewidth=1.1,
                               zorder=4)
        ax.set_xticks(range(len(chunk)))
        ax.set_xticklabels([d[0] for d in chunk], fontsize=8.5,
                           rotation=20 if per_row > 6 else 0,
                           ha="right" if per_row > 6 else "center")
        ax.set_xlim(-0.6, per_row - 0.4)
        ax.grid(axis="x", visible=False)
        ax.set_ylim(0, ytop * 100)
        ax.set_ylabel("share of acquisitions (%)")
    draw.finish_with_header(
        fig, "Per-thread share of acquisitions — %d threads, placement %s"
        % (t_max, placement), [fair_line],
        ["fair share 1/%d = %s %%" % (t_max, fmt_num(fair * 100))], ncol=1)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "fairness_shares.png")
    w = workloads(rows)[0]
    caption = ("Each thread's share of all acquisitions when %d threads hammer one lock "
               "(placement %s, %s; per-thread counts are medians over repetitions). One "
               "group per lock, bars left to right are threads t0…t%d; dashed line: the "
               "fair share 1/%d. Locks are sorted by Jain's index J (1 = perfectly even, "
               "1/%d = one thread got everything), most even first; the spread between "
               "threads is the bars themselves. "
               % (t_max, placement, workload_label(w), t_max - 1, t_max, t_max)
               + spread_caption(n_reps, "the repetitions of each thread's share"))
    return fname, caption


# --------------------------------------------------------------------------
# (b) throughput vs fairness, Pareto front
# --------------------------------------------------------------------------

def pareto_front(points):
    """Indices of the points not dominated when maximising both x and y
    (points: [(x, y)]), ordered by x descending."""
    order = sorted(range(len(points)), key=lambda i: (-points[i][0], -points[i][1]))
    front, best_y = [], -math.inf
    for i in order:
        if points[i][1] > best_y:
            front.append(i)
            best_y = points[i][1]
    return front


def _pareto_figure(run_dir, rows, reg):
    panels = []
    for w in workloads(rows):
        t_max, placement, by_lock = headline(rows, reg, w)
        pts = []
        for lock in comparable(by_lock):
            r = by_lock[lock].result
            j, rate = r.value("jain_index"), r.value("acq_per_s")
            if j is not None and rate is not None and rate > 0:
                pts.append((j, rate, lock))
        if pts:
            panels.append((w, t_max, placement, pts))
    if not panels:
        return None
    n = len(panels)
    fig, axes = draw.new_figure(7.4 * n, 5.8, ncols=n)
    label_jobs = []
    for ax, (w, t_max, placement, pts) in zip(axes[0], panels):
        front = pareto_front([(x, y) for x, y, _ in pts])
        front_names = [pts[i][2] for i in front]
        fx_ = [pts[i][0] for i in front]
        fy_ = [pts[i][1] for i in front]
        for x, y, lock in pts:
            on = lock in front_names
            ax.scatter([x], [y], s=70 if on else 46, color=reg.colour(lock),
                       marker=style.marker(lock), edgecolors="#111111" if on else "white",
                       linewidths=1.3 if on else 0.6, zorder=4)
        ax.set_yscale("log")
        xs = [p[0] for p in pts]
        lo, hi = min(xs), max(xs)
        span = max(hi - lo, 0.02)
        ax.set_xlim(max(0.0, lo - 0.12 * span), min(1.0, hi + 0.12 * span) + 0.004)
        ys = [p[1] for p in pts]
        ax.set_ylim(min(ys) / 1.6, max(ys) * 1.6)
        draw.log_ticks(ax)
        # Front: steps from the fairest point to the fastest one; the region
        # it dominates is shaded.
        x0, x1 = ax.get_xlim()
        y0, _ = ax.get_ylim()
        step_x = [fx_[0]]
        step_y = [y0]
        for k in range(len(front)):
            step_x += [fx_[k], fx_[k]]
            step_y += [step_y[-1], fy_[k]]
            nxt = fx_[k + 1] if k + 1 < len(front) else x0
            step_x.append(nxt)
            step_y.append(fy_[k])
        ax.plot(step_x[1:], step_y[1:], color="#555555", linestyle="--", linewidth=1.1,
                zorder=3, label="Pareto front")
        ax.fill_between(step_x[1:], y0, step_y[1:], color="#bbbbbb", alpha=0.18,
                        zorder=1, step=None)
        ax.set_xlabel("Jain's fairness index (1 = perfectly even)")
        ax.set_ylabel("acquisitions/s, all threads (log)")
        ax.set_title("%d threads, placement %s\n%s" % (t_max, placement, workload_label(w)))
        label_jobs.append((ax, pts, front_names))
    fig.suptitle("Throughput vs fairness — up and to the right is better")
    fig.tight_layout()
    for ax, pts, front_names in label_jobs:
        order = sorted(pts, key=lambda p: (p[2] not in front_names, reg.sort_key(p[2])))
        place_labels(ax, [(x, y, lock, reg.colour(lock)) for x, y, lock in order],
                     bold=front_names)
    fname = save_figure(fig, run_dir, "fairness_pareto.png")
    caption = ("Total acquisitions per second against Jain's index of the per-thread "
               "counts, one point per lock at the largest thread count measured (medians "
               "over repetitions). Dashed steps: the Pareto front — no other lock is both "
               "faster and fairer than a lock on it (black-ringed points, bold labels); the "
               "shaded area is what the front dominates. Up and to the right is better.")
    if n > 1:
        caption += " One panel per workload."
    return fname, caption


# --------------------------------------------------------------------------
# (c) throughput scaling
# --------------------------------------------------------------------------

def _scaling_figure(run_dir, suite, rows, reg):
    wls = workloads(rows)
    if not wls:
        return None
    w = wls[0]
    cell_rows = [row for row in rows if row.workload == w
                 and row.result.value("acq_per_s") is not None]
    if not cell_rows:
        return None
    placements = style.ordered([row.placement for row in cell_rows], style.PLACEMENT_ORDER)
    # Placements that only errored (not honoured here): one line under the
    # panels, not an empty panel each.
    missing = [p for p in style.ordered(
        [e.params.get("placement", "none") for e in suite.errors_of(FAMILY)
         if workload_of(e.params) == w], style.PLACEMENT_ORDER) if p not in placements]
    locks = comparable(reg.ordered(row.lock for row in cell_rows))
    ncols = min(_MAX_COLS, len(placements))
    nrows = -(-len(placements) // ncols)
    note_lines = []
    for p in missing:
        msgs = suite.errors_at(FAMILY, p)
        text = "; ".join(msgs) or "no data"
        if "'%s'" % p not in text:
            text = "placement %s: %s" % (p, text)
        note_lines.append("Not measured — %s" % text)
    note_in = 0.22 * len(note_lines) + (0.15 if note_lines else 0.0)
    fig, axes = draw.new_figure(0.6 + 4.3 * ncols, 3.5 * nrows + 1.5 + note_in,
                                nrows=nrows, ncols=ncols)
    all_threads = sorted(set(row.threads for row in cell_rows))
    data_axes = []
    for k, placement in enumerate(placements):
        ax = axes[k // ncols][k % ncols]
        cell = [row for row in cell_rows if row.placement == placement]
        data_axes.append(ax)
        for lock in locks:
            mine = sorted((row for row in cell if row.lock == lock), key=lambda row: row.threads)
            pts = [(row.threads, row.result.value("acq_per_s")) for row in mine]
            if pts:
                ax.plot([t for t, _ in pts], [v for _, v in pts], color=reg.colour(lock),
                        marker=style.marker(lock), markersize=4.5, linewidth=1.6,
                        zorder=3)
                draw.whiskers(ax, [t for t, _ in pts], [v for _, v in pts],
                              [spread(suite, row.result, "acq_per_s") for row in mine],
                              colour=reg.colour(lock), capsize=2)
        ax.set_title("placement: %s" % placement)
        draw.thread_axis(ax, all_threads)
        ax.set_yscale("log")
        if k % ncols == 0:
            ax.set_ylabel("acquisitions/s, all threads (log)")
    for k in range(len(placements), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    lo = min(a.get_ylim()[0] for a in data_axes)
    hi = max(a.get_ylim()[1] for a in data_axes)
    for a in data_axes:
        a.set_ylim(lo, hi)
        draw.log_ticks(a)
    handles, labels = [], []
    from matplotlib.lines import Line2D
    for lock in locks:
        handles.append(Line2D([], [], color=reg.colour(lock), marker=style.marker(lock),
                              linewidth=1.8, markersize=5))
        labels.append(lock)
    ncol = min(len(labels), 6 if ncols >= 3 else 4)
    draw.finish_with_header(fig, "Lock throughput vs threads (%s)" % workload_label(w),
                            handles, labels, ncol=ncol)
    n_reps = spread_n(suite, [row.result for row in cell_rows])
    draw.no_spread_note(fig, n_reps)
    if note_lines:
        height = fig.get_size_inches()[1]
        fig.subplots_adjust(bottom=fig.subplotpars.bottom + note_in / height)
        fig.text(0.01, 0.012, "\n".join(note_lines), ha="left", va="bottom", fontsize=8.5,
                 color="#555555")
    fname = save_figure(fig, run_dir, "fairness_scaling.png")
    caption = ("Total acquisitions per second of all threads (median over repetitions, log "
               "scale) against the thread count, one panel per thread placement and one "
               "line per lock; thread counts above the PU count oversubscribe the machine. "
               + spread_caption(n_reps, kind="Error bars"))
    if missing:
        caption += (" Placements the machine could not honour (%s) are named under the "
                    "panels with the reason." % ", ".join(missing))
    return fname, caption


# --------------------------------------------------------------------------
# (d) instrumented Go mutexes
# --------------------------------------------------------------------------

def starvation_spans(entry):
    """[(start_ms, end_ms)] of starvation mode from a timeline entry; a span
    still open at the end runs to duration_ms. Malformed events are skipped."""
    duration = entry.get("duration_ms")
    events = entry.get("events")
    if not isinstance(events, list):
        return []
    evs = []
    for e in events:
        if isinstance(e, dict) and isinstance(e.get("t_ms"), (int, float)) \
                and isinstance(e.get("entered_starvation"), bool):
            evs.append((float(e["t_ms"]), e["entered_starvation"]))
    evs.sort(key=lambda e: e[0])
    spans, start = [], None
    for t, entered in evs:
        if entered and start is None:
            start = t
        elif not entered and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        end = float(duration) if isinstance(duration, (int, float)) else evs[-1][0]
        spans.append((start, max(start, end)))
    return spans


def _timeline_rows(rows, side, reg):
    """[(label, Row, entry or None)] for the instrumented runs of the first
    workload: runs with a timeline, plus one row per instrumented lock that has
    no timeline at all (a design without starvation mode)."""
    wls = workloads(rows)
    if not wls:
        return [], None
    w = wls[0]
    instr = [row for row in rows if row.workload == w and is_instrumented(row.lock)]
    with_tl = [(row, side.get(row.result.name)) for row in instr]
    with_tl = [(row, e) for row, e in with_tl if e is not None]
    restricted = None
    if len(with_tl) > _MAX_TIMELINE_ROWS:
        restricted = primary_placement([row.placement for row, _ in with_tl])
        with_tl = [(row, e) for row, e in with_tl if row.placement == restricted]
    plc = style.ordered([row.placement for row, _ in with_tl], style.PLACEMENT_ORDER)
    with_tl.sort(key=lambda p: (reg.sort_key(p[0].lock), plc.index(p[0].placement),
                                p[0].threads))
    out = [("%s  T=%d  %s" % (row.lock, row.threads, row.placement), row, e)
           for row, e in with_tl]
    have = set(row.lock for row, _ in with_tl)
    for lock in reg.ordered(row.lock for row in instr):
        if lock not in have:
            sample = max((row for row in instr if row.lock == lock),
                         key=lambda row: row.threads)
            out.append(("%s  (all runs)" % lock, sample, None))
    return out, restricted


def _fmt_count(v):
    return "%d" % v if float(v).is_integer() and abs(v) < 1e4 else fmt_num(v)


def _counter_panel(ax, suite, rows, reg):
    t_max, placement, by_lock = headline(rows, reg)
    locks = [lk for lk in by_lock if is_instrumented(lk)
             and any(by_lock[lk].result.value(c) is not None for c in GO_COUNTERS)]
    if not locks:
        return None
    n = len(locks)
    width = 0.8 / n
    vals = []
    for li, lock in enumerate(locks):
        r = by_lock[lock].result
        total = total_acquisitions(r, t_max) or 0.0
        for ci, c in enumerate(GO_COUNTERS):
            v = r.value(c)
            if v is None or total <= 0:
                continue
            per = v / total
            x = ci + (li - (n - 1) / 2.0) * width
            vals.append((x, per, lock, v, spread(suite, r, rep_per_acquisition(c, t_max))))
    positive = [p for _, p, _, _, _ in vals if p > 0]
    floor = (min(positive) / 8.0) if positive else 1e-6
    top = (max(positive) * 30.0) if positive else 1.0
    ax.set_yscale("log")
    ax.set_ylim(floor, top)
    rotate = any(len(_fmt_count(raw)) > 3 for _, per, _, raw, _ in vals if per > 0) and n > 1
    for x, per, lock, raw, err in vals:
        if per > 0:
            ax.bar(x, per - floor, width * 0.9, bottom=floor, color=reg.colour(lock),
                   edgecolor="#222222" if lock.endswith("2015_instr") else "white",
                   hatch="//" if len(locks) > 1 and locks.index(lock) % 2 else None,
                   linewidth=0.6, zorder=3)
            # The whisker's low end stays on the log axis (a repetition may count 0).
            if err is not None:
                err = (max(err[0], floor), err[1])
            draw.whiskers(ax, [x], [per], [err], capsize=2)
            ax.text(x, max(per, err[1] if err else per) * 1.15, _fmt_count(raw), ha="center",
                    va="bottom", fontsize=7, rotation=90 if rotate else 0, zorder=4)
        else:
            ax.text(x, floor * 1.15, "0", ha="center", va="bottom", fontsize=8,
                    color="#555555", zorder=4)
    ax.set_xticks(range(len(GO_COUNTERS)))
    ax.set_xticklabels([c.replace("_", "\n") for c in GO_COUNTERS], fontsize=8.5)
    ax.set_xlim(-0.6, len(GO_COUNTERS) - 0.4)
    ax.grid(axis="x", visible=False)
    draw.log_ticks(ax)
    from matplotlib.ticker import FuncFormatter
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: "%g" % v))
    ax.set_ylabel("events per acquisition (log)")
    ax.set_title("Events per acquisition\n%d threads, placement %s" % (t_max, placement))
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=reg.colour(lk), edgecolor="#222222",
                     hatch="//" if len(locks) > 1 and i % 2 else None)
               for i, lk in enumerate(locks)]
    ax.legend(handles, locks, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncol=1, fontsize=8, frameon=False)
    return t_max, placement, spread_n(suite, [by_lock[lk].result for lk in locks])


def _go_modes_figure(run_dir, suite, rows, side, reg):
    instr_rows = [row for row in rows if is_instrumented(row.lock)]
    if not instr_rows:
        return None
    tl_rows, restricted = _timeline_rows(rows, side, reg) if side.ok else ([], None)
    show_timeline = bool(tl_rows) and any(e is not None for _, _, e in tl_rows)
    if show_timeline:
        height = max(3.6, 0.9 + 0.32 * len(tl_rows))
        fig, axes = draw.new_figure(13.0, height, ncols=2,
                                    gridspec_kw={"width_ratios": [2.6, 1.0]})
        ax_tl, ax_c = axes[0]
    else:
        fig, axes = draw.new_figure(6.4, 5.0)
        ax_tl, ax_c = None, axes[0][0]
    if ax_tl is not None:
        durations = [e.get("duration_ms") for _, _, e in tl_rows
                     if e is not None and isinstance(e.get("duration_ms"), (int, float))]
        xmax = max(durations) if durations else 1.0
        n = len(tl_rows)
        for i, (label, row, entry) in enumerate(tl_rows):
            y = n - 1 - i
            colour = reg.colour(row.lock)
            if entry is None:
                sw = row.result.value("mode_switches")
                text = ("no timeline: this design has no starvation mode"
                        if not sw else "no timeline recorded (%s mode switches counted)"
                        % fmt_num(sw))
                ax_tl.text(xmax * 0.01, y, text, va="center", ha="left", fontsize=8,
                           color="#666666", style="italic")
                continue
            dur = entry.get("duration_ms")
            dur = float(dur) if isinstance(dur, (int, float)) else xmax
            ax_tl.broken_barh([(0, dur)], (y - 0.32, 0.64), facecolors="#ececec",
                              edgecolor="none", zorder=1)
            spans = starvation_spans(entry)
            if spans:
                ax_tl.broken_barh([(a, max(b - a, 0.0)) for a, b in spans],
                                  (y - 0.32, 0.64), facecolors=colour, edgecolor="none",
                                  zorder=2)
                # Entry ticks keep sub-pixel spans visible.
                ax_tl.scatter([a for a, _ in spans], [y] * len(spans), marker="|",
                              s=90, color="#7a2a00", linewidths=1.0, zorder=3)
            starving = sum(b - a for a, b in spans)
            ax_tl.text(1.01, y, "%d×  %s %%" % (len(spans), fmt_num(100.0 * starving / dur)
                                                if dur > 0 else "—"),
                       transform=ax_tl.get_yaxis_transform(), va="center", ha="left",
                       fontsize=8, color="#333333")
        ax_tl.set_yticks(range(n))
        ax_tl.set_yticklabels([lab for lab, _, _ in reversed(tl_rows)], fontsize=8)
        ax_tl.set_ylim(-0.7, n - 0.3)
        ax_tl.set_xlim(0, xmax * 1.005)
        ax_tl.grid(axis="y", visible=False)
        ax_tl.set_xlabel("time since the run started (ms)")
        ax_tl.text(1.01, n - 0.35, "entries  starving", transform=ax_tl.get_yaxis_transform(),
                   va="bottom", ha="left", fontsize=8, fontweight="bold", color="#333333")
        ax_tl.set_title("Starvation mode over time (coloured = starving, grey = normal)")
    headline_point = _counter_panel(ax_c, suite, rows, reg)
    n_reps = headline_point[2] if headline_point else 0
    if headline_point is None and ax_tl is None:
        import matplotlib.pyplot as plt
        plt.close(fig)
        return None
    if headline_point is None:
        draw.message_panel(ax_c, "Go mutex events", "no spins / parks / barges / "
                           "handoffs / mode_switches counters")
    fig.suptitle("Instrumented Go mutexes: starvation mode and slow-path events"
                 if ax_tl is not None else "Instrumented Go mutexes:\nslow-path events")
    fig.tight_layout()
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "fairness_go_modes.png")
    if ax_tl is not None:
        caption = ("Left: when the instrumented Go mutex was in starvation mode (coloured "
                   "spans, with a tick at each entry) and in normal mode (grey), one row per "
                   "instrumented run (last repetition, from %s); right of each row: how "
                   "many times it entered starvation mode and the share of the run spent "
                   "there. " % TIMELINE_FILE)
        if restricted:
            caption += ("Only placement %s is shown (more than %d runs). "
                        % (restricted, _MAX_TIMELINE_ROWS))
        caption += "Right: spins"
    else:
        caption = "Spins"
    caption += (", parks, barges, handoffs and mode switches per acquisition (log "
                "scale, raw counts on the bars; medians over repetitions) at the largest "
                "thread count. GoMutex2015 has no starvation mode: it never hands off and "
                "never switches mode. ")
    if n_reps:
        caption += spread_caption(n_reps, "the repetitions of each count per acquisition")
    if ax_tl is None:
        caption += (" The starvation-mode timeline is not drawn: %s."
                    % (side.reason or "no timeline data for these runs"))
    return fname, caption


# --------------------------------------------------------------------------
# (e) uncontended fast path
# --------------------------------------------------------------------------

def uncontended(suite, reg, results=None):
    """{lock: ns per lock + unlock pair} of the uncontended family, in
    registry order; results, when a dict, gets {lock: Result}."""
    out = OrderedDict()
    rs = [r for r in suite.family(UNCONTENDED) if r.get("lock")]
    for r in sorted(rs, key=lambda r: reg.sort_key(r.get("lock"))):
        v = r.value("ns_per_op")
        if v is None:
            v = r.real_time_ns()
        if v is not None and v > 0:
            out[r.get("lock")] = v
            if results is not None:
                results[r.get("lock")] = r
    return out


def uncontended_spread(suite, result):
    """p10-p90 of ns per pair over the repetitions (ns_per_op, else the
    real time in ns), or None."""
    if result.value("ns_per_op") is not None:
        return spread(suite, result, "ns_per_op")
    scale = result.real_time_ns() / result.value("real_time") if result.value("real_time") \
        else 1.0
    return spread(suite, result, "real_time", lambda v: v * scale)


def _uncontended_figure(run_dir, suite, reg):
    results = {}
    data = uncontended(suite, reg, results)
    if not data:
        return None
    order = sorted(data, key=lambda lk: (data[lk], reg.sort_key(lk)))
    errs = {lk: uncontended_spread(suite, results[lk]) for lk in order}
    n_reps = spread_n(suite, list(results.values()))
    n = len(order)
    fig, axes = draw.new_figure(8.0, max(3.0, 1.2 + 0.3 * n))
    ax = axes[0][0]
    ys = list(range(n))[::-1]   # fastest at the top
    for y, lock in zip(ys, order):
        ax.barh(y, data[lock], 0.7, color=reg.colour(lock),
                hatch="//" if is_instrumented(lock) else None,
                edgecolor="white" if is_instrumented(lock) else reg.colour(lock),
                linewidth=0.5, zorder=3)
        ax.text(max(data[lock], errs[lock][1] if errs[lock] else 0.0), y,
                "  " + fmt_ns(data[lock]), va="center", ha="left", fontsize=8, zorder=4)
    draw.whiskers(ax, ys, [data[lk] for lk in order], [errs[lk] for lk in order],
                  horizontal=True)
    ax.set_yticks(ys)
    ax.set_yticklabels(order, fontsize=8.5)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0, max([data[lk] for lk in order] +
                       [e[1] for e in errs.values() if e]) * 1.25)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("ns per lock() + unlock() pair, one thread")
    ax.set_title("Uncontended fast path")
    fig.tight_layout()
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "fairness_uncontended.png")
    caption = ("Cost of one lock() + unlock() pair when a single thread takes a free "
               "lock again and again — the fast path alone, no contention (median over "
               "repetitions), fastest at the top. " + spread_caption(n_reps))
    if any(is_instrumented(lk) for lk in order):
        caption += (" Hatched: the instrumented Go builds; the gap to their plain "
                    "builds is the cost of counting.")
    return fname, caption


# --------------------------------------------------------------------------
# Module interface
# --------------------------------------------------------------------------

def _pareto_cost_figure(run_dir, rows, reg):
    """Throughput vs CPU cost per acquisition (the runner's per-thread
    getrusage): a spinning lock buys throughput with CPU. Headline point of
    the first workload; drawn when the suite recorded cpu_ns_per_acq."""
    ws = workloads(rows)
    if not ws:
        return None
    t_max, placement, by_lock = headline(rows, reg, ws[0])
    pts = []
    for lock in comparable(by_lock):
        r = by_lock[lock].result
        cost, rate = r.value("cpu_ns_per_acq"), r.value("acq_per_s")
        if cost and rate and cost > 0 and rate > 0:
            pts.append((cost, rate, lock, r.value("vcsw_per_acq"), r.value("ivcsw_per_acq")))
    if len(pts) < 2:
        return None
    fig, axes = draw.new_figure(7.8, 5.8)
    ax = axes[0][0]
    front = pareto_front([(-x, y) for x, y, _, _, _ in pts])
    front_names = [pts[i][2] for i in front]
    for x, y, lock, _, _ in pts:
        on = lock in front_names
        ax.scatter([x], [y], s=70 if on else 46, color=reg.colour(lock),
                   marker=style.marker(lock), edgecolors="#111111" if on else "white",
                   linewidths=1.3 if on else 0.6, zorder=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    ax.set_xlim(min(xs) / 1.6, max(xs) * 1.6)
    ax.set_ylim(min(ys) / 1.6, max(ys) * 1.6)
    ax.xaxis.set_major_formatter(draw.ns_tick)
    ax.set_xlabel("CPU time per acquisition, all threads (user + system, log)")
    ax.set_ylabel("acquisitions/s, all threads (log)")
    ax.set_title("%d threads, placement %s\n%s" % (t_max, placement, workload_label(ws[0])))
    fig.suptitle("Throughput vs CPU cost — up and to the left is better")
    fig.tight_layout()
    order = sorted(pts, key=lambda p: (p[2] not in front_names, reg.sort_key(p[2])))
    place_labels(ax, [(x, y, lock, reg.colour(lock)) for x, y, lock, _, _ in order],
                 bold=front_names)
    fname = save_figure(fig, run_dir, "fairness_pareto_cpu.png")
    return fname, ("Total acquisitions per second against the CPU time all threads spent per "
                   "acquisition (getrusage(RUSAGE_THREAD) around each thread's loop), one point "
                   "per lock at the largest thread count (medians over repetitions); bold: no "
                   "other lock is both faster and cheaper. A lock high and to the right spins: "
                   "its throughput costs CPU that the throughput figure hides (context switches "
                   "per acquisition are in the table below).")


def timeline_side(run_dir, suite):
    return SideFile(run_dir, suite, TIMELINE_FILE)


def figures(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    reg = LockRegistry.of(suite_data)
    side = timeline_side(run_dir, suite_data)
    return draw.drawn(_shares_figure(run_dir, suite_data, rows, reg),
                      _pareto_figure(run_dir, rows, reg),
                      _pareto_cost_figure(run_dir, rows, reg),
                      _scaling_figure(run_dir, suite_data, rows, reg),
                      _go_modes_figure(run_dir, suite_data, rows, side, reg),
                      _uncontended_figure(run_dir, suite_data, reg))


def _f3(v):
    return "—" if v is None else "%.3f" % v


def _f2(v):
    return "—" if v is None else "%.2f" % v


def _ratio(a, b):
    return "—" if a is None or not b else "%.2f" % (a / b)


def one_proc_table(suite, rows, reg):
    """The one-P rows (fairness_gomaxprocs1) beside the same lock, threads
    and workload at placement none in the fairness family (N P's): acq/s,
    Jain, acq/s over go_sync_mutex's at the same P count, how often the
    lock changed CPU (lock_moves_per_acq, "—" where not measured), and at
    N P's the CPUs the run kept busy and its goroutines' parks per
    acquisition (g_parks_per_acq; syncscope's runtime only, "—" for Go's):
    together they say which mode an N-P run settled into (lock_runner.h,
    set_goroutine_counters). None without one-P rows."""
    one = rows_of(suite, ONE_PROC)
    if not one:
        return None

    def at(rs, lock, threads, w):
        return next((r.result for r in rs if r.lock == lock and r.threads == threads
                     and r.workload == w and r.placement == "none"), None)

    def val(result, key):
        return None if result is None else result.value(key)

    trs = []
    procs = sorted({int(v) for r in rows if r.placement == "none"
                    for v in [r.result.value("gomaxprocs")] if v is not None})
    for w in workloads(one):
        cand = [r for r in one if r.workload == w]
        for lock in reg.ordered(dict.fromkeys(r.lock for r in cand)):
            for t in sorted({r.threads for r in cand if r.lock == lock}):
                r1, rn = at(one, lock, t, w), at(rows, lock, t, w)
                g1, gn = at(one, GO_PEER_LOCK, t, w), at(rows, GO_PEER_LOCK, t, w)
                trs.append([lock, str(t), workload_label(w),
                            fmt_num(val(r1, "acq_per_s")), _f3(val(r1, "jain_index")),
                            _ratio(val(r1, "acq_per_s"), val(g1, "acq_per_s")),
                            fmt_num(val(rn, "acq_per_s")), _f3(val(rn, "jain_index")),
                            _ratio(val(rn, "acq_per_s"), val(gn, "acq_per_s")),
                            _f3(val(r1, "lock_moves_per_acq")),
                            _f3(val(rn, "lock_moves_per_acq")),
                            _f2(val(rn, "cpus_used")), _f3(val(rn, "g_parks_per_acq"))])
    n = "/".join(str(p) for p in procs) or "N"
    return Table("The Go designs on goroutines and Go's sync.Mutex with one P and with %s "
                 "(GOMAXPROCS; placement none, medians over repetitions; ÷ Go: acq/s over "
                 "%s's at the same GOMAXPROCS)" % (n, GO_PEER_LOCK),
                 ["lock", "threads", "workload", "acq/s, 1 P", "Jain, 1 P", "÷ Go, 1 P",
                  "acq/s, %s P" % n, "Jain, %s P" % n, "÷ Go, %s P" % n,
                  "lock moves/acq, 1 P", "lock moves/acq, %s P" % n,
                  "CPUs, %s P" % n, "parks/acq, %s P" % n], trs)


def summary_rows(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    reg = LockRegistry.of(suite_data)
    tables = []
    fast = uncontended(suite_data, reg)
    if fast:
        tables.append(Table("Uncontended lock + unlock, one thread (median over repetitions)",
                            ["lock", "ns per pair"],
                            [[lk, fmt_num(v)] for lk, v in fast.items()]))
    for w in workloads(rows):
        t_max, placement, by_lock = headline(rows, reg, w)
        if not by_lock:
            continue
        # Lock moves, beside the throughput, when the run measured them.
        moves = any(row.result.value(MOVES) is not None for row in by_lock.values())
        trs = []
        for lock, row in by_lock.items():
            r = row.result
            trs.append([lock, fmt_num(r.value("acq_per_s"))] +
                       ([_f3(r.value(MOVES))] if moves else []) +
                       [_f3(r.value("jain_index")),
                        _f3(r.value("cv")), _f3(r.value("min_max_ratio")),
                        _f3(r.value("barging_share")), fmt_num(r.value("lwss")),
                        fmt_num(r.value("mttr")), fmt_num(r.value("cpu_ns_per_acq")),
                        _f3(r.value("vcsw_per_acq")), _f3(r.value("ivcsw_per_acq"))])
        tables.append(Table(
            "Fairness at %d threads, placement %s (%s; medians over repetitions)"
            % (t_max, placement, workload_label(w)),
            ["lock", "acq/s"] + (["lock moves/acq"] if moves else []) +
            ["Jain", "CV", "min/max", "barging", "LWSS", "MTTR",
             "CPU ns/acq", "vol. csw/acq", "invol. csw/acq"], trs))
    # Instrumented counters, every thread count of the headline placement.
    if rows:
        w = workloads(rows)[0]
        _, placement, _ = headline(rows, reg, w)
        instr = [row for row in rows if row.workload == w and row.placement == placement
                 and is_instrumented(row.lock)
                 and any(row.result.value(c) is not None for c in GO_COUNTERS)]
        instr.sort(key=lambda row: (reg.sort_key(row.lock), row.threads))
        if instr:
            trs = []
            for row in instr:
                total = total_acquisitions(row.result, row.threads)
                trs.append([row.lock, str(row.threads), fmt_num(total)] +
                           [fmt_num(row.result.value(c)) for c in GO_COUNTERS])
            tables.append(Table(
                "Instrumented Go mutexes, placement %s (%s): event counts"
                % (placement, workload_label(w)),
                ["lock", "threads", "acquisitions"] + list(GO_COUNTERS), trs))
    one = one_proc_table(suite_data, rows, reg)
    if one is not None:
        tables.append(one)
    return tables


def notes(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    if not rows:
        return []
    out = []
    t_max, placement, _ = headline(rows, LockRegistry.of(suite_data))
    out.append("Headline point: %d threads, placement %s, %s. Jain's index: 1 = every "
               "thread got the same number of acquisitions, 1/T = one thread got them "
               "all. CV: coefficient of variation of the per-thread counts. min/max: "
               "fewest over most acquisitions of one thread (0 = some thread starved). "
               "Barging: share of acquisitions by the thread that released the lock just "
               "before. LWSS: mean distinct acquirers per window of 1000 acquisitions. "
               "MTTR: median acquisitions between two of the same thread's."
               % (t_max, placement, workload_label(workloads(rows)[0])))
    if any(row.result.value(MOVES) is not None for row in rows):
        out.append("Lock moves/acq: the share of consecutive acquisitions that ran on "
                   "different CPUs, over the run's first acquisitions (each one's CPU read "
                   "right after its unlock, with the same instruction in the C++ suite and "
                   "the Go peer; the counter lock_move_pairs says how many pairs). Each move "
                   "drags the lock word and the lines its holder touches to the other CPU: "
                   "where such a transfer is slow, a lock that moves less can be faster.")
    if len(workloads(rows)) > 1:
        out.append("Workloads measured: %s. Figures use the first unless they say "
                   "otherwise." % "; ".join(workload_label(w) for w in workloads(rows)))
    if any(is_instrumented(row.lock) for row in rows):
        side = timeline_side(run_dir, suite_data)
        if not side.ok:
            out.append("Starvation-mode timeline not drawn: %s." % side.reason)
    return out


# --------------------------------------------------------------------------
# Comparison of two runs (compare.py)
# --------------------------------------------------------------------------

def _compare_heads(side_a, side_b):
    """(registry of both runs, [headline of A, headline of B])."""
    reg = LockRegistry.of(side_a.suite).merged(LockRegistry.of(side_b.suite))
    return reg, [headline(rows_of(s.suite), reg) if s.suite else (None, None, {})
                 for s in (side_a, side_b)]


def compare_figures(out_dir, side_a, side_b):
    reg, heads = _compare_heads(side_a, side_b)
    locks = comparable(reg.ordered(list(heads[0][2]) + list(heads[1][2])))
    if not locks:
        return []
    fig, axes = draw.new_figure(max(8.0, 1.5 + 0.75 * len(locks)), 8.2, nrows=2)
    rates = [{lk: h[2][lk].result.value("acq_per_s") for lk in h[2]} for h in heads]
    jains = [{lk: h[2][lk].result.value("jain_index") for lk in h[2]} for h in heads]
    rates = [{lk: v for lk, v in d.items() if v is not None and v > 0} for d in rates]
    sides = (side_a, side_b)

    def errs(key):
        return [{lk: spread(sides[i].suite, h[2][lk].result, key) for lk in h[2]}
                for i, h in enumerate(heads)]
    compare_bars(axes[0][0], locks, rates, colour=reg.colour, errs=errs("acq_per_s"))
    vals = [v for d in rates for v in d.values()]
    if vals:
        axes[0][0].set_yscale("log")
        axes[0][0].set_ylim(min(vals) / 2.0, max(vals) * 4.0)
        draw.log_ticks(axes[0][0])
    axes[0][0].set_ylabel("acquisitions/s, all threads (log)")
    axes[0][0].set_title("Throughput")
    compare_bars(axes[1][0], locks, jains, label_fmt=lambda v: "%.2f" % v,
                 colour=reg.colour, errs=errs("jain_index"))
    axes[1][0].set_ylabel("Jain's index")
    axes[1][0].set_ylim(0, 1.15)
    axes[1][0].set_title("Fairness (1 = perfectly even)")
    h, lab = draw.run_hatch_handles(
        "%s (%s threads, %s)" % (side_a.label, heads[0][0] or "—", heads[0][1] or "—"),
        "%s (%s threads, %s)" % (side_b.label, heads[1][0] or "—", heads[1][1] or "—"))
    draw.finish_with_header(fig, "Lock throughput and fairness: A vs B", h, lab, ncol=2)
    n_reps = max(spread_n(sides[i].suite, [row.result for row in h[2].values()])
                 for i, h in enumerate(heads))
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, out_dir, "compare_fairness.png")
    caption = ("Each run at its own headline point (largest thread count measured, "
               "placement none): total acquisitions per second (top) and Jain's index of "
               "the per-thread counts (bottom), medians over repetitions. Solid = run A, "
               "hatched = run B; colour = lock. " + spread_caption(n_reps, "each run's "
                                                                  "repetitions"))
    return [(fname, caption)]


def compare_tables(side_a, side_b):
    reg, heads = _compare_heads(side_a, side_b)
    locks = reg.ordered(list(heads[0][2]) + list(heads[1][2]))
    if not locks:
        return []
    trs = []
    for lock in locks:
        vals = []
        for _, _, by_lock in heads:
            r = by_lock[lock].result if lock in by_lock else None
            vals.append((r.value("acq_per_s") if r else None,
                         r.value("jain_index") if r else None))
        (ra, ja), (rb, jb) = vals
        trs.append([lock, fmt_num(ra), fmt_num(rb),
                    fmt_num(rb / ra) if ra and rb else "—", _f3(ja), _f3(jb)])
    title = "Fairness headline: A at %s threads / %s, B at %s threads / %s" % (
        heads[0][0] if heads[0][0] else "—", heads[0][1] or "—",
        heads[1][0] if heads[1][0] else "—", heads[1][1] or "—")
    return [Table(title, ["lock", "A acq/s", "B acq/s", "B / A", "A Jain", "B Jain"], trs)]

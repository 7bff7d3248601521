"""Figures and tables of the lock starvation suite (starvation.json).

Families read (benchmark names '/'-separated, see common.parse_name):
  starvation/lock:L/threads:T/placement:P/cs_ns:C/ncs_ns:N     "hammer"
      T threads hammer lock L; every acquisition's wait (call of lock() to
      its return) is recorded. Counters wait_p50_ns, wait_p90_ns,
      wait_p99_ns, wait_p999_ns, wait_max_ns, wait_count, acq_per_s.
  starvation_lockskew/lock:L                                   "lockskew"
      A hog re-acquires in a tight loop while a victim asks rarely. Counters
      victim_wait_p50_ns ... victim_wait_max_ns, victim_wait_count,
      victim_acq, hog_acq, hog_wait_max_ns. Go's starvation mode (Go 1.9)
      hands the lock to a waiter that has waited more than 1 ms, which
      bounds the victim's wait near that threshold; designs without it leave
      the victim to chance.
  starvation_rw/lock:L/read_pct:R/threads:T                    "rw"
      Reader/writer locks with R % reads: reader_wait_* and writer_wait_*
      (p50, p90, p99, p999, max, count), acq_per_s, reads, writes.
  .../lock:L/model:goroutine/... (all three families: the Go designs with
      goroutines as parties, never pinned or real-time) is read as the lock
      "L_goroutine" (common.fold_model: a light shade of L's colour, right
      after L); lock:go_sync_mutex / lock:go_sync_rwmutex are Go's own
      sync.Mutex / sync.RWMutex from the suite's Go peer. Both are locks like
      any other in every figure and table.
Side file starvation_hist.json (next to starvation.json; last repetition):
  {name without Google Benchmark's "/manual_time": {"buckets": [[upper_ns,
  count], ...]}} for hammer and lockskew (the victim's waits) runs;
  {"reader_buckets": ..., "writer_buckets": ...} for rw runs. Buckets are
  the non-empty buckets of a log-linear histogram (< 1.6 % wide), ascending.

Headline hammer point: the largest thread count under placement "none" (or
the first placement with data when "none" was not run).

Figures
  starvation_ccdf.png        P(wait > x) against x, log-log, one line per
                             lock, hammer headline point (needs the side
                             file).
  starvation_lockskew.png    the victim's wait CCDF per lock (needs the side
                             file; without it only the bars are drawn) and
                             bars of its p99 and max wait per lock against
                             Go's 1 ms starvation threshold.
  starvation_rw.png          reader and writer p99 / max wait against the
                             read percentage, one line per lock.
  starvation_percentiles.png the hammer's p50 / p90 / p99 / p99.9 / max per
                             lock (also the first summary table).
"""

import math
from collections import OrderedDict

import draw
import style
from common import (SPREAD_MIN_REPETITIONS, LockRegistry, SideFile, Table, as_number, fmt_num,
                    histogram_pairs, is_instrumented, primary_placement, save_figure, spread,
                    spread_caption, spread_n)
from draw import compare_bars, fmt_ns, ns_tick

TITLE = "Lock starvation: how long does an acquisition wait, in the tail?"

HAMMER = "starvation"
LOCKSKEW = "starvation_lockskew"
RW = "starvation_rw"
HIST_FILE = "starvation_hist.json"

# Go's starvationThresholdNs: a waiter blocked longer than this switches
# sync.Mutex to starvation mode (direct hand-off).
GO_STARVATION_THRESHOLD_NS = 1e6

PERCENTILES = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9"),
               ("max", "max")]
_PCT_MARKERS = {"p50": "o", "p90": "s", "p99": "D", "p999": "^", "max": "X"}
_PCT_SIZE = {"p50": 150, "p90": 80, "p99": 40, "p999": 40, "max": 55}
_PCT_Z = {"p50": 0, "p90": 1, "p99": 2, "p999": 3, "max": 4}
# Up to this many locks share one CCDF panel; more get one panel each.
_SINGLE_PANEL_MAX = 6
# The designs the lockskew figure is about: with and without starvation mode.
_LOCKSKEW_FOCUS = ("GoMutex", "GoMutex2015", "SpinLock")
# A victim whose worst wait is within this factor of Go's 1 ms threshold
# (2 ms) is marked bounded: by a hand-off or a queue, not left to chance.
_BOUNDED_FACTOR = 2.0
# Line styles cycled within one hue family so the members stay apart.
_DASHES = ["-", "--", "-.", ":"]


# --------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------

def registry(suite):
    """Lock order and colours of the run (common.LockRegistry); the
    reader/writer order is the registry's SharedLocks."""
    return LockRegistry.of(suite, shared_family=RW)


def hammer_rows(suite):
    """[(lock, threads, placement, Result)] of the hammer family."""
    out = []
    for r in suite.family(HAMMER):
        if r.get("lock"):
            out.append((r.get("lock"), r.threads, r.get("placement", "none"), r))
    return out


def hammer_headline(suite):
    """(threads, placement, {lock: Result}) at the headline point."""
    rows = [row for row in hammer_rows(suite) if row[3].value("wait_max_ns") is not None
            or row[3].value("wait_p99_ns") is not None]
    placement = primary_placement([row[2] for row in rows])
    rows = [row for row in rows if row[2] == placement]
    if not rows:
        return None, None, OrderedDict()
    t_max = max(row[1] for row in rows)
    out = OrderedDict()
    for lock in registry(suite).ordered(row[0] for row in rows if row[1] == t_max):
        out[lock] = next(row[3] for row in rows if row[1] == t_max and row[0] == lock)
    return t_max, placement, out


def lockskew_results(suite):
    out = OrderedDict()
    reg = registry(suite)
    for r in sorted(suite.family(LOCKSKEW), key=lambda r: reg.sort_key(r.get("lock", ""))):
        if r.get("lock"):
            out[r.get("lock")] = r
    return out


def rw_results(suite):
    """{lock: {read_pct (number): Result}} at each lock's largest thread count."""
    by = OrderedDict()
    for r in suite.family(RW):
        lock, pct = r.get("lock"), as_number(r.get("read_pct"))
        if not lock or pct is None:
            continue
        by.setdefault(lock, []).append((r.threads, pct, r))
    out = OrderedDict()
    for lock in sorted(by, key=registry(suite).shared_sort_key):
        t_max = max(t for t, _, _ in by[lock])
        out[lock] = OrderedDict(sorted((pct, r) for t, pct, r in by[lock] if t == t_max))
    return out


def ccdf(buckets):
    """(xs, ys) of the wait CCDF from [[upper_ns, count], ...]: at each
    non-empty bucket's upper bound x, the fraction of waits that fell in
    that bucket or a later one, i.e. P(wait > previous bucket's bound) —
    P(wait > x) to the histogram's resolution. Malformed pairs and
    non-positive bounds are skipped; None when no count remains."""
    pairs = [(ub, c) for ub, c in histogram_pairs(buckets) if ub > 0]
    total = sum(c for _, c in pairs)
    if total <= 0:
        return None
    xs, ys, seen = [], [], 0.0
    for ub, c in pairs:
        xs.append(ub)
        ys.append((total - seen) / total)
        seen += c
    return xs, ys


def _hist_side(run_dir, suite):
    return SideFile(run_dir, suite, HIST_FILE)


def _line_styles(locks):
    """{lock: line style}: solid for the first member of each colour,
    then dashed, dash-dot, dotted for locks that share a hue family."""
    seen, out = {}, {}
    for lock in locks:
        fam = _hue_family(lock)
        k = seen.get(fam, 0)
        seen[fam] = k + 1
        out[lock] = _DASHES[k % len(_DASHES)]
    return out


def _hue_family(lock):
    base = style.base_name(lock)
    for prefix in ("GoMutex", "tbb_", "std_", "absl_"):
        if base.startswith(prefix):
            return prefix
    if base in ("SpinLock", "TtasLock"):
        return "tas"
    if base in ("TicketLock", "McsLock", "ClhLock"):
        return "fifo"
    return base


def _ns_axis(ax, axis="x"):
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    a = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    a.set_major_locator(LogLocator(base=10, numticks=12))
    a.set_major_formatter(FuncFormatter(ns_tick))
    a.set_minor_formatter(NullFormatter())


def _prob_axis(ax):
    from matplotlib.ticker import FuncFormatter
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _p: ("%g" % v) if v >= 1e-3 else ("1e%d" % round(math.log10(v)))))


def _ccdf_lines(ax, curves, styles, reg):
    """Draw {lock: (xs, ys)}; returns (handles, labels) in the order given."""
    handles, labels = [], []
    for lock, (xs, ys) in curves.items():
        (line,) = ax.step(xs, ys, where="pre", color=reg.colour(lock),
                          linestyle=styles[lock], linewidth=1.6, zorder=3)
        handles.append(line)
        labels.append(lock)
    return handles, labels


def _threshold_line(ax, vertical=True):
    kw = {"color": "#c00000", "linestyle": (0, (4, 2)), "linewidth": 1.3, "zorder": 5}
    return (ax.axvline if vertical else ax.axhline)(GO_STARVATION_THRESHOLD_NS, **kw)


# --------------------------------------------------------------------------
# (a) hammer CCDF
# --------------------------------------------------------------------------

def _hammer_ccdf_figure(run_dir, suite, side):
    t_max, placement, by_lock = hammer_headline(suite)
    reg = registry(suite)
    if not by_lock or not side.ok:
        return None
    curves = OrderedDict()
    for lock, r in by_lock.items():
        entry = side.get(r.name)
        c = ccdf(entry.get("buckets")) if entry else None
        if c:
            curves[lock] = c
    if not curves:
        return None
    ymin = min(min(ys) for _, ys in curves.values())
    xmin = min(xs[0] for xs, _ in curves.values())
    xmax = max(xs[-1] for xs, _ in curves.values())
    title = ("Wait-time tail — %d threads hammering one lock, placement %s"
             % (t_max, placement))
    if len(curves) <= _SINGLE_PANEL_MAX:
        fig = _ccdf_single(curves, ymin, title, reg)
        layout = "one line per lock"
    else:
        fig = _ccdf_small_multiples(curves, by_lock, ymin, (xmin, xmax), title, reg)
        layout = ("one panel per lock in registry order: the lock in its colour, every "
                  "other lock in grey behind it for reference")
    fname = save_figure(fig, run_dir, "starvation_ccdf.png")
    caption = ("Complementary CDF of every acquisition's wait when %d threads hammer one "
               "lock (placement %s, critical section %s ns, gap %s ns; last repetition, "
               "from %s): the fraction of acquisitions that waited longer than x, log-log, "
               "%s. Lower and further left is better; a long flat tail reaching far right "
               "means a few acquisitions waited that long. Dashed red: 1 ms, Go's "
               "starvation threshold. Resolution is the histogram's (< 1.6 %% per bucket)."
               % (t_max, placement, _param(by_lock, "cs_ns"), _param(by_lock, "ncs_ns"),
                  HIST_FILE, layout))
    return fname, caption


def _ccdf_single(curves, ymin, title, reg):
    # Legend order = tail order (longest worst wait first), as the lines end.
    curves = OrderedDict(sorted(curves.items(), key=lambda kv: -kv[1][0][-1]))
    styles = _line_styles(reg.ordered(curves))
    fig, axes = draw.new_figure(9.5, 5.2)
    ax = axes[0][0]
    handles, labels = _ccdf_lines(ax, curves, styles, reg)
    _ns_axis(ax, "x")
    _prob_axis(ax)
    ax.set_ylim(ymin / 2.0, 1.3)
    th = _threshold_line(ax)
    ax.set_xlabel("wait time x (from calling lock() to owning the lock)")
    ax.set_ylabel("P(wait > x)  (log)")
    ax.legend(handles + [th], labels + ["1 ms (Go starvation threshold)"],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False,
              title="lock (longest tail first)", title_fontsize=8.5)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_size_inches()[1]))
    return fig


def _ccdf_small_multiples(curves, by_lock, ymin, xrange, title, reg):
    locks = reg.ordered(curves)
    ncols = 4
    nrows = -(-len(locks) // ncols)
    fig, axes = draw.new_figure(13.0, 2.45 * nrows + 0.9, nrows=nrows, ncols=ncols,
                                sharex=True, sharey=True)
    for k, lock in enumerate(locks):
        ax = axes[k // ncols][k % ncols]
        for other in locks:
            if other != lock:
                xs, ys = curves[other]
                ax.step(xs, ys, where="pre", color="#c8c8c8", linewidth=0.9, zorder=2)
        xs, ys = curves[lock]
        ax.step(xs, ys, where="pre", color=reg.colour(lock), linewidth=2.0, zorder=4)
        _threshold_line(ax)
        if k == 0:
            ax.text(GO_STARVATION_THRESHOLD_NS * 1.15, 0.02, "1 ms", color="#c00000",
                    fontsize=7.5, transform=ax.get_xaxis_transform(), ha="left",
                    va="bottom", zorder=6)
        r = by_lock[lock]
        ax.set_title(lock, fontsize=10)
        ax.text(0.97, 0.95, "p99 %s\nmax %s" % (fmt_ns(r.value("wait_p99_ns")),
                                                fmt_ns(r.value("wait_max_ns"))),
                transform=ax.transAxes, ha="right", va="top", fontsize=7.5,
                color="#333333", bbox={"boxstyle": "round,pad=0.25", "fc": "white",
                                       "ec": "none", "alpha": 0.85}, zorder=6)
        if k % ncols == 0:
            ax.set_ylabel("P(wait > x)")
        if k // ncols == nrows - 1 or k + ncols >= len(locks):
            ax.set_xlabel("wait time x")
            ax.tick_params(labelbottom=True)
    for k in range(len(locks), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    ax0 = axes[0][0]
    _ns_axis(ax0, "x")
    _prob_axis(ax0)
    ax0.set_xlim(xrange[0] / 1.5, xrange[1] * 1.5)
    ax0.set_ylim(ymin / 2.0, 1.5)
    from matplotlib.ticker import LogLocator, NullLocator
    ax0.xaxis.set_major_locator(LogLocator(base=10, numticks=5))
    ax0.yaxis.set_major_locator(LogLocator(base=10, numticks=4))
    # Minor ticks on 16 small log panels cost seconds to lay out and add
    # nothing a reader needs at this size.
    ax0.xaxis.set_minor_locator(NullLocator())
    ax0.yaxis.set_minor_locator(NullLocator())
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_size_inches()[1]))
    return fig


def _param(by_lock, key):
    vals = [r.get(key) for r in by_lock.values() if r.get(key)]
    return vals[0] if vals else "?"


# --------------------------------------------------------------------------
# (b) lockskew
# --------------------------------------------------------------------------

def _lockskew_figure(run_dir, suite, side):
    res = lockskew_results(suite)
    reg = registry(suite)
    bars = OrderedDict()
    for lock, r in res.items():
        p99, mx = r.value("victim_wait_p99_ns"), r.value("victim_wait_max_ns")
        if p99 is not None or mx is not None:
            bars[lock] = r
    if not bars:
        return None
    curves = OrderedDict()
    if side.ok:
        for lock, r in res.items():
            entry = side.get(r.name)
            c = ccdf(entry.get("buckets")) if entry else None
            if c:
                curves[lock] = c
    # Bars sorted by the victim's worst wait, best (shortest) at the top.
    order = sorted(bars, key=lambda lk: (bars[lk].value("victim_wait_max_ns") or
                                         bars[lk].value("victim_wait_p99_ns") or 0.0,
                                         reg.sort_key(lk)))
    n = len(order)
    height = max(4.2, 1.6 + 0.36 * n)
    if curves:
        fig, axes = draw.new_figure(14.0, height, ncols=2,
                                    gridspec_kw={"width_ratios": [1.0, 1.15]})
        ax_c, ax_b = axes[0]
    else:
        fig, axes = draw.new_figure(8.0, height)
        ax_c, ax_b = None, axes[0][0]

    # Bars: max solid, p99 light, horizontal, log x.
    ys = list(range(n))[::-1]   # first in `order` at the top
    h = 0.38
    vals = []
    errs = {lk: (spread(suite, bars[lk], "victim_wait_max_ns"),
                 spread(suite, bars[lk], "victim_wait_p99_ns")) for lk in order}
    n_reps = spread_n(suite, list(bars.values()))
    for y, lock in zip(ys, order):
        r = bars[lock]
        colour = reg.colour(lock)
        p99, mx = r.value("victim_wait_p99_ns"), r.value("victim_wait_max_ns")
        if mx is not None and mx > 0:
            ax_b.barh(y + h / 2, mx, h, color=colour, edgecolor=colour, zorder=3)
            vals.append(mx)
        if p99 is not None and p99 > 0:
            ax_b.barh(y - h / 2, p99, h, color=colour, alpha=0.38, edgecolor=colour,
                      hatch="///", linewidth=0.6, zorder=3)
            vals.append(p99)
        # Whiskers on a log axis: from the smallest positive repetition.
        for yy, v, err in ((y + h / 2, mx, errs[lock][0]), (y - h / 2, p99, errs[lock][1])):
            if v is not None and v > 0 and err is not None and err[1] > 0:
                err = (max(err[0], v / 1e3) if err[0] <= 0 else err[0], err[1])
                draw.whiskers(ax_b, [yy], [v], [err], horizontal=True, capsize=2)
                vals.append(err[1])
    if not vals:
        vals = [GO_STARVATION_THRESHOLD_NS]
    lo = min(min(vals), GO_STARVATION_THRESHOLD_NS) / 3.0
    hi = max(max(vals), GO_STARVATION_THRESHOLD_NS) * 12.0
    ax_b.set_xlim(lo, hi)
    _ns_axis(ax_b, "x")
    for y, lock in zip(ys, order):
        r = bars[lock]
        mx, p99 = r.value("victim_wait_max_ns"), r.value("victim_wait_p99_ns")
        acq = r.value("victim_acq", r.value("victim_wait_count"))
        emx, ep99 = (e[1] if e else 0.0 for e in errs[lock])
        if mx is not None and mx > 0:
            bounded = mx <= _BOUNDED_FACTOR * GO_STARVATION_THRESHOLD_NS
            ax_b.text(max(mx, emx) * 1.12, y + h / 2,
                      "max %s%s" % (fmt_ns(mx), "  ✓ ≤ 2 ms" if bounded else ""),
                      va="center", ha="left", fontsize=7.5,
                      color="#1e7e34" if bounded else "#222222",
                      fontweight="bold" if bounded else "normal", zorder=4)
        if p99 is not None and p99 > 0:
            ax_b.text(max(p99, ep99) * 1.12, y - h / 2, "p99 %s" % fmt_ns(p99), va="center",
                      ha="left",
                      fontsize=7, color="#555555", zorder=4)
        if acq is not None and acq <= 0:
            ax_b.text(lo * 1.3, y, "victim never acquired", va="center", ha="left",
                      fontsize=7.5, color="#c00000", zorder=4)
    _threshold_line(ax_b)
    ax_b.text(GO_STARVATION_THRESHOLD_NS, n - 0.45, " 1 ms: Go starvation threshold",
              color="#c00000", fontsize=8, ha="left", va="bottom")
    ax_b.set_yticks(ys)
    ax_b.set_yticklabels(order, fontsize=8.5)
    for tick, lock in zip(ax_b.get_yticklabels(), order):
        if style.base_name(lock) in _LOCKSKEW_FOCUS:
            tick.set_fontweight("bold")
    ax_b.set_ylim(-0.7, n - 0.1)
    ax_b.grid(axis="y", visible=False)
    ax_b.set_xlabel("victim's wait for the lock (log)")
    ax_b.set_title("Victim's worst (solid) and p99 (hatched) wait")

    if ax_c is not None:
        # The designs the scenario is about drawn bold, the rest thin behind.
        focus = [lk for lk in reg.ordered(curves) if style.base_name(lk) in _LOCKSKEW_FOCUS]
        rest = [lk for lk in reg.ordered(curves) if lk not in focus]
        handles, labels = [], []
        for lock in rest + focus:
            xs, ys = curves[lock]
            strong = lock in focus
            (line,) = ax_c.step(xs, ys, where="pre", color=reg.colour(lock),
                                linewidth=2.4 if strong else 1.0,
                                alpha=1.0 if strong else 0.55, zorder=4 if strong else 2)
            handles.append(line)
            labels.append(lock)
        order_ = [labels.index(lk) for lk in focus + rest]
        handles = [handles[i] for i in order_]
        labels = [labels[i] for i in order_]
        _ns_axis(ax_c, "x")
        _prob_axis(ax_c)
        ymin = min(min(y) for _, y in curves.values())
        ax_c.set_ylim(ymin / 2.0, 1.3)
        th = _threshold_line(ax_c)
        ax_c.set_xlabel("victim's wait time x")
        ax_c.set_ylabel("P(victim's wait > x)  (log)")
        ax_c.set_title("Victim's wait-time tail")
        leg = ax_c.legend(handles + [th], labels + ["1 ms threshold"], loc="lower left",
                          fontsize=7.5, ncol=2, frameon=True, framealpha=0.9)
        for text in leg.get_texts()[:len(focus)]:
            text.set_fontweight("bold")
    setup = suite.context.get("lockskew")
    title = "Lockskew: a hog re-acquires in a tight loop, a victim asks now and then"
    if isinstance(setup, str) and setup:
        title += "\n(%s)" % setup
    fig.suptitle(title)
    fig.tight_layout()
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "starvation_lockskew.png")
    caption = ""
    if ax_c is not None:
        caption += ("Left: complementary CDF of the victim's waits (last repetition, from "
                    "%s), GoMutex, GoMutex2015 and SpinLock drawn bold. Right: " % HIST_FILE)
    caption += ("the victim's longest wait (solid) and 99th-percentile wait (hatched) per "
                "lock, medians over repetitions, sorted with the best-bounded victim at "
                "the top; the dashed red line is Go's 1 ms starvation threshold. A design "
                "with Go's starvation mode (GoMutex) hands the lock to a waiter that has "
                "waited past 1 ms, so its victim's worst wait should stay near the line; "
                "designs without it (GoMutex2015, SpinLock, ...) leave the victim to "
                "chance. A worst wait within %s× of 1 ms is marked \"≤ 2 ms\" (bounded)."
                % ("%g" % _BOUNDED_FACTOR))
    caption += " " + spread_caption(n_reps)
    if ax_c is None:
        caption += (" The victim's CCDF is not drawn: %s."
                    % (side.reason or "no histogram for these runs"))
    return fname, caption


# --------------------------------------------------------------------------
# (c) reader / writer
# --------------------------------------------------------------------------

def _rw_figure(run_dir, suite):
    data = rw_results(suite)
    reg = registry(suite)
    if not data:
        return None
    pcts = sorted(set(p for per in data.values() for p in per))
    locks = list(data)
    styles = _line_styles(locks)
    panels = [("writer", "p99"), ("writer", "max"), ("reader", "p99"), ("reader", "max")]
    fig, axes = draw.new_figure(11.0, 8.0, nrows=2, ncols=2, sharex=True)
    drawn = set()
    all_vals = []
    for k, (who, stat) in enumerate(panels):
        ax = axes[k // 2][k % 2]
        for lock in locks:
            pts, errs = [], []
            for i, p in enumerate(pcts):
                r = data[lock].get(p)
                if r is None:
                    continue
                cnt = r.value("%s_wait_count" % who)
                v = r.value("%s_wait_%s_ns" % (who, stat))
                # No acquisitions of this kind (0 % reads has no readers).
                if v is None or v <= 0 or (cnt is not None and cnt <= 0):
                    continue
                pts.append((i, v))
                errs.append(spread(suite, r, "%s_wait_%s_ns" % (who, stat)))
            if pts:
                ax.plot([i for i, _ in pts], [v for _, v in pts], color=reg.colour(lock),
                        linestyle=styles[lock], marker=style.marker(lock), markersize=5,
                        linewidth=1.7, zorder=3)
                errs = [(e[0] if e[0] > 0 else v / 1e3, e[1]) if e and e[1] > 0 else None
                        for (_, v), e in zip(pts, errs)]   # log axis: no 0
                draw.whiskers(ax, [i for i, _ in pts], [v for _, v in pts], errs,
                              colour=reg.colour(lock), capsize=2)
                drawn.add(lock)
                all_vals.extend(v for _, v in pts)
        ax.set_title("%s wait, %s" % (who, "worst (max)" if stat == "max" else "p99"))
        if k % 2 == 0:
            ax.set_ylabel("%s's wait (log)" % who)
        if k >= 2:
            ax.set_xlabel("reads (% of acquisitions)")
    if not all_vals:
        import matplotlib.pyplot as plt
        plt.close(fig)
        return None
    # One range for all panels, the 1 ms line always inside it.
    lo = min(min(all_vals) / 2.0, GO_STARVATION_THRESHOLD_NS / 2)
    hi = max(max(all_vals) * 2.0, GO_STARVATION_THRESHOLD_NS * 2)
    for row in axes:
        for ax in row:
            _ns_axis(ax, "y")
            ax.set_ylim(lo, hi)
            _threshold_line(ax, vertical=False)
            ax.set_xticks(range(len(pcts)))
            ax.set_xticklabels(["%s %%" % fmt_num(p) for p in pcts])
            ax.tick_params(labelbottom=True)
            ax.set_xlim(-0.3, len(pcts) - 0.7)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=reg.colour(lk), linestyle=styles[lk],
                      marker=style.marker(lk), linewidth=1.7) for lk in locks if lk in drawn]
    labels = [lk for lk in locks if lk in drawn]
    handles.append(Line2D([], [], color="#c00000", linestyle=(0, (4, 2)), linewidth=1.3))
    labels.append("1 ms")
    threads = sorted(set(r.threads for per in data.values() for r in per.values()))
    draw.finish_with_header(
        fig, "Reader/writer locks: who waits as reads dominate (%s threads)"
        % "/".join(str(t) for t in threads), handles, labels, ncol=min(len(labels), 5))
    n_reps = spread_n(suite, [r for per in data.values() for r in per.values()])
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "starvation_rw.png")
    caption = ("Wait of writers (top) and readers (bottom) on each reader/writer lock as "
               "the share of reads grows: 99th percentile (left) and worst wait (right), "
               "medians over repetitions, log scale. Writer starvation shows as a writer "
               "worst wait that climbs with the read share (readers keep the lock shared "
               "and a waiting writer never gets in). With 0 % reads there are no reader "
               "waits to plot. " + spread_caption(n_reps, kind="Error bars"))
    return fname, caption


# --------------------------------------------------------------------------
# (d) percentile ladder
# --------------------------------------------------------------------------

def _percentiles_figure(run_dir, suite):
    t_max, placement, by_lock = hammer_headline(suite)
    reg = registry(suite)
    if not by_lock:
        return None
    order = sorted(by_lock, key=lambda lk: (by_lock[lk].value("wait_p99_ns") or 0.0,
                                            by_lock[lk].value("wait_max_ns") or 0.0,
                                            reg.sort_key(lk)))
    n = len(order)
    fig, axes = draw.new_figure(9.5, max(3.6, 1.5 + 0.4 * n))
    ax = axes[0][0]
    ys = list(range(n))[::-1]
    vals = []
    for y, lock in zip(ys, order):
        r = by_lock[lock]
        pts = [(r.value("wait_%s_ns" % key), key) for key, _ in PERCENTILES]
        pts = [(v, key) for v, key in pts if v is not None and v > 0]
        if not pts:
            continue
        colour = reg.colour(lock)
        ax.plot([pts[0][0], pts[-1][0]], [y, y], color=colour, linewidth=1.6, alpha=0.6,
                zorder=2)
        for v, key in pts:
            # Lower percentiles are drawn larger and first, so equal values
            # nest (circle around square around diamond) instead of hiding.
            ax.scatter([v], [y], marker=_PCT_MARKERS[key], s=_PCT_SIZE[key], color=colour,
                       edgecolors="#222222", linewidths=0.6, zorder=3 + _PCT_Z[key])
            vals.append(v)
            err = spread(suite, r, "wait_%s_ns" % key)
            if err and err[0] > 0:   # log axis
                # Each percentile's whisker on its own sub-row under the
                # ladder (p50 highest, max lowest), so overlapping spans
                # stay apart.
                draw.whiskers(ax, [y + 0.3 - 0.12 * _PCT_Z[key]], [v], [err], horizontal=True,
                              capsize=1.5)
                vals.append(err[1])
    if not vals:
        import matplotlib.pyplot as plt
        plt.close(fig)
        return None
    ax.set_xlim(min(vals) / 2.0, max(max(vals), GO_STARVATION_THRESHOLD_NS) * 3.0)
    _ns_axis(ax, "x")
    _threshold_line(ax)
    ax.set_yticks(ys)
    ax.set_yticklabels(order, fontsize=8.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("wait for the lock (log)")
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], linestyle="none", marker=_PCT_MARKERS[k], color="#888888",
                      markeredgecolor="#222222", markersize=math.sqrt(_PCT_SIZE[k]))
               for k, _ in PERCENTILES]
    labels = [lab for _, lab in PERCENTILES]
    handles.append(Line2D([], [], color="#c00000", linestyle=(0, (4, 2)), linewidth=1.3))
    labels.append("1 ms")
    draw.finish_with_header(fig, "Wait percentiles — %d threads, placement %s"
                            % (t_max, placement), handles, labels, ncol=len(labels))
    n_reps = spread_n(suite, list(by_lock.values()))
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "starvation_percentiles.png")
    caption = ("The hammer's wait percentiles per lock at %d threads, placement %s "
               "(medians over repetitions): p50, p90, p99, p99.9 and the worst wait, joined "
               "by a line in the lock's colour; locks sorted by p99, shortest at the top. "
               "The same numbers are in the first table below. " % (t_max, placement)
               + spread_caption(n_reps, "the repetitions of each percentile"))
    if n_reps >= SPREAD_MIN_REPETITIONS:
        caption += " One whisker sub-row per percentile: p50 at the top, max at the bottom."
    return fname, caption


# --------------------------------------------------------------------------
# Module interface
# --------------------------------------------------------------------------

def figures(run_dir, suite_data, context):
    side = _hist_side(run_dir, suite_data)
    return draw.drawn(_hammer_ccdf_figure(run_dir, suite_data, side),
                      _lockskew_figure(run_dir, suite_data, side),
                      _rw_figure(run_dir, suite_data),
                      _percentiles_figure(run_dir, suite_data))


def summary_rows(run_dir, suite_data, context):
    tables = []
    t_max, placement, by_lock = hammer_headline(suite_data)
    if by_lock:
        rows = []
        for lock, r in by_lock.items():
            rows.append([lock] + [fmt_ns(r.value("wait_%s_ns" % k)) for k, _ in PERCENTILES] +
                        [fmt_num(r.value("wait_count")), fmt_num(r.value("acq_per_s"))])
        tables.append(Table("Hammer wait percentiles at %d threads, placement %s (medians "
                            "over repetitions)" % (t_max, placement),
                            ["lock"] + [lab for _, lab in PERCENTILES] + ["waits", "acq/s"],
                            rows))
    skew = lockskew_results(suite_data)
    if skew:
        rows = []
        for lock, r in skew.items():
            mx = r.value("victim_wait_max_ns")
            rows.append([lock] +
                        [fmt_ns(r.value("victim_wait_%s_ns" % k)) for k, _ in PERCENTILES] +
                        [fmt_num(mx / GO_STARVATION_THRESHOLD_NS) if mx is not None else "—",
                         fmt_num(r.value("victim_acq")), fmt_num(r.value("hog_acq")),
                         fmt_ns(r.value("hog_wait_max_ns"))])
        tables.append(Table("Lockskew: the victim's wait (medians over repetitions)",
                            ["lock"] + ["victim %s" % lab for _, lab in PERCENTILES] +
                            ["max / 1 ms", "victim acq", "hog acq", "hog max wait"], rows))
    rw = rw_results(suite_data)
    if rw:
        rows = []
        for lock, per in rw.items():
            for pct, r in per.items():
                rows.append([lock, "%s %%" % fmt_num(pct), str(r.threads),
                             fmt_ns(r.value("reader_wait_p99_ns")) if r.value("reader_wait_count")
                             else "—",
                             fmt_ns(r.value("reader_wait_max_ns")) if r.value("reader_wait_count")
                             else "—",
                             fmt_ns(r.value("writer_wait_p99_ns")) if r.value("writer_wait_count")
                             else "—",
                             fmt_ns(r.value("writer_wait_max_ns")) if r.value("writer_wait_count")
                             else "—",
                             fmt_num(r.value("acq_per_s"))])
        tables.append(Table("Reader/writer locks (medians over repetitions)",
                            ["lock", "reads", "threads", "reader p99", "reader max",
                             "writer p99", "writer max", "acq/s"], rows))
    return tables


def notes(run_dir, suite_data, context):
    out = []
    has_hist_users = bool(suite_data.family(HAMMER) or suite_data.family(LOCKSKEW))
    if has_hist_users:
        side = _hist_side(run_dir, suite_data)
        if not side.ok:
            out.append("Wait-time CCDFs not drawn: %s (the lockskew figure shows its bars "
                       "only)." % side.reason)
    if suite_data.family(LOCKSKEW):
        setup = suite_data.context.get("lockskew")
        out.append("Lockskew%s: Go's sync.Mutex switches to starvation mode once a waiter "
                   "has waited more than 1 ms and then hands the lock straight to the "
                   "longest waiter, so the victim's worst wait should stay near 1 ms plus "
                   "a hand-off; designs without that mode let the hog re-acquire as long "
                   "as it wins the race. On a virtual or oversubscribed machine, threads "
                   "descheduled by the OS add waits no lock design can bound."
                   % (" (%s)" % setup if isinstance(setup, str) and setup else ""))
        rt = [r.value("realtime") for r in lockskew_results(suite_data).values()]
        rt = [v for v in rt if v is not None]
        if rt:
            n_rt = sum(1 for v in rt if v >= 0.5)
            out.append("Lockskew scheduling: %d of %d locks ran hog and victim under "
                       "SCHED_FIFO%s." % (n_rt, len(rt), "" if n_rt == len(rt) else
                                          " (the others ran at normal priority: see each "
                                          "result's label for why)"))
    instr = [r for r in suite_data.results if is_instrumented(r.get("lock", ""))]
    if instr:
        out.append("Instrumented (_instr) locks appear with their base lock's colour.")
    return out


# --------------------------------------------------------------------------
# Comparison of two runs (compare.py)
# --------------------------------------------------------------------------

def _compare_registry(side_a, side_b):
    return registry(side_a.suite).merged(registry(side_b.suite))


def compare_figures(out_dir, side_a, side_b):
    reg = _compare_registry(side_a, side_b)
    heads = [hammer_headline(s.suite) if s.suite else (None, None, OrderedDict())
             for s in (side_a, side_b)]
    skews = [lockskew_results(s.suite) if s.suite else OrderedDict() for s in (side_a, side_b)]
    panels = []
    sides = (side_a, side_b)

    def errs(per_side, key):
        return [{lk: spread(sides[i].suite, r, key) for lk, r in d.items()}
                for i, d in enumerate(per_side)]
    p99 = [{lk: r.value("wait_p99_ns") for lk, r in h[2].items()} for h in heads]
    if any(v for d in p99 for v in d.values()):
        panels.append(("Hammer p99 wait (each run's headline point)", p99,
                       errs([h[2] for h in heads], "wait_p99_ns")))
    vmax = [{lk: r.value("victim_wait_max_ns") for lk, r in sk.items()} for sk in skews]
    if any(v for d in vmax for v in d.values()):
        panels.append(("Lockskew: the victim's worst wait", vmax,
                       errs(skews, "victim_wait_max_ns")))
    n_reps = max(spread_n(sides[i].suite, list(heads[i][2].values()) + list(skews[i].values()))
                 for i in range(2))
    if not panels:
        return []
    locks = reg.ordered([lk for _, per, _ in panels for d in per for lk in d])
    fig, axes = draw.new_figure(max(8.0, 1.5 + 0.75 * len(locks)), 4.1 * len(panels) + 0.8,
                                nrows=len(panels))
    for ax, (title, per, err) in zip(axes[:, 0], panels):
        clean = [{lk: v for lk, v in d.items() if v is not None and v > 0} for d in per]
        err = [{lk: e for lk, e in d.items() if e and e[0] > 0} for d in err]  # log axis
        compare_bars(ax, locks, clean, label_fmt=fmt_ns, colour=reg.colour, errs=err)
        vals = [v for d in clean for v in d.values()] + [e[1] for d in err for e in d.values()]
        ax.set_yscale("log")
        ax.set_ylim(min(vals + [GO_STARVATION_THRESHOLD_NS]) / 3.0,
                    max(vals + [GO_STARVATION_THRESHOLD_NS]) * 8.0)
        _ns_axis(ax, "y")
        _threshold_line(ax, vertical=False)
        ax.set_title(title)
        ax.set_ylabel("wait (log)")
    h, lab = draw.run_hatch_handles(side_a.label, side_b.label)
    draw.finish_with_header(fig, "Lock wait tails: A vs B", h, lab, ncol=2)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, out_dir, "compare_starvation.png")
    caption = ("Hammer p99 wait at each run's largest thread count (placement none) and "
               "the lockskew victim's worst wait, medians over repetitions, log scale. "
               "Solid = run A, hatched = run B; colour = lock; dashed red: 1 ms. "
               + spread_caption(n_reps, "each run's repetitions"))
    return [(fname, caption)]


def compare_tables(side_a, side_b):
    heads = [hammer_headline(s.suite) if s.suite else (None, None, OrderedDict())
             for s in (side_a, side_b)]
    skews = [lockskew_results(s.suite) if s.suite else OrderedDict() for s in (side_a, side_b)]
    locks = _compare_registry(side_a, side_b).ordered(
        list(heads[0][2]) + list(heads[1][2]) + list(skews[0]) + list(skews[1]))
    if not locks:
        return []
    rows = []
    for lock in locks:
        ra, rb = heads[0][2].get(lock), heads[1][2].get(lock)
        sa, sb = skews[0].get(lock), skews[1].get(lock)
        rows.append([lock,
                     fmt_ns(ra.value("wait_p99_ns")) if ra else "—",
                     fmt_ns(rb.value("wait_p99_ns")) if rb else "—",
                     fmt_ns(sa.value("victim_wait_max_ns")) if sa else "—",
                     fmt_ns(sb.value("victim_wait_max_ns")) if sb else "—"])
    return [Table("Hammer p99 wait (A at %s threads, B at %s) and lockskew victim max wait"
                  % (heads[0][0] or "—", heads[1][0] or "—"),
                  ["lock", "A hammer p99", "B hammer p99", "A victim max", "B victim max"],
                  rows)]

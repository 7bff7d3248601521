"""Figures and tables of the channels suite (channels.json, channels_hist.json).

Family read (suites/channels/channels.cc; the Go peer adds impl:go_chan):
  channels/impl:I[/model:goroutine]/case:C/cap:K/msg:B/threads:T[/work_ns:W]
           [/neighbour:busy]
      ns_per_msg (run time per message; pingpong: per one-way message,
      try_recv: per call, close: close() -> last receiver running, per round,
      handoff_runon: send -> the receiver running, the mean),
      msgs_per_s, lat_p50_ns / lat_p99_ns / lat_p999_ns, cpu_ns_per_msg,
      ctx_switches_per_msg, units, messages; Chan also blocked_per_msg,
      parks_per_msg, lock_contended_per_msg; goroutine rows the runtime's
      g_*_per_msg; handoff_runon also lat_max_ns.
  "threads" is the name's key (every thread of the case), not Google
  Benchmark's threads field (always 1: the suite runs its own threads).
  The threading-model axis: a row with model:goroutine is drawn as the
  implementation "Chan_goroutine" (Chan with every party a goroutine; a
  light shade of Chan's colour, hatched), so every figure shows thread vs
  goroutine vs Go side by side. Rows with neighbour:busy (the noisy
  neighbour) appear only in channels_models.png and the model table.
Side file channels_hist.json: {benchmark name without GB suffixes:
  {"what", "unit", "sample_every", "count", "min", "max",
   "buckets": [[upper_ns, count], ...]}} (last repetition).

Figures
  channels_crossbeam.png  crossbeam-style 2x2 grouped bars, ns per message
                          (log): capacity 0 / capacity 1 / capacity 16 and
                          1024 / unbounded; cases seq spsc mpsc mpmc
                          select_rx select_both (8-byte messages; mpsc/mpmc at
                          their largest thread count); one bar per
                          implementation.
  channels_threads.png    ns per message against threads: rows mpsc, mpmc;
                          one column per capacity; spsc is the 2-thread point.
  channels_go_cases.png   the Go runtime benchmark cases: pingpong,
                          prodcons, try_recv, popular, close, message sizes.
  channels_latency_cdf.png  latency CDF per implementation for the headline
                          cases and spsc unbounded, pingpong, popular and
                          close (needs channels_hist.json).
  channels_models.png     thread vs goroutine vs Go per case: Chan on
                          threads, Chan on goroutines and go_chan, ns per
                          message (log) for the matrix cases at caps 0, 1,
                          16, 1024 and the oversubscribed mpmc, one row
                          quiet and one row with the noisy neighbour.
  channels_handoff_runon.png  handoff_runon (a hand-off, then the sender
                          runs on W ns without blocking): the receiver's
                          wake latency p50 (top) and p99 (bottom) per W, one
                          column per capacity, for the three models.
Comparison (compare.py): compare_channels.png, Chan and go_chan ns per
  message for the crossbeam cases, run A solid, run B hatched; a table of
  both implementations' ns per message in A and B.
Tables
  Chan vs Go: Chan ns/msg / go_chan ns/msg for every case both ran, the
  headline cases (spsc cap 1024, mpmc cap 1024, spsc cap 0) first, with
  Chan on goroutines ÷ Go beside it, both ratios again over only the
  repetitions that met one machine state (state_split, same_state_ratio),
  and each row's line hand-off probe; the notes count the cases at or
  below Go both ways.
  The model table: Chan on threads, on goroutines and go_chan, quiet and
  with the neighbour, and the neighbour's slowdown of each.
  The hand-off-then-run-on table: p50 / p99 / max wake latency per model
  and W, with Chan on goroutines' deferred idle-M wakes per message (set,
  and made after all) — scheduler.cc's "Deferring the wake of a hand-off".
  ns per message of every implementation per case; latency percentiles.
"""

import statistics
from collections import OrderedDict

import draw
import style
from common import (STATE_APART, SideFile, Table, as_number, fmt_num, histogram_pairs,
                    probes_apart, save_figure, spread, spread_caption, spread_n)
from draw import fmt_ns, ns_tick

TITLE = "Channels: Chan<T> vs Go, Boost.Fiber, moodycamel and TBB"

FAMILY = "channels"
HIST_FILE = "channels_hist.json"
CHAN = "Chan"
GO = "go_chan"
# Chan with every party a goroutine (model:goroutine rows).
CHAN_G = "Chan_goroutine"
MODEL_IMPLS = [CHAN, CHAN_G, GO]
MODEL_LABELS = {CHAN: "Chan, threads", CHAN_G: "Chan, goroutines", GO: "Go's chan"}
# The cases of the model figure (8-byte messages, caps 0..1024).
MODEL_CASES = ["spsc", "mpsc", "mpmc", "select_rx", "select_both", "pingpong"]
MODEL_CAPS = ["0", "1", "16", "1024"]

IMPL_ORDER = [CHAN, CHAN_G, GO, "boost_fiber", "moodycamel_blocking", "moodycamel_rw",
              "moodycamel_rw_circular", "tbb_bounded_queue"]
CASE_ORDER = ["seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both", "pingpong",
              "prodcons", "try_recv", "popular", "close", "handoff_runon"]
# A hand-off, then the sender runs on without blocking (issue 11): the
# receiver's wake latency, for the three models only.
RUNON = "handoff_runon"
CROSSBEAM_CASES = ["seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"]
GO_CASES = ["pingpong", "prodcons", "try_recv", "popular", "close"]
CAP_ORDER = ["0", "1", "16", "1024", "unbounded"]
# Panels of the crossbeam figure: (title, capacities).
CROSSBEAM_PANELS = [("capacity 0 (rendezvous)", ["0"]), ("capacity 1", ["1"]),
                    ("capacity 16 and 1024", ["16", "1024"]), ("unbounded", ["unbounded"])]
# (case, cap) pairs whose ratio is the suite's headline (the bar:
# Chan at least as fast as Go's chan).
HEADLINE = [("spsc", "1024"), ("mpmc", "1024"), ("spsc", "0")]


# --------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------

class Row:
    """One channels result: impl, case, cap, msg, threads, work and values."""

    __slots__ = ("impl", "case", "cap", "msg", "threads", "work", "neighbour", "result",
                 "suite")

    def __init__(self, r, suite=None):
        self.result = r
        self.suite = suite
        self.impl = r.params.get("impl", "?")
        if r.params.get("model") == "goroutine":
            self.impl = self.impl + "_goroutine"
        self.neighbour = bool(r.params.get("neighbour"))
        self.case = r.params.get("case", "?")
        self.cap = r.params.get("cap", "?")
        self.msg = r.params.get("msg", "8")
        self.threads = r.threads
        self.work = r.params.get("work_ns")

    def key(self):
        """The case without the implementation."""
        return (self.case, self.cap, self.msg, self.threads, self.work)

    def value(self, k):
        return self.result.value(k)

    @property
    def ns(self):
        v = self.result.value("ns_per_msg")
        if v is None and self.result.value("msgs_per_s"):
            v = 1e9 / self.result.value("msgs_per_s")
        return v

    @property
    def ns_spread(self):
        """p10-p90 of the time per message over the repetitions, or None."""
        if self.result.value("ns_per_msg") is not None:
            return spread(self.suite, self.result, "ns_per_msg")
        return spread(self.suite, self.result, "msgs_per_s", lambda v: 1e9 / max(v, 1e-300))


def reps_of(rows):
    """How many repetitions the rows' values fold (common.spread_n)."""
    return spread_n(rows[0].suite, [r.result for r in rows]) if rows else 0


def all_rows_of(suite):
    """Every row, the noisy neighbour's included."""
    return [Row(r, suite) for r in suite.family(FAMILY)
            if r.params.get("impl") and r.params.get("case")]


def rows_of(suite):
    """The quiet rows (no noisy neighbour): what every figure but the model
    figure draws."""
    return [r for r in all_rows_of(suite) if not r.neighbour]


def hatch_of(impl):
    """Goroutine rows are hatched: the model is the second dimension."""
    return ".." if impl.endswith("_goroutine") else ""


def impls_of(rows):
    return style.ordered([r.impl for r in rows], IMPL_ORDER)


def _key_sort(key):
    case, cap, msg, threads, work = key
    ci = CASE_ORDER.index(case) if case in CASE_ORDER else len(CASE_ORDER)
    ki = CAP_ORDER.index(cap) if cap in CAP_ORDER else len(CAP_ORDER)
    return (ci, ki, as_number(msg, 0), threads, as_number(work, -1) if work is not None else -1)


def work_label(work):
    """"100 ns", "50 µs", "20 ms": a work_ns value in its unit."""
    w = as_number(work)
    if w is None or w < 10_000:
        return "%s ns" % work
    if w < 10_000_000:
        return "%g µs" % (w / 1e3)
    return "%g ms" % (w / 1e6)


def key_label(key, with_threads=True):
    """"spsc cap 1024" (+ " 64 B", " 4 threads", " work 100 ns")."""
    case, cap, msg, threads, work = key
    parts = ["%s cap %s" % (case, cap)]
    if msg != "8":
        parts.append("%s B" % msg)
    if with_threads and case in ("mpsc", "mpmc", "popular", "close"):
        parts.append("%s threads" % threads)
    if work is not None:
        parts.append("work %s" % work_label(work))
    return ", ".join(parts)


def by_key(rows):
    """{key: {impl: Row}} ordered by case."""
    out = {}
    for r in rows:
        out.setdefault(r.key(), {})[r.impl] = r
    return OrderedDict((k, out[k]) for k in sorted(out, key=_key_sort))


def _max_threads(rows, case, cap, msg="8"):
    ts = [r.threads for r in rows if r.case == case and r.cap == cap and r.msg == msg]
    return max(ts) if ts else None


def _ns_log_axis(ax):
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=10))
    ax.yaxis.set_major_formatter(FuncFormatter(ns_tick))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _bars_panel(ax, cats, per_impl, title, labels, errs=None):
    """Grouped bars (log scale) of {impl: {cat: ns}}, whiskers from errs
    {impl: {cat: (p10, p90)}}; returns legend pairs."""
    series = [draw.Series(impl, style.colour(impl), hatch_of(impl), vals,
                          (errs or {}).get(impl))
              for impl, vals in per_impl.items()
              if any(vals.get(c) is not None for c in cats)]
    h, lab = draw.grouped_bars(ax, cats, series, label_fmt=lambda v: fmt_ns(v).replace(" ", "\u2009"))
    vals = [v for s in series for v in s.values.values() if v] + \
        [e[1] for s in series for e in (s.err or {}).values() if e]
    _ns_log_axis(ax)
    if vals:
        ax.set_ylim(min(vals) / 2.0, max(vals) * 6.0)
    ax.set_xticklabels(labels)
    if title:
        ax.set_title(title)
    return h, lab


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def _crossbeam_figure(run_dir, rows):
    data = [r for r in rows if r.case in CROSSBEAM_CASES and r.msg == "8" and r.ns]
    if not data:
        return None
    fig, axes = draw.new_figure(15.0, 9.4, nrows=2, ncols=2)
    handles, labels, drawn_rows = [], [], []
    for ax, (title, caps) in zip(axes.flat, CROSSBEAM_PANELS):
        cats, cat_labels, per_impl = [], [], OrderedDict((i, {}) for i in impls_of(data))
        errs = {i: {} for i in per_impl}
        for cap in caps:
            for case in CROSSBEAM_CASES:
                top = _max_threads(data, case, cap)
                pick = [r for r in data if r.case == case and r.cap == cap and r.threads == top]
                if not pick:
                    continue
                cats.append((case, cap))
                suffix = ("\n%d thr" % top) if case in ("mpsc", "mpmc") else ""
                cat_labels.append(case + (("\ncap %s" % cap) if len(caps) > 1 else "") + suffix)
                for r in pick:
                    per_impl[r.impl][(case, cap)] = r.ns
                    errs[r.impl][(case, cap)] = r.ns_spread
                    drawn_rows.append(r)
        if not cats:
            draw.message_panel(ax, title, "no implementation measured this capacity")
            continue
        h, lab = _bars_panel(ax, cats, per_impl, title, cat_labels, errs)
        if len(cats) > 6:
            ax.tick_params(axis="x", labelsize=7.5)
        for hh, ll in zip(h, lab):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
        ax.set_ylabel("time per message (log)")
    order = style.ordered(labels, IMPL_ORDER)
    handles = [handles[labels.index(x)] for x in order]
    draw.finish_with_header(fig, "Channel throughput, crossbeam's benchmark matrix", handles, order,
                            ncol=min(len(order), 7))
    n = reps_of(drawn_rows)
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "channels_crossbeam.png")
    return fname, ("Time per message (run time divided by messages moved, median over repetitions; "
                   "lower is better; log scale) for crossbeam-channel's cases, one panel per "
                   "capacity and one bar per implementation. seq: one thread fills and drains "
                   "the buffer; spsc/mpsc/mpmc: producers and consumers on separate threads; "
                   "select_rx / select_both: 4 channels under Go-style select. 8-byte messages; "
                   "mpsc and mpmc at their largest thread count. An implementation without a "
                   "bar cannot express that case (no rendezvous, no select, no bound, or SPSC "
                   "only). " + spread_caption(n))


def _threads_figure(run_dir, rows):
    data = [r for r in rows if r.msg == "8" and r.ns and r.case in ("spsc", "mpsc", "mpmc")]
    cases = [c for c in ("mpsc", "mpmc") if any(r.case == c for r in data)]
    caps = style.ordered([r.cap for r in data if r.case in cases], CAP_ORDER)
    if not cases or not caps:
        return None
    fig, axes = draw.new_figure(max(4.5, 3.3 * len(caps)) + 0.4, 3.2 * len(cases) + 1.0,
                                nrows=len(cases), ncols=len(caps))
    seen = []
    for ri, case in enumerate(cases):
        for ci, cap in enumerate(caps):
            ax = axes[ri][ci]
            cell = [r for r in data if r.cap == cap and r.case in (case, "spsc")]
            impls = impls_of([r for r in cell if r.case == case])
            if not impls:
                draw.message_panel(ax, "%s — cap %s" % (case, cap), "not measured")
                continue
            threads = []
            for impl in impls:
                mine = sorted((r for r in cell if r.impl == impl), key=lambda r: r.threads)
                pts = [(r.threads, r.ns) for r in mine]
                if not pts:
                    continue
                threads += [t for t, _ in pts]
                ax.plot([t for t, _ in pts], [v for _, v in pts], color=style.colour(impl),
                        marker=style.marker(impl), linewidth=1.8, markersize=5, zorder=3)
                draw.whiskers(ax, [t for t, _ in pts], [v for _, v in pts],
                              [r.ns_spread for r in mine], colour=style.colour(impl), capsize=2)
                if impl not in seen:
                    seen.append(impl)
            ax.set_title("%s — cap %s" % (case, cap))
            draw.thread_axis(ax, threads)
            _ns_log_axis(ax)
            if ci == 0:
                ax.set_ylabel("time per message (log)")
    handles, labels = draw.path_layout_handles(style.ordered(seen, IMPL_ORDER), [])
    draw.finish_with_header(fig, "Time per message against threads", handles, labels,
                            ncol=min(len(labels), 7))
    n = reps_of([r for r in data if r.case in cases or r.case == "spsc"])
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "channels_threads.png")
    return fname, ("Time per message (median over repetitions, log scale) against the number of "
                   "threads of the case: mpsc = threads-1 producers and 1 consumer, mpmc = half "
                   "producers, half consumers; the 2-thread point is spsc. One column per "
                   "capacity, 8-byte messages, one line per implementation. "
                   + spread_caption(n, kind="Error bars"))


def _go_cases_figure(run_dir, rows):
    data = [r for r in rows if r.ns and (r.case in GO_CASES or r.msg != "8")]
    if not data:
        return None
    keys = sorted(set(r.key() for r in data), key=_key_sort)
    per_impl = OrderedDict((i, {}) for i in impls_of(data))
    errs = {i: {} for i in per_impl}
    for r in data:
        per_impl[r.impl][r.key()] = r.ns
        errs[r.impl][r.key()] = r.ns_spread
    width = max(9.0, min(22.0, 2.0 + len(keys) * (0.3 + 0.16 * len(per_impl))))
    fig, axes = draw.new_figure(width, 5.6)
    ax = axes[0][0]
    labels = []
    for k in keys:
        text = key_label(k).replace(", ", "\n").replace(" cap ", "\ncap ")
        labels.append(text)
    h, lab = _bars_panel(ax, keys, per_impl, None, labels, errs)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.set_ylabel("time per message / round trip leg /\ncall / wake-up (log)")
    order = style.ordered(lab, IMPL_ORDER)
    h = [h[lab.index(x)] for x in order]
    draw.finish_with_header(fig, "Go runtime benchmark cases and message sizes", h, order,
                            ncol=min(len(order), 7))
    n = reps_of(data)
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "channels_go_cases.png")
    return fname, ("The cases of Go's runtime chan benchmarks (median over repetitions, lower is "
                   "better, log scale): pingpong = time per one-way message of a round trip over "
                   "two channels; prodcons = 1 producer and 1 consumer with 0 or 100 ns of local "
                   "work per message; try_recv = one non-blocking receive on an empty channel; "
                   "popular = time per message when K receivers each select on one shared, "
                   "never-ready channel and their own; close = close() until the last of K "
                   "blocked receivers runs again. Then spsc with 64-byte and 1 KiB messages. "
                   + spread_caption(n))


def _cdf(buckets):
    # Bounds below 1 ns are drawn at 1 ns (log axis); clamping keeps the order.
    pairs = [(max(ub, 1.0), c) for ub, c in histogram_pairs(buckets)]
    total = sum(c for _, c in pairs)
    if total <= 0:
        return None
    xs, ys, seen = [], [], 0.0
    for ub, c in pairs:
        seen += c
        xs.append(ub)
        ys.append(seen / total)
    return xs, ys


def latency_panels(rows):
    """[(title, [Row])]: the headline cases with a latency per implementation."""
    panels = []
    wanted = [("spsc", "0", "8"), ("spsc", "1024", "8"), ("mpmc", "1024", "8"),
              ("spsc", "unbounded", "8"), ("pingpong", "0", "8"), ("popular", "0", "8"),
              ("close", "0", "8")]
    for case, cap, msg in wanted:
        top = _max_threads(rows, case, cap, msg)
        pick = [r for r in rows if (r.case, r.cap, r.msg) == (case, cap, msg) and r.threads == top]
        if pick:
            panels.append((key_label(pick[0].key()), pick))
    return panels


def _latency_figure(run_dir, rows, side):
    if not side.ok:
        return None
    panels = []
    for title, pick in latency_panels(rows):
        curves = OrderedDict()
        what = None
        for r in sorted(pick, key=lambda r: IMPL_ORDER.index(r.impl) if r.impl in IMPL_ORDER else 99):
            entry = side.get(r.result.name)
            if entry is None:
                continue
            c = _cdf(entry.get("buckets"))
            if c:
                curves[r.impl] = c
                what = what or entry.get("what")
        if curves:
            panels.append((title, what, curves))
    if not panels:
        return None
    ncols = min(3, len(panels))
    nrows = (len(panels) + ncols - 1) // ncols
    fig, axes = draw.new_figure(4.6 * ncols + 0.4, 3.4 * nrows + 1.0, nrows=nrows, ncols=ncols)
    seen = []
    for i, ax in enumerate(axes.flat):
        if i >= len(panels):
            ax.set_visible(False)
            continue
        title, what, curves = panels[i]
        for impl, (xs, ys) in curves.items():
            ax.step(xs, ys, where="post", color=style.colour(impl), linewidth=1.7, zorder=3)
            if impl not in seen:
                seen.append(impl)
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, numticks=10))
        ax.xaxis.set_major_formatter(FuncFormatter(ns_tick))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
        ax.set_xlabel(what or "latency")
        if i % ncols == 0:
            ax.set_ylabel("fraction of samples ≤ x")
    handles, labels = draw.path_layout_handles(style.ordered(seen, IMPL_ORDER), [])
    draw.finish_with_header(fig, "Latency distribution per implementation", handles, labels,
                            ncol=min(len(labels), 7))
    fname = save_figure(fig, run_dir, "channels_latency_cdf.png")
    return fname, ("Cumulative distribution of sampled latencies (last repetition, from "
                   "channels_hist.json; 1 message in 16 is timestamped): send to receive for "
                   "the transfer cases, the round trip for pingpong, close() to each receiver "
                   "running again for close. A curve further left is faster; its upper tail "
                   "shows waits behind a full or empty channel and sleeps.")


def model_keys(rows):
    """The (case, cap, threads) cells of the model figure present in rows:
    the matrix cases at their largest thread count, plus every other thread
    count of mpmc (the oversubscribed 4+4 and 16+16), in case order."""
    data = [r for r in rows if r.impl in MODEL_IMPLS and r.msg == "8" and r.ns
            and r.case in MODEL_CASES and r.cap in MODEL_CAPS]
    keys = set()
    for r in data:
        top = _max_threads([x for x in data if x.impl == CHAN and x.neighbour == r.neighbour]
                           or data, r.case, r.cap)
        if r.case in ("mpsc", "select_rx", "select_both") and r.threads != top:
            continue
        keys.add((r.case, r.cap, r.threads))
    return sorted(keys, key=lambda k: (MODEL_CAPS.index(k[1]), MODEL_CASES.index(k[0]), k[2]))


def _add_legend(handles, labels, h, lab):
    """Adds a panel's legend pairs (h, lab) not seen in an earlier panel."""
    for hh, ll in zip(h, lab):
        if ll not in labels:
            handles.append(hh)
            labels.append(ll)


def _finish_models_figure(fig, run_dir, fname, title, handles, labels, drawn_rows):
    """A figure of the three models: their legend in MODEL_IMPLS order under
    `title`, the whiskers' note, saved as fname. Returns (file, repetitions)."""
    order = [i for i in MODEL_IMPLS if i in labels]
    handles = [handles[labels.index(x)] for x in order]
    draw.finish_with_header(fig, title, handles, [MODEL_LABELS[x] for x in order], ncol=3)
    n = reps_of(drawn_rows)
    draw.no_spread_note(fig, n)
    return save_figure(fig, run_dir, fname), n


def _model_figure(run_dir, all_rows):
    quiet = [r for r in all_rows if not r.neighbour]
    noisy = [r for r in all_rows if r.neighbour]
    panels = [(title, rs, model_keys(rs)) for title, rs in
              (("without the noisy neighbour", quiet),
               ("with the noisy neighbour (a SCHED_IDLE busy thread per CPU)", noisy))]
    panels = [p for p in panels if p[2]]
    if not panels or not any(r.impl in (CHAN_G, GO) for _, rs, _ in panels for r in rs):
        return None
    width = max(10.0, min(24.0, 2.0 + max(len(k) for _, _, k in panels) * 0.75))
    fig, axes = draw.new_figure(width, 4.6 * len(panels) + 1.0, nrows=len(panels), ncols=1)
    handles, labels, drawn_rows = [], [], []
    for ax, (title, rs, keys) in zip(axes.flat, panels):
        per_impl = OrderedDict((i, {}) for i in MODEL_IMPLS)
        errs = {i: {} for i in MODEL_IMPLS}
        for r in rs:
            k = (r.case, r.cap, r.threads)
            if r.impl in per_impl and k in keys and r.msg == "8" and r.ns:
                per_impl[r.impl][k] = r.ns
                errs[r.impl][k] = r.ns_spread
                drawn_rows.append(r)
        cat_labels = ["%s\ncap %s%s" % (c, k, ("\n%d thr" % t) if c in ("mpsc", "mpmc") else "")
                      for c, k, t in keys]
        h, lab = _bars_panel(ax, keys, per_impl, title, cat_labels, errs)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.set_ylabel("time per message (log)")
        _add_legend(handles, labels, h, lab)
    fname, n = _finish_models_figure(fig, run_dir, "channels_models.png",
                                     "Threads vs goroutines vs Go: the same channel cases",
                                     handles, labels, drawn_rows)
    return fname, ("Time per message (median over repetitions, lower is better, log scale) of "
                   "Chan with every party a std::thread, Chan with every party a goroutine on "
                   "syncscope's runtime (light, dotted bars) and Go's own chan, on the same "
                   "cases: crossbeam's matrix at capacities 0, 1, 16 and 1024 (mpsc and the "
                   "select cases at their largest thread count; mpmc at every thread count, "
                   "8 and 32 being 4+4 and 16+16 parties: oversubscribed on a small machine). "
                   "The lower row runs the same cases while the suite's own low-priority busy "
                   "thread occupies every CPU (SCHED_IDLE): a design that parks a thread per "
                   "message waits for the scheduler there, one that switches goroutines in "
                   "user space does not. " + spread_caption(n))


def runon_rows(rows):
    """The handoff_runon rows of the three models, 8-byte messages."""
    return [r for r in rows if r.case == RUNON and r.impl in MODEL_IMPLS and r.msg == "8"]


def _runon_cells(rows):
    """(caps, works, {(cap, work): {impl: Row}}) of the handoff_runon rows."""
    cells = {}
    for r in runon_rows(rows):
        cells.setdefault((r.cap, r.work), {})[r.impl] = r
    caps = sorted({c for c, _ in cells}, key=lambda c: as_number(c, 1 << 62))
    works = sorted({w for _, w in cells}, key=lambda w: as_number(w, -1))
    return caps, works, cells


def _runon_figure(run_dir, rows):
    caps, works, cells = _runon_cells(rows)
    if not cells:
        return None
    fig, axes = draw.new_figure(max(7.0, 4.2 * len(caps) + 1.0), 8.2, nrows=2, ncols=len(caps))
    handles, labels, drawn_rows = [], [], []
    for col, cap in enumerate(caps):
        for row, (key, what) in enumerate((("lat_p50_ns", "p50"), ("lat_p99_ns", "p99"))):
            per_impl = OrderedDict((i, {}) for i in MODEL_IMPLS)
            errs = {i: {} for i in MODEL_IMPLS}
            for w in works:
                for impl, r in cells.get((cap, w), {}).items():
                    if r.value(key):
                        per_impl[impl][w] = r.value(key)
                        errs[impl][w] = spread(r.suite, r.result, key)
                        drawn_rows.append(r)
            ax = axes[row][col]
            h, lab = _bars_panel(ax, works, per_impl, "cap %s: %s wake latency" % (cap, what),
                                 [work_label(w) for w in works], errs)
            ax.set_xlabel("the sender's work after the send (without blocking)")
            if col == 0:
                ax.set_ylabel("send → receiver running (log)")
            _add_legend(handles, labels, h, lab)
    fname, n = _finish_models_figure(
        fig, run_dir, "channels_handoff_runon.png",
        "A hand-off, then the sender runs on: how long the receiver waits", handles, labels,
        drawn_rows)
    return fname, ("A receiver blocked on an empty channel; the sender hands it one message and "
                   "then runs W of calibrated work without blocking (handoff_runon). Bars: the "
                   "time from the send until the receiver runs with the value, p50 (top) and "
                   "p99 (bottom) of every message of a repetition, median over repetitions, "
                   "log scale. On goroutines the hand-off readies the receiver on the sender's "
                   "own P without waking an idle M at once (scheduler.cc, \"Deferring the wake "
                   "of a hand-off\"): it runs when the sender's work ends or when the runtime's "
                   "monitor makes the wake after all, two of its sleeps later (20 µs after a "
                   "recent deferred wake, up to 10 ms after a quiet spell). Go's runtime wakes "
                   "an idle M at once; threads are woken by the kernel. " + spread_caption(n))


def runon_table(all_rows):
    """The handoff_runon rows: p50 / p99 / max wake latency per model and W,
    and Chan on goroutines' deferred wakes per message."""
    caps, works, cells = _runon_cells([r for r in all_rows if not r.neighbour])
    if not cells:
        return None
    out = []
    for cap in caps:
        for w in works:
            per = cells.get((cap, w))
            if not per:
                continue
            row = ["cap %s, work %s" % (cap, work_label(w))]
            for impl in MODEL_IMPLS:
                r = per.get(impl)
                row += [fmt_ns(r.value(k)) if r and r.value(k) is not None else "—"
                        for k in ("lat_p50_ns", "lat_p99_ns", "lat_max_ns")]
            g = per.get(CHAN_G)
            row += [fmt_num(g.value(k)) if g and g.value(k) is not None else "—"
                    for k in ("g_wakes_deferred_per_msg", "g_deferred_wakes_made_per_msg")]
            out.append(row)
    head = ["handoff_runon"]
    for impl in MODEL_IMPLS:
        head += [MODEL_LABELS[impl] + " p50", "p99", "max"]
    head += ["goroutines: wakes deferred / msg", "made after all / msg"]
    return Table("A hand-off, then the sender runs on W without blocking: the receiver's wake "
                 "latency (send → running with the value, every message; median over "
                 "repetitions) and, on goroutines, the idle-M wakes the hand-off deferred and "
                 "those made after all (by the monitor or the sender's M)", head, out)


def figures(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    side = SideFile(run_dir, suite_data, HIST_FILE)
    return draw.drawn(_crossbeam_figure(run_dir, rows), _threads_figure(run_dir, rows),
                      _go_cases_figure(run_dir, rows), _latency_figure(run_dir, rows, side),
                      _model_figure(run_dir, all_rows_of(suite_data)),
                      _runon_figure(run_dir, rows))


# --------------------------------------------------------------------------
# Tables and notes
# --------------------------------------------------------------------------

def chan_vs_go(rows):
    """[(key, chan Row, go Row, ratio)] for every case both ran, headline
    cases first (in HEADLINE order), then by case."""
    pairs = []
    for key, impls in by_key(rows).items():
        c, g = impls.get(CHAN), impls.get(GO)
        if c and g and c.ns and g.ns:
            pairs.append((key, c, g, c.ns / g.ns))

    def rank(p):
        case, cap, msg = p[0][0], p[0][1], p[0][2]
        for i, (hc, hk) in enumerate(HEADLINE):
            if (case, cap, msg) == (hc, hk, "8") and p[0][3] == _max_threads(rows, case, cap):
                return (0, i)
        return (1, 0)
    pairs.sort(key=lambda p: (rank(p), _key_sort(p[0])))
    return pairs


def is_headline(key, rows):
    case, cap, msg, threads, _ = key
    return (case, cap) in HEADLINE and msg == "8" and threads == _max_threads(rows, case, cap)


def handoff_cell(rows):
    """The rows' line hand-off probes as "a / b / c" (— where a row has
    none), and whether the probes that exist are STATE_APART apart."""
    vals = [r.value("machine_line_handoff_ns") if r is not None else None for r in rows]
    have = [v for v in vals if v]
    apart = any(probes_apart([x], [y]) for x in have for y in have)
    return " / ".join(fmt_ns(v) if v else "—" for v in vals), apart


# The run's probes fall into machine states where the widest gap between two
# consecutive distinct probes (sorted) is wider than this factor: one state
# below the gap, one above (issue 11, a shared 2-CPU VM: 20-100 ns and
# 180-280 ns, nothing between). A narrower widest gap: one state.
STATE_GAP = 1.5


def _reps(suite, row, keys=("ns_per_msg", "machine_line_handoff_ns")):
    """[(ns per message, probe)] of each repetition of row that has both."""
    if row is None:
        return []
    out = []
    for rep in getattr(suite, "rep_values", {}).get(row.result.name) or []:
        v = [rep.get(k) for k in keys]
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in v):
            out.append(tuple(v))
    return out


def state_split(suite, rows):
    """The probe (ns) that splits the repetitions of rows into a fast and a
    slow state of the machine, or None when their probes form one state."""
    probes = sorted({p for r in rows for _, p in _reps(suite, r)})
    best, split = STATE_GAP, None
    for lo, hi in zip(probes, probes[1:]):
        if hi / lo > best:
            best, split = hi / lo, (lo * hi) ** 0.5
    return split


def state_of(probe, split):
    return "one" if split is None else ("fast" if probe < split else "slow")


def same_state_ratio(suite, a, b, split):
    """(ratio, state, n_a, n_b): median ns per message of a's repetitions over
    b's, both taken in the one machine state that both met most often (by
    the fewer of the two counts, then the more repetitions); None when no
    state holds repetitions of both."""
    by = {}
    for which, row in ((0, a), (1, b)):
        for ns, probe in _reps(suite, row):
            by.setdefault(state_of(probe, split), ([], []))[which].append(ns)
    both = [(min(len(x), len(y)), len(x) + len(y), st_, x, y) for st_, (x, y) in by.items() if x and y]
    if not both:
        return None
    _, _, st_, x, y = max(both, key=lambda t: (t[0], t[1], t[2] == "slow"))
    return statistics.median(x) / statistics.median(y), st_, len(x), len(y)


def same_state_cell(r):
    return "—" if r is None else "%.2f %s (%d+%d)" % r


def summary_rows(run_dir, suite_data, context):
    rows = rows_of(suite_data)
    tables = []
    pairs = chan_vs_go(rows)
    keyed = by_key(rows)
    if pairs:
        out = []
        split = state_split(suite_data, all_rows_of(suite_data))
        for key, c, g, ratio in pairs:
            verdict = "Chan faster" if ratio < 0.995 else ("Go faster" if ratio > 1.005 else "equal")
            cg = keyed.get(key, {}).get(CHAN_G)
            handoff, _ = handoff_cell([c, cg, g])
            if handoff_cell([c, g])[1]:
                verdict += " (machine states differ)"
            same = [same_state_ratio(suite_data, x, g, split) if x is not None else None
                    for x in (c, cg)]
            out.append([("★ " if is_headline(key, rows) else "") + key_label(key),
                        fmt_ns(c.ns), fmt_ns(cg.ns) if cg and cg.ns else "—", fmt_ns(g.ns),
                        "%.2f" % ratio, "%.2f" % (cg.ns / g.ns) if cg and cg.ns else "—",
                        " / ".join(same_state_cell(x) for x in same), handoff, verdict])
        tables.append(Table("Chan vs Go's chan: ns per message, ratio = Chan ÷ Go (below 1: Chan "
                            "faster; ★ = headline case); Chan_goroutine = Chan with every party "
                            "a goroutine (— where not measured); line hand-off = the machine's "
                            "state probed before each row (one cache line's one-way trip between "
                            "two CPUs); where Chan's and Go's are more than %gx apart the two "
                            "rows ran in different states of the machine and their ratio "
                            "compares the states as much as the implementations; same state = "
                            "the ratio of the medians over only the repetitions that met the "
                            "machine state both rows met most (fast or slow: the run's probes "
                            "split at their widest gap, when wider than %gx; one: no such gap), "
                            "with how many repetitions of each went into it (— where they met "
                            "no state in common, or have no probe)" % (STATE_APART, STATE_GAP),
                            ["case", CHAN, CHAN_G, GO, "Chan ÷ Go", "Chan_goroutine ÷ Go",
                             "same state: Chan ÷ Go / Chan_goroutine ÷ Go",
                             "line hand-off Chan / Chan_goroutine / Go", ""], out))
    model = model_table(all_rows_of(suite_data))
    if model:
        tables.append(model)
    runon = runon_table(all_rows_of(suite_data))
    if runon:
        tables.append(runon)
    keys = by_key(rows)
    impls = impls_of(rows)
    if keys:
        out = []
        for key, per in keys.items():
            out.append([key_label(key)] + [fmt_ns(per[i].ns) if i in per else "—" for i in impls])
        tables.append(Table("Time per message, every implementation (median over repetitions; — = "
                            "not expressible)", ["case"] + impls, out))
    lat = []
    for _, pick in latency_panels(rows):
        for r in sorted(pick, key=lambda r: IMPL_ORDER.index(r.impl) if r.impl in IMPL_ORDER else 99):
            if r.value("lat_p50_ns") is None:
                continue
            lat.append([key_label(r.key()), r.impl, fmt_ns(r.value("lat_p50_ns")),
                        fmt_ns(r.value("lat_p99_ns")), fmt_ns(r.value("lat_p999_ns")),
                        fmt_num(r.value("cpu_ns_per_msg")), fmt_num(r.value("ctx_switches_per_msg")),
                        fmt_num(r.value("runq_wait_cpus")), fmt_ns(r.value("machine_line_handoff_ns"))])
    if lat:
        tables.append(Table("Latency percentiles and cost per message (headline cases; threads "
                            "waiting for a CPU = the run delay of the case's threads over the "
                            "run's wall time, the average number runnable but not running; "
                            "line hand-off = one cache line's one-way trip between two CPUs, "
                            "probed just before the run: the machine's state)",
                            ["case", "implementation", "p50", "p99", "p99.9", "CPU ns / msg",
                             "context switches / msg", "threads waiting for a CPU",
                             "line hand-off"], lat))
    return tables


def model_table(all_rows):
    """Chan on threads, Chan on goroutines and go_chan per model-figure case,
    quiet and with the noisy neighbour, with the neighbour's slowdown."""
    cells = {}
    for r in all_rows:
        if r.impl in MODEL_IMPLS and r.msg == "8" and r.ns:
            cells[(r.case, r.cap, r.threads, r.neighbour, r.impl)] = r.ns
    keys = model_keys([r for r in all_rows if r.msg == "8"])
    if not keys or not any(k[-1] == CHAN_G for k in cells):
        return None
    out = []
    for case, cap, t in keys:
        row = ["%s cap %s%s" % (case, cap, (", %d threads" % t) if case in ("mpsc", "mpmc") else "")]
        for impl in MODEL_IMPLS:
            q, n = cells.get((case, cap, t, False, impl)), cells.get((case, cap, t, True, impl))
            row += [fmt_ns(q) if q else "—", fmt_ns(n) if n else "—",
                    "%.1f×" % (n / q) if q and n else "—"]
        out.append(row)
    head = ["case"]
    for impl in MODEL_IMPLS:
        head += [MODEL_LABELS[impl] + " quiet", "neighbour", "slowdown"]
    return Table("Threads vs goroutines vs Go, quiet and with the noisy neighbour (ns per "
                 "message, median over repetitions; slowdown = with ÷ without)", head, out)


def state_notes(suite_data, rows):
    """How the run's repetitions split into machine states, and how many
    cases each Chan model ran at or below Go's time per message, plainly and
    counting only repetitions of one machine state."""
    all_rows = all_rows_of(suite_data)
    reps = [p for r in all_rows for _, p in _reps(suite_data, r)]
    if not reps:
        return []
    split = state_split(suite_data, all_rows)
    if split is None:
        out = ["Machine state: the line hand-off probes of the run's %d repetitions (%s to %s) "
               "form one state." % (len(reps), fmt_ns(min(reps)), fmt_ns(max(reps)))]
    else:
        fast = sum(1 for p in reps if p < split)
        out = ["Machine states: the line hand-off probes of the run's repetitions split at "
               "%s: fast (below) %d, slow %d. A ratio between rows that met different states "
               "compares the states as much as the implementations; the same-state ratios "
               "count only repetitions of one state." % (fmt_ns(split), fast, len(reps) - fast)]
    keyed = by_key(rows)
    for impl in (CHAN_G, CHAN):
        plain = same = n_same = n = 0
        for key, per in keyed.items():
            x, g = per.get(impl), per.get(GO)
            if not (x and g and x.ns and g.ns):
                continue
            n += 1
            plain += x.ns <= g.ns
            r = same_state_ratio(suite_data, x, g, split)
            if r is not None:
                n_same += 1
                same += r[0] <= 1.0
        if n:
            out.append("%s ÷ Go ≤ 1.00 in %d of %d cases; over same-state repetitions in %d of "
                       "%d." % (impl, plain, n, same, n_same))
    return out


def notes(run_dir, suite_data, context):
    ctx = suite_data.context or {}
    rows = rows_of(suite_data)
    out = []
    go = ctx.get("channels_peer_go")
    if go is None:
        out.append("The Go peer did not run (no channels_peer_go in the suite's context): no "
                   "go_chan results.")
    elif str(go).startswith("absent"):
        out.append("Go runtime not measured: %s." % str(go)[len("absent: "):])
    else:
        out.append("Go runtime: %s." % go)
    pairs = [p for p in chan_vs_go(rows) if is_headline(p[0], rows)]
    if pairs:
        out.append("Headline (Chan ÷ Go, ns per message): " + "; ".join(
            "%s %.2f" % (key_label(k), ratio) for k, _, _, ratio in pairs) + ".")
    out.extend(state_notes(suite_data, rows))
    load, cpus = ctx.get("load_avg"), ctx.get("num_cpus")
    if isinstance(load, list) and load and isinstance(cpus, (int, float)) and cpus > 0 \
            and isinstance(load[0], (int, float)) and load[0] > 0.5 * cpus:
        out.append("The machine was busy when the suite ran (load average %s on %d CPUs): "
                   "cases that block are dominated by how the OS schedules the threads, and "
                   "goroutines (which hand off on one CPU) suffer less from it than threads. "
                   "Compare with a run on an idle machine before concluding."
                   % (fmt_num(float(load[0])), int(cpus)))
    if ctx.get("channels_placement"):
        out.append("Placement: %s for every implementation (goroutines cannot be pinned). "
                   "Latencies are sampled: %s." % (ctx["channels_placement"],
                                                   ctx.get("channels_latency_sampling", "")))
    if ctx.get("channels_models"):
        out.append("Threading models: %s." % ctx["channels_models"])
    if ctx.get("channels_neighbour"):
        out.append("Noisy neighbour: %s." % ctx["channels_neighbour"])
    if ctx.get("channels_run_delay"):
        out.append("Run delay (threads waiting for a CPU): %s." % ctx["channels_run_delay"])
    if ctx.get("channels_boost_fiber"):
        out.append("Boost.Fiber: %s." % ctx["channels_boost_fiber"])
    if ctx.get("channels_not_registered"):
        out.append("Not registered (cannot be expressed): %s." % ctx["channels_not_registered"])
    side = SideFile(run_dir, suite_data, HIST_FILE)
    if not side.ok:
        out.append("No latency CDF: %s." % side.reason)
    return out


# --------------------------------------------------------------------------
# Comparison of two runs (compare.py)
# --------------------------------------------------------------------------

def compare_figures(out_dir, side_a, side_b):
    data, errs, drawn_rows = [], [], []
    for s in (side_a, side_b):
        d, e = {}, {}
        if s.suite is not None:
            for r in rows_of(s.suite):
                if r.impl in (CHAN, GO) and r.case in CROSSBEAM_CASES and r.msg == "8" and r.ns \
                        and r.threads == _max_threads(rows_of(s.suite), r.case, r.cap):
                    d.setdefault(r.impl, {})[(r.case, r.cap)] = r.ns
                    e.setdefault(r.impl, {})[(r.case, r.cap)] = r.ns_spread
                    drawn_rows.append(r)
        data.append(d)
        errs.append(e)
    cats = sorted({c for d in data for vals in d.values() for c in vals},
                  key=lambda c: (CAP_ORDER.index(c[1]) if c[1] in CAP_ORDER else 99,
                                 CASE_ORDER.index(c[0])))
    if not cats:
        return []
    series = []
    for i, d in enumerate(data):
        for impl in style.ordered(list(d), IMPL_ORDER):
            series.append(draw.Series("%s %s" % ("AB"[i], impl), style.colour(impl),
                                      style.RUN_HATCH[i], d[impl], errs[i][impl]))
    width = max(9.0, min(22.0, 2.0 + len(cats) * (0.3 + 0.18 * len(series))))
    fig, axes = draw.new_figure(width, 5.2)
    ax = axes[0][0]
    draw.grouped_bars(ax, cats, series, label_fmt=lambda v: fmt_ns(v).replace(" ", "\u2009"))
    vals = [v for s in series for v in s.values.values() if v] + \
        [e[1] for s in series for e in s.err.values() if e]
    _ns_log_axis(ax)
    ax.set_ylim(min(vals) / 2.0, max(vals) * 6.0)
    ax.set_xticklabels(["%s\ncap %s" % c for c in cats])
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel("time per message (log)")
    impls = style.ordered([x for d in data for x in d], IMPL_ORDER)
    handles, labels = draw.path_layout_handles(impls, [])
    h2, l2 = draw.run_hatch_handles(side_a.label, side_b.label)
    draw.finish_with_header(fig, "Chan and Go's chan: A vs B", handles + h2, labels + l2,
                            ncol=min(4, len(labels + l2)))
    n = max(reps_of([r for r in drawn_rows if r.suite is s.suite]) for s in (side_a, side_b))
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, out_dir, "compare_channels.png")
    return [(fname, "Time per message of Chan and go_chan on crossbeam's cases (8-byte messages, "
                    "mpsc/mpmc at their largest thread count; median over repetitions; log scale). "
                    "Colour = implementation; solid bars = run A, hatched bars = run B. "
                    + spread_caption(n, "each run's repetitions"))]


def compare_tables(side_a, side_b):
    data = []
    for s in (side_a, side_b):
        d = {}
        if s.suite is not None:
            for r in rows_of(s.suite):
                if r.impl in (CHAN, GO) and r.ns:
                    d[(r.key(), r.impl)] = r.ns
        data.append(d)
    keys = sorted(set(data[0]) | set(data[1]),
                  key=lambda k: (_key_sort(k[0]), IMPL_ORDER.index(k[1])))
    if not keys:
        return []
    out = []
    for key, impl in keys:
        a, b = data[0].get((key, impl)), data[1].get((key, impl))
        out.append([key_label(key), impl, fmt_ns(a), fmt_ns(b),
                    "%.2f" % (b / a) if a and b else "—"])
    return [Table("Channels: ns per message, Chan and go_chan (A vs B)",
                  ["case", "implementation", "A", "B", "B / A"], out)]

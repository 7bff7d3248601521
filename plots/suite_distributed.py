"""Figures and tables of the distributed suite (distributed.json and its side
file distributed_hist.json; suites/distributed/README.md names the cases).

Families read (distributed/<workload>/impl:I/cluster:C[/param:v]/clients:N):
  mutex_uncontended, mutex_contended (cs_us), rwmutex (readers_pct),
  election_campaign, barrier, double_barrier, queue, priority_queue,
  stm_transfer (accounts, isolation): p50_us p99_us ... ops_per_s jain
  retries_per_commit balance_ok; election_failover (fault), fault_leader_kill,
  fault_fencing: failover_ms first_observed_ms recover_ms takeover_ms
  stale_rejected stale_accepted valid_rejected.
Implementations: syncscope, etcd_lock_rpc / etcd_election_rpc (etcd's own
server-side services), go_clientv3 (Go's clientv3, merged by peer.sh).

Figures
  distributed_latency_cdf.png   per primitive, the CDF of per-operation
                                latency, one line per implementation and
                                cluster (solid: 1 node, dashed: 3 nodes);
                                a panel whose case has no peer says so
  distributed_throughput.png    operations/s, Jain's index and barrier release
                                latency vs clients
  distributed_rwmutex.png       RWMutex reader and writer p99 wait vs the share
                                of readers
  distributed_failover.png      fault timelines: fault at 0, first observer,
                                every observer / first acquisition / takeover
  distributed_stm.png           STM retries per commit vs clients, per
                                account count and isolation level
"""

import draw
import style
from common import (SideFile, Table, as_number, histogram_pairs, save_figure, spread,
                    spread_caption, spread_n)

TITLE = "Distributed: etcd locks, elections, barriers, queues and STM"
PREFIX = "distributed/"
PEERS = ("go_clientv3", "etcd_lock_rpc", "etcd_election_rpc")
# (workload, panel title, extra param filter) of the latency CDFs.
CDF_PANELS = [
    ("mutex_uncontended", "Mutex lock+unlock, uncontended", {}),
    ("mutex_contended", "Mutex wait, contended (cs 0)", {"cs_us": "0"}),
    ("rwmutex", "RWMutex wait, 90 % readers", {"readers_pct": "90"}),
    ("election_campaign", "Election campaign", {}),
    ("barrier", "Barrier release -> wake", {}),
    ("double_barrier", "DoubleBarrier last enter -> release", {}),
    ("queue", "Queue enqueue -> dequeue", {}),
    ("priority_queue", "PriorityQueue enqueue -> dequeue", {}),
    ("stm_transfer", "STM transfer, 10 accounts, serializable", {"accounts": "10",
                                                                 "isolation": "serializable"}),
]
LINESTYLE = {"1": "-", "3": "--", "given": ":"}


def _workload(r):
    return r.family[len(PREFIX):] if r.family.startswith(PREFIX) else None


def _rows(suite, workload, **match):
    out = []
    for r in suite.results:
        if _workload(r) != workload:
            continue
        if all(r.get(k) == v for k, v in match.items()):
            out.append(r)
    return out


def _clients(r):
    return as_number(r.get("clients"), 0) or 0


def _cdf(buckets):
    pairs = histogram_pairs(buckets)
    total = sum(c for _, c in pairs)
    if total <= 0:
        return None
    xs, ys, seen = [], [], 0.0
    for ub, c in pairs:
        seen += c
        xs.append(ub / 1e3)  # µs
        ys.append(seen / total)
    return xs, ys


def _has_peer(rows):
    return any(r.get("impl") in PEERS for r in rows)


def panel_title(title, rows):
    """A panel's title, with " — no peer" when only syncscope ran its cases."""
    return title + ("" if _has_peer(rows) else " — no peer")


def _latency_cdf_figure(run_dir, suite):
    side = SideFile(run_dir, suite, "distributed_hist.json")
    panels = []
    for workload, title, match in CDF_PANELS:
        rows = _rows(suite, workload, **match)
        if not rows:
            continue
        # The case with the most clients of each implementation and cluster.
        best = {}
        for r in rows:
            k = (r.get("impl"), r.get("cluster"))
            if k not in best or _clients(r) > _clients(best[k]):
                best[k] = r
        curves = []
        for (impl, cluster), r in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            e = side.get(r.name)
            c = _cdf(e.get("buckets")) if e else None
            if c:
                curves.append((impl, cluster, _clients(r), c))
        if curves:
            panels.append((panel_title(title, rows), curves))
    if not panels:
        return None
    cols = 3
    nrows = (len(panels) + cols - 1) // cols
    fig, axes = draw.new_figure(13.0, 1.2 + 3.0 * nrows, nrows=nrows, ncols=cols)
    flat = [ax for row in axes for ax in row]
    for ax, (title, curves) in zip(flat, panels):
        for impl, cluster, n, (xs, ys) in curves:
            ax.step(xs, ys, where="post", color=style.colour(impl),
                    linestyle=LINESTYLE.get(cluster, "-"),
                    label="%s, %s node%s, %d client%s" % (impl, cluster,
                                                           "" if cluster == "1" else "s",
                                                           n, "" if n == 1 else "s"))
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("latency, µs")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
    for ax in flat[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    fname = save_figure(fig, run_dir, "distributed_latency_cdf.png")
    caption = ("CDF of every operation's latency per primitive (from the suite's histograms, "
               "1.6 % bucket resolution), per implementation and cluster: solid 1 node, dashed "
               "3 nodes; the case with the most clients is shown. \"no peer\": neither etcd's "
               "own service nor Go's clientv3 ran that case. Wall time on a shared machine: "
               "read it with the load in the run's context.")
    if side.reason:
        caption += " " + side.reason + "."
    return fname, caption


def _series(suite, rows, key):
    """{(impl, cluster): [(clients, value, p10-p90 over the repetitions or
    None)]} sorted by clients."""
    out = {}
    for r in rows:
        v = r.value(key)
        if v is None:
            continue
        out.setdefault((r.get("impl"), r.get("cluster")), []).append(
            (_clients(r), v, spread(suite, r, key)))
    return {k: sorted(v, key=lambda p: p[0]) for k, v in out.items()}


def _throughput_figure(run_dir, suite):
    panels, drawn_rows = [], []
    for workload, title, match, key in [
            ("mutex_contended", "Mutex acquisitions/s (cs 0)", {"cs_us": "0"}, "ops_per_s"),
            ("mutex_contended", "Mutex acquisitions/s (cs 1 ms)", {"cs_us": "1000"}, "ops_per_s"),
            ("mutex_contended", "Mutex Jain's index (cs 0)", {"cs_us": "0"}, "jain"),
            ("election_campaign", "Election terms/s", {}, "ops_per_s"),
            ("queue", "Queue items/s", {}, "ops_per_s"),
            ("priority_queue", "PriorityQueue items/s", {}, "ops_per_s"),
            ("barrier", "Barrier release -> wake p50, µs", {}, "p50_us"),
            ("double_barrier", "DoubleBarrier release p50, µs", {}, "p50_us"),
            ("stm_transfer", "STM commits/s, 10 accounts, serializable",
             {"accounts": "10", "isolation": "serializable"}, "ops_per_s")]:
        rows = _rows(suite, workload, **match)
        s = _series(suite, rows, key)
        if s:
            panels.append((panel_title(title, rows), s, key))
            drawn_rows += [r for r in rows if r.value(key) is not None]
    if not panels:
        return None
    cols = 3
    nrows = (len(panels) + cols - 1) // cols
    fig, axes = draw.new_figure(13.0, 1.2 + 3.0 * nrows, nrows=nrows, ncols=cols)
    flat = [ax for row in axes for ax in row]
    for ax, (title, series, key) in zip(flat, panels):
        threads = set()
        for (impl, cluster), pts in sorted(series.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                    color=style.colour(impl), linestyle=LINESTYLE.get(cluster, "-"),
                    label="%s, cluster %s" % (impl, cluster))
            draw.whiskers(ax, [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts],
                          colour=style.colour(impl), capsize=2)
            threads.update(p[0] for p in pts)
        draw.thread_axis(ax, threads)
        ax.set_xlabel("clients")
        if key == "jain":
            ax.set_ylim(0, 1.05)
        else:
            ax.set_ylim(bottom=0)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=6)
    for ax in flat[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    n = spread_n(suite, drawn_rows)
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "distributed_throughput.png")
    caption = ("Throughput and fairness against the number of clients (each with its own "
               "gRPC channel and session): solid 1 node, dashed 3 nodes. Jain's index is over "
               "per-client acquisitions of one shared budget (1 = even; etcd's locks are FIFO "
               "by create revision). \"no peer\": only syncscope ran that case. "
               + spread_caption(n, kind="Error bars"))
    return fname, caption


def _failover_figure(run_dir, suite):
    bars = []  # (label, first_ms, last_ms, what, p10-p90 of last_ms, Result)
    for r in _rows(suite, "election_failover"):
        last, first = r.value("failover_ms"), r.value("first_observed_ms")
        if last is not None:
            bars.append(("election %s, cluster %s" % (r.get("fault"), r.get("cluster")),
                         first if first is not None else last, last,
                         "every observer saw the new leader", spread(suite, r, "failover_ms"),
                         r))
    for r in _rows(suite, "fault_leader_kill"):
        v = r.value("recover_ms")
        if v is not None:
            bars.append(("Mutex after leader kill, cluster %s" % r.get("cluster"), v, v,
                         "next acquisition (new raft term)", spread(suite, r, "recover_ms"), r))
    for r in _rows(suite, "fault_fencing"):
        v = r.value("takeover_ms")
        if v is not None:
            bars.append(("fencing: SIGSTOP holder, cluster %s" % r.get("cluster"), v, v,
                         "lock taken over", spread(suite, r, "takeover_ms"), r))
    if not bars:
        return None
    fig, axes = draw.new_figure(11.0, 1.4 + 0.45 * len(bars))
    ax = axes[0][0]
    for i, (label, first, last, what, err, _) in enumerate(bars):
        ax.barh(i, first, color="#9ecae1", zorder=3)
        ax.barh(i, max(0.0, last - first), left=first, color="#3182bd", zorder=3)
        ax.text(max(last, err[1] if err else 0.0), i, "  %s: %s" % (what, draw.fmt_ns(last * 1e6)),
                va="center", fontsize=7)
    draw.whiskers(ax, range(len(bars)), [b[2] for b in bars], [b[4] for b in bars],
                  horizontal=True, capsize=2)
    ax.axvline(0, color="#d62728", linewidth=1.5)
    ax.set_yticks(range(len(bars)))
    ax.set_yticklabels([b[0] for b in bars], fontsize=8)
    ax.set_xlabel("ms after the fault (red line: kill -9 / SIGSTOP)")
    ax.set_xlim(0, max(max(b[2], b[4][1] if b[4] else 0.0) for b in bars) * 1.6)
    ax.set_title("Fail-over timelines (syncscope only: no peer)", fontsize=10)
    fig.tight_layout()
    n = spread_n(suite, [b[5] for b in bars])
    draw.no_spread_note(fig, n)
    fname = save_figure(fig, run_dir, "distributed_failover.png")
    caption = ("Faults as workloads, from the fault (0) to the first observer seeing the new "
               "leader (light) and every observer seeing it (dark); for the Mutex, the first "
               "acquisition granted in the new raft term after kill -9 of the raft leader; for "
               "fencing, the lock taken over once the stopped holder's lease expired. Client "
               "faults wait for the lease TTL (2 s); node faults for etcd's election timeout "
               "(1 s here). No peer ran these cases. "
               + spread_caption(n, "the repetitions of the last time (dark bar's end)"))
    return fname, caption


ISOLATION_COLOURS = {"serializable_snapshot": "#1f77b4", "serializable": "#2ca02c",
                     "repeatable_reads": "#ff7f0e", "read_committed": "#9467bd"}
IMPL_LINESTYLE = {"syncscope": "-", "go_clientv3": "--"}


def _stm_figure(run_dir, suite):
    rows = _rows(suite, "stm_transfer")
    accounts = sorted({r.get("accounts") for r in rows}, key=lambda a: as_number(a, 0))
    clusters = sorted({r.get("cluster") for r in rows}, key=str)
    if not accounts:
        return None
    fig, axes = draw.new_figure(6.0 * len(accounts), 3.6 * len(clusters), nrows=len(clusters),
                                ncols=len(accounts))
    for ci, cluster in enumerate(clusters):
        for ai, acc in enumerate(accounts):
            ax = axes[ci][ai]
            here = [r for r in rows if r.get("accounts") == acc and r.get("cluster") == cluster]
            series = {}
            for r in here:
                if r.value("retries_per_commit") is not None:
                    series.setdefault((r.get("isolation"), r.get("impl")), []).append(
                        (_clients(r), r.value("retries_per_commit"), r.value("balance_ok"),
                         spread(suite, r, "retries_per_commit")))
            threads = set()
            for (iso, impl), pts in sorted(series.items(), key=str):
                pts.sort(key=lambda p: p[0])
                colour = ISOLATION_COLOURS.get(iso, style.colour(iso))
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                        color=colour,
                        linestyle=IMPL_LINESTYLE.get(impl, ":"), label="%s, %s" % (iso, impl))
                draw.whiskers(ax, [p[0] for p in pts], [p[1] for p in pts],
                              [p[3] for p in pts], colour=colour, capsize=2)
                for n, v, ok, _ in pts:
                    if ok is not None and ok < 1:
                        ax.plot([n], [v], marker="x", color="#d62728", markersize=10, zorder=5)
                threads.update(p[0] for p in pts)
            draw.thread_axis(ax, threads)
            ax.set_ylim(bottom=0)
            ax.set_xlabel("clients")
            ax.set_ylabel("retries per commit")
            ax.set_title(panel_title("STM transfer, %s accounts, cluster %s" % (acc, cluster),
                                     here), fontsize=9)
            ax.legend(fontsize=6)
    fig.tight_layout()
    n_reps = spread_n(suite, rows)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "distributed_stm.png")
    caption = ("The seed's account transfer under etcd's STM: retries per committed transfer "
               "as clients grow (fewer accounts = more conflicts); colour = isolation level, "
               "solid = syncscope, dashed = Go's clientv3; one row per cluster. A red x marks a "
               "case whose total balance changed: read-committed does not validate its reads, "
               "so it can lose an update. "
               + spread_caption(n_reps, kind="Error bars"))
    return fname, caption


def _rwmutex_figure(run_dir, suite):
    rows = _rows(suite, "rwmutex")
    series = {}
    for r in rows:
        pct = as_number(r.get("readers_pct"))
        for key, who in (("read_p99_us", "readers"), ("write_p99_us", "writers")):
            v = r.value(key)
            if pct is not None and v is not None:
                k = (r.get("impl"), r.get("cluster"), _clients(r), who)
                series.setdefault(k, []).append((pct, v, spread(suite, r, key)))
    if not series:
        return None
    fig, axes = draw.new_figure(8.0, 4.2)
    ax = axes[0][0]
    for (impl, cluster, n, who), pts in sorted(series.items(), key=str):
        pts.sort(key=lambda p: p[0])
        ax.plot([p[0] for p in pts], [p[1] / 1e3 for p in pts],
                marker="o" if who == "readers" else "s", color=style.colour(impl),
                linestyle=LINESTYLE.get(cluster, "-"),
                label="%s %s, cluster %s, %d clients" % (impl, who, cluster, n))
        draw.whiskers(ax, [p[0] for p in pts], [p[1] / 1e3 for p in pts],
                      [(p[2][0] / 1e3, p[2][1] / 1e3) if p[2] else None for p in pts],
                      colour=style.colour(impl), capsize=2)
    ax.set_xlabel("readers, % of operations")
    ax.set_ylabel("p99 wait, ms")
    ax.set_xticks(sorted({p[0] for pts in series.values() for p in pts}))
    ax.set_ylim(bottom=0)
    ax.set_title(panel_title("RWMutex: p99 wait of readers (o) and writers (s)", rows),
                 fontsize=10)
    ax.legend(fontsize=6)
    fig.tight_layout()
    n_reps = spread_n(suite, rows)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, run_dir, "distributed_rwmutex.png")
    caption = ("RWMutex (the contrib/recipes design: a waiting writer blocks new readers) as the "
               "share of readers grows: the 99th percentile of the wait in lock_shared() "
               "(circles) and lock() (squares); solid 1 node, dashed 3 nodes. "
               + spread_caption(n_reps, kind="Error bars"))
    return fname, caption


def figures(run_dir, suite_data, context):
    return draw.drawn(_latency_cdf_figure(run_dir, suite_data),
                      _throughput_figure(run_dir, suite_data),
                      _rwmutex_figure(run_dir, suite_data),
                      _failover_figure(run_dir, suite_data),
                      _stm_figure(run_dir, suite_data))


def _us(v):
    return "—" if v is None else draw.fmt_ns(v * 1e3)


def summary_rows(run_dir, suite_data, context):
    tables = []
    rows = []
    for r in sorted(_rows(suite_data, "mutex_uncontended"),
                    key=lambda r: (r.get("cluster"), r.get("impl"))):
        rows.append([r.get("cluster"), r.get("impl"), _us(r.value("p50_us")),
                     _us(r.value("p99_us")), "%.0f" % (r.value("ops_per_s") or 0)])
    if rows:
        tables.append(Table("Mutex lock+unlock, one client (uncontended)",
                            ["cluster", "implementation", "p50", "p99", "ops/s"], rows))
    rows = []
    for r in _rows(suite_data, "election_failover"):
        rows.append(["election fail-over, %s" % r.get("fault"), r.get("cluster"),
                     "%.0f ms" % r.value("failover_ms", 0),
                     "exactly once" if r.value("observed_once") == 1 else "NOT exactly once"])
    for r in _rows(suite_data, "fault_leader_kill"):
        rows.append(["leader kill -> next Mutex acquisition", r.get("cluster"),
                     "%.0f ms" % r.value("recover_ms", 0), ""])
    for r in _rows(suite_data, "fault_fencing"):
        rows.append(["fencing after SIGSTOP", r.get("cluster"),
                     "%.0f ms takeover" % r.value("takeover_ms", 0),
                     "stale rejected %d, stale accepted %d, valid rejected %d" % (
                         r.value("stale_rejected", 0), r.value("stale_accepted", 0),
                         r.value("valid_rejected", 0))])
    if rows:
        tables.append(Table("Faults", ["fault", "cluster", "time", "outcome"], rows))
    rows = []
    stm = _rows(suite_data, "stm_transfer")
    if stm:
        top = max(_clients(r) for r in stm)
        for r in sorted((r for r in stm if _clients(r) == top),
                        key=lambda r: (r.get("cluster"), as_number(r.get("accounts"), 0),
                                       r.get("isolation"), r.get("impl"))):
            rows.append([r.get("cluster"), r.get("accounts"), r.get("isolation"), r.get("impl"),
                         "%.2f" % r.value("retries_per_commit", 0),
                         "%.0f" % r.value("ops_per_s", 0),
                         "yes" if r.value("balance_ok") == 1 else "NO"])
        tables.append(Table("STM transfer at the highest contention (%d clients)" % top,
                            ["cluster", "accounts", "isolation", "implementation",
                             "retries/commit", "commits/s", "balance kept"], rows))
    return tables


def notes(run_dir, suite_data, context):
    if not suite_data.results:
        return []
    out = []
    ctx = suite_data.context or {}
    for k in sorted(ctx):
        if k.startswith("etcd_members_"):
            c = k[len("etcd_members_"):]
            out.append("Cluster %s: etcd %s, %s member(s), %s, fsync %s, put %s / get %s "
                       "round trip (median): the floor every primitive pays." % (
                           c, ctx.get("etcd_version_" + c, "?"), ctx[k],
                           "started by the suite" if ctx.get("etcd_started_by_suite_" + c) ==
                           "true" else "given", ctx.get("etcd_fsync_" + c, "?"),
                           _us(as_number(ctx.get("etcd_put_rtt_us_" + c))),
                           _us(as_number(ctx.get("etcd_get_rtt_us_" + c)))))
    if not any(r.get("impl") == "go_clientv3" for r in suite_data.results):
        out.append("No Go peer in this run: %s" % ctx.get(
            "distributed_peer_go", "the context does not say why"))
    if ctx.get("distributed_faults"):
        out.append("Faults: %s." % ctx["distributed_faults"])
    out.append("Timings are wall time on a possibly shared machine: read them with the load "
               "recorded in the run's context.")
    return out


def compare_tables(side_a, side_b):
    """Uncontended Mutex p50/p99 and fail-over times of two runs side by side."""
    rows = []
    for side in (side_a, side_b):
        if side.suite is None:
            continue
        for r in _rows(side.suite, "mutex_uncontended"):
            rows.append([side.label, "Mutex lock+unlock p50/p99 (%s, cluster %s)" % (
                r.get("impl"), r.get("cluster")),
                "%s / %s" % (_us(r.value("p50_us")), _us(r.value("p99_us")))])
        for r in _rows(side.suite, "fault_leader_kill"):
            rows.append([side.label, "leader kill -> acquisition (cluster %s)" % r.get("cluster"),
                         "%.0f ms" % r.value("recover_ms", 0)])
    return [Table("Distributed: headline numbers of both runs", ["run", "measure", "value"],
                  rows)] if rows else []


def compare_figures(out_dir, side_a, side_b):
    """Uncontended Mutex lock+unlock p50 per implementation and cluster, run A
    solid and run B hatched."""
    cats, per_side, errs, n = [], [], [], 0
    for side in (side_a, side_b):
        vals, err = {}, {}
        if side.suite is not None:
            rows = _rows(side.suite, "mutex_uncontended")
            n = max(n, spread_n(side.suite, rows))
            for r in rows:
                v = r.value("p50_us")
                if v is not None:
                    cat = "%s\ncluster %s" % (r.get("impl"), r.get("cluster"))
                    vals[cat] = v
                    err[cat] = spread(side.suite, r, "p50_us")
                    if cat not in cats:
                        cats.append(cat)
        per_side.append(vals)
        errs.append(err)
    if not cats:
        return []
    fig, axes = draw.new_figure(10.0, 4.0)
    ax = axes[0][0]
    series = [draw.Series(side.label, style.colour("syncscope"), style.RUN_HATCH[i], vals,
                          errs[i])
              for i, (side, vals) in enumerate(zip((side_a, side_b), per_side))]
    handles, labels = draw.grouped_bars(ax, cats, series, label_fmt=lambda v: "%.0f" % v)
    ax.set_xticklabels(cats, fontsize=7)
    ax.set_ylabel("p50, µs")
    ax.legend(handles, labels, fontsize=7)
    ax.set_title("Mutex lock+unlock p50, uncontended", fontsize=10)
    fig.tight_layout()
    draw.no_spread_note(fig, n)
    png = "compare_distributed_mutex.png"
    save_figure(fig, out_dir, png)
    return [(png, "Uncontended Mutex lock+unlock p50 (µs) of both runs per implementation and "
                  "cluster: %s solid, %s hatched. " % (side_a.label, side_b.label)
             + spread_caption(n, "each run's repetitions"))]

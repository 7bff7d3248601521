"""Synthetic run directories for the plot tests (and for looking at figures).

What this module offers
  gb_document(suite, specs, repetitions, extra_context, ..., jitter) -> dict
      Google Benchmark 1.7.1 JSON (--benchmark_out_format=json) for a list of
      BenchSpec: iteration entries per repetition with +-jitter, then the
      mean/median/stddev/cv aggregates exactly as 1.7.1 writes them (names
      with "/repeats:N", "/threads:N" and "_median" suffixes, run_name,
      aggregate_name, aggregate_unit), errored entries with error_message and
      no counters.
  make_run(directory, pus=2, arch="x86_64", suites=("atomics", "c2c"),
           with_manifest=True, with_context=True, c2c_mode="all_pairs",
           library_build_type="release") -> directory
      A complete run directory: context.json, manifest.json, atomics.json,
      c2c.json for a machine with `pus` PUs (smt/cross placements errored
      where such a machine could not honour them, as the suite does).
  fairness_specs(pus, ...) / starvation_specs(pus, ...) -> [BenchSpec]
  fairness_timeline(specs) / starvation_hist(specs) -> the suites' side files
  add_lock_suites(directory, pus=2, suites=("fairness", "starvation"),
                  side_files=True, ...) -> directory
      fairness.json, starvation.json and their side files, shaped like the
      lock suites' output (names ending "/manual_time", threads in the name).
  lock_registry() / registry_context()
      the lock lists of suites/common/lock_registry.h, read from the header
      itself, and the context keys the lock suites write from them;
      MUTEX_LOCKS, INSTRUMENTED_LOCKS, RW_LOCKS are its names.
  make_lock_run(directory, ...) / lock_suite_from(name, specs, directory)
      a run with the lock suites / one lock suite's SuiteData, with the
      registry in the context (with_registry=False: an older run).
  pool_specs / maps_specs / overhead_specs / pool_side,
  make_pool_maps_overhead_run(directory, ..., suites=...)
      the pool, maps and overhead suites' output.
  suite_from(name, specs, directory, ...) -> SuiteData (no jitter).
  write_file(directory, fname, obj), run_script(name, *args), read_text(path)
  check_html(test, path) -> (text, [img src]): tags balanced.
  FigureCase / TempDirCase / ReportRunCase / ErrorContract
      unittest bases: a fresh directory and assertFigures(figs, names); one
      run made by make(directory) and report.py run on it once per class
      (reach them as fx.FigureCase so the loader does not collect them).
  png_size(path) -> (width, height)
      Validates a PNG file (signature, chunk CRCs, IHDR ... IEND).
  python3 plots/testing_fixtures.py OUT_DIR [--pus N] [--arch x86_64|aarch64]
      writes one such run, for looking at the figures by hand.

Values are made up but shaped like real ones (latencies in ns, rates in
ops/s, cas_loop failure rates rising with threads, c2c latency by class).
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from collections import namedtuple

BenchSpec = namedtuple("BenchSpec", "name threads counters label error explicit_threads")
BenchSpec.__new__.__defaults__ = (1, None, "", None, True)


def gb_document(suite, specs, repetitions=3, extra_context=None, seed=1,
                library_build_type="release", jitter=0.04):
    rng = random.Random(seed)
    context = {
        "date": "2026-11-28T16:26:35+00:00",
        "host_name": "testhost",
        "executable": "./build/suites/%s/syncscope_%s" % (suite, suite),
        "num_cpus": 2,
        "mhz_per_cpu": 2445,
        "cpu_scaling_enabled": False,
        "caches": [
            {"type": "Data", "level": 1, "size": 32768, "num_sharing": 1},
            {"type": "Unified", "level": 2, "size": 524288, "num_sharing": 1},
            {"type": "Unified", "level": 3, "size": 33554432, "num_sharing": 2},
        ],
        "load_avg": [0.4, 0.35, 0.17],
        "library_build_type": library_build_type,
        "syncscope_suite": suite,
        "syncscope_profile": "quick",
        "counters_available": "false",
        "counters_reason": "PAPI: no hardware events usable",
    }
    context.update(extra_context or {})
    benchmarks = []
    families = {}    # registered benchmark (name without threads) -> index
    instances = {}   # family index -> instances so far (one per thread count)
    for spec in specs:
        fidx = families.setdefault(spec.name, len(families))
        inst = instances.get(fidx, 0)
        instances[fidx] = inst + 1
        run_name = spec.name
        if repetitions > 1:
            run_name += "/repeats:%d" % repetitions
        if spec.explicit_threads:
            run_name += "/threads:%d" % spec.threads
        base = {"name": run_name, "family_index": fidx,
                "per_family_instance_index": inst, "run_name": run_name}
        if spec.error:
            for rep in range(repetitions):
                e = dict(base)
                e.update({"run_type": "iteration", "repetitions": repetitions,
                          "repetition_index": rep, "threads": spec.threads,
                          "error_occurred": True, "error_message": spec.error,
                          "iterations": 2, "real_time": 0.0, "cpu_time": 0.0,
                          "time_unit": "ns"})
                benchmarks.append(e)
            continue
        reps = []
        for rep in range(repetitions):
            counters = {k: v * (1.0 + rng.uniform(-jitter, jitter))
                        for k, v in spec.counters.items()}
            rt = counters.get("ns_per_op", 5.0)
            e = dict(base)
            e.update({"run_type": "iteration", "repetitions": repetitions,
                      "repetition_index": rep, "threads": spec.threads,
                      "iterations": 1000000, "real_time": rt,
                      "cpu_time": rt * spec.threads, "time_unit": "ns"})
            e.update(counters)
            if spec.label:
                e["label"] = spec.label
            reps.append(e)
            benchmarks.append(e)
        if repetitions > 1:
            keys = ["real_time", "cpu_time"] + list(spec.counters)
            for agg in ("mean", "median", "stddev", "cv"):
                a = dict(base)
                a["name"] = run_name + "_" + agg
                a.update({"run_type": "aggregate", "repetitions": repetitions,
                          "threads": spec.threads, "aggregate_name": agg,
                          "aggregate_unit": "percentage" if agg == "cv" else "time",
                          "iterations": repetitions})
                for k in keys:
                    vals = [r[k] for r in reps]
                    mean = sum(vals) / len(vals)
                    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
                    a[k] = {"mean": mean, "median": sorted(vals)[len(vals) // 2],
                            "stddev": sd, "cv": sd / mean if mean else 0.0}[agg]
                a["time_unit"] = "ns"
                if spec.label:
                    a["label"] = spec.label
                benchmarks.append(a)
    return {"context": context, "benchmarks": benchmarks}


def _thread_counts(pus):
    t, out = 1, []
    while t < pus:
        out.append(t)
        t *= 2
    out.append(pus)
    return sorted(set(out))


def atomics_specs(pus, arch="x86_64"):
    paths = ["portable", "x86_64"] if arch == "x86_64" else ["portable", "llsc", "lse"]
    base_lat = {"load": 1.0, "store": 1.1, "exchange": 9.0, "fetch_add": 9.5, "cas": 10.5}
    path_factor = {"portable": 1.05, "x86_64": 1.0, "llsc": 1.6, "lse": 0.9}
    specs = []
    for op, lat in base_lat.items():
        for path in paths:
            for bits in (32, 64):
                v = lat * path_factor[path] * (1.0 if bits == 64 else 0.97)
                specs.append(BenchSpec("atomics_latency/op:%s/path:%s/bits:%d" % (op, path, bits),
                                       counters={"ns_per_op": v}, explicit_threads=False))
    for op, lat in base_lat.items():
        for path in paths:
            v = lat * path_factor[path] * 0.45
            specs.append(BenchSpec("atomics_throughput/op:%s/path:%s/bits:64" % (op, path),
                                   counters={"ns_per_op": v, "ops_per_s": 1e9 / v},
                                   explicit_threads=False))
    smt = pus >= 4
    placements = ["none", "compact", "scatter", "smt", "cross"]
    for op in ("fetch_add", "cas_loop", "exchange"):
        for path in paths:
            for layout in ("shared", "padded"):
                for placement in placements:
                    for t in _thread_counts(pus):
                        name = ("atomics_contended/op:%s/path:%s/layout:%s/placement:%s"
                                % (op, path, layout, placement))
                        if placement == "smt" and not smt:
                            specs.append(BenchSpec(name, t, error=(
                                "placement 'smt' not honoured on this machine: no SMT "
                                "(1 PU per core)")))
                            continue
                        if placement == "cross" and pus < 64:
                            specs.append(BenchSpec(name, t, error=(
                                "placement 'cross' not honoured on this machine: one "
                                "package")))
                            continue
                        single = 1e9 / (base_lat.get(op, 11.0) * path_factor[path])
                        if layout == "padded":
                            rate = single * t * 0.95
                        else:
                            near = 1.3 if placement == "compact" else 1.0
                            rate = single / (1.0 + 0.9 * (t - 1)) * near
                        counters = {"ops_per_s": rate, "ns_per_op": 1e9 * t / rate}
                        if op == "cas_loop":
                            counters["cas_fail_rate"] = (0.0 if layout == "padded" or t == 1
                                                         else min(0.95, 0.35 * math.log2(t)))
                        pu_list = ",".join(str(i) for i in range(t))
                        specs.append(BenchSpec(name, t, counters, "pus=" + pu_list))
    specs.append(BenchSpec("atomics_overhead/harness", counters={"ns_per_op": 0.6},
                           explicit_threads=False))
    return specs


def c2c_class(a, b, pus):
    """Made-up topology: 2 PUs per core when pus >= 4, 2 packages when pus >= 32."""
    if a == b:
        return "same_pu"
    if pus >= 4 and a // 2 == b // 2:
        return "smt_sibling"
    if pus >= 32 and (a < pus // 2) != (b < pus // 2):
        return "cross_package"
    return "same_l3"


def c2c_specs(pus, mode="all_pairs"):
    base = {"smt_sibling": 18.0, "same_l3": 45.0, "same_package": 70.0,
            "cross_package": 130.0, "cross_numa": 190.0}
    specs = []
    seen_classes = set()
    for a in range(pus):
        for b in range(a + 1, pus):
            cls = c2c_class(a, b, pus)
            if mode == "sampled_by_class":
                if (cls, a) in seen_classes or len([c for c in seen_classes if c[0] == cls]) >= 3:
                    continue
                seen_classes.add((cls, a))
            med = base[cls] * (1.0 + 0.05 * ((a * 7 + b * 3) % 5))
            specs.append(BenchSpec(
                "c2c/pu_a:%d/pu_b:%d/class:%s" % (a, b, cls),
                counters={"one_way_ns": med, "one_way_ns_p10": med * 0.9,
                          "one_way_ns_p90": med * 1.25, "one_way_ns_min": med * 0.8,
                          "samples": 10000.0},
                label="pus=%d,%d" % (a, b), explicit_threads=False))
    return specs


def context_json(pus, arch="x86_64"):
    return {
        "host": "testhost",
        "arch": arch,
        "kernel": "Linux 6.1.0-18-amd64",
        "hypervisor": "KVM",
        "cpu": {"model": "AMD EPYC 7B13" if arch == "x86_64" else "Neoverse-N1",
                "vendor": "AuthenticAMD" if arch == "x86_64" else "ARM"},
        "cpu_governor": "performance",
        "smt": pus >= 4,
        "compiler": "g++ 12.2.0",
        "build_type": "Release",
        "git_revision": "0123abcd",
        "perf_event_paranoid": 2,
        "topology": {"packages": 2 if pus >= 32 else 1, "numa_nodes": 1,
                     "cores": pus // 2 if pus >= 4 else pus, "pus": pus,
                     "l3_groups": [list(range(pus))]},
        "placement_support": {
            "none": {"honoured": True, "reason": ""},
            "compact": {"honoured": True, "reason": ""},
            "scatter": {"honoured": True, "reason": ""},
            "smt": {"honoured": pus >= 4, "reason": "" if pus >= 4 else "no SMT (1 PU per core)"},
            "cross": {"honoured": pus >= 64, "reason": "" if pus >= 64 else "one package"},
        },
        "cpu_features": {"lse": arch != "x86_64", "cx16": arch == "x86_64",
                         "rtm": False},
        "counters": {"available": False, "usable": False,
                     "reason": "PAPI initialised but no hardware event can be added"},
        "benchmark_library": {"version": "1.7.1", "build_type": "release"},
        "atomic_paths": ["portable", "x86_64"] if arch == "x86_64"
        else ["portable", "llsc", "lse"],
    }


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)


def make_run(directory, pus=2, arch="x86_64", suites=("atomics", "c2c"),
             with_manifest=True, with_context=True, c2c_mode="all_pairs",
             library_build_type="release"):
    os.makedirs(directory, exist_ok=True)
    if with_context:
        write_json(os.path.join(directory, "context.json"), context_json(pus, arch))
    if with_manifest:
        write_json(os.path.join(directory, "manifest.json"), {
            "run_id": os.path.basename(os.path.normpath(directory)),
            "profile": "quick", "suites": list(suites),
            "started_utc": "2026-11-28T16:20:00Z", "finished_utc": "2026-11-28T16:26:00Z",
            "duration_s": 360.0, "command": "./run.sh bench --profile quick"})
    if "atomics" in suites:
        write_json(os.path.join(directory, "atomics.json"),
                   gb_document("atomics", atomics_specs(pus, arch),
                               library_build_type=library_build_type))
    if "c2c" in suites:
        write_json(os.path.join(directory, "c2c.json"),
                   gb_document("c2c", c2c_specs(pus, c2c_mode), repetitions=1,
                               extra_context={"c2c_mode": c2c_mode},
                               library_build_type=library_build_type))
    return directory


PLOTS_DIR = os.path.dirname(os.path.abspath(__file__))


def run_script(name, *args):
    """Runs plots/<name> (report.py, compare.py, ...) under this Python with
    the Agg backend; the CompletedProcess (text output captured)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, os.path.join(PLOTS_DIR, name)] + list(args),
                          capture_output=True, text=True, timeout=300, env=env)


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def png_size(path):
    """(width, height) of a well-formed PNG file; AssertionError otherwise.
    Checks the signature, every chunk's CRC, IHDR first and IEND last."""
    import struct
    import zlib
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s: not a PNG signature" % path
    pos, chunks, size = 8, [], None
    while pos < len(data):
        assert pos + 12 <= len(data), "%s: truncated chunk" % path
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(ctype + body) & 0xffffffff == crc, "%s: bad CRC in %r" % (path, ctype)
        if ctype == b"IHDR":
            size = struct.unpack(">II", body[:8])
        chunks.append(ctype)
        pos += 12 + length
    assert chunks and chunks[0] == b"IHDR" and chunks[-1] == b"IEND", \
        "%s: chunks %r" % (path, chunks[:3])
    assert size and size[0] > 0 and size[1] > 0
    return size


# --------------------------------------------------------------------------
# Lock suites (fairness, starvation): specs, side files, run directories
# --------------------------------------------------------------------------

LOCK_REGISTRY_HEADER = os.path.join(os.path.dirname(PLOTS_DIR), "suites", "common",
                                    "lock_registry.h")
# C++ list name in lock_registry.h -> the context key the suites write it as.
_REGISTRY_LISTS = {"MutexLocks": "locks_mutex", "InstrumentedLocks": "locks_instrumented",
                   "SharedLocks": "locks_shared", "PeerLocks": "locks_peer"}


def lock_registry(path=LOCK_REGISTRY_HEADER):
    """{context key: [(lock, colour)]} read from suites/common/lock_registry.h
    itself, so the fixtures list the locks the suites register (in their
    order) without a copy: `Lock<"name", Type, "#rrggbb">` entries of the
    MutexLocks, InstrumentedLocks, SharedLocks and PeerLocks lists."""
    import re
    text = read_text(path)
    out = {}
    for cxx, key in _REGISTRY_LISTS.items():
        m = re.search(r"using\s+%s\s*=\s*LockList<(.*?)>;" % cxx, text, re.S)
        assert m, "%s: no %s list" % (path, cxx)
        out[key] = [(n, c) for n, c in re.findall(
            r'Lock<"([A-Za-z0-9_]+)",\s*[A-Za-z0-9_:<>]+?(?:,\s*"(#?[0-9A-Fa-f]*)")?>', m.group(1))]
        assert out[key], "%s: %s has no Lock<...> entries" % (path, cxx)
    return out


def registry_context(registry=None):
    """The context keys a lock suite writes (add_lock_registry_context in
    lock_registry.h): "name=#rrggbb,..." per list, in registry order."""
    registry = lock_registry() if registry is None else registry
    return {key: ",".join("%s=%s" % (n, c) for n, c in entries)
            for key, entries in registry.items()}


_REGISTRY = lock_registry()
MUTEX_LOCKS = tuple(n for n, _ in _REGISTRY["locks_mutex"])
INSTRUMENTED_LOCKS = tuple(n for n, _ in _REGISTRY["locks_instrumented"])
RW_LOCKS = tuple(n for n, _ in _REGISTRY["locks_shared"])

# Made-up shape per lock: (acquisitions/s at 1 thread, skew of the per-thread
# counts: 0 = perfectly even, 1 = the first thread gets nearly everything,
# throughput factor per doubling of threads, victim's worst wait in
# lockskew in ns). FIFO locks are even but slow when oversubscribed,
# test-and-set spinlocks fast and skewed, Go's starvation mode bounds the
# lockskew victim near 1 ms.
_LOCK_SHAPE = {
    "std_mutex": (1.1e6, 0.10, 0.85, 3.0e7),
    "pthread_adaptive": (1.0e6, 0.12, 0.85, 3.2e7),
    "absl_mutex": (1.2e6, 0.20, 0.80, 2.5e7),
    "tbb_spin_mutex": (0.9e6, 0.45, 0.80, 4.0e7),
    "tbb_queuing_mutex": (0.7e6, 0.02, 0.30, 6.0e6),
    "GoMutex2008": (0.9e6, 0.15, 0.90, 3.5e7),
    "GoMutex2012": (1.0e6, 0.20, 0.92, 3.8e7),
    "GoMutex2015": (1.3e6, 0.18, 0.95, 3.0e7),
    "GoMutex": (1.2e6, 0.12, 0.93, 1.3e6),
    "SpinLock": (1.6e6, 0.40, 1.10, 4.5e7),
    "TtasLock": (1.4e6, 0.38, 1.00, 4.2e7),
    "TicketLock": (1.0e6, 0.01, 0.25, 8.0e6),
    "McsLock": (0.9e6, 0.01, 0.30, 7.0e6),
    "ClhLock": (0.8e6, 0.01, 0.28, 7.5e6),
    "SemaMutex": (1.2e6, 0.15, 0.95, 2.8e7),
    "RecursiveMutex": (0.8e6, 0.14, 0.85, 3.0e7),
    "GoMutex2015_instr": (1.25e6, 0.18, 0.95, 3.0e7),
    "GoMutex_instr": (1.15e6, 0.12, 0.93, 1.3e6),
}


def _shape(lock):
    return _LOCK_SHAPE.get(lock, (1.0e6, 0.1, 0.9, 2.0e7))


def _lock_thread_counts(pus):
    """1 up to 2x the PUs, as the suites sweep (oversubscription included)."""
    return _thread_counts(2 * pus)


def _placement_error(placement, pus):
    if placement == "smt" and pus < 4:
        return "placement 'smt' not honoured on this machine: no SMT: each core has one PU"
    if placement == "cross" and pus < 64:
        return ("placement 'cross' not honoured on this machine: one package and one "
                "NUMA node: nothing to cross")
    return None


def count_fairness(counts):
    """(jain_index, cv, min_max_ratio) of per-thread counts, as the suite
    computes them (suites/common/fairness_metrics.h)."""
    n, total = len(counts), float(sum(counts))
    sq = sum(c * c for c in counts)
    jain = total * total / (n * sq) if sq else 0.0
    mean = total / n
    var = sum((c - mean) ** 2 for c in counts) / n
    cv = math.sqrt(var) / mean if mean else 0.0
    mn, mx = min(counts), max(counts)
    return jain, cv, (mn / mx if mx else 0.0)


def fairness_specs(pus=2, locks=MUTEX_LOCKS + INSTRUMENTED_LOCKS,
                   placements=("none", "compact", "scatter", "smt", "cross"),
                   workloads=((100, 100, "fixed"),), per_thread=True, uncontended=False):
    """BenchSpecs of the fairness suite, named as the suite names them
    (".../dist:D/manual_time"); placements a machine with `pus` PUs cannot
    honour are errored. per_thread=False leaves out the acq_t<i> counters;
    uncontended adds the fairness_uncontended/lock:L family."""
    specs = []
    if uncontended:
        for lock in locks:
            ns = 1e9 / _shape(lock)[0] / 40.0 * (1.3 if lock.endswith("_instr") else 1.0)
            specs.append(BenchSpec("fairness_uncontended/lock:%s" % lock,
                                   counters={"ns_per_op": ns}, explicit_threads=False))
    for cs, ncs, dist in workloads:
        for lock in locks:
            rate1, skew, per_doubling, _ = _shape(lock)
            for placement in placements:
                for t in _lock_thread_counts(pus):
                    name = ("fairness/lock:%s/threads:%d/placement:%s/cs_ns:%d/ncs_ns:%d/"
                            "dist:%s/manual_time" % (lock, t, placement, cs, ncs, dist))
                    err = _placement_error(placement, pus)
                    if err:
                        specs.append(BenchSpec(name, error=err, explicit_threads=False))
                        continue
                    rate = rate1 * per_doubling ** math.log2(t) * (100.0 / (cs + 50.0))
                    secs = 0.1
                    total = rate * secs
                    weights = [(1.0 - skew) + skew * (0.5 ** i) * 2 for i in range(t)]
                    counts = [round(total * w / sum(weights)) for w in weights]
                    jain, cv, mm = count_fairness(counts)
                    c = {"acq_per_s": rate, "jain_index": jain, "cv": cv,
                         "min_max_ratio": mm,
                         "barging_share": min(1.0, 0.05 + 2 * skew) if t > 1 else 1.0,
                         "lwss": 1.0 + (t - 1) * (1.0 - skew) * 0.5,
                         "mttr": 1.0 if skew > 0.05 else float(t),
                         "seq_len": float(sum(counts)), "ns_per_op": 1e8,
                         # a spinning lock (tas, ttas...) burns every thread's CPU
                         "cpu_ns_per_acq": t * 1e9 / rate * (1.0 if "as" in lock else 0.3),
                         "vcsw_per_acq": 0.0 if "as" in lock else 0.4,
                         "ivcsw_per_acq": 0.01, "cpus_used": float(t)}
                    if per_thread:
                        for i, n in enumerate(counts):
                            c["acq_t%d" % i] = float(n)
                    if lock.endswith("_instr"):
                        go = lock == "GoMutex_instr"
                        c.update({"spins": 10.0 * t, "parks": 3.0 * t,
                                  "barges": float(sum(counts)) * 0.5 if t > 2 else 0.0,
                                  "handoffs": float(2 * t) if go and t > 1 else 0.0,
                                  "mode_switches": float(2 * (t // 2)) if go else 0.0})
                    specs.append(BenchSpec(name, counters=c, label="placement=%s;pus=%s"
                                           % (placement, ",".join(str(i) for i in range(t))),
                                           explicit_threads=False))
    return specs


def fairness_timeline(specs):
    """fairness_timeline.json for the GoMutex_instr runs of `specs` (the
    only design here with a starvation mode): keys without "/manual_time"."""
    out = {}
    for spec in specs:
        if spec.error or "/lock:GoMutex_instr/" not in spec.name:
            continue
        t = int(spec.name.split("/threads:")[1].split("/")[0])
        events = []
        for k in range(t // 2):
            start = 10.0 + 30.0 * k
            events.append({"t_ms": start, "entered_starvation": True})
            if k < t // 2 - 1 or t < 4:
                events.append({"t_ms": start + 12.5, "entered_starvation": False})
        out[spec.name.replace("/manual_time", "")] = {"duration_ms": 100.0 + t,
                                                      "events": events}
    return out


def wait_buckets(p50_ns, max_ns, total=20000, steps=14):
    """Log-linear-histogram-like buckets [[upper_ns, count], ...]: most
    waits near p50_ns, a tail thinning out geometrically up to max_ns (the
    last bucket's bound, holding at least one wait)."""
    if total <= 0:
        return []
    lo, hi = max(1.0, float(p50_ns)), max(float(max_ns), float(p50_ns) + 1.0)
    ratio = (hi / lo) ** (1.0 / (steps - 1))
    weights = [0.5 ** i for i in range(steps)]
    counts = [max(1, int(total * w / sum(weights))) for w in weights]
    counts[0] += max(0, total - sum(counts))
    bounds = [int(round(lo * ratio ** i)) for i in range(steps)]
    bounds[-1] = int(hi)
    out = []
    for ub, c in zip(bounds, counts):
        if out and ub <= out[-1][0]:
            out[-1][1] += c
        else:
            out.append([ub, c])
    return out


def starvation_specs(pus=2, locks=MUTEX_LOCKS, rw_locks=RW_LOCKS,
                     placements=("none", "compact", "smt")):
    """BenchSpecs of the starvation suite: hammer, lockskew and rw families."""
    specs = []
    for lock in locks:
        rate1, skew, per_doubling, victim_max = _shape(lock)
        for placement in placements:
            for t in [x for x in _lock_thread_counts(pus) if x >= 2]:
                name = ("starvation/lock:%s/threads:%d/placement:%s/cs_ns:100/ncs_ns:100/"
                        "manual_time" % (lock, t, placement))
                err = _placement_error(placement, pus)
                if err:
                    specs.append(BenchSpec(name, error=err, explicit_threads=False))
                    continue
                p50 = 40.0 if skew > 0.05 else 12000.0
                mx = victim_max * (0.5 + 0.1 * t)
                c = {"wait_p50_ns": p50, "wait_p90_ns": p50 * 1.5, "wait_p99_ns": p50 * 20,
                     "wait_p999_ns": p50 * 300, "wait_max_ns": mx,
                     "wait_count": 20000.0, "acq_per_s": rate1 * per_doubling ** math.log2(t),
                     "ns_per_op": 2e8}
                specs.append(BenchSpec(name, counters=c, label="placement=%s" % placement,
                                       explicit_threads=False))
        name = "starvation_lockskew/lock:%s/manual_time" % lock
        specs.append(BenchSpec(name, counters={
            "victim_wait_p50_ns": 150.0, "victim_wait_p90_ns": 2000.0,
            "victim_wait_p99_ns": victim_max * 0.6, "victim_wait_p999_ns": victim_max,
            "victim_wait_max_ns": victim_max, "victim_wait_count": 2400.0,
            "victim_acq": 2400.0, "hog_acq": 4e5, "hog_wait_max_ns": 1.6e7,
            "ns_per_op": 5e8}, label="placement=compact;pus=0,1", explicit_threads=False))
    threads = max(2, 2 * pus)
    for lock in rw_locks:
        for pct in (0, 50, 90, 99):
            name = "starvation_rw/lock:%s/read_pct:%d/threads:%d/manual_time" % (
                lock, pct, threads)
            reads = 0.0 if pct == 0 else 2e5 * pct / 100.0
            writes = 2e5 - reads
            w_max = 2e6 * (1 + pct / 10.0) if lock == "std_shared_mutex" else 3e6
            c = {"acq_per_s": 1e6 * (1 + pct / 100.0), "reads": reads, "writes": writes,
                 "ns_per_op": 2e8}
            for who, count, p99, mx in (("reader", reads, 300.0, 2e6),
                                        ("writer", writes, 100.0 * (1 + pct), w_max)):
                zero = count == 0
                c.update({"%s_wait_p50_ns" % who: 0.0 if zero else 40.0,
                          "%s_wait_p90_ns" % who: 0.0 if zero else 60.0,
                          "%s_wait_p99_ns" % who: 0.0 if zero else p99,
                          "%s_wait_p999_ns" % who: 0.0 if zero else p99 * 10,
                          "%s_wait_max_ns" % who: 0.0 if zero else mx,
                          "%s_wait_count" % who: count})
            specs.append(BenchSpec(name, counters=c, label="placement=none;pus=unpinned",
                                   explicit_threads=False))
    return specs


def starvation_hist(specs):
    """starvation_hist.json for `specs`: "buckets" for hammer and lockskew
    runs, "reader_buckets"/"writer_buckets" for rw runs."""
    out = {}
    for spec in specs:
        if spec.error:
            continue
        key = spec.name.replace("/manual_time", "")
        c = spec.counters
        if spec.name.startswith("starvation_rw/"):
            out[key] = {"reader_buckets": wait_buckets(40, c["reader_wait_max_ns"] or 41,
                                                       int(c["reads"]) or 0),
                        "writer_buckets": wait_buckets(40, c["writer_wait_max_ns"],
                                                       int(c["writes"]))}
        elif spec.name.startswith("starvation_lockskew/"):
            out[key] = {"buckets": wait_buckets(150, c["victim_wait_max_ns"], 2400)}
        else:
            out[key] = {"buckets": wait_buckets(c["wait_p50_ns"], c["wait_max_ns"])}
    return out


def add_lock_suites(directory, pus=2, suites=("fairness", "starvation"), side_files=True,
                    fair_specs=None, starv_specs=None, repetitions=3, with_registry=True):
    """Write fairness.json / starvation.json (Google Benchmark 1.7.1 JSON)
    and, with side_files, fairness_timeline.json / starvation_hist.json into
    an existing run directory (e.g. one from make_run(..., suites=())).
    with_registry=False: a run from before the suites wrote the lock
    registry into their context."""
    os.makedirs(directory, exist_ok=True)
    lock_context = registry_context() if with_registry else {}
    if "fairness" in suites:
        specs = (fair_specs if fair_specs is not None
                 else fairness_specs(pus, uncontended=True))
        write_json(os.path.join(directory, "fairness.json"),
                   gb_document("fairness", specs, repetitions=repetitions,
                               extra_context=dict(lock_context, usable_pus=str(pus))))
        if side_files:
            write_json(os.path.join(directory, "fairness_timeline.json"),
                       fairness_timeline(specs))
    if "starvation" in suites:
        specs = starv_specs if starv_specs is not None else starvation_specs(pus)
        write_json(os.path.join(directory, "starvation.json"),
                   gb_document("starvation", specs, repetitions=repetitions,
                               extra_context=dict(lock_context,
                                                  lockskew="hog cs 200 ns, gap 20 ns; "
                                                           "victim every 200 us")))
        if side_files:
            write_json(os.path.join(directory, "starvation_hist.json"),
                       starvation_hist(specs))
    return directory


# --------------------------------------------------------------------------
# Lock suites: whole run directories
# --------------------------------------------------------------------------

FAIRNESS_PNGS = ["fairness_shares.png", "fairness_pareto.png", "fairness_pareto_cpu.png",
                 "fairness_scaling.png",
                 "fairness_go_modes.png", "fairness_uncontended.png"]
STARVATION_PNGS = ["starvation_ccdf.png", "starvation_lockskew.png", "starvation_rw.png",
                   "starvation_percentiles.png"]


SMALL_MUTEXES = ("std_mutex", "GoMutex2015", "GoMutex", "SpinLock")


def make_lock_run(directory, side_files=True, pus=2, small=False,
                  suites=("fairness", "starvation"), with_registry=True):
    """A run directory with the lock suites: every lock, or (small) a few
    locks, the instrumented Go mutexes and two reader/writer locks."""
    make_run(directory, pus=pus, suites=())
    fair = starv = None
    if small:
        fair = fairness_specs(pus, locks=SMALL_MUTEXES + INSTRUMENTED_LOCKS,
                              placements=("none", "smt"))
        starv = starvation_specs(pus, locks=SMALL_MUTEXES,
                                 rw_locks=("GoRWMutex", "std_shared_mutex"),
                                 placements=("none",))
    return add_lock_suites(directory, pus=pus, suites=suites, side_files=side_files,
                           fair_specs=fair, starv_specs=starv, with_registry=with_registry)


def lock_suite_from(name, specs, directory, repetitions=1, with_registry=True):
    """suite_from() for a lock suite: its context carries the lock registry
    (unless with_registry=False, a run from before the suites wrote it)."""
    ctx = dict(registry_context() if with_registry else {}, lockskew="hog cs 200 ns")
    return suite_from(name, specs, directory, repetitions, ctx)


# --------------------------------------------------------------------------
# Pool, maps and overhead suites
# --------------------------------------------------------------------------

POOL_SIDE_FILE = "pool_variable_sizes.json"
POOL_PNGS = ["pool_scenarios.png", "pool_victim.png", "pool_retained.png", "pool_scaling.png"]
MAPS_PNGS = ["maps_throughput.png", "maps_bars.png"]
OVERHEAD_PNGS = ["overhead_table.png", "overhead_latency.png"]

PEERS = ["Pool", "no_pool", "mutex_free_list", "linked_free_list", "thread_local_free_list",
         "tbb_scalable"]
REUSING = ("Pool", "mutex_free_list", "linked_free_list", "thread_local_free_list")
_PAIR_NS = {"Pool": 16.0, "no_pool": 30.0, "mutex_free_list": 25.0, "linked_free_list": 14.0,
            "thread_local_free_list": 1.5, "tbb_scalable": 28.0}


def _pmo_placement_error(placement):
    return {"smt": "placement 'smt' not honoured on this machine: no SMT: each core has one PU",
            "cross": "placement 'cross' not honoured on this machine: one package"}.get(placement)


def pool_specs(pool_ns=16.0, baseline_ns=1.5, threads=(1, 2)):
    ns = dict(_PAIR_NS, Pool=pool_ns, thread_local_free_list=baseline_ns)
    specs = []
    for family, factor in (("pool_put_get", 1.0), ("pool_overflow", 1.3), ("pool_starvation", 3.0)):
        for p in PEERS:
            for pl in ("none", "compact", "smt"):
                for t in threads:
                    if t == 1 and pl != "none":
                        continue  # one thread: first placement only, as the suite registers
                    name = "%s/peer:%s/placement:%s/real_time" % (family, p, pl)
                    if _pmo_placement_error(pl):
                        specs.append(BenchSpec(name, t, error=_pmo_placement_error(pl)))
                        continue
                    hit = (0.67 if family == "pool_starvation" else 1.0) if p in REUSING else 0.0
                    v = ns[p] * factor * (1.0 + 0.2 * (t - 1))
                    specs.append(BenchSpec(name, t, {
                        "ns_per_op": v, "cpu_ns_per_op": v * 0.9, "ops_per_s": 1e9 * t / v,
                        "hit_rate": hit, "news_per_op": 1.0 - hit,
                        "allocs_per_op": 0.0 if p == "tbb_scalable" else 1.0 - hit,
                        "retained_bytes": 64.0 * t if p in REUSING else 0.0},
                        label="placement=%s;pus=0,1" % pl))
    for p in PEERS:
        hit = 0.999 if p in ("Pool", "mutex_free_list", "linked_free_list") else 0.0
        specs.append(BenchSpec("pool_cross_thread/peer:%s/placement:none/real_time" % p, 2, {
            "ns_per_op": 300.0, "cpu_ns_per_op": 250.0, "ops_per_s": 3.3e6, "hit_rate": hit,
            "vcsw_per_op": 0.02, "ivcsw_per_op": 0.001,
            "news_per_op": 1 - hit, "allocs_per_op": 1 - hit,
            "retained_bytes": 6.4e6 if p == "thread_local_free_list" else 4096.0}))
    for p in PEERS + ["Pool_no_victim"]:
        news = {"Pool": 1e-4, "Pool_no_victim": 0.03, "no_pool": 1.0, "tbb_scalable": 1.0}.get(p, 0.0)
        c = {"ns_per_op": 50.0 + news * 1.1e6, "news_per_op": news, "hit_rate": 1 - news,
             "allocs_per_op": news, "gets": 8000.0, "gcs": 4.0}
        if p.startswith("Pool"):
            c["trims_per_gc"] = 2.0 if p == "Pool_no_victim" else 1.0
        specs.append(BenchSpec("pool_expensive_new/peer:%s/threads:2/manual_time" % p,
                               counters=c, explicit_threads=False))
    specs.append(BenchSpec("pool_trim_pause/peer:Pool/objects:100000/manual_time", counters={
        "trim_free_p50_ns": 2.1e6, "trim_free_p95_ns": 2.6e6, "trim_free_max_ns": 3.0e6,
        "trim_swap_p50_ns": 900.0, "trim_swap_p95_ns": 1400.0, "freed_per_trim": 1e5,
        "samples": 20.0}, explicit_threads=False))
    for p, allocs in (("Pool", 16.0), ("Pool_no_victim", 1017.0)):
        specs.append(BenchSpec("pool_victim/peer:%s/held:1000" % p, counters={
            "ns_per_op": 40.0, "allocs_per_cycle": allocs, "allocs_per_op": allocs / 1000,
            "news_per_cycle": 0.0 if p == "Pool" else 1000.0, "hit_rate": 1.0 if p == "Pool" else 0.0,
            "trims_per_gc": 1.0 if p == "Pool" else 2.0}, explicit_threads=False,
            label="victim cache"))
    for cap, final in (("none", 64.0 * (1 << 20)), ("65536", 63.0 * 1024)):
        specs.append(BenchSpec("pool_variable_sizes/peer:Pool/cap:%s/manual_time" % cap, counters={
            "retained_bytes_final": final, "retained_bytes_max": final, "retained_bytes_mean": final / 2,
            "ns_per_op": 60.0, "hit_rate": 0.99, "news_per_op": 0.01, "allocs_per_op": 0.02,
            "grows_per_op": 0.005, "dropped_per_op": 0.0 if cap == "none" else 0.01},
            explicit_threads=False))
    return specs


def pool_side(rounds=50):
    out = {}
    for cap in ("none", "65536"):
        ys = [min(64.0 * (1 << 20), 1024.0 * 64 + r * 2e6) if cap == "none" else 63.0 * 1024
              for r in range(rounds)]
        out["pool_variable_sizes/peer:Pool/cap:%s" % cap] = {
            "round": list(range(1, rounds + 1)), "t_ms": [0.1 * r for r in range(rounds)],
            "retained_bytes": ys, "retained_objects": [64.0] * rounds,
            "cap": None if cap == "none" else 65536, "held": 64, "gc_every": 10}
    return out


MAPS = ["SyncMap", "ConcurrentMap", "umap_GoMutex", "umap_GoRWMutex", "umap_std_shared_mutex"]
MAPS_SCENARIOS = ["write_once_read_many", "disjoint_keys", "read_90_write_10"]


def maps_specs(threads=(1, 2), placements=("none", "compact", "smt")):
    specs = []
    for s in MAPS_SCENARIOS:
        for i, m in enumerate(MAPS):
            for pl in placements:
                for t in threads:
                    if t == 1 and pl != placements[0]:
                        continue
                    name = "maps/scenario:%s/map:%s/placement:%s/real_time" % (s, m, pl)
                    if _pmo_placement_error(pl):
                        specs.append(BenchSpec(name, t, error=_pmo_placement_error(pl)))
                        continue
                    rate = (2e7 + 5e6 * i) * (1.5 if t > 1 and m == "SyncMap" else 1.0)
                    specs.append(BenchSpec(name, t, {"ops_per_s": rate, "ns_per_op": 1e9 * t / rate,
                                                     "cpu_ns_per_op": 0.8e9 * t / rate,
                                                     "vcsw_per_op": 1e-4 * i,
                                                     "ivcsw_per_op": 2e-5 * t}))
    return specs


def overhead_specs():
    sp_ = [BenchSpec("overhead_once/impl:Once", counters={"ns_per_op": 1.2, "cpu_ns_per_op": 1.1},
                     explicit_threads=False),
           BenchSpec("overhead_once/impl:std_call_once", counters={"ns_per_op": 4.0},
                     explicit_threads=False),
           BenchSpec("overhead_wait_group/impl:WaitGroup", counters={"ns_per_op": 5.5},
                     explicit_threads=False)]
    for k in (1, 4, 16):
        for impl, f in (("Cond", 1.2), ("std_condition_variable", 1.0)):
            v = 3000.0 * k * f
            sp_.append(BenchSpec("overhead_cond_broadcast/impl:%s/waiters:%d/manual_time" % (impl, k),
                                 counters={"ns_per_op": v, "last_wake_p50_ns": v,
                                           "last_wake_p99_ns": 3 * v, "first_wake_p50_ns": 3000.0,
                                           "rounds": 500.0}, explicit_threads=False))
    for d, w in ((1, 1), (1, 16), (16, 1), (3, 8)):
        n = sum(w ** i for i in range(1, d + 1))
        sp_.append(BenchSpec("overhead_context_cancel/depth:%d/width:%d/manual_time" % (d, w),
                             counters={"ns_per_op": 1500.0 + 90.0 * n, "all_done_p50_ns": 1500.0 + 90.0 * n,
                                       "all_done_p99_ns": 5000.0 + 90.0 * n,
                                       "cancel_call_p50_ns": 60.0 * n, "nodes": float(n),
                                       "leaves": float(w ** d), "rounds": 100.0},
                             explicit_threads=False))
    for impl, base in (("Semaphore", 27.0), ("std_counting_semaphore", 400.0)):
        sp_.append(BenchSpec("overhead_semaphore/impl:%s/mode:uncontended/real_time" % impl,
                             counters={"ns_per_op": base, "ops_per_s": 1e9 / base},
                             explicit_threads=False))
        for t in (2, 4):
            sp_.append(BenchSpec("overhead_semaphore/impl:%s/mode:contended/real_time" % impl, t,
                                 {"ns_per_op": base * t, "ops_per_s": 1e9 / base}))
    for b in (4, 16):
        sp_.append(BenchSpec("overhead_single_flight/burst:%d/manual_time" % b, counters={
            "fn_calls_per_do": 1.0 / b + 0.01, "ideal_fn_calls_per_do": 1.0 / b, "shared_rate": 0.99,
            "ns_per_op": 160000.0, "do_p99_ns": 400000.0, "rounds": 100.0}, explicit_threads=False))
    for n in (1, 8):
        for impl, v in (("ErrGroup", 30000.0), ("std_thread", 25000.0)):
            sp_.append(BenchSpec("overhead_err_group/impl:%s/tasks:%d/real_time" % (impl, n),
                                 counters={"ns_per_op": v}, explicit_threads=False))
    return sp_


def overhead_go_specs():
    """The Go peer's rows (suites/overhead/go) for some of overhead_specs()'s
    cases: Once, Cond at 4 waiters, two context trees, single flight at burst
    4 (Go's sleep-bound latency), the contended semaphore at 2 threads."""
    return [
        BenchSpec("overhead_once/impl:go_sync_once", counters={"ns_per_op": 0.6},
                  explicit_threads=False),
        BenchSpec("overhead_cond_broadcast/impl:go_sync_cond/waiters:4/manual_time",
                  counters={"ns_per_op": 6000.0, "last_wake_p50_ns": 6000.0,
                            "last_wake_p99_ns": 9000.0, "first_wake_p50_ns": 2000.0,
                            "rounds": 500.0}, explicit_threads=False),
        BenchSpec("overhead_context_cancel/impl:go_context/depth:1/width:16/manual_time",
                  counters={"ns_per_op": 3000.0, "all_done_p50_ns": 3000.0,
                            "all_done_p99_ns": 9000.0, "cancel_call_p50_ns": 900.0,
                            "nodes": 16.0, "leaves": 16.0, "rounds": 100.0},
                  explicit_threads=False),
        BenchSpec("overhead_context_cancel/impl:go_context/depth:16/width:1/manual_time",
                  counters={"ns_per_op": 2000.0, "all_done_p50_ns": 2000.0,
                            "all_done_p99_ns": 7000.0, "cancel_call_p50_ns": 800.0,
                            "nodes": 16.0, "leaves": 1.0, "rounds": 100.0},
                  explicit_threads=False),
        BenchSpec("overhead_single_flight/impl:go_singleflight/burst:4/manual_time", counters={
            "fn_calls_per_do": 0.25, "ideal_fn_calls_per_do": 0.25, "shared_rate": 1.0,
            "ns_per_op": 1100000.0, "do_p99_ns": 1300000.0, "rounds": 100.0},
            explicit_threads=False),
        BenchSpec("overhead_semaphore/impl:go_semaphore/mode:contended/real_time", 2,
                  {"ns_per_op": 40.0, "ops_per_s": 2.5e7}),
    ]


def make_pool_maps_overhead_run(directory, side=True, pool=None, maps=None, overhead=None,
                                suites=("pool", "maps", "overhead")):
    """A run directory with pool.json (and its side file), maps.json and
    overhead.json, or only the `suites` named."""
    make_run(directory, pus=2, suites=())
    if "pool" in suites:
        write_json(os.path.join(directory, "pool.json"),
                   gb_document("pool", pool or pool_specs()))
    if "maps" in suites:
        write_json(os.path.join(directory, "maps.json"),
                   gb_document("maps", maps or maps_specs()))
    if "overhead" in suites:
        write_json(os.path.join(directory, "overhead.json"),
                   gb_document("overhead", overhead or overhead_specs()))
    if side and "pool" in suites:
        write_json(os.path.join(directory, POOL_SIDE_FILE), pool_side())
    return directory


# --------------------------------------------------------------------------
# Test set-up shared by the *_test.py files
# --------------------------------------------------------------------------

def suite_from(name, specs, directory="", repetitions=1, extra_context=None):
    """SuiteData of a synthetic suite JSON (no jitter) as if read from
    directory/<name>.json; nothing is written."""
    import common
    doc = gb_document(name, specs, repetitions=repetitions, extra_context=extra_context,
                      jitter=0.0)
    return common.parse_suite(name, os.path.join(directory, name + ".json"), doc)


def write_file(directory, fname, obj):
    """directory/fname holding obj: a str as is, anything else as JSON."""
    with open(os.path.join(directory, fname), "w", encoding="utf-8") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f)


import html.parser  # noqa: E402  (the standard library's; see html_page.py)
import unittest  # noqa: E402


class _TagChecker(html.parser.HTMLParser):
    """Collects <img src> and checks non-void tags are balanced."""
    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.imgs, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs).get("src"))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("unexpected </%s> (open: %s)" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()


def check_html(test, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p = _TagChecker()
    p.feed(text)
    test.assertEqual(p.problems, [])
    test.assertEqual(p.stack, [])
    return text, p.imgs


class ErrorContract:
    """Mixin for the entry points' error contract: assertOneLineError(proc,
    *needles) — exit code 2, nothing on stdout, ONE stderr line starting
    "error: " that contains every needle."""

    def assertOneLineError(self, proc, *needles):
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertTrue(proc.stderr.startswith("error: "), proc.stderr)
        self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)
        for n in needles:
            self.assertIn(n, proc.stderr)
        self.assertEqual(proc.stdout, "")


class FigureCase(unittest.TestCase):
    """A test case with a fresh directory self.dir for figures, and
    assertFigures(figs, names): the (png, caption) list names exactly those
    files, each a valid PNG with a caption."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def assertFigures(self, figs, expected):
        self.assertEqual([f for f, _ in figs], expected)
        for png, caption in figs:
            png_size(os.path.join(self.dir, png))
            self.assertTrue(caption)


def jittered_suite(name, specs, repetitions=5, extra_context=None, jitter=0.3, seed=7):
    """(SuiteData, doc) of a synthetic suite whose repetitions differ (each
    counter +-jitter), as Google Benchmark 1.7.1 writes them with
    --benchmark_repetitions=N and report_aggregates_only=false: every
    repetition's iteration entry, then the aggregates."""
    import common
    doc = gb_document(name, specs, repetitions=repetitions, extra_context=extra_context,
                      jitter=jitter, seed=seed)
    return common.parse_suite(name, name + ".json", doc), doc


def expected_spreads(doc, key, conv=None):
    """{run_name: (p10, p90)} of `key` over the iteration entries of doc (a
    Google Benchmark document), computed here with numpy's percentile (the
    plots compute it with common.percentile); `key` may be a function of an
    entry, conv maps each value first."""
    import numpy
    vals = {}
    for e in doc["benchmarks"]:
        if e.get("run_type") != "iteration" or e.get("error_occurred"):
            continue
        v = key(e) if callable(key) else e.get(key)
        if v is None:
            continue
        vals.setdefault(e["run_name"], []).append(conv(v) if conv else v)
    return {n: tuple(float(x) for x in numpy.percentile(v, [10, 90]))
            for n, v in vals.items()}


def whisker_extents(fig):
    """[(lo, hi)] of every whisker drawn in fig: the segments of each
    ErrorbarContainer's LineCollections (vertical: y extents, horizontal: x
    extents), in drawing order."""
    from matplotlib.container import ErrorbarContainer
    out = []
    for ax in fig.axes:
        for c in ax.containers:
            if not isinstance(c, ErrorbarContainer):
                continue
            for lc in c.lines[2]:
                for seg in lc.get_segments():
                    a, b = (seg[0][1], seg[1][1]) if c.has_yerr else (seg[0][0], seg[1][0])
                    out.append((float(min(a, b)), float(max(a, b))))
    return out


class CapturedFigures:
    """Context manager: while active, module.save_figure records what each
    figure drew before writing it: self.whiskers[png] = whisker_extents,
    self.texts[png] = every text of the figure (fig.texts and the axes'),
    self.bars[png] = how many bars it drew (ax.bar / ax.barh)."""

    def __init__(self, *modules):
        self.modules = modules
        self.whiskers, self.texts, self.bars, self._saved = {}, {}, {}, []

    def __enter__(self):
        for m in self.modules:
            real = m.save_figure

            def capture(fig, directory, filename, _real=real):
                from matplotlib.container import BarContainer
                self.whiskers[filename] = whisker_extents(fig)
                self.bars[filename] = sum(len(c.patches) for ax in fig.axes
                                          for c in ax.containers
                                          if isinstance(c, BarContainer))
                self.texts[filename] = [t.get_text() for t in fig.texts] + [
                    t.get_text() for ax in fig.axes for t in ax.texts]
                return _real(fig, directory, filename)
            self._saved.append((m, real))
            m.save_figure = capture
        return self

    def __exit__(self, *exc):
        for m, real in self._saved:
            m.save_figure = real
        return False


class WhiskerCase(FigureCase):
    """FigureCase with assertWhiskers(drawn, expected, count): every drawn
    whisker is (p10, p90) of one benchmark of the input, count of them."""

    def assertWhiskers(self, drawn, expected, count=None, msg=None):
        self.assertTrue(drawn, msg)
        if count is not None:
            self.assertEqual(len(drawn), count, msg)
        want = list(expected.values()) if isinstance(expected, dict) else list(expected)
        for lo, hi in drawn:
            self.assertTrue(any(math.isclose(lo, a, rel_tol=1e-9, abs_tol=1e-12) and
                                math.isclose(hi, b, rel_tol=1e-9, abs_tol=1e-12)
                                for a, b in want),
                            "%s: whisker (%r, %r) is no benchmark's p10-p90" % (msg, lo, hi))
        # Made-up values vary between repetitions (a value of 0 stays 0).
        self.assertTrue(any(hi > lo for lo, hi in drawn), msg)

    def assertNoSpread(self, cap, png):
        """n=1: no whisker in png, and the figure says so."""
        self.assertEqual(cap.whiskers[png], [], png)
        self.assertIn("n=1, no spread", " ".join(cap.texts[png]), png)


class TempDirCase(unittest.TestCase):
    """A temporary directory cls.tmp for the whole class: setUpClass calls
    cls.build(cls.tmp.name) to fill it, tearDownClass removes it."""

    @classmethod
    def build(cls, tmp):
        pass

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.build(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()


class ReportRunCase(TempDirCase):
    """One run directory, made once per class by make(directory) (a
    classmethod subclasses define, returning the run directory), and
    report.py run on it: cls.dir, cls.proc (CompletedProcess), cls.html_path
    and cls.html (report.html's text). Checks that report.py exited 0 and quiet and that
    every PNG in PNGS was written and referenced (no temp file left); a
    subclass adds what its suite must show. Reached as fx.ReportRunCase so
    the loader never collects this base class itself."""

    RUN_ID = "vm-x86_64-20261128T170000Z"
    # The run: MAKE(directory, **MAKE_ARGS) -> the run directory; and the
    # PNGs report.py must write, reference, at least MIN_SIZE pixels large.
    MAKE = None
    MAKE_ARGS = {}
    PNGS = ()
    MIN_SIZE = (300, 200)

    @classmethod
    def make(cls, directory):
        if cls.MAKE is None:
            raise NotImplementedError("%s must set MAKE or define make()" % cls.__name__)
        return cls.MAKE(directory, **cls.MAKE_ARGS)

    @classmethod
    def build(cls, tmp):
        cls.dir = cls.make(os.path.join(tmp, cls.RUN_ID))
        cls.proc = run_script("report.py", cls.dir)
        cls.html_path = os.path.join(cls.dir, "report.html")
        cls.html = read_text(cls.html_path)

    def test_exit_code_and_quiet(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")

    def test_every_figure_written_valid_and_referenced(self):
        self.assertPngsReferenced(self.PNGS, *self.MIN_SIZE)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".")], [])

    def assertPngsReferenced(self, pngs, min_width=300, min_height=200):
        """Each PNG written, valid, at least that large and in report.html."""
        for png in pngs:
            w, h = png_size(os.path.join(self.dir, png))
            self.assertGreater(w, min_width, png)
            self.assertGreater(h, min_height, png)
            self.assertIn('src="%s"' % png, self.html)


# Weak outcomes per million trials of the atomics suite's litmus family as an
# x86-64 (TSO) machine shows them: only SB without seq_cst; and as an ARM64
# machine might (MP relaxed too). The C++ verdict per (test, order).
LITMUS_CXX_ALLOWED = {
    ("SB", "relaxed"): True, ("SB", "acq_rel"): True, ("SB", "seq_cst"): False,
    ("MP", "relaxed"): True, ("MP", "acq_rel"): False, ("MP", "seq_cst"): False,
    ("LB", "relaxed"): True, ("LB", "acq_rel"): False, ("LB", "seq_cst"): False,
    ("2+2W", "relaxed"): True, ("2+2W", "acq_rel"): True, ("2+2W", "seq_cst"): False,
}


def litmus_specs(arch="x86_64", trials=100000, weak=None, error=None):
    """BenchSpecs of atomics_litmus/test:T/order:O, named as the suite names
    them (Threads(2), Iterations(1), Repetitions(1), UseRealTime). weak:
    {(test, order): count} overriding the made-up counts (e.g. a forbidden
    outcome observed); error: every entry errored with this message (one
    usable PU). Use with gb_document(..., repetitions=1)."""
    made_up = {("SB", "relaxed"): 0.05, ("SB", "acq_rel"): 0.048}
    if arch != "x86_64":
        made_up.update({("MP", "relaxed"): 0.002, ("2+2W", "relaxed"): 0.0004})
    specs = []
    for (test, order), allowed in LITMUS_CXX_ALLOWED.items():
        name = ("atomics_litmus/test:%s/order:%s/iterations:1/repeats:1/real_time"
                % (test, order))
        if error:
            specs.append(BenchSpec(name, 2, error=error))
            continue
        count = (weak or {}).get((test, order), int(made_up.get((test, order), 0.0) * trials))
        specs.append(BenchSpec(name, 2, {
            "trials": float(trials), "weak": float(count),
            "weak_per_million": 1e6 * count / trials,
            "allowed_by_cxx": 1.0 if allowed else 0.0, "ns_per_trial": 450.0},
            "placement=scatter;pus=0,1"))
    return specs


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--pus", type=int, default=4)
    p.add_argument("--arch", default="x86_64", choices=["x86_64", "aarch64"])
    p.add_argument("--c2c-mode", default="all_pairs", choices=["all_pairs", "sampled_by_class"])
    a = p.parse_args()
    make_run(a.out_dir, a.pus, a.arch, c2c_mode=a.c2c_mode)


if __name__ == "__main__":
    main()


# --------------------------------------------------------------------------
# Fixed repetitions (verdicts, significance, noise guard)
# --------------------------------------------------------------------------

def write_reps_suite(run_dir, suite, reps, noise=None, context=True, extra_context=None):
    """A Google Benchmark JSON whose repetitions are given exactly:
    reps = {run_name: [{"real_time": ns, counter: value, ...} per repetition]}.
    noise: the harness's "syncscope_noise" record, when given."""
    os.makedirs(run_dir, exist_ok=True)
    entries = []
    for name, rs in reps.items():
        for i, values in enumerate(rs):
            e = {"name": name, "run_name": name, "run_type": "iteration",
                 "repetitions": len(rs), "repetition_index": i, "threads": 1,
                 "iterations": 1000, "real_time": 100.0, "cpu_time": 100.0,
                 "time_unit": "ns"}
            e.update(values)
            entries.append(e)
    doc = {"context": dict({"syncscope_suite": suite, "library_build_type": "release"},
                           **(extra_context or {})),
           "benchmarks": entries}
    if noise is not None:
        doc["syncscope_noise"] = noise
    write_json(os.path.join(run_dir, suite + ".json"), doc)
    if context and not os.path.exists(os.path.join(run_dir, "context.json")):
        write_json(os.path.join(run_dir, "context.json"),
                   {"host": "testhost", "arch": "x86_64",
                    "hypervisor": {"present": True, "cpuid_vendor": "KVMKVMKVM",
                                   "sys_hypervisor_type": "unavailable (no such file)"}})
    return run_dir


QUIET_NOISE = {"wall_s": 10.0, "load1_before": 0.5, "load1_after": 0.6, "own_cpu_s": 19.0,
               "foreign_cpu_s": 0.4, "foreign_cpus": 0.04, "steal_s": 0.0,
               "own_voluntary_csw": 10, "own_involuntary_csw": 50, "usable_pus": 2}
BUSY_NOISE = dict(QUIET_NOISE, foreign_cpu_s=9.0, foreign_cpus=0.9, load1_after=2.5)


def verdict_run(directory):
    """fairness: at 2 threads tas beats ticket by 2x on acq_per_s over 5
    repetitions each (significant, p = 2/252), ticket is fairer but only by
    noise (overlapping Jain's index); at 1 thread a single lock (no verdict).
    maps: sync_map vs locked_map with 3 repetitions each (too few: "~").
    maps is disturbed (BUSY_NOISE), fairness quiet."""
    def reps(**series):
        keys = list(series)
        return [dict(zip(keys, vals)) for vals in zip(*series.values())]
    fair = {
        "fairness/lock:tas/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time":
            reps(acq_per_s=[200, 201, 202, 203, 204], jain_index=[0.90, 0.92, 0.94, 0.96, 0.98]),
        "fairness/lock:ticket/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time":
            reps(acq_per_s=[100, 101, 102, 103, 104], jain_index=[0.91, 0.93, 0.95, 0.97, 0.99]),
        "fairness/lock:tas/threads:2/placement:compact/cs_ns:100/ncs_ns:100/dist:fixed"
        "/manual_time": reps(acq_per_s=[1, 1, 1, 1, 1], jain_index=[1, 1, 1, 1, 1]),
        "fairness/lock:tas/threads:1/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time":
            reps(acq_per_s=[500, 501, 502, 503, 504], jain_index=[1, 1, 1, 1, 1]),
    }
    write_reps_suite(directory, "fairness", fair, noise=QUIET_NOISE)
    maps = {
        "maps/scenario:read_mostly/map:sync_map/placement:none/real_time/threads:2":
            reps(ops_per_s=[300, 310, 320]),
        "maps/scenario:read_mostly/map:locked_map/placement:none/real_time/threads:2":
            reps(ops_per_s=[100, 110, 120]),
    }
    write_reps_suite(directory, "maps", maps, noise=BUSY_NOISE)
    return directory

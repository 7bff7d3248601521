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

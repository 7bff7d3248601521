#!/usr/bin/python3
"""Write a run directory's manifest.json: what was run, when, and how it ended.

run.sh calls it once the suites of a run have finished (or, for a run
stopped by a signal, never: an interrupted run leaves no run directory).
The plots read the result through common.load_run (Run.manifest).

  run_manifest.py RUN_DIR --run-id ID --profile quick|full --started UTC
                  --duration-s N --command CMD [--finished UTC]
                  [--measuring-started UTC --measuring-finished UTC] SUITE...

manifest.json:
  run_id        the run's id (the final directory's name)
  profile       quick or full
  suites        the suites run, in order
  started_utc   when the run began (run.sh's clock), 2026-01-01T00:00:00Z
  finished_utc  when the suites had finished (default: now)
  duration_s    seconds from the start to the end of the last suite
  measuring_started_utc, measuring_finished_utc
                when the run held the machine's run lock: from just before
                its first suite to the end of its last (null if not given)
  command       the command line that started the run

Noise guard: the "syncscope_noise" record each suite's harness wrote into
RUN_DIR/<suite>.json is copied into context.json as "noise": {suite: record}
(and a suite's Go peer's own record, its context key <suite>_go_noise, as
"<suite>_go_peer"),
with "quiet_wait": the lines of logs/quiet_wait.log (./run.sh bench
--quiet-wait), when context.json exists (a suite JSON that cannot be read is
skipped: the report says so).

The file is written whole under a temporary name and renamed. Bad usage:
one line on stderr naming the bad value and the valid ones, exit 2.
"""

import datetime
import json
import os
import re
import sys

UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PROFILES = ("quick", "full")
SUITE_RE = re.compile(r"^[a-z0-9_]+$")
FLAGS = ("--run-id", "--profile", "--started", "--finished", "--duration-s", "--command",
         "--measuring-started", "--measuring-finished")


class Usage(Exception):
    """Bad usage: the message is the one line to print."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_args(argv):
    """argv (without the program name) -> (run_dir, dict of flags, suites)."""
    if argv and argv[0] in ("-h", "--help"):
        return None
    values, positional = {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name not in FLAGS:
                raise Usage("unknown flag '%s' (valid: %s)" % (name, ", ".join(FLAGS)))
            if not eq:
                if i + 1 >= len(argv):
                    raise Usage("flag %s needs a value" % name)
                i += 1
                value = argv[i]
            values[name] = value
        else:
            positional.append(a)
        i += 1
    if not positional:
        raise Usage("missing RUN_DIR (usage: run_manifest.py RUN_DIR --run-id ID ... SUITE...)")
    run_dir, suites = positional[0], positional[1:]
    if not os.path.isdir(run_dir):
        raise Usage("run directory '%s' does not exist (valid: an existing directory)" % run_dir)
    for name in ("--run-id", "--profile", "--started", "--duration-s", "--command"):
        if not values.get(name):
            raise Usage("missing %s (required: --run-id, --profile, --started, --duration-s, "
                        "--command)" % name)
    if values["--profile"] not in PROFILES:
        raise Usage("unknown profile '%s' (valid: %s)" % (values["--profile"], ", ".join(PROFILES)))
    for name in ("--started", "--finished", "--measuring-started", "--measuring-finished"):
        if name in values and not UTC_RE.match(values[name]):
            raise Usage("bad %s '%s' (valid: a UTC time like 2026-01-01T00:00:00Z)"
                        % (name, values[name]))
    if not re.match(r"^\d{1,9}$", values["--duration-s"]):
        raise Usage("bad --duration-s '%s' (valid: whole seconds, 0 or more)"
                    % values["--duration-s"])
    if "/" in values["--run-id"] or values["--run-id"] in (".", ".."):
        raise Usage("bad --run-id '%s' (valid: a directory name, no '/')" % values["--run-id"])
    if not suites:
        raise Usage("no SUITE given (valid: the suites the run ran, e.g. c2c fairness)")
    for s in suites:
        if not SUITE_RE.match(s):
            raise Usage("bad suite name '%s' (valid: lower-case letters, digits, '_')" % s)
    return run_dir, values, suites


def manifest(values, suites):
    return {
        "run_id": values["--run-id"],
        "profile": values["--profile"],
        "suites": list(suites),
        "started_utc": values["--started"],
        "finished_utc": values.get("--finished") or utc_now(),
        "duration_s": int(values["--duration-s"]),
        "measuring_started_utc": values.get("--measuring-started"),
        "measuring_finished_utc": values.get("--measuring-finished"),
        "command": values["--command"],
    }


def write_whole(path, document):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main(argv):
    try:
        parsed = parse_args(argv)
    except Usage as e:
        print("run_manifest.py: %s" % e, file=sys.stderr)
        return 2
    if parsed is None:
        print(__doc__.strip())
        return 0
    run_dir, values, suites = parsed
    write_whole(os.path.join(run_dir, "manifest.json"), manifest(values, suites))
    add_noise_to_context(run_dir, suites)
    return 0


def add_noise_to_context(run_dir, suites):
    ctx_path = os.path.join(run_dir, "context.json")
    try:
        with open(ctx_path) as f:
            ctx = json.load(f)
    except (OSError, ValueError):
        return
    if not isinstance(ctx, dict):
        return
    noise = {}
    for s in suites:
        try:
            with open(os.path.join(run_dir, s + ".json")) as f:
                doc = json.load(f)
            rec = doc.get("syncscope_noise")
            ctx_of_suite = doc.get("context")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(rec, dict):
            noise[s] = rec
        peer = ctx_of_suite.get("%s_go_noise" % s) if isinstance(ctx_of_suite, dict) else None
        if isinstance(peer, dict):
            noise[s + "_go_peer"] = peer
    try:
        with open(os.path.join(run_dir, "logs", "quiet_wait.log")) as f:
            noise["quiet_wait"] = [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        pass
    ctx["noise"] = noise
    write_whole(ctx_path, ctx)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

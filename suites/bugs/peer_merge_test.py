"""Tests of peer_merge.py (run by CTest as bugs_peer_merge)."""

import json
import os
import tempfile
import unittest

import peer_merge


class PeerMergeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.bugs = os.path.join(self.dir, "bugs.json")
        with open(self.bugs, "w") as f:
            json.dump({"context": {}, "benchmarks": [
                {"name": "bugs_zoo/bug:lost_update/variant:buggy/cause:traditional", "misbehaved": 1},
                {"name": "bugs_zoo/bug:lost_update/variant:fixed/cause:traditional", "misbehaved": 0},
                {"name": "bugs_detector_overhead/op:mutex_lock_unlock/detector:on", "ns_per_op": 50},
            ]}, f)

    def read(self):
        with open(self.bugs) as f:
            return json.load(f)

    def test_verdicts_set_counters_and_unknown_is_minus_one(self):
        v = os.path.join(self.dir, "v.tsv")
        with open(v, "w") as f:
            f.write("lost_update\tbuggy\ttsan\t1\nlost_update\tfixed\ttsan\t0\n")
        peer_merge.merge(self.dir, verdicts=v, notes=["bugs_peer_go=absent: no go"])
        d = self.read()
        buggy, fixed = d["benchmarks"][0], d["benchmarks"][1]
        self.assertEqual(buggy["tsan"], 1.0)
        self.assertEqual(fixed["tsan"], 0.0)
        self.assertEqual(buggy["go_deadlock"], -1.0)
        self.assertNotIn("tsan", d["benchmarks"][2])
        self.assertEqual(d["context"]["bugs_peer_go"], "absent: no go")

    def test_overhead_entries_appended_once(self):
        o = os.path.join(self.dir, "o.json")
        with open(o, "w") as f:
            json.dump({"benchmarks": [{"name": "bugs_detector_overhead/op:mutex_lock_unlock/detector:compiled_out",
                                       "ns_per_op": 10}]}, f)
        peer_merge.merge(self.dir, overhead=o)
        peer_merge.merge(self.dir, overhead=o)
        names = [b["name"] for b in self.read()["benchmarks"]]
        self.assertEqual(sum(n.endswith("detector:compiled_out") for n in names), 1)

    def test_bad_verdict_line_is_an_error(self):
        v = os.path.join(self.dir, "v.tsv")
        with open(v, "w") as f:
            f.write("lost_update\tbuggy\ttsan\tmaybe\n")
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.dir, verdicts=v)

    def test_missing_run_dir_exits_2(self):
        self.assertEqual(peer_merge.main([os.path.join(self.dir, "nope")]), 2)


if __name__ == "__main__":
    unittest.main()

"""Tests of suite_bugs.py on a small bugs.json written here."""

import json
import os
import tempfile
import unittest

import common
import suite_bugs


def _bench(name, **counters):
    d = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
         "repetition_index": 0, "threads": 1, "iterations": 1, "real_time": 1.0, "cpu_time": 1.0,
         "time_unit": "ns"}
    d.update(counters)
    return d


class SuiteBugsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        benches = [
            _bench("bugs_study/table:6/app:Docker/cause:Mutex", count=9),
            _bench("bugs_study/table:8/cause:Mutex", used=7, detected=1),
            _bench("bugs_zoo/bug:mutex_abba/variant:buggy/cause:Mutex", misbehaved=1, blocking=1,
                   syncscope_detector=1, tsan=0, go_deadlock=1, go_race=-1),
            _bench("bugs_zoo/bug:mutex_abba/variant:fixed/cause:Mutex", misbehaved=0, blocking=1,
                   syncscope_detector=0, tsan=0, go_deadlock=0, go_race=-1),
            _bench("bugs_zoo/bug:lost_update/variant:buggy/cause:traditional", misbehaved=1, blocking=0,
                   syncscope_detector=0, tsan=1, go_deadlock=0, go_race=1),
            _bench("bugs_zoo/bug:lost_update/variant:fixed/cause:traditional", misbehaved=0, blocking=0,
                   syncscope_detector=0, tsan=0, go_deadlock=0, go_race=0),
            _bench("bugs_zoo/bug:chan_timeout_leak/variant:buggy/cause:Chan/runtime:threads", misbehaved=1,
                   blocking=1, syncscope_detector=1, tsan=0, go_deadlock=0, go_race=-1),
            _bench("bugs_zoo/bug:chan_timeout_leak/variant:fixed/cause:Chan/runtime:threads", misbehaved=0,
                   blocking=1, syncscope_detector=0, tsan=0, go_deadlock=0, go_race=-1),
            _bench("bugs_zoo/bug:chan_timeout_leak/variant:buggy/cause:Chan/runtime:goroutines", misbehaved=1,
                   blocking=1, syncscope_detector=1, tsan=0, go_deadlock=-1, go_race=-1),
            _bench("bugs_zoo/bug:chan_timeout_leak/variant:fixed/cause:Chan/runtime:goroutines", misbehaved=0,
                   blocking=1, syncscope_detector=0, tsan=0, go_deadlock=-1, go_race=-1),
            _bench("bugs_detector_overhead/op:mutex_lock_unlock/detector:on", ns_per_op=80.0),
            _bench("bugs_detector_overhead/op:mutex_lock_unlock/detector:compiled_out", ns_per_op=20.0),
        ]
        with open(os.path.join(self.dir, "bugs.json"), "w") as f:
            json.dump({"context": {"bugs_study_source": "Tu et al., ASPLOS 2019"}, "benchmarks": benches}, f)
        self.suite = common.parse_suite("bugs", os.path.join(self.dir, "bugs.json"),
                                        common.load_json(os.path.join(self.dir, "bugs.json")))

    def test_detection_totals(self):
        totals, false_reports = suite_bugs.detection_totals(self.suite)
        self.assertEqual(totals[(True, "syncscope_detector")], (2, 2, 2))  # threads rows only
        self.assertEqual(totals[(True, "go_race")], (0, 0, 2))
        self.assertEqual(totals[(False, "tsan")], (1, 1, 1))
        self.assertEqual(false_reports, 0)

    def test_tables(self):
        tables = suite_bugs.summary_rows(self.dir, self.suite, {})
        titles = [t.title for t in tables]
        self.assertTrue(any("Table 6" in t for t in titles))
        self.assertTrue(any("Detection table" in t for t in titles))
        det = [t for t in tables if t.title.startswith("Reproduced")][0]
        self.assertEqual(det.rows[0][0], "mutex_abba")
        self.assertEqual(det.rows[0][5:], ["caught", "missed", "caught", "not run"])
        gor = [t for t in tables if "goroutines" in t.title][0]
        self.assertEqual(gor.rows, [["chan_timeout_leak", "Chan", "yes", "yes", "caught", "missed", "no",
                                     "caught"]])
        ov = [t for t in tables if "cost per operation" in t.title][0]
        self.assertEqual(ov.rows[0][0], "mutex_lock_unlock")
        self.assertEqual(ov.rows[0][2], "—")  # in_off absent
        self.assertEqual(suite_bugs.figures(self.dir, self.suite, {}), [])
        self.assertTrue(suite_bugs.notes(self.dir, self.suite, {}))


if __name__ == "__main__":
    unittest.main()

"""Tests of style.py: fixed colours, deterministic fallback colours across
processes, hue families, display orders."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import style  # noqa: E402


class ColourTest(unittest.TestCase):
    def test_fixed_colours_distinct_for_paths(self):
        cols = [style.colour(p) for p in ("portable", "x86_64", "llsc", "lse")]
        self.assertEqual(len(set(cols)), 4)

    def test_fallback_deterministic_across_processes(self):
        names = ["my_new_lock", "tbb_queuing_mutex", "moodycamel_ConcurrentQueue"]
        here = [style.colour(n) for n in names]
        code = ("import sys; sys.path.insert(0, %r); import style; "
                "print(' '.join(style.colour(n) for n in %r))"
                % (os.path.dirname(os.path.abspath(__file__)), names))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONHASHSEED="123"), check=True)
        self.assertEqual(out.stdout.split(), here)
        for c in here:
            self.assertRegex(c, r"^#[0-9a-f]{6}$")

    def test_families_share_a_hue(self):
        greens = {"#006d2c", "#31a354", "#74c476", "#a1d99b", "#00441b", "#238b45"}
        self.assertIn(style.colour("tbb_spin_mutex"), greens)
        self.assertIn(style.colour("tbb_anything_new"), greens)

    def test_ordered(self):
        self.assertEqual(style.ordered(["lse", "zzz", "portable", "lse", "aaa"],
                                       style.PATH_ORDER),
                         ["portable", "lse", "aaa", "zzz"])
        self.assertEqual(style.ordered(["10", "2", "1"], []), ["1", "2", "10"])

    def test_distinct_colours(self):
        # Two names whose hashed colours collide get different ones; a
        # variant keeps its design's.
        names = ["GoMutex2008", "GoMutex2015", "TicketLock", "SemaMutex", "GoMutex_instr",
                 "GoMutex"]
        got = style.distinct_colours(names)
        self.assertEqual(got["GoMutex2008"], style.colour("GoMutex2008"))
        designs = [got[n] for n in names if not n.endswith("_instr")]
        self.assertEqual(len(set(designs)), len(designs))
        self.assertEqual(got["GoMutex_instr"], got["GoMutex"])
        self.assertEqual(style.distinct_colours(names), got)   # deterministic

    def test_variants_share_their_design(self):
        self.assertEqual(style.colour("GoMutex_instr"), style.colour("GoMutex"))
        self.assertEqual(style.marker("GoMutex_instr"), style.marker("GoMutex"))
        self.assertEqual(style.base_name("_instr"), "_instr")


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: GPL-2.0
"""The bench-evict log parser must find every run's line in a noisy console log and build the
stock-versus-learned table from it."""

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(REPO, "scripts", "bench_evict_table.py")
FIXTURE = os.path.join(HERE, "fixtures", "bench-evict.log")

spec = importlib.util.spec_from_file_location("bench_evict_table", SCRIPT)
bet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bet)


def fixture():
    with open(FIXTURE) as f:
        return f.read()


class Parse(unittest.TestCase):
    def test_every_run_of_the_fixture(self):
        runs = bet.parse(fixture())
        self.assertEqual(list(runs), ["scan", "loop", "zipf"])
        self.assertEqual(len(runs["scan"]["stock"]), 3)
        self.assertEqual(
            runs["scan"]["stock"][1],
            {"disk_reads": 15281, "sectors": 884064, "refaults": 6057, "cg_refaults": 6060,
             "ms": 3616},
        )
        self.assertEqual([r["disk_reads"] for r in runs["scan"]["learned"]], [24877, 20107, 22001])
        # A line a kernel message broke into (CRLF, prefix) still counts.
        self.assertEqual(runs["loop"]["learned"], [
            {"disk_reads": 1938, "sectors": 491520, "refaults": 51200, "cg_refaults": 51200,
             "ms": 1101}])
        # A failed run prints no numbers: zipf has only its stock run.
        self.assertEqual(list(runs["zipf"]), ["stock"])
        self.assertEqual(bet.missing(runs), ["zipf/learned"])
        self.assertTrue(bet.repeated(runs))

    def test_bench_stats_and_other_lines_are_ignored(self):
        self.assertEqual(bet.parse("bench-stats: workload=scan policy=stock enabled 0\n"
                                   "bench: done\nbench: workload=x policy=y FAILED (status 1)\n"),
                         {})

    def test_median_and_spread(self):
        runs = bet.parse(fixture())
        self.assertEqual(bet.median(runs["scan"], "stock", "disk_reads"), 23429)
        self.assertEqual(bet.median(runs["scan"], "learned", "ms"), 5000)
        self.assertIsNone(bet.median(runs["zipf"], "learned", "ms"))
        # An even count takes the lower median: still a measured value.
        two = {"stock": [{"ms": 4}, {"ms": 9}]}
        self.assertEqual(bet.median(two, "stock", "ms"), 4)
        self.assertEqual(bet.spread(runs["scan"], "stock", "refaults"), "6057-15600")
        self.assertEqual(bet.spread(runs["zipf"], "learned", "refaults"), "-")

    def test_table(self):
        runs = bet.parse(fixture())
        md = bet.table(runs).splitlines()
        self.assertEqual(md[0], "| " + " | ".join(bet.HEADER) + " |")
        self.assertEqual(len(md), 2 + 3)
        self.assertEqual(md[2], "| scan | 23429 | 22001 | 0.939 | 14218 | 14867 | 4791 | 5000 |")
        self.assertEqual(md[3], "| loop | 1938 | 1938 | 1.000 | 51175 | 51200 | 1010 | 1101 |")
        self.assertEqual(md[4], "| zipf | 20409 | - | - | 4248 | - | 7136 | - |")
        sp = bet.spread_table(runs).splitlines()
        self.assertEqual(
            sp[2], "| scan | 3, 3 | 15281-24828 | 20107-24877 | 6057-15600 | 12000-19595 | no |")
        self.assertEqual(sp[4], "| zipf | 1, 0 | 20409-20409 | - | 4248-4248 | - | - |")

    def test_apart(self):
        runs = {"stock": [{"d": 10}, {"d": 12}], "learned": [{"d": 7}, {"d": 9}]}
        self.assertEqual(bet.apart(runs, "d"), "yes")
        runs["learned"].append({"d": 10})
        self.assertEqual(bet.apart(runs, "d"), "no")
        self.assertEqual(bet.apart({"stock": [{"d": 1}]}, "d"), "-")

    def test_ratio(self):
        self.assertEqual(bet.ratio(50, 100), "0.500")
        self.assertEqual(bet.ratio(0, 0), "-")
        self.assertEqual(bet.ratio(3, 0), "inf")
        self.assertEqual(bet.ratio(None, 4), "-")


class Cli(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)

    def test_writes_the_table(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "t.md")
            p = self.run_cli(FIXTURE, "--out", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out) as f:
                self.assertEqual(f.read(), p.stdout)
            self.assertIn("zipf/learned", p.stderr)
            self.assertIn("| scan | 23429 | 22001 | 0.939 |", p.stdout)
            self.assertIn("their ranges", p.stdout)

    def test_a_log_without_runs_fails(self):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write("[    1.0] boot noise\nbench: FAIL: no /dev/vda\n")
        try:
            p = self.run_cli(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    unittest.main()


class Cost(unittest.TestCase):
    LOG = "\n".join([
        "bench: workload=scan policy=stock disk_reads=100 sectors=800 refaults=50 cg_refaults=50"
        " ms=1000 rep=1 hook_us=0 probe_us=3000 decisions=0 trips=0",
        "bench: workload=scan policy=learned disk_reads=70 sectors=560 refaults=20 cg_refaults=20"
        " ms=2000 rep=1 hook_us=5000 probe_us=15000 decisions=1234 trips=1",
    ])

    def test_cost_fields_are_parsed_and_tabled(self):
        runs = bet.parse(self.LOG)
        self.assertEqual(runs["scan"]["learned"][0]["hook_us"], 5000)
        self.assertEqual(runs["scan"]["learned"][0]["trips"], 1)
        cost = bet.cost_table(runs)
        # (5 + 15) ms of 2000 ms: 1.00%.
        self.assertIn("| scan | 1234 | 1 | 5.0 | 15.0 | 1.00 |", cost)

    def test_no_cost_fields_no_cost_table(self):
        self.assertEqual(bet.cost_table(bet.parse(fixture())), "")

# SPDX-License-Identifier: GPL-2.0
"""The bench-sizer log parser must find every phase line in a noisy console log, take medians
per phase and configuration, and compare each configuration's totals with `generous`."""

import importlib.util
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(REPO, "scripts", "bench_sizer_table.py")

spec = importlib.util.spec_from_file_location("bench_sizer_table", SCRIPT)
bst = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bst)


def line(config, rep, phase, disk, mem, mean=5, settle=100):
    return (
        "bench-sizer: config=%s rep=%d phase=%d reads=1000 disk_reads=%d ms=500 "
        "mem_mib_ms=%d mean_mib=%d settle_ms=%d" % (config, rep, phase, disk, mem, mean, settle)
    )


LOG = "\n".join([
    "[    1.0] learned_os: loaded",
    line("generous", 1, 1, 100, 1000),
    line("generous", 1, 2, 200, 3000),
    line("fallback", 1, 1, 110, 500),
    # A kernel message glued in front, and CRLF, as the serial console does.
    "[    2.0] sizer: x\r" + line("fallback", 1, 2, 300, 1000) + "\r",
    line("generous", 2, 1, 120, 1200),
    line("generous", 2, 2, 200, 2800),
    line("fallback", 2, 1, 130, 700),
    line("fallback", 2, 2, 260, 1100),
    # A run cut short (phase 2 missing) counts per phase, not in the totals.
    line("fallback", 3, 1, 999, 9999),
])


class Tables(unittest.TestCase):
    def test_parse_finds_every_phase(self):
        runs = bst.parse(LOG)
        self.assertEqual(sorted(runs), [("fallback", 1), ("fallback", 2), ("fallback", 3),
                                        ("generous", 1), ("generous", 2)])
        self.assertEqual(runs[("fallback", 1)][2]["disk_reads"], 300)

    def test_medians_and_ratios(self):
        text = bst.tables(bst.parse(LOG))
        # Phase 1, fallback: the lower median of 110 and 130; run 3 never finished phase 2.
        self.assertIn("| 1 | fallback | 110 |", text)
        # Totals: generous runs 300 and 320 reads (lower median 300), 4000 MiB*ms each;
        # fallback's complete runs 410 and 390 (390), memory 1500 and 1800 (1500).
        self.assertIn("| generous | 300 | 4.0 | 1.000 | 1.000 |", text)
        # Worst phase: medians 110 vs 100 and 260 vs 200: 1.3.
        self.assertIn("| fallback | 390 | 1.5 | 1.300 | 0.375 | 1.300 |", text)

    def test_a_phase_generous_read_nothing_in_still_counts(self):
        log = "\n".join([line("generous", 1, 1, 0, 100), line("fallback", 1, 1, 5, 100)])
        self.assertIn("| fallback | 5 | 0.1 | inf | 1.000 | inf |", bst.tables(bst.parse(log)))

    def test_no_lines_is_an_error(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".log") as f:
            f.write("nothing here\n")
            f.flush()
            self.assertEqual(bst.main([f.name]), 1)


if __name__ == "__main__":
    unittest.main()

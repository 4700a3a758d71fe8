# SPDX-License-Identifier: GPL-2.0
"""The host's KTAP parser must count real results and catch every way a run goes wrong."""

import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KTAP = os.path.join(REPO, "scripts", "ktap.py")

GOOD = """\
[    1.0] boot noise
KTAP version 1
1..2
# selftests: learned_os: a.sh
# KTAP version 1
# 1..2
# ok 1 first
# # a diagnostic
# ok 2 second # SKIP not here
ok 1 selftests: learned_os: a.sh
# selftests: learned_os: b.sh
# KTAP version 1
# 1..1
# ok 1 third
ok 2 selftests: learned_os: b.sh
"""


def run(text):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([sys.executable, KTAP, f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    return p.returncode, p.stdout


class KtapParser(unittest.TestCase):
    def test_counts_leaves_of_a_good_run(self):
        rc, out = run(GOOD)
        self.assertEqual(rc, 0, out)
        self.assertIn("ktap: 2 passed, 0 failed, 1 skipped", out)

    def test_failing_leaf_is_named(self):
        text = GOOD.replace("# ok 1 third", "# not ok 1 third").replace(
            "ok 2 selftests: learned_os: b.sh", "not ok 2 selftests: learned_os: b.sh # exit=1")
        rc, out = run(text)
        self.assertEqual(rc, 1)
        self.assertIn("FAIL b.sh: third", out)
        self.assertIn("ktap: 1 passed, 1 failed, 1 skipped", out)

    def test_script_killed_midway_fails_on_its_plan(self):
        text = GOOD.replace("# 1..1\n# ok 1 third\nok 2 selftests: learned_os: b.sh",
                            "# 1..3\n# ok 1 third\nnot ok 2 selftests: learned_os: b.sh # TIMEOUT 600s")
        rc, out = run(text)
        self.assertEqual(rc, 1)
        self.assertIn("b.sh: planned 3 results, got 1", out)

    def test_guest_hang_leaves_run_incomplete(self):
        rc, out = run(GOOD.split("# ok 1 third")[0])
        self.assertEqual(rc, 1)
        self.assertIn("b.sh: started but never finished, after 0 result(s)", out)
        self.assertIn("run incomplete: planned 2 test scripts, 1 reported", out)

    def test_no_output_at_all_fails(self):
        rc, out = run("[    0.1] Kernel panic - not syncing\n")
        self.assertEqual(rc, 1)
        self.assertIn("no KTAP output found", out)

    def test_script_reporting_ok_over_failed_leaf_fails(self):
        rc, out = run(GOOD.replace("# ok 1 third", "# not ok 1 third"))
        self.assertEqual(rc, 1)
        self.assertIn("reported ok despite failing results", out)


if __name__ == "__main__":
    unittest.main()

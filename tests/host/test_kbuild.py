# SPDX-License-Identifier: GPL-2.0
"""Kbuild: the module refuses to build for a PREEMPT_RT kernel (its page-cache probes and
reclaim hook take spinlock_t locks, which sleep there), and only for one."""

import os
import subprocess
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KBUILD = os.path.join(REPO, "Kbuild")
MESSAGE = "learned_os does not support PREEMPT_RT"


def parse(*config):
    """Reads Kbuild as kbuild does (the kernel's CONFIG_ values defined), building nothing."""
    return subprocess.run(
        ["make", "--no-print-directory", "-f", KBUILD, "src=.", *config],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


class PreemptRt(unittest.TestCase):
    def test_refused_on_preempt_rt(self):
        run = parse("CONFIG_PREEMPT_RT=y")
        self.assertNotEqual(run.returncode, 0)
        self.assertIn(MESSAGE, run.stderr)

    def test_accepted_otherwise(self):
        for config in ((), ("CONFIG_PREEMPT_RT=",), ("CONFIG_PREEMPT=y",)):
            with self.subTest(config=config):
                self.assertNotIn(MESSAGE, parse(*config).stderr)


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: GPL-2.0
"""The guest's dmesg scan (grep -E -f dmesg_patterns) must flag real reports and pass a clean
debug-kernel boot log."""

import os
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PATTERNS = os.path.join(os.path.dirname(HERE), "kselftest", "learned_os", "dmesg_patterns")

# First lines of real reports of each kind the scan must catch.
REPORTS = [
    "BUG: KASAN: slab-use-after-free in lo_sysfs_attr_show+0x2a/0x60 [learned_os]",
    "BUG: sleeping function called from invalid context at mm/slab_common.c:1234",
    "WARNING: CPU: 1 PID: 123 at lib/kobject.c:620 kobject_del+0x1c/0x30",
    "WARNING: possible circular locking dependency detected",
    "WARNING: possible recursive locking detected",
    "WARNING: inconsistent lock state",
    "INFO: trying to register non-static key.",
    "kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
    "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000000",
    "Kernel panic - not syncing: Fatal exception",
    "UBSAN: array-index-out-of-bounds in mm/vmscan.c:42:3",
    "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    "INFO: task insmod:77 blocked for more than 120 seconds.",
    " Call Trace:",
]


def patterns():
    with open(PATTERNS, encoding="utf-8") as f:
        return [re.compile(line.rstrip("\n")) for line in f if line.strip()]


def flagged(line):
    return any(p.search(line) for p in patterns())


class DmesgPatterns(unittest.TestCase):
    def test_every_report_kind_is_flagged(self):
        for line in REPORTS:
            self.assertTrue(flagged(line), line)

    def test_clean_debug_boot_is_not_flagged(self):
        with open(os.path.join(HERE, "fixtures", "debug-boot-clean.log"), encoding="utf-8") as f:
            log = f.read().splitlines()
        self.assertGreater(len(log), 100)
        self.assertTrue(any("KernelAddressSanitizer initialized" in l for l in log))
        self.assertEqual([l for l in log if flagged(l)], [])


if __name__ == "__main__":
    unittest.main()
